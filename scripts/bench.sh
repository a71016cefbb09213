#!/usr/bin/env bash
# npm run bench: hook latency against baselines run in the same invocation (see test/bench/bench.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run -s build
exec node dist/bench.cjs "$@"
