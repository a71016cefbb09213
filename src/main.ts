import { runCli } from './cli/run-cli.js';
import { processIo } from './cli/io.js';

void runCli(process.argv.slice(2), processIo).then((code) => {
  process.exitCode = code;
});
