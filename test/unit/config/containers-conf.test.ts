import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { effectiveHooksDirs, readHooksDir } from '../../../src/config/containers-conf.js';
import { errorOf } from '../helpers/error-of.js';

const PATH = '/etc/containers/containers.conf';

describe('readHooksDir', () => {
  it.each([
    ['[engine]\nhooks_dir = ["/a", "/b"]\n', { dirs: ['/a', '/b'] }],
    ['[engine]\nhooks_dir = [\n  "/a", # first\n  # between\n  \'/b/\',\n]\n', { dirs: ['/a', '/b'] }],
    ['engine.hooks_dir = ["/a"]', { dirs: ['/a'] }],
    ['[ engine ]\n"hooks_dir" = ["/a"]', { dirs: ['/a'] }],
    ['[engine]\nhooks_dir = ["/a", {append=true}]', { dirs: ['/a'], append: true }],
    ['[engine]\nhooks_dir = [{ append = false }, "/a"]', { dirs: ['/a'], append: false }],
    ['[engine]\nhooks_dir = []', { dirs: [] }],
    ['[engine]\r\nhooks_dir = ["/a\\u0062"]\r\n', { dirs: ['/ab'] }],
    ['engine = { hooks_dir = ["/a"] }', { dirs: ['/a'] }],
    // a `__proto__` key means nothing to Podman: it does not make the file unreadable
    ['[engine]\n__proto__ = { hooks_dir = ["/evil"] }\nhooks_dir = ["/a"]', { dirs: ['/a'] }],
    // the key under another table, or commented out, is not Podman's hooks_dir
    ['[engine.runtimes]\nhooks_dir = ["/a"]\n[network]\nhooks_dir = ["/b"]', undefined],
    ['[engine]\n#hooks_dir = [\n#  "/usr/share/containers/oci/hooks.d",\n#]\n', undefined],
    ['', undefined],
  ])('%j gives %j', (text, expected) => {
    expect(readHooksDir(text, PATH)).toStrictEqual(expected);
  });

  it('reads every kind of TOML value on the way to hooks_dir', () => {
    const text = [
      'title = """',
      'hooks_dir = ["/not/this"]',
      'ends with ""quotes"""""',
      "raw = '''C:\\x [not a table]'''",
      'folded = """one \\',
      '   two"""',
      '[containers]',
      'env = ["A=1", \'B=2\']',
      'nested = [[1, 2], ["x"], { a.b = 1, c = "}" }]',
      'when = 1979-05-27 07:32:00Z',
      'numbers = [+1_000, -3.5e2, 0xff, 0o7, 0b1, inf, -nan, 07:32:00, 1979-05-27]',
      'yes = true',
      '[[engine.volume_plugins]]',
      '[engine]',
      'runtime = "runc" # trailing comment',
      'hooks_dir = ["/opt/hooks"]',
    ].join('\n');
    expect(readHooksDir(text, PATH)).toStrictEqual({ dirs: ['/opt/hooks'] });
  });

  it("reads the containers.conf this machine's Podman ships without error (it sets no hooks_dir)", () => {
    let text: string;
    try {
      text = readFileSync('/usr/share/containers/containers.conf', 'utf8');
    } catch {
      return; // no Podman here: the tables above still cover the syntax
    }
    expect(readHooksDir(text, '/usr/share/containers/containers.conf')).toBeUndefined();
  });

  it.each([
    // the words in parentheses are smol-toml's
    ['[engine]\nhooks_dir = ["/a"', '2', 'expected comma or end of structure'],
    ['[engine\nhooks_dir = ["/a"]', '1', 'illegal character in key'],
    ['[engine]\nhooks_dir = "/a', '2', 'unfinished string'],
    ['[engine]\nhooks_dir = ["/a"] x', '2', 'each key-value declaration must be followed by an end-of-line'],
    ['[engine]\nhooks_dir ["/a"]', '2', 'illegal character in key'],
    ['a = nope', '1', 'invalid value'],
    ['a = "\\q"', '1', 'unrecognised escape sequence'],
    ['a = """open', '1', 'unfinished string'],
    // Podman refuses a key set twice, so a second hooks_dir cannot quietly win
    ['[engine]\nhooks_dir = ["/a"]\n\nhooks_dir = ["/b"]', '4', 'trying to redefine an already defined table or value'],
    ['[engine]\nhooks_dir = ["/a"]\n[engine]', '3', 'trying to redefine an already defined table or value'],
  ])('%j is one clear error naming the file and line', (text, line, what) => {
    const error = errorOf(() => readHooksDir(text, PATH));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toBe(`${PATH}:${line}: cannot read it as TOML (${what}); Podman cannot either, fix it first`);
  });

  it.each([
    ['hooks_dir = "/a"', 'must be an array of directories'],
    ['hooks_dir = ["hooks.d"]', 'holds "hooks.d", not an absolute path'],
    ['hooks_dir = ["/a", 1]', 'must hold only directory paths (and an {append = true|false} attribute)'],
    ['hooks_dir = ["/a", {prepend=true}]', 'must hold only directory paths (and an {append = true|false} attribute)'],
    ['hooks_dir = ["/a", {append="yes"}]', 'has an append attribute that is not true or false'],
    ['hooks_dir = ["/a", {append=true, prepend=true}]', 'must hold only directory paths (and an {append = true|false} attribute)'],
    ['hooks_dir = ["/a", 1979-05-27]', 'must hold only directory paths (and an {append = true|false} attribute)'],
    ['hooks_dir = [["/a"]]', 'must hold only directory paths (and an {append = true|false} attribute)'],
  ])('[engine] %s is refused: %s', (line, why) => {
    const error = errorOf(() => readHooksDir(`[engine]\n${line}\n`, PATH));
    expect(error.message).toBe(`${PATH}: [engine] hooks_dir ${why}; Podman cannot use it either, fix it first`);
  });

  it.each(['engine = ["/a"]', 'engine = "x"', '[[engine]]\nhooks_dir = ["/a"]'])('%j is refused: [engine] must be a table', (text) => {
    const error = errorOf(() => readHooksDir(text, PATH));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toBe(`${PATH}: [engine] must be a table; Podman cannot use it either, fix it first`);
  });
});

describe('effectiveHooksDirs', () => {
  it.each([
    [[], undefined],
    [[undefined, undefined], undefined],
    [[{ dirs: ['/a'] }, undefined], ['/a']],
    [[{ dirs: ['/a'] }, { dirs: ['/b'] }], ['/b']],
    [[{ dirs: ['/a'] }, { dirs: ['/b'] }, { dirs: [] }], []],
    // append starts from Podman's default, and stays on for later files until one turns it off
    [[{ dirs: ['/a'], append: true }], ['/usr/share/containers/oci/hooks.d', '/a']],
    [[{ dirs: ['/a'] }, { dirs: ['/b'], append: true }, { dirs: ['/c'] }], ['/a', '/b', '/c']],
    [[{ dirs: ['/a'], append: true }, { dirs: ['/b'], append: false }], ['/b']],
  ] as const)('%j gives %j', (settings, expected) => {
    expect(effectiveHooksDirs(settings.map((setting) => (setting === undefined ? undefined : { ...setting, dirs: [...setting.dirs] })))).toStrictEqual(expected);
  });
});
