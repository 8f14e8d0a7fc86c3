#!/usr/bin/env bash
# monitor's command line: usage errors exit 2 with one line naming the bad
# value, an unknown --netns exits 2, SIGINT during --watch prints the last
# deltas and exits 0 (valid JSON with --json), --help has examples.
. "$(dirname "$0")/../lib.sh"
need jq

usage_error() { # name, text stderr must hold, args...
	local name=$1 needle=$2 out rc
	shift 2
	out=$("$TCPSCOPE" monitor "$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -eq 2 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] && [[ "$out" == *"$needle"* ]]; then
		pass "$name"
	else
		fail "$name" "rc $rc, stderr '$out'"
	fi
}
usage_error bad-port "'70000' for --port" --port 70000
usage_error bad-state "'sleepy' for --state" --state sleepy
usage_error bad-interval "'5parsecs' for --interval" --interval 5parsecs
usage_error bad-watch "'0' for --watch" --watch 0
usage_error bad-count "'zero' for --count" --watch 1 --count zero
usage_error count-without-watch "--count needs --watch" --count 3
usage_error unknown-option "'--frobnicate'" --frobnicate
usage_error missing-value "'--netns' needs a value" --netns
usage_error no-such-netns "'tcpscope-no-such-ns'" --netns tcpscope-no-such-ns
usage_error netns-with-slash "'../etc' for --netns" --netns ../etc

out=$("$TCPSCOPE" monitor --netns tcpscope-no-such-ns 2>&1)
check_eq netns-error-names-it "$(echo "$out" | grep -c "tcpscope-no-such-ns")" 1

"$TCPSCOPE" monitor --help >"$TMP/help"
check_eq help-exit "$?" 0
check_cmp help-examples "$(grep -c '^  tcpscope monitor' "$TMP/help")" -ge 3

# SIGINT in the middle of a --watch interval: the partial deltas, exit 0.
lab_up 44
"$TCPSCOPE" monitor --netns "$NS_A" --watch 10 --json >"$TMP/w.json" 2>"$TMP/w.err" &
pid=$!
sleep 1
kill -INT $pid
wait $pid
check_eq sigint-exit "$?" 0
check_eq sigint-one-line "$(wc -l <"$TMP/w.json")" 1
check_eq sigint-valid-json "$(jq -r .interrupted "$TMP/w.json" 2>&1)" true
check_cmp sigint-interval-partial "$(jq '.interval_s < 5' "$TMP/w.json" | grep -c true)" -eq 1

"$TCPSCOPE" monitor --netns "$NS_A" --watch 10 >"$TMP/w.txt" 2>&1 &
pid=$!
sleep 1
kill -INT $pid
wait $pid
check_eq sigint-text-exit "$?" 0
check_eq sigint-text-summary "$(grep -c 'interrupted' "$TMP/w.txt")" 1

# SIGINT during a snapshot's rate interval: still a full, valid snapshot.
"$TCPSCOPE" monitor --netns "$NS_A" --interval 10s --json >"$TMP/s.json" &
pid=$!
sleep 0.5
kill -INT $pid
wait $pid
check_eq snapshot-sigint-exit "$?" 0
check_eq snapshot-sigint-json "$(jq -r 'has("states") and has("listeners") and has("counters") and has("sysctl") and has("findings")' "$TMP/s.json" 2>&1)" true

# A name under /run/netns that is not a namespace (NS_GET_NSTYPE says so):
# a usage error (exit 2), one line naming it, worded as in trace.
fake="tcpscope-notns-$$"
mkdir -p /run/netns && : >"/run/netns/$fake" && cleanup_add "rm -f /run/netns/$fake"
out=$("$TCPSCOPE" monitor --netns "$fake" 2>&1 >/dev/null)
rc=$?
check_eq not-a-netns-exit "$rc" 2
check_eq not-a-netns-one-line "$(echo "$out" | wc -l) $(echo "$out" | grep -c "'$fake' for --netns: not a network namespace")" "1 1"
check_eq not-a-netns-as-trace "$("$TCPSCOPE" trace --netns "$fake" 2>&1 >/dev/null | sed 's/^tcpscope trace/tcpscope monitor/; s/tcpscope trace --help/tcpscope monitor --help/')" "$out"
