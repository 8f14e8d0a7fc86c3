#!/usr/bin/env bash
# 1. churn: tcpscope stress --mode churn against netperf TCP_CRR, the same
# exchange (connect, 1-byte request, 1-byte response, close), as many netperf
# instances as tcpscope has workers, each run in a namespace of its own.
# Interleaved: tcpscope FIN, netperf, tcpscope RST, tcpscope FIN against
# `tcpscope server` in a process of its own, repeated $REPS times. The
# built-in server runs in tcpscope's worker loops; netserver is a process
# of its own (a child per netperf instance), and so is `tcpscope server`:
# the last run is the like-for-like one. tcpscope spreads a FIN churn on
# loopback over 127.0.0.x sources by itself (docs/load.md): a FIN-closed
# port waits in TIME_WAIT, and one source's range (28232 ports here) caps
# the rate near 14k/s.
. "$(dirname "$0")/lib.sh"
SECS=${BENCH_SECS:-3}
W=$(nproc)
PORT=12865

say "churn: $REPS repetitions of ${SECS}s each, $W tcpscope workers / $W netperf instances"
say "rep  tcpscope_fin  netperf_crr  tcpscope_rst  tcpscope_fin_vs_server   (connections/s)"
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
	# Connections, not transactions: a reset churn need not count an
	# exchange per connection (the RST may beat the reply's accounting).
	rst=$(jq '.connections.established / .rate.launch_s | floor' "$TMP/rst.json")
	[ "$rst" -gt 0 ] || die "tcpscope rst: no connections: $(jq -c '{connections, errors}' "$TMP/rst.json")"

	ns_new
	in_ns "$TCPSCOPE" server --listen 127.0.0.1:$((PORT + 1)) --threads "$W" \
		--duration "$((SECS + 10))s" > "$TMP/srv.out" 2>&1 &
	for ((i = 0; i < 100; i++)); do grep -q '^listening' "$TMP/srv.out" && break; sleep 0.05; done
	in_ns "$TCPSCOPE" stress 127.0.0.1:$((PORT + 1)) --mode churn --size 1 --close fin \
		--threads "$W" --duration "${SECS}s" --json > "$TMP/fin2.json"
	ns_del "$NS"
	wait
	fin2=$(jq '.transactions / .rate.launch_s | floor' "$TMP/fin2.json")

	record fin "$fin"; record np "$np"; record rst "$rst"; record fin2 "$fin2"
	record r_fin "$(div "$fin" "$np")"; record r_rst "$(div "$rst" "$np")"
	record r_fin2 "$(div "$fin2" "$np")"
	printf '%3d  %12s  %11s  %12s  %16s\n' "$rep" "$fin" "$np" "$rst" "$fin2"
done
say "median: tcpscope fin $(med fin)/s ($(spread fin)), netperf TCP_CRR $(med np)/s ($(spread np)), tcpscope rst $(med rst)/s ($(spread rst)), tcpscope fin against tcpscope server $(med fin2)/s ($(spread fin2))"
ratio churn_fin_vs_netperf_crr "$(med r_fin)" "median of per-rep ratios ($(spread r_fin)); target > 1"
ratio churn_fin_srv_vs_netperf_crr "$(med r_fin2)" "FIN against tcpscope server, a process of its own like netserver ($(spread r_fin2))"
ratio churn_rst_vs_netperf_crr "$(med r_rst)" "netperf has no RST close: against its FIN figure ($(spread r_rst))"
