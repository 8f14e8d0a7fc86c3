#!/usr/bin/env bash
# 8. HTTP rr: tcpscope stress --mode rr --request/--response http against
# wrk, both on the same nginx (Debian's, one worker process, started here
# in the run's namespace), the same keep-alive connections, one thread each,
# alternating within each repetition.
. "$(dirname "$0")/lib.sh"
SECS=${BENCH_SECS:-3}
C=${BENCH_HTTP_CONNS:-16}
PORT=18090
command -v nginx >/dev/null || die "nginx missing: bench/install-peers.sh"
command -v wrk >/dev/null || die "wrk missing: bench/install-peers.sh"

nginx_conf 1 'location = /hello { default_type text/plain; return 200 "hello\n"; }'
# wrk's "99%  1.23ms" in microseconds
wrk_p99_us() {
	awk '$1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
		m = (u == "us") ? 1 : (u == "ms") ? 1000 : (u == "s") ? 1000000 : -1
		printf "%.1f\n", v * m }' "$1"
}
wrk_rps() { awk '$1 == "Requests/sec:" { printf "%d\n", $2 }' "$1"; }

say "http: $REPS repetitions of ${SECS}s each, $C keep-alive connections, one client thread, nginx with one worker"
say "rep  tcpscope_rps  wrk_rps  tcpscope_p99_us  wrk_p99_us"
for ((rep = 1; rep <= REPS; rep++)); do
	ns_new
	nginx_start
	in_ns "$TCPSCOPE" stress "127.0.0.1:$PORT" --mode rr -c "$C" --threads 1 --duration "${SECS}s" \
		--request 'GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' --response http --json >"$TMP/ts.json"
	in_ns wrk -t1 -c "$C" -d "${SECS}s" --latency "http://127.0.0.1:$PORT/hello" >"$TMP/wrk.out"
	nginx_stop
	ns_del "$NS"
	ts=$(jq '.transactions / .duration_s | floor' "$TMP/ts.json")
	ts99=$(jq '.transaction_latency_us.p99' "$TMP/ts.json")
	[ "$(jq '.response_errors.total' "$TMP/ts.json")" = 0 ] || die "tcpscope: response errors"
	wk=$(wrk_rps "$TMP/wrk.out")
	wk99=$(wrk_p99_us "$TMP/wrk.out")
	[ -n "$wk" ] && [ -n "$wk99" ] || die "wrk gave no result: $(cat "$TMP/wrk.out")"
	record ts "$ts"; record wk "$wk"; record ts99 "$ts99"; record wk99 "$wk99"
	record r_rps "$(div "$ts" "$wk")"; record r_p99 "$(div "$ts99" "$wk99")"
	printf '%3d  %12s  %7s  %15s  %10s\n' "$rep" "$ts" "$wk" "$ts99" "$wk99"
done
say "median: tcpscope $(med ts) req/s ($(spread ts)), p99 $(med ts99) us; wrk $(med wk) req/s ($(spread wk)), p99 $(med wk99) us"
ratio http_rps_vs_wrk "$(med r_rps)" "requests/s, median of per-rep ratios ($(spread r_rps)); > 1 is better"
ratio http_p99_vs_wrk "$(med r_p99)" "p99 latency ($(spread r_p99)); < 1 is better"
