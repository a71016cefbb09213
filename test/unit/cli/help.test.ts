// Every command has its own help with examples, and the man page says what the help says.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_TEXT, hooksEntry, HOOKS_D_ENTRY } from '../../../src/cli/install.js';
import { HELP, runCli } from '../../../src/cli/run-cli.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const COMMANDS = ['hook', 'inspect', 'status', 'doctor', 'attach', 'runtime', 'install', 'uninstall', 'gc', 'supervisor'];

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), env: {} });
  return { code, stdout, stderr };
}

/** The commands and options the top-level help names. */
function helpWords(): { commands: string[]; options: string[] } {
  const commands = [...HELP.matchAll(/^ {2}ipper ([a-z]+)(?:\|([a-z]+))?/gm)].flatMap((match) => [match[1]!, ...(match[2] ? [match[2]] : [])]);
  const options = [...new Set(HELP.match(/--[a-z-]+/g) ?? [])];
  return { commands, options };
}

describe('ipper --help', () => {
  it('names every command', () => {
    expect(helpWords().commands.filter((command) => command !== 'help')).toEqual(expect.arrayContaining(COMMANDS));
  });
});

describe.each(COMMANDS)('ipper %s --help', (command) => {
  it('prints its own usage and examples, exit 0; ipper help <command> prints the same', async () => {
    const result = await cli([command, '--help']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(new RegExp(`^Usage: ipper ${command}\\b`));
    expect(result.stdout).toMatch(/\nExamples:\n {2}\S/);
    expect((await cli(['help', command])).stdout).toBe(result.stdout);
  });
});

it('help for an unknown command is a usage error', async () => {
  expect(await cli(['help', 'frobnicate'])).toStrictEqual({ code: 64, stdout: '', stderr: 'ipper: unknown command "frobnicate" (see ipper --help) [USAGE]\n' });
});

describe('the man page (pkg/ipper.1)', () => {
  const man = readFileSync(`${ROOT}pkg/ipper.1`, 'utf8').replace(/\\-/g, '-').replace(/\\f[BIRP]/g, '');
  const { commands, options } = helpWords();

  it.each(commands)('describes "ipper %s"', (command) => {
    expect(man).toMatch(new RegExp(`^\\.(B|TP)?\\s*ipper ${command}\\b`, 'm'));
  });

  it.each(options)('mentions %s', (option) => {
    expect(man).toContain(option);
  });

  it.each(COMMANDS)('carries the examples of ipper %s --help', async (command) => {
    const help = (await cli([command, '--help'])).stdout;
    const examples = help.split('\nExamples:\n')[1]!.split('\n').filter((line) => line.startsWith('  '));
    for (const example of examples) expect(man).toContain(example.trim().replace(/^dist\/ipper/, 'ipper'));
  });
});

describe('the package files agree with ipper install', () => {
  it('pkg/config.json is the default config install writes', () => {
    expect(readFileSync(`${ROOT}pkg/config.json`, 'utf8')).toBe(DEFAULT_CONFIG_TEXT);
  });

  it('hooks.d/ipper.json is the entry install writes (the package points it at /usr/bin/ipper)', () => {
    expect(JSON.parse(readFileSync(`${ROOT}hooks.d/ipper.json`, 'utf8'))).toStrictEqual(HOOKS_D_ENTRY);
    expect(hooksEntry('/usr/bin/ipper').hook.path).toBe('/usr/bin/ipper');
  });
});
