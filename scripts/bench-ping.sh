#!/bin/sh
# bench-ping.sh: measure package probe against its targets (run as root).
#
#   path: 5 loopback hops, healthy (target ≤ 50 ms) and with one hop silent
#         by an nftables rule (target ≤ Wait + 100 ms)
#   sweep: 1,000 loopback addresses × 3 probes, side by side with fping in the
#         same run: wall and CPU (user+sys) time, ratios, false losses
#
# Everything runs inside a throwaway network namespace with loopback up and
# a permissive ping_group_range, once with datagram ("unprivileged") and once
# with raw ("privileged") sockets. Extra arguments go to the test binary,
# e.g. -test.benchtime=5x.
set -eu
cd "$(dirname "$0")/.."

work=$(mktemp -d)
ns="fl-bench-$$"
trap 'ip netns delete "$ns" 2>/dev/null || true; rm -rf "$work"' EXIT INT TERM

go test -c -o "$work/probe.test" ./probe/
ip netns add "$ns"
ip -n "$ns" link set lo up
ip netns exec "$ns" sysctl -qw net.ipv4.ping_group_range="0 2147483647"

for mode in unprivileged privileged; do
	echo "== $mode sockets"
	FAULTLINE_BENCH_MODE=$mode ip netns exec "$ns" "$work/probe.test" \
		-test.run '^$' -test.bench '^Benchmark(Path|Sweep)' -test.benchtime 5x "$@"
done
