#!/usr/bin/env bash
# doctor's per-kernel gaps against bpftool's dump of the same BTF: each
# line is there, never required, and says "ok" exactly where the type,
# enum, member or typed tracepoint (and its arguments) it names exists in
# /sys/kernel/btf/vmlinux: all seven of them.
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
gaps="reset_reasons reset_without_socket retransmit_err classic_tp_misses congestion_timeline owner_accepted drop_receiving_socket"
for gap in $gaps; do
	got=$(jq -r --arg g "$gap" '.checks[$g] | "\(.ok) \(.required)"' "$TMP/doctor.json")
	check_eq "$gap" "$got" "${want[$gap]} false"
	echo "  $gap: $(jq -r --arg g "$gap" '.checks[$g].detail' "$TMP/doctor.json")"
done
"$TCPSCOPE" doctor > "$TMP/doctor.txt"
check_eq text_lines "$(grep -cE "^(${gaps// /|}) +(ok|no) " "$TMP/doctor.txt")" 7
