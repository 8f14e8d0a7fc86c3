#!/usr/bin/env bash
# owner: the cost of naming each socket's owner (bpf/owner.bpf.h: the owner
# programs on inet_sock_set_state, sock_send_length and sock_recv_length,
# and the owner read in every event) on the CPU-bound RST churn with
# --trace. Alternating in one run: the build of BEFORE (a git revision,
# default main's merge base with this branch: no owner code) and this
# build, REPS times each; the ratio is this build's connections/s over the
# baseline's, per repetition.
. "$(dirname "$0")/lib.sh"
SECS=${BENCH_SECS:-3}
BEFORE=${BENCH_BEFORE:-$(git -C "$TOP" merge-base HEAD main)}
# The merge base has the owner code once this branch is merged: then name
# the revision before it (BENCH_BEFORE=...).
git -C "$TOP" cat-file -e "$BEFORE:bpf/owner.bpf.h" 2>/dev/null &&
	die "$BEFORE already has bpf/owner.bpf.h: set BENCH_BEFORE to a revision without it"
mkdir -p "$TMP/before"
git -C "$TOP" archive "$BEFORE" | tar -x -C "$TMP/before"
make -s -C "$TMP/before" -j2 all >/dev/null 2>&1 || die "cannot build $BEFORE"
OLD=$TMP/before/build/tcpscope

churn() { # binary -> connections/s
	ns_new
	in_ns "$1" stress --mode churn --size 1 --close rst --trace --duration "${SECS}s" \
		--json > "$TMP/run.json"
	ns_del "$NS"
	jq '.connections.established / .rate.launch_s | floor' "$TMP/run.json"
}

say "owner: $REPS repetitions of ${SECS}s each, stress --mode churn --close rst --trace"
say "baseline $(git -C "$TOP" rev-parse --short "$BEFORE"), this build $(git -C "$TOP" describe --always --dirty)"
say "rep  baseline  owner   (connections/s)"
for ((rep = 1; rep <= REPS; rep++)); do
	if ((rep % 2)); then b=$(churn "$OLD"); a=$(churn "$TCPSCOPE")
	else a=$(churn "$TCPSCOPE"); b=$(churn "$OLD"); fi
	record b "$b"; record a "$a"; record r "$(div "$a" "$b")"
	printf '%3d  %8s  %6s\n' "$rep" "$b" "$a"
done
say "median: baseline $(med b)/s ($(spread b)), owner $(med a)/s ($(spread a))"
ratio "RST churn --trace, owner / before" "$(med r)" "($(spread r))"
