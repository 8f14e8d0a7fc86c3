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
