// npm run build: type-check, bundle to one CommonJS file, package it as a Node single-executable
// application (dist/ipper) with the Node.js already on this machine. Downloads nothing.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const dist = join(root, 'dist');
const bundle = join(dist, 'ipper.cjs');
const binary = join(dist, 'ipper');
const quick = process.argv.includes('--bundle-only');

mkdirSync(dist, { recursive: true });
if (!quick) execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '--noEmit', '-p', root], { stdio: 'inherit' });

// ipper-helper (udhcpc's event script, the socket's peer check): static, so that it runs the same
// on any host the binary is copied to. Debian: gcc and libc6-dev (scripts/setup.sh installs them).
const helper = join(dist, 'ipper-helper');
execFileSync('/usr/bin/gcc', ['-static', '-Os', '-s', '-Wall', '-Wextra', '-Werror', '-o', helper, join(root, 'src/helper/ipper-helper.c')], { stdio: 'inherit' });

await build({
  entryPoints: [join(root, 'src/main.ts')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  define: { __IPPER_VERSION__: JSON.stringify(version) },
  legalComments: 'none',
  minify: true,
  keepNames: true,
  logLevel: 'warning',
});
// The lab's command line (demo) and the benchmark, bundled the same way so that they run without a
// TypeScript loader.
for (const [entry, out] of [['test/lab/cli.ts', 'lab.cjs'], ['test/bench/bench.ts', 'bench.cjs'], ['test/bench/soak.ts', 'soak.cjs'], ['test/bench/scale.ts', 'scale.cjs']]) {
  await build({ entryPoints: [join(root, entry)], outfile: join(dist, out), bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' });
}
if (quick) process.exit(0);

// @yao-pkg/pkg's SEA builder with useLocalNode: it copies this machine's node and injects the blob
// with postject (run through npx, so postject must be installed here and TMPDIR inside the project:
// otherwise npx cannot find it, pkg swallows the error and leaves a plain node).
const tmp = join(root, '.tmp');
rmSync(binary, { force: true });
mkdirSync(tmp, { recursive: true });
process.env.TMPDIR = tmp;
const sea = require('@yao-pkg/pkg/lib-es5/sea').default;
await sea(bundle, {
  targets: [{ nodeRange: `node${process.versions.node.split('.')[0]}`, platform: 'linux', arch: process.arch, output: binary }],
  useLocalNode: true,
  seaConfig: { useCodeCache: true, assets: { 'ipper-helper': helper } },
});

// Never ship a binary that does not run: a failed injection leaves a plain node behind.
const printed = execFileSync(binary, ['--version'], { encoding: 'utf8', env: {} }).trim();
if (printed !== version) throw new Error(`dist/ipper --version printed "${printed}", expected "${version}"`);
console.log(`dist/ipper ${version} (${Math.round(statSync(binary).size / 1048576)} MiB)`);
