#!/usr/bin/env bash
# Install what tcpscope needs, from Debian 12's packages; only what is
# missing, with at most one apt-get update.
#   scripts/install-deps.sh          to build and run
#   scripts/install-deps.sh --test   and to run the test suite: the peers
#                                    and oracles it compares against
#                                    (bpftrace, nstat, ss, nftables, jq,
#                                    headless Chromium, promtool, nginx, ...)
#                                    and QEMU, busybox-static and cpio for
#                                    tests/vm/run (Debian 12's own kernel)
#   scripts/install-deps.sh --arm64  and to cross-build for arm64
#                                    (make ARCH=arm64) and boot it under
#                                    qemu-system-aarch64 (tests/vm/run
#                                    --arch arm64): adds dpkg's arm64
#                                    architecture
set -euo pipefail
pkgs=(make gcc clang bpftool libbpf-dev libelf-dev zlib1g-dev pkg-config)
arm64=0
for opt in "$@"; do
	case "$opt" in
	--test) pkgs+=(bpftrace nftables iproute2 ethtool libbpf-tools python3 procps jq
	               util-linux chromium prometheus curl groff-base
	               libclang-rt-14-dev cppcheck clang-tidy clang-format valgrind strace
	               qemu-system-x86 busybox-static cpio systemd nginx) ;;
	--arm64) arm64=1
	         pkgs+=(gcc-aarch64-linux-gnu libbpf-dev:arm64 libelf-dev:arm64 zlib1g-dev:arm64
	                qemu-system-arm cpio binutils) ;;
	*) echo "usage: scripts/install-deps.sh [--test] [--arm64]" >&2; exit 2 ;;
	esac
done
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
# The arm64 packages (and the guest's, which tests/vm/arm64.sh downloads)
# come from the same archive once dpkg knows the architecture.
updated=0
if [ $arm64 -eq 1 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
	$sudo dpkg --add-architecture arm64
	$sudo apt-get update -qq
	updated=1
fi
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
[ $updated -eq 1 ] || $sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
	"${missing[@]}" >/dev/null
