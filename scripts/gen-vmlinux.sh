#!/usr/bin/env bash
# Regenerate vmlinux/<arch>/vmlinux.h from a kernel's BTF.
# Usage: scripts/gen-vmlinux.sh [BTF_FILE]   the running kernel's arch; BTF_FILE
#                                            defaults to /sys/kernel/btf/vmlinux
#        scripts/gen-vmlinux.sh --arm64      vmlinux/arm64 from Debian 12's
#                                            arm64 kernel, booted under
#                                            qemu-system-aarch64 (tests/vm/arm64.sh)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=""
trap '[ -z "$tmp" ] || rm -f "$tmp" "$tmp.uname"' EXIT
if [ "${1:-}" = --arm64 ]; then
	arch=arm64
	tmp=$(mktemp)
	"$top/tests/vm/arm64.sh" btf "$tmp"
	btf=$tmp
	echo "BTF of: $(cat "$tmp.uname")"
else
	btf=${1:-/sys/kernel/btf/vmlinux}
	case "$(uname -m)" in
	x86_64) arch=x86_64 ;;
	aarch64) arch=arm64 ;;
	*) echo "gen-vmlinux: unsupported arch $(uname -m)" >&2; exit 1 ;;
	esac
fi
[ -r "$btf" ] || { echo "gen-vmlinux: no BTF at $btf (kernel needs CONFIG_DEBUG_INFO_BTF=y)" >&2; exit 1; }
out="$top/vmlinux/$arch/vmlinux.h"
mkdir -p "$(dirname "$out")"
bpftool btf dump file "$btf" format c > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out ($(wc -l < "$out") lines)"
