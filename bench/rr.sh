#!/usr/bin/env bash
# 2. rr: tcpscope stress --mode rr against netperf TCP_RR: 1-byte request and
# response, one connection per worker / per netperf instance, interleaved.
# A third run per repetition puts tcpscope against `tcpscope server`, a
# process of its own as netserver is (the built-in server runs in the
# workers' loops).
. "$(dirname "$0")/lib.sh"
SECS=${BENCH_SECS:-3}
W=$(nproc)
PORT=12865

say "rr: $REPS repetitions of ${SECS}s each, $W connections (tcpscope: $W workers; netperf: $W instances)"
say "rep  tcpscope_tps  netperf_tps  tcpscope_p99_us  netperf_p99_us  vs_server_tps  vs_server_p99_us"
for ((rep = 1; rep <= REPS; rep++)); do
	ns_new
	in_ns "$TCPSCOPE" stress --mode rr -c "$W" --size 1 --threads "$W" \
		--duration "${SECS}s" --json > "$TMP/ts.json"
	ns_del "$NS"
	ts=$(jq --arg s "$SECS" '.transactions / ($s | tonumber) | floor' "$TMP/ts.json")
	ts99=$(jq '.transaction_latency_us.p99' "$TMP/ts.json")

	ns_new
	netserver_start $PORT
	pids=()
	for ((i = 0; i < W; i++)); do
		in_ns netperf -j -H 127.0.0.1 -p $PORT -t TCP_RR -l "$SECS" -P 0 -- -r 1,1 \
			-o THROUGHPUT,P99_LATENCY > "$TMP/np.$i" &
		pids+=($!)
	done
	wait "${pids[@]}"
	netserver_stop
	ns_del "$NS"
	np=$(cat "$TMP"/np.* | awk -F, '{s += $1} END {printf "%d", s}')
	# netperf gives a p99 per instance; their mean stands for the whole.
	np99=$(cat "$TMP"/np.* | awk -F, '{s += $2} END {printf "%.1f", s / NR}')

	ns_new
	in_ns "$TCPSCOPE" server --listen 127.0.0.1:$((PORT + 1)) --threads "$W" \
		--duration "$((SECS + 10))s" > "$TMP/srv.out" 2>&1 &
	for ((i = 0; i < 100; i++)); do grep -q '^listening' "$TMP/srv.out" && break; sleep 0.05; done
	in_ns "$TCPSCOPE" stress 127.0.0.1:$((PORT + 1)) --mode rr -c "$W" --size 1 --threads "$W" \
		--duration "${SECS}s" --json > "$TMP/sv.json"
	ns_del "$NS"
	wait
	sv=$(jq --arg s "$SECS" '.transactions / ($s | tonumber) | floor' "$TMP/sv.json")
	sv99=$(jq '.transaction_latency_us.p99' "$TMP/sv.json")

	record ts "$ts"; record np "$np"; record ts99 "$ts99"; record np99 "$np99"
	record sv "$sv"; record sv99 "$sv99"
	record r_tps "$(div "$ts" "$np")"; record r_p99 "$(div "$ts99" "$np99")"
	record r_sv "$(div "$sv" "$np")"; record r_sv99 "$(div "$sv99" "$np99")"
	printf '%3d  %12s  %11s  %15s  %14s  %13s  %16s\n' "$rep" "$ts" "$np" "$ts99" "$np99" "$sv" "$sv99"
done
say "median: tcpscope $(med ts) tps ($(spread ts)), p99 $(med ts99) us; netperf TCP_RR $(med np) tps ($(spread np)), p99 $(med np99) us"
ratio rr_tps_vs_netperf_rr "$(med r_tps)" "transactions/s, median of per-rep ratios ($(spread r_tps)); > 1 is better"
ratio rr_p99_vs_netperf_rr "$(med r_p99)" "p99 latency ($(spread r_p99)); < 1 is better"
say "against tcpscope server: $(med sv) tps ($(spread sv)), p99 $(med sv99) us"
ratio rr_srv_tps_vs_netperf_rr "$(med r_sv)" "against tcpscope server, a process of its own like netserver ($(spread r_sv))"
ratio rr_srv_p99_vs_netperf_rr "$(med r_sv99)" "the same, p99 latency ($(spread r_sv99))"
