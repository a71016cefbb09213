#!/usr/bin/env bash
# npm run bench: hook latency against baselines run in the same invocation (see test/bench/bench.ts).
# npm run bench -- --scale N [--client C] [--backlog N] [--json FILE]: the scale benchmark instead
# (N runc containers, 10 at a time; see test/bench/scale.ts; `npm run scale -- --count N` is the same).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run -s build
for arg in "$@"; do
  if [ "$arg" = --scale ]; then exec node dist/scale.cjs "$@"; fi
done
exec node dist/bench.cjs "$@"
