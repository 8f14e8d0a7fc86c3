#!/usr/bin/env bash
# 3. hold: time to establish 10k and 50k connections (with the built-in
# server, so twice as many sockets), and memory per held connection: our
# processes' proportional set size (Pss, shared pages split) against the
# kernel's own slab growth for the same sockets.
# Peer for the establish rate: the kernel's handshake limit, measured in
# the same run as tcpscope's fastest churn (RST close, no data: connect,
# accept, close, nothing else).
. "$(dirname "$0")/lib.sh"
SIZES=${BENCH_HOLD_SIZES:-"10000 50000"}
HREPS=${BENCH_HOLD_REPS:-3}

pss_kb() { # sum over the processes of namespace $NS
	local p s=0 v
	for p in $(ip netns pids "$NS"); do
		v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null) || continue
		s=$((s + ${v:-0}))
	done
	echo "$s"
}
slab_kb() { awk '/^Slab:/ {print $2}' /proc/meminfo; }

say "hold: $HREPS repetitions per size, interleaved with a 2s RST churn (the handshake peer)"
say "size   rep  establish_s  conn/s   churn_rst/s  pss_B/conn  slab_B/conn"
for ((rep = 1; rep <= HREPS; rep++)); do
	for n in $SIZES; do
		ns_new
		slab0=$(slab_kb)
		in_ns "$TCPSCOPE" stress -c "$n" --duration 2s --json > "$TMP/hold.json" &
		pid=$!
		pss=0 slab=0
		while kill -0 "$pid" 2>/dev/null; do
			p=$(pss_kb); s=$(slab_kb)
			[ "$p" -gt "$pss" ] && pss=$p
			[ "$s" -gt "$slab" ] && slab=$s
			sleep 0.3
		done
		wait "$pid"
		ns_del "$NS"
		est=$(jq '.connections.established' "$TMP/hold.json")
		[ "$est" = "$n" ] || say "  (size $n: established $est, errors $(jq -c .errors "$TMP/hold.json"))"
		# launch_s: from the start to the last connect(); the last connects
		# complete within one connect latency after it.
		secs=$(jq '.rate.launch_s + .connect_latency_us.max / 1e6' "$TMP/hold.json")
		rate=$(div "$n" "$secs" 0)

		ns_new
		in_ns "$TCPSCOPE" stress --mode churn --close rst --duration 2s --json > "$TMP/rst.json"
		ns_del "$NS"
		rst=$(jq '.connections.established / .rate.launch_s | floor' "$TMP/rst.json")

		pss_b=$(div "$((pss * 1024))" "$n" 0)
		slab_b=$(div "$(((slab - slab0) * 1024))" "$n" 0)
		record "secs$n" "$secs"; record "rate$n" "$rate"; record "pss$n" "$pss_b"
		record "slab$n" "$slab_b"; record "r$n" "$(div "$rate" "$rst")"
		record "m$n" "$(div "$pss_b" "$slab_b")"
		printf '%-6s %3d  %11.3f  %7s  %11s  %10s  %11s\n' "$n" "$rep" "$secs" "$rate" "$rst" "$pss_b" "$slab_b"
	done
done
for n in $SIZES; do
	say "median $n: established in $(med "secs$n") s ($(med "rate$n")/s), Pss $(med "pss$n") B and kernel slab $(med "slab$n") B per connection pair"
done
for n in $SIZES; do
	ratio "hold${n}_rate_vs_handshake" "$(med "r$n")" "establish rate / RST churn rate ($(spread "r$n"))"
	ratio "hold${n}_pss_vs_kernel_slab" "$(med "m$n")" "our memory / the kernel's per connection ($(spread "m$n"))"
done
