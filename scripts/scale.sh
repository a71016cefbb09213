#!/usr/bin/env bash
# npm run scale [-- --count N] [--client C] [--json FILE]: N runc containers (default 1000), 10 at a
# time, on a lab of its own with a /16; see test/bench/scale.ts. Not part of npm test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run -s build
exec node dist/scale.cjs "$@"
