#!/usr/bin/env bash
# Install what tcpscope needs to build and test, from Debian 12's packages.
# Installs only what is missing; runs apt-get update at most once.
set -euo pipefail
pkgs=(make gcc clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev pkg-config
      bpftrace nftables iproute2 ethtool libbpf-tools python3 procps jq
      libclang-rt-14-dev cppcheck clang-tidy valgrind)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
