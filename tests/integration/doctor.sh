#!/usr/bin/env bash
# doctor's per-kernel gaps against bpftool's dump of the same BTF: each
# line is there, never required, and says "ok" exactly where the type,
# enum, member or typed tracepoint (and its arguments) it names exists in
# /sys/kernel/btf/vmlinux: all eight of them.
. "$(dirname "$0")/../lib.sh"
need jq
need bpftool
"$TCPSCOPE" doctor --json > "$TMP/doctor.json"
check_eq exit "$?" 0
bpftool btf dump file /sys/kernel/btf/vmlinux format raw > "$TMP/raw" 2>/dev/null
bpftool btf dump file /sys/kernel/btf/vmlinux format c > "$TMP/vmlinux.h" 2>/dev/null
# The body of struct NAME in the C dump.
body() { awk -v s="struct $1 {" '$0 == s { p = 1 } p { print } p && /^};/ { exit }' "$TMP/vmlinux.h"; }
yes_no() { "$@" && echo true || echo false; }
has_raw() { grep -q "$1" "$TMP/raw"; }

declare -A want
want[reset_reasons]=$(yes_no has_raw "ENUM 'sk_rst_reason'")
want[reset_without_socket]=$(yes_no has_raw "STRUCT 'trace_event_raw_tcp_send_reset'")
want[retransmit_err]=$(yes_no grep -qP '^\tint err;$' <(body trace_event_raw_tcp_retransmit_skb))
# kprobe_multi's members in bpf_link_info: the block that closes "} kprobe_multi;".
want[classic_tp_misses]=$(yes_no grep -qP '^\t\t\t__u64 missed;$' <(body bpf_link_info |
	awk '/^\t\tstruct \{$/ { buf = "" } { buf = buf $0 "\n" } /^\t\t\} kprobe_multi;$/ { printf "%s", buf; exit }'))
# Typed tracepoints: the typedef btf_trace_<name> that tp_btf attaches by.
has_tp() { has_raw "TYPEDEF 'btf_trace_$1'"; }
want[congestion_timeline]=$(yes_no has_tp tcp_cong_state_set)
want[owner_accepted]=$(yes_no eval 'has_tp sock_send_length && has_tp sock_recv_length')
# kfree_skb's prototype: void *__data, then 4 arguments with rx_sk (6.13), 3 before.
want[drop_receiving_socket]=$(yes_no test "$(awk '/TYPEDEF .btf_trace_kfree_skb./ { t = 1; next }
	t && /FUNC_PROTO/ { sub(".*vlen=", ""); print $1 - 1; exit }' "$TMP/raw")" -ge 4)
# eventfs (6.6): tracefs instances cheap enough to count every hit in.
want[unrun_counted]=$(yes_no has_raw "STRUCT 'eventfs_inode'")
gaps="reset_reasons reset_without_socket retransmit_err classic_tp_misses congestion_timeline owner_accepted drop_receiving_socket unrun_counted"
for gap in $gaps; do
	got=$(jq -r --arg g "$gap" '.checks[$g] | "\(.ok) \(.required)"' "$TMP/doctor.json")
	check_eq "$gap" "$got" "${want[$gap]} false"
	echo "  $gap: $(jq -r --arg g "$gap" '.checks[$g].detail' "$TMP/doctor.json")"
done
"$TCPSCOPE" doctor > "$TMP/doctor.txt"
check_eq text_lines "$(grep -cE "^(${gaps// /|}) +(ok|no) " "$TMP/doctor.txt")" 8

# syn_recv_identity: no BTF tells, the kernel's own tracepoint does. A
# tracefs instance of our own records inet_sock_set_state's LISTEN ->
# SYN_RECV around one loopback connection: a peer port of 0 there is the
# order doctor must call "no" (tcpscope then holds the event).
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing
I=/sys/kernel/tracing/instances/tcpscope-doctor$$
if mkdir "$I" 2>/dev/null; then
	cleanup_add "echo 0 > $I/events/sock/inet_sock_set_state/enable; rmdir $I"
	echo 'oldstate == 10 && newstate == 3' > "$I/events/sock/inet_sock_set_state/filter"
	echo 1 > "$I/events/sock/inet_sock_set_state/enable"
	"$TCPSCOPE" stress --mode churn -n 1 > /dev/null 2>&1 # its built-in server accepts it
	echo 0 > "$I/events/sock/inet_sock_set_state/enable"
	line=$(grep -m1 'newstate=TCP_SYN_RECV' "$I/trace")
	echo "  tracefs: ${line##*: }"
	if [ -z "$line" ]; then
		fail syn_recv_identity "tracefs recorded no LISTEN -> SYN_RECV"
	else
		grep -q ' dport=0 ' <<<"$line" && want_id=false || want_id=true
		check_eq syn_recv_identity "$(jq -r '.checks.syn_recv_identity | "\(.ok) \(.required)"' "$TMP/doctor.json")" \
			"$want_id false"
		echo "  syn_recv_identity: $(jq -r .checks.syn_recv_identity.detail "$TMP/doctor.json")"
	fi
else
	fail syn_recv_identity/setup "cannot make a tracefs instance"
fi
