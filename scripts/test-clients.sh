#!/usr/bin/env bash
# npm run test:clients [-- udhcpc|dhclient|dhcpcd ...]: the root tiers' files that run against
# the lab with the test world's DHCP client (IPPER_TEST_DHCP_CLIENT), once per client (default:
# all three), so that each client passes the whole runc suite. Not part of `npm test`, which
# runs them with dhcpcd only (and clients.test.ts, the strace test and the crash-loop test with all three).
# Left out: the files that install into the real /etc (*-operator, package, podman*, docker*),
# which must not run beside anything else, and the two that run every client themselves
# (clients.test.ts, and no-shell.test.ts: the strace test).
set -euo pipefail
cd "$(dirname "$0")/.."

clients=("$@")
[ ${#clients[@]} -gt 0 ] || clients=(udhcpc dhclient dhcpcd)
for client in "${clients[@]}"; do
  case "$client" in
    udhcpc | dhclient | dhcpcd) ;;
    *) echo "ipper: unknown DHCP client \"$client\" (udhcpc, dhclient or dhcpcd)" >&2; exit 64 ;;
  esac
done

# Every file with a lab world (createWorld, runcWorld) whose client is the test default.
mapfile -t files < <(grep -l -E 'createWorld\(|runcWorld\(' test/netns/*.test.ts test/e2e/*.test.ts \
  | grep -v -E '/(.*-operator|package|podman.*|docker.*|clients|no-shell)\.test\.ts$')

bash scripts/setup.sh
npm run -s build
mkdir -p .tmp
status=0
summary=()
for client in "${clients[@]}"; do
  echo "== IPPER_TEST_DHCP_CLIENT=$client: ${#files[@]} files"
  began=$(date +%s)
  IPPER_TEST_DHCP_CLIENT=$client npx vitest run --reporter=default --reporter=json --outputFile=".tmp/vitest-$client.json" "${files[@]}" || status=1
  counts=$(node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
    if (r.numTotalTests === 0) process.exitCode = 1;
  ' ".tmp/vitest-$client.json") || status=1
  summary+=("$client: $counts in $(( $(date +%s) - began )) s")
done
# One plain closing line per client for CI.
printf 'tests with %s\n' "${summary[@]}"
exit $status
