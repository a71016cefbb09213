// The one containers.conf setting that decides where Podman reads hooks.d files: `[engine]
// hooks_dir`. containers.conf is TOML; this reader understands all of TOML's syntax well enough
// to walk any valid file (strings of all four kinds, arrays, inline tables, dotted and quoted
// keys, tables) and keeps only that key. Anything it cannot walk is an error naming the file and
// line: a file Podman reads must never be silently skipped, or ipper would install where Podman
// does not look.
import { IpperError } from '../errors.js';

/** Podman's built-in hooks_dir (containers/common DefaultHooksDirs), used when no file sets one. */
export const PODMAN_DEFAULT_HOOKS_DIRS: readonly string[] = ['/usr/share/containers/oci/hooks.d'];

/** One file's hooks_dir: its directories and its `{append = true|false}` attribute, if it has one. */
export interface HooksDirSetting {
  dirs: string[];
  append?: boolean;
}

type Value =
  | { kind: 'string'; text: string }
  | { kind: 'scalar'; raw: string }
  | { kind: 'array'; items: Value[] }
  | { kind: 'table'; entries: Map<string, Value> };

const BARE_KEY = /[A-Za-z0-9_-]/;
const SCALAR_CHAR = /[0-9A-Za-z_+\-.:]/;
// Booleans, integers (dec/hex/oct/bin), floats, inf/nan, dates, times, date-times.
const SCALAR =
  /^(true|false|[+-]?(inf|nan)|[+-]?\d[\d_]*(\.\d[\d_]*)?([eE][+-]?\d[\d_]*)?|0x[\da-fA-F_]+|0o[0-7_]+|0b[01_]+|\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?)?|\d{2}:\d{2}(:\d{2}(\.\d+)?)?)$/;
const ESCAPES: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', e: '\x1b', '"': '"', '\\': '\\' };

class TomlWalker {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly path: string,
  ) {}

  private fail(what: string): never {
    const line = this.text.slice(0, this.pos).split('\n').length;
    throw new IpperError('INVALID_CONFIG', `${this.path}:${line}: cannot read it as TOML (${what}); Podman cannot either, fix it first`);
  }

  private peek(offset = 0): string {
    return this.text[this.pos + offset] ?? '';
  }

  private startsWith(token: string): boolean {
    return this.text.startsWith(token, this.pos);
  }

  private skipSpace(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
  }

  private skipComment(): void {
    if (this.peek() !== '#') return;
    while (this.pos < this.text.length && this.peek() !== '\n') this.pos++;
  }

  /** Spaces, newlines and comments: between statements and inside arrays. */
  private skipBlank(): void {
    for (;;) {
      this.skipSpace();
      this.skipComment();
      if (this.peek() === '\n') this.pos++;
      else if (this.startsWith('\r\n')) this.pos += 2;
      else return;
    }
  }

  private endOfLine(): void {
    this.skipSpace();
    this.skipComment();
    if (this.pos >= this.text.length || this.peek() === '\n' || this.startsWith('\r\n')) return;
    this.fail(`unexpected "${this.peek()}" after a value`);
  }

  private key(): string[] {
    const parts: string[] = [];
    for (;;) {
      this.skipSpace();
      if (this.peek() === '"') parts.push(this.basicString());
      else if (this.peek() === "'") parts.push(this.literalString());
      else {
        const start = this.pos;
        while (BARE_KEY.test(this.peek())) this.pos++;
        if (this.pos === start) this.fail('a key expected');
        parts.push(this.text.slice(start, this.pos));
      }
      this.skipSpace();
      if (this.peek() !== '.') return parts;
      this.pos++;
    }
  }

  private basicString(): string {
    this.pos++; // "
    let out = '';
    for (;;) {
      const char = this.peek();
      if (char === '' || char === '\n') this.fail('unterminated string');
      this.pos++;
      if (char === '"') return out;
      out += char === '\\' ? this.escape() : char;
    }
  }

  private escape(): string {
    const char = this.peek();
    this.pos++;
    if (char in ESCAPES) return ESCAPES[char]!;
    const digits = char === 'u' ? 4 : char === 'U' ? 8 : char === 'x' ? 2 : 0;
    const hex = this.text.slice(this.pos, this.pos + digits);
    if (digits === 0 || !/^[\da-fA-F]+$/.test(hex) || hex.length !== digits) this.fail(`bad escape "\\${char}"`);
    this.pos += digits;
    return String.fromCodePoint(Number.parseInt(hex, 16));
  }

  private literalString(): string {
    const start = ++this.pos;
    while (this.peek() !== "'") {
      if (this.peek() === '' || this.peek() === '\n') this.fail('unterminated string');
      this.pos++;
    }
    return this.text.slice(start, this.pos++);
  }

  /** """...""" or '''...''': up to two quotes right before the closing three belong to the text. */
  private multilineString(quote: '"' | "'"): string {
    const fence = quote.repeat(3);
    this.pos += 3;
    if (this.peek() === '\n') this.pos++;
    else if (this.startsWith('\r\n')) this.pos += 2;
    let out = '';
    for (;;) {
      if (this.pos >= this.text.length) this.fail('unterminated multi-line string');
      if (this.startsWith(fence)) {
        let extra = 0;
        while (extra < 2 && this.peek(3 + extra) === quote) extra++;
        out += quote.repeat(extra);
        this.pos += 3 + extra;
        return out;
      }
      const char = this.peek();
      this.pos++;
      if (quote === "'" || char !== '\\') out += char;
      else if (/^[ \t]*\r?\n/.test(this.text.slice(this.pos))) {
        // A line-ending backslash eats the newline and the whitespace that follows.
        while (/[ \t\r\n]/.test(this.peek())) this.pos++;
      } else out += this.escape();
    }
  }

  private value(): Value {
    if (this.startsWith('"""')) return { kind: 'string', text: this.multilineString('"') };
    if (this.startsWith("'''")) return { kind: 'string', text: this.multilineString("'") };
    if (this.peek() === '"') return { kind: 'string', text: this.basicString() };
    if (this.peek() === "'") return { kind: 'string', text: this.literalString() };
    if (this.peek() === '[') return this.array();
    if (this.peek() === '{') return this.inlineTable();
    const start = this.pos;
    while (SCALAR_CHAR.test(this.peek())) this.pos++;
    // A date-time may separate date and time with one space.
    if (/^\d{4}-\d{2}-\d{2}$/.test(this.text.slice(start, this.pos)) && /^ \d{2}:/.test(this.text.slice(this.pos, this.pos + 4))) {
      this.pos++;
      while (SCALAR_CHAR.test(this.peek())) this.pos++;
    }
    const raw = this.text.slice(start, this.pos);
    if (!SCALAR.test(raw)) this.fail(raw === '' ? 'a value expected' : `bad value "${raw}"`);
    return { kind: 'scalar', raw };
  }

  private array(): Value {
    this.pos++; // [
    const items: Value[] = [];
    for (;;) {
      this.skipBlank();
      if (this.peek() === ']') break;
      items.push(this.value());
      this.skipBlank();
      if (this.peek() === ',') this.pos++;
      else if (this.peek() !== ']') this.fail('"," or "]" expected in an array');
    }
    this.pos++;
    return { kind: 'array', items };
  }

  private inlineTable(): Value {
    this.pos++; // {
    const entries = new Map<string, Value>();
    this.skipBlank();
    if (this.peek() === '}') {
      this.pos++;
      return { kind: 'table', entries };
    }
    for (;;) {
      const key = this.key().join('.');
      if (this.peek() !== '=') this.fail('"=" expected after a key');
      this.pos++;
      this.skipSpace();
      entries.set(key, this.value());
      this.skipBlank();
      if (this.peek() === '}') break;
      if (this.peek() !== ',') this.fail('"," or "}" expected in an inline table');
      this.pos++;
      this.skipBlank();
    }
    this.pos++;
    return { kind: 'table', entries };
  }

  /** Every key = value of the document with its full dotted path (table + key). */
  walk(visit: (path: string[], value: Value) => void): void {
    let table: string[] = [];
    for (;;) {
      this.skipBlank();
      if (this.pos >= this.text.length) return;
      if (this.peek() === '[') {
        const arrayOfTables = this.peek(1) === '[';
        this.pos += arrayOfTables ? 2 : 1;
        table = this.key();
        const close = arrayOfTables ? ']]' : ']';
        if (!this.startsWith(close)) this.fail(`"${close}" expected after a table name`);
        this.pos += close.length;
      } else {
        const key = this.key();
        if (this.peek() !== '=') this.fail('"=" expected after a key');
        this.pos++;
        this.skipSpace();
        visit([...table, ...key], this.value());
      }
      this.endOfLine();
    }
  }
}

/** `[engine] hooks_dir` of one containers.conf, or undefined when the file does not set it. */
export function readHooksDir(text: string, path: string): HooksDirSetting | undefined {
  let setting: HooksDirSetting | undefined;
  new TomlWalker(text, path).walk((key, value) => {
    if (key.length !== 2 || key[0] !== 'engine' || key[1] !== 'hooks_dir') return;
    setting = hooksDirOf(value, path);
  });
  return setting;
}

function hooksDirOf(value: Value, path: string): HooksDirSetting {
  const bad = (why: string): never => {
    throw new IpperError('INVALID_CONFIG', `${path}: [engine] hooks_dir ${why}; Podman cannot use it either, fix it first`);
  };
  if (value.kind !== 'array') return bad('must be an array of directories');
  const setting: HooksDirSetting = { dirs: [] };
  for (const item of value.items) {
    if (item.kind === 'string') {
      if (!item.text.startsWith('/')) bad(`holds "${item.text}", not an absolute path`);
      setting.dirs.push(item.text.replace(/(.)\/+$/, '$1'));
    } else if (item.kind === 'table' && [...item.entries.keys()].every((name) => name === 'append')) {
      // containers.conf(5): `{append=true}` in an array appends it to what earlier files set
      // (newer Podman; 4.3 refuses the whole file, so such a file never meets this Podman).
      const append = item.entries.get('append');
      if (append?.kind !== 'scalar' || (append.raw !== 'true' && append.raw !== 'false')) bad('has an append attribute that is not true or false');
      else setting.append = append.raw === 'true';
    } else bad('must hold only directory paths (and an {append = true|false} attribute)');
  }
  return setting;
}

/**
 * The directories Podman reads hooks from, given each containers.conf's setting in the order
 * Podman reads them (containers/common: a later file overrides an earlier one; once a file says
 * `{append=true}`, this and later files append, until one says `{append=false}`). Undefined when
 * no file sets hooks_dir: Podman then uses PODMAN_DEFAULT_HOOKS_DIRS.
 */
export function effectiveHooksDirs(settings: readonly (HooksDirSetting | undefined)[]): string[] | undefined {
  let dirs: string[] | undefined;
  let append = false;
  for (const setting of settings) {
    if (setting === undefined) continue;
    if (setting.append !== undefined) append = setting.append;
    dirs = append ? [...(dirs ?? PODMAN_DEFAULT_HOOKS_DIRS), ...setting.dirs] : [...setting.dirs];
  }
  return dirs;
}
