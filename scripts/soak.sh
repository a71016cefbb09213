#!/usr/bin/env bash
# npm run soak: 1000 create/delete cycles (SOAK_CYCLES=N for another count); see test/bench/soak.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run -s build
exec node dist/soak.cjs
