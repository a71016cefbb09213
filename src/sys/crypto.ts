// node:crypto, loaded on first use: loading it (OpenSSL's setup) costs a process about 4 ms, and
// the hook's own path never hashes nor draws random bytes.
import type * as NodeCrypto from 'node:crypto';
import { createRequire } from 'node:module';

let loaded: typeof NodeCrypto | undefined;

export function crypto(): typeof NodeCrypto {
  // A builtin resolves from any base path; '/' works the same bundled, in the binary and under vitest.
  loaded ??= createRequire('/')('node:crypto') as typeof NodeCrypto;
  return loaded;
}
