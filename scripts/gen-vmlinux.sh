#!/usr/bin/env bash
# Regenerate vmlinux/<arch>/vmlinux.h from the running kernel's BTF.
# Usage: scripts/gen-vmlinux.sh [BTF_FILE]   (default /sys/kernel/btf/vmlinux)
set -euo pipefail
btf=${1:-/sys/kernel/btf/vmlinux}
case "$(uname -m)" in
x86_64) arch=x86_64 ;;
aarch64) arch=arm64 ;;
*) echo "gen-vmlinux: unsupported arch $(uname -m)" >&2; exit 1 ;;
esac
[ -r "$btf" ] || { echo "gen-vmlinux: no BTF at $btf (kernel needs CONFIG_DEBUG_INFO_BTF=y)" >&2; exit 1; }
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/vmlinux/$arch/vmlinux.h"
mkdir -p "$(dirname "$out")"
bpftool btf dump file "$btf" format c > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out ($(wc -l < "$out") lines)"
