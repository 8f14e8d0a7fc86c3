#!/usr/bin/env bash
# The peers the benchmarks measure tcpscope against: netperf (Debian
# non-free), iperf3, bpftrace, libbpf-tools (tcplife, tcpstates), perf,
# valgrind, wrk and nginx (bench/http.sh). Installs only what is missing; apt-get update runs at most once.
set -euo pipefail

[ "$(id -u)" = 0 ] || { echo "install-peers.sh: run as root" >&2; exit 1; }

need=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
have netperf    || need+=(netperf)
have iperf3     || need+=(iperf3)
have bpftrace   || need+=(bpftrace)
have tcplife    || need+=(libbpf-tools)
have perf       || need+=(linux-perf)
have valgrind   || need+=(valgrind)
have wrk        || need+=(wrk)
have nginx      || need+=(nginx)
[ ${#need[@]} -eq 0 ] && exit 0

# netperf lives in non-free: derive a sources entry with the same URIs,
# Suites and Signed-By as the main one, only the component changed.
src=/etc/apt/sources.list.d/debian.sources
dst=/etc/apt/sources.list.d/tcpscope-bench-nonfree.sources
if [[ " ${need[*]} " == *" netperf "* ]] && [ -r "$src" ] && [ ! -e "$dst" ]; then
	awk '
		/^[[:space:]]*#/ { next }
		/^Components:/ { print "Components: non-free"; next }
		{ print }
	' "$src" > "$dst.tmp"
	mv "$dst.tmp" "$dst"
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
