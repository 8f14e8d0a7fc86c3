#!/usr/bin/env bash
# arm64 under qemu-system-aarch64 (TCG): Debian 12's arm64 kernel and a
# minimal arm64 userland unpacked from Debian's arm64 packages, both fetched
# with apt and cached outside the tree (TCPSCOPE_VM_CACHE, default
# ~/.cache/tcpscope/vm, as tests/vm/run). Needs `dpkg --add-architecture arm64` (done by
# scripts/install-deps.sh --arm64).
#
# Sourced by tests/vm/run (--arch arm64) and scripts/gen-vmlinux.sh --arm64;
# run directly it is the arm64 smoke run:
#   tests/vm/arm64.sh [SCRIPT...]  cross-build, boot, run tests/vm/smoke.sh
#                               (or the given test scripts) in the guest
#   tests/vm/arm64.sh btf FILE  boot and copy the guest's /sys/kernel/btf/vmlinux
#                               to FILE
set -euo pipefail

A64_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
A64_CACHE=${TCPSCOPE_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tcpscope/vm}/arm64
# The kernel flavour: -cloud has everything the smoke set needs (veth,
# nf_tables, nft_numgen, inet_diag as modules; BTF built in) at a third of
# the generic flavour's size. Everything here runs from the initramfs.
A64_KERNEL_META=${A64_KERNEL_META:-linux-image-cloud-arm64}
# What the guest runs: the tools the smoke set and lab.sh call. Their
# dependencies are resolved with apt-cache; the leaves below are Debian's
# base system, which the busybox applets stand in for.
A64_PKGS=(busybox-static bash libc6 libbpf1 libelf1 zlib1g iproute2 nftables
	  ethtool jq bpftool grep)
# The scripts the guest runs: the smoke set, and doctor's per-kernel gaps
# against bpftool's dump of the guest's BTF. The other integration scripts
# need bpftrace or python3, which this userland leaves out.
A64_TESTS=(tests/vm/smoke.sh tests/integration/doctor.sh)
A64_SKIP=" base-files debianutils debconf cdebconf libcap2-bin dpkg perl-base
	   install-info tar gawk mawk sensible-utils "
A64_MODULES="virtio_mmio virtio_blk veth nf_tables nft_numgen inet_diag
	     tcp_diag"

a64_log() { echo "arm64: $*" >&2; }
a64_die() { echo "arm64: $*" >&2; exit 1; }

# a64_fetch PKG...: the .debs in the cache (apt-get download each missing one).
a64_fetch() {
	local p have=()
	mkdir -p "$A64_CACHE/debs"
	for p in "$@"; do
		compgen -G "$A64_CACHE/debs/${p}_*.deb" >/dev/null || have+=("$p:arm64")
	done
	[ ${#have[@]} -eq 0 ] && return 0
	a64_log "downloading ${have[*]}"
	(cd "$A64_CACHE/debs" && apt-get download -qq "${have[@]}" 2>&1 |
		grep -v 'unsandboxed' >&2 || true)
	for p in "$@"; do
		compgen -G "$A64_CACHE/debs/${p}_*.deb" >/dev/null ||
			a64_die "apt-get download $p:arm64 failed (dpkg --add-architecture arm64 && apt-get update?)"
	done
}

# The arm64 packages A64_PKGS need, one per line: Depends and Pre-Depends,
# first alternative, virtual packages and A64_SKIP left out. One apt-cache
# call per level of the tree (each call takes seconds).
a64_closure() {
	local level=("${A64_PKGS[@]}") next seen=" " p
	while [ ${#level[@]} -gt 0 ]; do
		for p in "${level[@]}"; do seen+="$p "; echo "$p"; done
		next=()
		while read -r p; do
			[[ "$seen$A64_SKIP" == *" $p "* ]] || [[ " ${next[*]} " == *" $p "* ]] || next+=("$p")
		done < <(apt-cache depends --no-recommends --no-suggests --no-conflicts \
				--no-breaks --no-replaces --no-enhances "${level[@]/%/:arm64}" 2>/dev/null |
			 sed -n 's/^  \(Pre\)\{0,1\}Depends: \([a-z0-9][^:<>]*\):arm64$/\2/p')
		level=("${next[@]}")
	done
}

# Sets A64_KVER, A64_IMAGE, A64_KDIR: the current ABI's kernel, through the
# metapackage, unpacked in the cache.
a64_kernel() {
	local pkg
	pkg=$(apt-cache depends "$A64_KERNEL_META:arm64" 2>/dev/null |
	      sed -n 's/^  Depends: \(linux-image-[^:]*\):arm64$/\1/p' | head -1)
	[ -n "$pkg" ] || a64_die "apt-cache knows no $A64_KERNEL_META:arm64 (dpkg --add-architecture arm64 && apt-get update?)"
	A64_KVER=${pkg#linux-image-}
	A64_KDIR=$A64_CACHE/kernel-$A64_KVER
	if [ ! -d "$A64_KDIR/lib/modules/$A64_KVER" ]; then
		a64_fetch "$pkg"
		rm -rf "$A64_KDIR.tmp"
		dpkg-deb -x "$A64_CACHE"/debs/"${pkg}"_*.deb "$A64_KDIR.tmp"
		mv "$A64_KDIR.tmp" "$A64_KDIR"
	fi
	A64_IMAGE=$A64_KDIR/boot/vmlinuz-$A64_KVER
}

# The module files for A64_MODULES and what they need (their .modinfo
# "depends=" lines), relative to the modules directory.
a64_module_files() {
	local dir=$1 queue m f seen=" " dep
	read -ra queue <<<"$(echo $A64_MODULES)"
	while [ ${#queue[@]} -gt 0 ]; do
		m=${queue[0]}; queue=("${queue[@]:1}")
		[[ "$seen" == *" $m "* ]] && continue
		seen+="$m "
		f=$(cd "$dir" && find kernel -name "$m.ko" -o -name "${m//_/-}.ko" | head -1)
		if [ -z "$f" ]; then
			grep -qE "/${m}\.ko$" "$dir/modules.builtin" || a64_die "module $m not in $A64_KVER"
			continue
		fi
		echo "$f"
		dep=$(strings -a "$dir/$f" | sed -n 's/^depends=//p' | head -1)
		[ -n "$dep" ] && queue+=(${dep//,/ })
	done
}

# Sets A64_BASE: the cached initramfs (gzip'd newc cpio) with the userland,
# the modules and /init; rebuilt when this script or the package list
# changes.
a64_base() {
	local key root mods f
	a64_kernel
	key=$( (echo "$A64_KVER ${A64_PKGS[*]} $A64_SKIP $A64_MODULES"; a64_init) | sha1sum | cut -c1-12)
	A64_BASE=$A64_CACHE/base-$key.cpio.gz
	[ -s "$A64_BASE" ] && return 0
	root=$A64_CACHE/root.tmp
	rm -rf "$root"; mkdir -p "$root"
	mapfile -t pkgs < <(a64_closure)
	a64_fetch "${pkgs[@]}"
	a64_log "unpacking ${#pkgs[@]} packages"
	for f in "${pkgs[@]}"; do dpkg-deb -x "$A64_CACHE"/debs/"${f}"_*.deb "$root"; done
	# Not used in the guest: documentation, charset converters, tc's ATM
	# plugin (it alone needs libatm).
	rm -rf "$root"/usr/share/{doc,man,info,locale,lintian} \
		"$root"/usr/lib/aarch64-linux-gnu/gconv "$root"/usr/lib/aarch64-linux-gnu/tc/q_atm.so
	mods=$root/lib/modules/$A64_KVER
	mkdir -p "$mods"
	cp "$A64_KDIR/lib/modules/$A64_KVER"/modules.{builtin,order} "$mods/"
	for f in $(a64_module_files "$A64_KDIR/lib/modules/$A64_KVER"); do
		mkdir -p "$mods/$(dirname "$f")"
		cp "$A64_KDIR/lib/modules/$A64_KVER/$f" "$mods/$f"
	done
	a64_check_libs "$root"
	echo "$A64_MODULES" > "$root/etc/tcpscope-vm-modules"
	a64_init > "$root/init"
	chmod 0755 "$root/init"
	mkdir -p "$root"/{proc,sys,dev,tmp,run,root,mnt,vm}
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$A64_BASE.tmp"
	mv "$A64_BASE.tmp" "$A64_BASE"
	rm -rf "$root"
	a64_log "initramfs $(du -h "$A64_BASE" | cut -f1) ($A64_KVER, ${#pkgs[@]} packages)"
}

# Every shared library an ELF file in ROOT asks for is in ROOT.
a64_check_libs() {
	local root=$1 missing
	missing=$(find "$root" -type f \( -perm -u+x -o -name '*.so*' \) -print0 |
		{ xargs -0 readelf -d 2>/dev/null || true; } | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u |
		while read -r lib; do
			compgen -G "$root/lib/aarch64-linux-gnu/$lib" >/dev/null ||
			compgen -G "$root/usr/lib/aarch64-linux-gnu/$lib" >/dev/null || echo "$lib"
		done)
	[ -z "$missing" ] || a64_die "libraries missing from the arm64 root: $missing"
}

# The guest's PID 1: mount what tcpscope and the tests use, load the
# modules, run /vm/job (copied in by the per-run archive), power off.
a64_init() {
	cat <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s 2>/dev/null
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
for d in /tmp /run /dev/shm; do mount -t tmpfs tmpfs $d; done
ln -sf /run /var/run 2>/dev/null
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t bpf bpf /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup
ip link set lo up
depmod -a
for m in $(cat /etc/tcpscope-vm-modules); do modprobe $m || echo "modprobe $m failed"; done
echo "@@uname $(uname -a)"
/bin/bash /vm/job
echo "@@exit $?"
sync
poweroff -f
EOF
}

# a64_boot INITRD... [-- QEMU_ARGS]: boot the kernel with the concatenated
# archives, the console on stdout; at most A64_TIMEOUT seconds.
a64_boot() {
	local initrd=$A64_CACHE/run.$$.cpio.gz extra=() rc=0
	: > "$initrd"
	while [ $# -gt 0 ] && [ "$1" != -- ]; do cat "$1" >> "$initrd"; shift; done
	[ $# -gt 0 ] && { shift; extra=("$@"); }
	timeout -k 5 "${A64_TIMEOUT:-900}" qemu-system-aarch64 -M virt -accel tcg \
		-cpu max,pauth-impdef=on -smp 2 -m 2G -nographic -no-reboot \
		-kernel "$A64_IMAGE" -initrd "$initrd" \
		-append "console=ttyAMA0 rdinit=/init panic=-1 quiet" "${extra[@]}" </dev/null || rc=$?
	rm -f "$initrd"
	return $rc
}

# a64_overlay DIR: a newc cpio of DIR's contents (the per-run files).
a64_overlay() {
	(cd "$1" && find . | cpio -o -H newc --quiet | gzip -1)
}

# a64_btf FILE: the guest kernel's /sys/kernel/btf/vmlinux, through a raw
# virtio disk (the Image is no ELF file to read a .BTF section from).
a64_btf() {
	local out=$1 run disk size
	a64_base
	run=$(mktemp -d); disk=$run/btf.img
	mkdir -p "$run/ov/vm"
	cat > "$run/ov/vm/job" <<'EOF'
size=$(stat -c %s /sys/kernel/btf/vmlinux)
cat /sys/kernel/btf/vmlinux > /dev/vda && echo "@@btf $size"
EOF
	truncate -s 64M "$disk"
	a64_overlay "$run/ov" > "$run/ov.cpio.gz"
	a64_boot "$A64_BASE" "$run/ov.cpio.gz" -- \
		-drive file="$disk",format=raw,if=none,id=d0 -device virtio-blk-device,drive=d0 \
		> "$run/console" 2>&1 || true
	size=$(sed -n 's/^@@btf \([0-9]*\).*/\1/p' "$run/console" | head -1)
	[ -n "$size" ] || { cat "$run/console" >&2; rm -rf "$run"; a64_die "the guest did not copy its BTF"; }
	head -c "$size" "$disk" > "$out"
	sed -n 's/^@@uname //p' "$run/console" | head -1 | tr -d '\r' > "$out.uname"
	rm -rf "$run"
}

# a64_smoke [SCRIPT...]: cross-build, boot, run A64_TESTS (or the given
# scripts, paths relative to the tree) in the guest; print their
# PASS/FAIL/SKIP lines (named TAG/..., TAG from A64_TAG), the guest's
# uname -a, the time and "N passed, N failed, N skipped".
a64_smoke() {
	local run t0 secs scripts=("$@") passed failed skipped tag=${A64_TAG:-debian12-arm64}
	[ ${#scripts[@]} -gt 0 ] || scripts=("${A64_TESTS[@]}")
	make -C "$A64_TOP" -s ARCH=arm64 -j"$(nproc)" all >&2
	a64_base
	run=$(mktemp -d)
	local tree=$run/ov/vm/tree
	mkdir -p "$tree/build" "$tree/tests/vm" "$tree/scripts"
	cp "$A64_TOP/build/arm64/tcpscope" "$tree/build/tcpscope"
	cp "$A64_TOP/tests/lib.sh" "$tree/tests/"
	cp "$A64_TOP"/tests/vm/*.sh "$tree/tests/vm/"
	cp -r "$A64_TOP/tests/integration" "$tree/tests/"
	cp "$A64_TOP/scripts/lab.sh" "$tree/scripts/"
	{
		echo "cd /vm/tree"
		for t in "${scripts[@]}"; do
			echo "echo '== $t'; timeout -k 10 ${A64_SCRIPT_TIMEOUT:-400} bash $t 2>&1 || echo \"FAIL: $(basename "$t" .sh): exited \$?\""
		done
	} > "$run/ov/vm/job"
	a64_overlay "$run/ov" > "$run/ov.cpio.gz"
	echo "== $tag: $A64_KVER under qemu-system-aarch64, tests: ${scripts[*]}"
	t0=$(date +%s)
	a64_boot "$A64_BASE" "$run/ov.cpio.gz" > "$run/console" 2>&1 || true
	secs=$(( $(date +%s) - t0 ))
	tr -d '\r' < "$run/console" | sed "s#^\(PASS\|FAIL\|SKIP\): #\1: $tag/#" > "$run/log"
	grep -E '^(== |PASS: |FAIL: |SKIP: |  )' "$run/log" || true
	if ! grep -q '^@@exit' "$run/log"; then
		echo "FAIL: $tag: the guest did not finish; last console lines:" | tee -a "$run/log"
		tail -n 20 "$run/console" | sed 's/\r$//; s/^/  /'
	fi
	passed=$(grep -c '^PASS: ' "$run/log" || true)
	failed=$(grep -c '^FAIL: ' "$run/log" || true)
	skipped=$(grep -c '^SKIP: ' "$run/log" || true)
	echo
	grep '^FAIL: ' "$run/log" | sed 's/^/  /' || true
	echo "guest: $(sed -n 's/^@@uname //p' "$run/log")"
	echo "VM run: ${secs}s wall"
	echo "$passed passed, $failed failed, $skipped skipped"
	[ -n "${A64_KEEP:-}" ] && echo "console: $run/log" || rm -rf "$run"
	[ "$failed" -eq 0 ]
}

[ "${BASH_SOURCE[0]}" = "$0" ] || return 0
case "${1:-}" in
btf) a64_btf "${2:?usage: tests/vm/arm64.sh btf FILE}" ;;
-*) a64_die "usage: tests/vm/arm64.sh [btf FILE | SCRIPT...]" ;;
*) a64_smoke "$@" ;;
esac
