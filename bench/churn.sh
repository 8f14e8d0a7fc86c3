#!/usr/bin/env bash
# 1. churn: tcpscope stress --mode churn against netperf TCP_CRR, the same
# exchange (connect, 1-byte request, 1-byte response, close), as many netperf
# instances as tcpscope has workers, each run in a namespace of its own.
# Interleaved: tcpscope FIN, netperf, tcpscope RST, repeated $REPS times.
. "$(dirname "$0")/lib.sh"
SECS=${BENCH_SECS:-3}
W=$(nproc)
PORT=12865

say "churn: $REPS repetitions of ${SECS}s each, $W tcpscope workers / $W netperf instances"
say "rep  tcpscope_fin  netperf_crr  tcpscope_rst   (connections/s)"
for ((rep = 1; rep <= REPS; rep++)); do
	ns_new
	in_ns "$TCPSCOPE" stress --mode churn --size 1 --close fin --threads "$W" \
		--duration "${SECS}s" --json > "$TMP/fin.json"
	ns_del "$NS"
	fin=$(jq '.transactions / .rate.launch_s | floor' "$TMP/fin.json")
	[ "$(jq '.connections.failed' "$TMP/fin.json")" = 0 ] || say "  (tcpscope fin: failures $(jq -c .errors "$TMP/fin.json"))"

	ns_new
	netserver_start $PORT
	for ((i = 0; i < W; i++)); do
		in_ns netperf -H 127.0.0.1 -p $PORT -t TCP_CRR -l "$SECS" -P 0 -- -r 1,1 \
			-o THROUGHPUT > "$TMP/np.$i" &
	done
	wait $(jobs -p | grep -v "^$NETSERVER_PID\$") 2>/dev/null || true
	netserver_stop
	ns_del "$NS"
	np=$(cat "$TMP"/np.* | awk '{s += $1} END {printf "%d", s}')

	ns_new
	in_ns "$TCPSCOPE" stress --mode churn --size 1 --close rst --threads "$W" \
		--duration "${SECS}s" --json > "$TMP/rst.json"
	ns_del "$NS"
	rst=$(jq '.transactions / .rate.launch_s | floor' "$TMP/rst.json")

	record fin "$fin"; record np "$np"; record rst "$rst"
	record r_fin "$(div "$fin" "$np")"; record r_rst "$(div "$rst" "$np")"
	printf '%3d  %12s  %11s  %12s\n' "$rep" "$fin" "$np" "$rst"
done
say "median: tcpscope fin $(med fin)/s ($(spread fin)), netperf TCP_CRR $(med np)/s ($(spread np)), tcpscope rst $(med rst)/s ($(spread rst))"
ratio churn_fin_vs_netperf_crr "$(med r_fin)" "median of per-rep ratios ($(spread r_fin)); target > 1"
ratio churn_rst_vs_netperf_crr "$(med r_rst)" "netperf has no RST close: against its FIN figure ($(spread r_rst))"
