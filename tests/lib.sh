# Sourced by tests/integration/*.sh. Each check prints one PASS:/FAIL:/SKIP:
# line named "<script>/<check>"; tests/run counts them.
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TCPSCOPE=${TCPSCOPE:-$TOP/build/tcpscope}
LAB=$TOP/scripts/lab.sh
T=$(basename "$0" .sh)
TMP=$(mktemp -d "/tmp/tcpscope-$T.XXXXXX")
_cleanups=()

cleanup_add() { _cleanups+=("$*"); }
_run_cleanups() {
	[ -n "${KEEP_TMP:-}" ] && { echo "kept $TMP"; TMP=/nonexistent; }
	local i
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do eval "${_cleanups[$i]}" >/dev/null 2>&1 || true; done
	rm -rf "$TMP"
}
trap _run_cleanups EXIT

pass() { echo "PASS: $T/$1"; }
fail() { echo "FAIL: $T/$1: ${*:2}"; }
skip() { echo "SKIP: $T/$1: ${*:2}"; }
# check_eq NAME GOT WANT
check_eq() { if [ "$2" == "$3" ]; then pass "$1"; else fail "$1" "got '$2', want '$3'"; fi; }
# check_cmp NAME GOT OP WANT  (numeric: -ge -le -gt -lt -eq)
check_cmp() {
	if [ -n "$2" ] && [ "$2" "$3" "$4" ] 2>/dev/null; then pass "$1"; else fail "$1" "got '$2', want $3 $4"; fi
}

# A lab of two namespaces; its name is unique to this script and run.
lab_up() { # [subnet]
	LABNAME="ts$$"
	"$LAB" up "$LABNAME" "${1:-1}"
	cleanup_add "$LAB" down "$LABNAME"
	NS_A="$LABNAME-a"; NS_B="$LABNAME-b"
	IP_A="10.231.${1:-1}.1"; IP_B="10.231.${1:-1}.2"
	IP6_A="fd00:231:${1:-1}::1"; IP6_B="fd00:231:${1:-1}::2"
}

# Wait until FILE contains a line matching REGEX (up to SECS, default 10).
wait_for_line() {
	local file=$1 re=$2 secs=${3:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		grep -qE "$re" "$file" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

need() { command -v "$1" >/dev/null 2>&1 || { skip "$1" "$1 not installed"; exit 0; }; }

# kernel_has CHECK: what `tcpscope doctor` says the running kernel has
# (reset_reasons, reset_without_socket, retransmit_err, ...); KERNEL_SAYS
# gets doctor's detail, for the reason a test prints.
kernel_has() {
	[ -s "$TMP/.doctor.json" ] || "$TCPSCOPE" doctor --json > "$TMP/.doctor.json" 2>/dev/null
	KERNEL_SAYS="$1: $(jq -r --arg c "$1" '.checks[$c].detail // "doctor does not know"' "$TMP/.doctor.json")"
	[ "$(jq -r --arg c "$1" '.checks[$c].ok' "$TMP/.doctor.json")" = true ]
}

# Wait until process PID holds its BPF links (tcpscope attaches them all at
# once, after the programs load): loading takes about 0.1 s on this machine
# and over a second on an emulated CPU, so a fixed sleep is wrong somewhere.
wait_attached() { # PID [SECS, default 30]
	local pid=$1 secs=${2:-30} i
	for ((i = 0; i < secs * 20; i++)); do
		if ls -l "/proc/$pid/fd" 2>/dev/null | grep -q 'bpf_link'; then
			sleep 0.1
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# True when this kernel runs on an emulated CPU (QEMU without KVM, as
# tests/vm/run boots it): loads there reach a tenth of the rate, so tests
# scale them down, and say so. systemd-detect-virt --vm says "qemu" for
# TCG and "kvm" when the CPU is virtualised.
emulated() {
	[ "$(systemd-detect-virt --vm 2>/dev/null)" = qemu ]
}

# Wait until process PID catches signal SIG (INT, TERM, ...): its handler
# is installed (SigCgt in /proc/PID/status), so the signal cannot kill it.
wait_catches() { # PID SIG [SECS, default 30]
	local pid=$1 bit i mask
	bit=$(kill -l "$2") || return 1
	for ((i = 0; i < ${3:-30} * 100; i++)); do
		mask=$(awk '/^SigCgt:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || return 1
		[ -n "$mask" ] || return 1
		(((0x$mask >> (bit - 1)) & 1)) && return 0
		sleep 0.01
	done
	return 1
}

# Two cgroup v2 groups under the v2 root and a network namespace, unique to
# this script and run, removed at exit: SRV_CG and CLI_CG (paths as
# /proc/PID/cgroup spells them), V2 (the v2 mount, from mountinfo: a hybrid
# host has it at /sys/fs/cgroup/unified), NS. Then `in_cgroup CG CMD...`
# runs CMD in that cgroup and namespace as the same process. Exits the
# script with SKIP when there is no v2 mount.
cgroup_lab() { # PREFIX
	V2=$(awk '$9 == "cgroup2" && $4 == "/" { print $5; exit }' /proc/self/mountinfo)
	[ -n "$V2" ] || { skip setup "no cgroup v2 mounted"; exit 0; }
	SRV_CG=/$1-srv$$; CLI_CG=/$1-cli$$; NS=$1$$
	mkdir "$V2$SRV_CG" "$V2$CLI_CG" || { fail setup "cannot make cgroups under $V2"; exit 0; }
	cleanup_add _cgroup_rm "$V2$SRV_CG" "$V2$CLI_CG"
	ip netns add "$NS" && ip -n "$NS" link set lo up
	cleanup_add ip netns del "$NS"
}
# Whatever still runs in the groups (a client the test left holding a
# connection, or our pipe) is killed first: rmdir needs them empty.
_cgroup_rm() {
	local cg i
	for cg; do
		for ((i = 0; i < 50; i++)); do
			kill $(cat "$cg/cgroup.procs" 2>/dev/null) 2>/dev/null
			rmdir "$cg" 2>/dev/null && break
			sleep 0.1
		done
	done
}
in_cgroup() { sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$V2$1" ip netns exec "$NS" "${@:2}"; }

# SIGINT to a bpftrace (it prints its maps and exits), sent again each
# second: bpftrace 0.17 loses a SIGINT that lands between two of its
# 100 ms epoll_wait calls (its loop only ends on EINTR), and then runs on
# forever. Waited for at most SECS (default 60); killed then, its maps
# lost, so the check that reads them fails instead of hanging.
stop_bpftrace() { # PID [SECS]
	local i
	for ((i = 0; i < ${2:-60} * 10; i++)); do
		((i % 10 == 0)) && kill -INT "$1" 2>/dev/null
		kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return 0; }
		sleep 0.1
	done
	echo "  bpftrace $1 still ran ${2:-60} s after SIGINT: killed" >&2
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 1
}
