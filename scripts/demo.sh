#!/usr/bin/env bash
# npm run demo: build, bring up the built-in lab, start a runc container with the hook, show its
# network and fetch its page by DNS name from another lab host. `npm run demo -- down` removes it all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ "${1:-}" = down ]; then
  [ -f dist/lab.cjs ] || npm run -s build
  exec node dist/lab.cjs down
fi
npm run -s build
exec node dist/lab.cjs demo
