// How this program starts itself again (the supervisor), as a single binary or under node.
import { isSea } from 'node:sea';

export function selfCommand(subcommand: string): string[] {
  if (isSea()) return [process.execPath, subcommand];
  const script = process.argv[1];
  return script === undefined ? [process.execPath, subcommand] : [process.execPath, script, subcommand];
}
