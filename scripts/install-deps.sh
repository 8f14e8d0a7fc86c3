#!/usr/bin/env bash
# Install what tcpscope needs, from Debian 12's packages; only what is
# missing, with at most one apt-get update.
#   scripts/install-deps.sh          to build and run
#   scripts/install-deps.sh --test   and to run the test suite: the peers
#                                    and oracles it compares against
#                                    (bpftrace, nstat, ss, nftables, jq,
#                                    headless Chromium, promtool, ...)
#                                    and QEMU, busybox-static and cpio for
#                                    tests/vm/run (Debian 12's own kernel)
set -euo pipefail
pkgs=(make gcc clang bpftool libbpf-dev libelf-dev zlib1g-dev pkg-config)
case "${1:-}" in
--test) pkgs+=(bpftrace nftables iproute2 ethtool libbpf-tools python3 procps jq
               util-linux chromium prometheus curl groff-base
               libclang-rt-14-dev cppcheck clang-tidy valgrind strace
               qemu-system-x86 busybox-static cpio systemd) ;;
"") ;;
*) echo "usage: scripts/install-deps.sh [--test]" >&2; exit 2 ;;
esac
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
	"${missing[@]}" >/dev/null
