/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Who owns a socket: the process (tgid, comm) and the cgroup, for every
 * event, softirq or not. Included once from tcpscope.bpf.c, after keep().
 *
 * The cgroup is the socket's own (sk->sk_cgrp_data, set when the socket is
 * created and inherited by a listener's children), so it is right from the
 * first event. The process is recorded per socket at moments that run in
 * the owner's context and read back by every later event:
 * - inet_sock_set_state CLOSE -> SYN_SENT (connect()), CLOSE -> LISTEN
 *   (listen()), ESTABLISHED -> FIN_WAIT1 and CLOSE_WAIT -> LAST_ACK
 *   (close()/shutdown(): tcp_close_state() runs only from those);
 * - sock:sock_send_length and sock:sock_recv_length (Linux >= 6.3, commit
 *   "net/socket: Add tracepoint for sock_send_length / sock_recv_length"),
 *   every send and receive: the first one of an accepted socket names it.
 * Nothing here reads the current task anywhere else: a softirq runs on
 * whatever task it interrupted. Until the owner is known an event says
 * pid 0 and comm "".
 *
 * Storage: tp_btf programs keep the owner in socket-local storage, freed
 * with the socket. raw_tp programs cannot use it (bpf_sk_storage_get wants
 * a typed socket): they key an LRU hash by the socket's address, which the
 * kernel reuses, so every socket's first transition resets its entry: the
 * owner's own for connect() and listen(), none for a listener's child
 * (LISTEN -> SYN_RECV).
 */

struct owner {
	__u32 pid;     /* tgid */
	__u32 ino;     /* raw_tp: the socket's inode when recorded */
	char comm[16]; /* the process's (group leader's) comm, as ss -p shows */
	/* tp_btf: when the socket last sent a probe event (--probe-interval);
	 * raw_tp keeps it in probe_last. 0: never. */
	__u64 probe_last_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct owner);
} owners SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64); /* the socket's address: raw_tp only */
	__type(value, struct owner);
} owners_by_addr SEC(".maps");

/* In-kernel owner filters, set by user space between open and load. */
const volatile __u32 targ_npids;
const volatile __u32 targ_pids[MAX_PIDS];
const volatile bool targ_filter_comm;
const volatile char targ_comm[16];
const volatile __u32 targ_ncgroups;
const volatile struct cgroup_filter targ_cgroups[MAX_CGROUPS];

/* Before 6.2 ("cgroup: Replace cgroup->ancestor_ids[] with
 * ->ancestors[]") a cgroup kept its ancestors' ids, not pointers. */
struct cgroup___ids {
	__u64 ancestor_ids[0];
} __attribute__((preserve_access_index));

/* The twin protocol, defined further down in tcpscope.bpf.c. */
static __always_inline bool twin_enter(struct twin_state *t, __u64 id, __u32 type,
				       const bool rescue);
static __always_inline void twin_leave(struct twin_state *t, const bool rescue);
static __always_inline __u64 hit_id(unsigned long long *ctx, int nargs, __u64 salt);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OWNER_NS_MAX);
	__type(key, __u32);
	__type(value, struct twin_state);
} owner_twins SEC(".maps");

/*
 * btf: sk is a tp_btf argument, which the program reads with plain loads
 * (the verifier checks them against BTF; CO-RE still relocates them); a
 * raw_tp pointer goes through bpf_probe_read_kernel, a helper call per
 * field. btf is a constant in every caller.
 */

/* Time-wait and request sockets have only the common part: no storage,
 * no cgroup. */
static __always_inline bool full_sock(const struct sock *sk, const bool btf)
{
	__u8 state = btf ? sk->__sk_common.skc_state : BPF_CORE_READ(sk, __sk_common.skc_state);

	return state != TCP_TIME_WAIT && state != TCP_NEW_SYN_RECV;
}

static __always_inline const struct cgroup *sock_cgroup(const struct sock *sk, const bool btf)
{
	if (!bpf_core_field_exists(struct sock_cgroup_data, cgroup))
		return NULL; /* before 5.15 a union with the v1 classid: not read */
	return btf ? sk->sk_cgrp_data.cgroup : BPF_CORE_READ(sk, sk_cgrp_data.cgroup);
}

/* The cgroup's v2 id (its kernfs node's): a plain load where cg came from
 * a plain load (a typed pointer) too. */
static __always_inline __u64 cgroup_id_of(const struct cgroup *cg, const bool btf)
{
	return btf ? cg->kn->id : BPF_CORE_READ(cg, kn, id);
}

/* The id of cg's ancestor at level (cg itself at its own level), one
 * function per layout: the offset of the layout the kernel lacks is a
 * failed relocation, and in a function of its own clang cannot hoist it
 * above the check that skips it. */
static __noinline __u64 ancestor_id_by_ids(const struct cgroup *cg, int level)
{
	__u64 id = 0;

	bpf_probe_read_kernel(&id, sizeof(id),
			      (const void *)cg +
				  bpf_core_field_offset(struct cgroup___ids, ancestor_ids) +
				  (level & 0xff) * sizeof(__u64));
	return id;
}

static __noinline __u64 ancestor_id_by_ptrs(const struct cgroup *cg, int level)
{
	const struct cgroup *a = NULL;

	bpf_probe_read_kernel(&a, sizeof(a),
			      (const void *)cg + bpf_core_field_offset(struct cgroup, ancestors) +
				  (level & 0xff) * sizeof(a));
	return a ? BPF_CORE_READ(a, kn, id) : 0;
}

static __always_inline __u64 cgroup_ancestor_id(const struct cgroup *cg, int level)
{
	if (bpf_core_field_exists(struct cgroup___ids, ancestor_ids))
		return ancestor_id_by_ids(cg, level);
	return ancestor_id_by_ptrs(cg, level);
}

static __always_inline bool cgroup_selected(const struct cgroup *cg)
{
	int level = BPF_CORE_READ(cg, level);

	for (int i = 0; i < MAX_CGROUPS; i++) {
		if (i >= targ_ncgroups)
			break;
		if (targ_cgroups[i].level <= level &&
		    cgroup_ancestor_id(cg, targ_cgroups[i].level) == targ_cgroups[i].id)
			return true;
	}
	return false;
}

static __always_inline bool pid_selected(__u32 pid)
{
	for (int i = 0; i < MAX_PIDS; i++) {
		if (i >= targ_npids)
			break;
		if (targ_pids[i] == pid)
			return true;
	}
	return false;
}

static __always_inline bool comm_selected(const char *comm)
{
	for (int i = 0; i < 16; i++) {
		if (comm[i] != targ_comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

/* The inode of the socket's file (ss's "ino"), 0 while it has none (a
 * child not accepted yet). raw_tp's entries are keyed by an address the
 * kernel reuses: the inode tells a new socket there from the one an entry
 * was recorded for, should its first transition's reset have been missed. */
static __always_inline __u32 sock_ino(const struct sock *sk)
{
	const struct socket *so = BPF_CORE_READ(sk, sk_socket);

	if (!so)
		return 0;
	return (__u32)BPF_CORE_READ(container_of(so, struct socket_alloc, socket), vfs_inode.i_ino);
}

static __always_inline struct owner *owner_of(const struct sock *sk, bool create, const bool btf)
{
	__u64 key = (__u64)(unsigned long)sk;
	struct owner *o;
	__u32 ino;

	if (btf)
		return bpf_sk_storage_get(&owners, (void *)sk, 0,
					  create ? BPF_SK_STORAGE_GET_F_CREATE : 0);
	o = bpf_map_lookup_elem(&owners_by_addr, &key);
	if (!o)
		return NULL;
	ino = sock_ino(sk);
	/* close() orphans the socket (SOCK_DEAD, no file) after the record
	 * its own transition made: the entry stays its owner's. */
	if (o->ino == ino ||
	    (!ino && (BPF_CORE_READ(sk, __sk_common.skc_flags) & (1UL << SOCK_DEAD))))
		return o;
	return NULL;
}

/* Called only where the current task owns sk. */
static __always_inline void owner_record(const struct sock *sk, const bool btf)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u64 key = (__u64)(unsigned long)sk;
	struct task_struct *task;
	struct owner *o, fresh = {};

	o = owner_of(sk, true, btf);
	if (o && o->pid == pid)
		return;
	task = (struct task_struct *)bpf_get_current_task();
	fresh.pid = pid;
	fresh.ino = btf ? 0 : sock_ino(sk);
	BPF_CORE_READ_INTO(&fresh.comm, task, group_leader, comm);
	if (o) {
		fresh.probe_last_ns = o->probe_last_ns; /* not the owner's: kept */
		*o = fresh;
	} else if (!btf)
		bpf_map_update_elem(&owners_by_addr, &key, &fresh, BPF_ANY);
}

/* A cgroup or owner filter cannot decide an event whose socket has no
 * known owner yet: it is left out, and counted as such. */
static __always_inline bool owner_undecided(__u32 type)
{
	count(CNT_UNOWNED(type));
	return false;
}

/* Apply --pid, --comm and --cgroup to an event whose owner is filled in
 * (cg: its socket's cgroup, NULL if unknown). */
static __always_inline bool owner_filter(const struct event *e, const struct cgroup *cg, __u32 type)
{
	if (targ_ncgroups && !cg)
		return owner_undecided(type);
	if (targ_ncgroups && !cgroup_selected(cg))
		return false;
	if ((targ_npids || targ_filter_comm) && !e->pid)
		return owner_undecided(type);
	if (targ_npids && !pid_selected(e->pid))
		return false;
	if (targ_filter_comm && !comm_selected(e->comm))
		return false;
	return true;
}

/* Fill the event's owner from sk (NULL: none) and apply the owner filters.
 * tp_btf (btf) reads the socket's storage, raw_tp its address's entry. */
static __always_inline bool owner_pass(struct event *e, const struct sock *sk, __u32 type,
				       const bool btf)
{
	const struct cgroup *cg = NULL;
	struct owner *o = NULL;

	if (sk && full_sock(sk, btf)) {
		cg = sock_cgroup(sk, btf);
		o = owner_of(sk, false, btf);
	}
	if (cg)
		e->cgroup_id = cgroup_id_of(cg, btf);
	if (o) {
		e->pid = o->pid;
		__builtin_memcpy(e->comm, o->comm, sizeof(e->comm));
	}
	return owner_filter(e, cg, type);
}

/* A request socket (SYN-ACK retransmit): no owner yet; its cgroup is its
 * listener's, which its child will inherit. */
static __always_inline bool owner_pass_req(struct event *e, const struct request_sock *req,
					   __u32 type)
{
	const struct cgroup *cg = sock_cgroup(BPF_CORE_READ(req, __req_common.skc_listener), false);

	if (cg)
		e->cgroup_id = cgroup_id_of(cg, false);
	return owner_filter(e, cg, type);
}

/* ---- the hooks that record owners ---- */

static __always_inline bool tcp_sock_of_inet(const struct sock *sk, const bool btf)
{
	__u16 family = btf ? sk->__sk_common.skc_family : BPF_CORE_READ(sk, __sk_common.skc_family);
	__u16 protocol = btf ? sk->sk_protocol : BPF_CORE_READ(sk, sk_protocol);

	return protocol == IPPROTO_TCP && (family == AF_INET || family == AF_INET6);
}

static __always_inline void owner_on_state(const struct sock *sk, int oldstate, int newstate,
					   const bool btf)
{
	__u64 key = (__u64)(unsigned long)sk;

	if (!tcp_sock_of_inet(sk, btf))
		return;
	if ((oldstate == TCP_CLOSE && (newstate == TCP_SYN_SENT || newstate == TCP_LISTEN)) ||
	    (oldstate == TCP_ESTABLISHED && newstate == TCP_FIN_WAIT1) ||
	    (oldstate == TCP_CLOSE_WAIT && newstate == TCP_LAST_ACK))
		owner_record(sk, btf);
	else if (!btf && oldstate == TCP_LISTEN && newstate == TCP_SYN_RECV)
		bpf_map_delete_elem(&owners_by_addr, &key); /* a new socket here */
}

static __always_inline struct twin_state *owner_twin(__u32 slot)
{
	return bpf_map_lookup_elem(&owner_twins, &slot);
}

static __always_inline int owner_state_hit(unsigned long long *ctx, const struct sock *sk,
					   int oldstate, int newstate, const bool btf,
					   const bool rescue)
{
	struct twin_state *t = owner_twin(OWNER_NS_STATE);
	__u64 id = hit_id(ctx, 3, 0);

	if (!t)
		return 0;
	if (twin_enter(t, id, EV_OWNER, rescue))
		owner_on_state(sk, oldstate, newstate, btf);
	twin_leave(t, rescue);
	return 0;
}

/* sock_send_length / sock_recv_length: sock_sendmsg() and sock_recvmsg(),
 * in the caller's context. */
static __always_inline int owner_io_hit(unsigned long long *ctx, const struct sock *sk, __u32 slot,
					const bool btf, const bool rescue)
{
	struct twin_state *t = owner_twin(slot);
	__u64 id = hit_id(ctx, 3, 0);

	if (!t)
		return 0;
	if (twin_enter(t, id, EV_OWNER, rescue) && sk && tcp_sock_of_inet(sk, btf) &&
	    full_sock(sk, btf))
		owner_record(sk, btf);
	twin_leave(t, rescue);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(btf_owner_state, const struct sock *sk, int oldstate, int newstate)
{
	return owner_state_hit(ctx, sk, oldstate, newstate, true, false);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(btf_owner_state_rescue, const struct sock *sk, int oldstate, int newstate)
{
	return owner_state_hit(ctx, sk, oldstate, newstate, true, true);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(btf_owner_send, struct sock *sk, int ret, int flags)
{
	return owner_io_hit(ctx, sk, OWNER_NS_SEND, true, false);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(btf_owner_send_rescue, struct sock *sk, int ret, int flags)
{
	return owner_io_hit(ctx, sk, OWNER_NS_SEND, true, true);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(btf_owner_recv, struct sock *sk, int ret, int flags)
{
	return owner_io_hit(ctx, sk, OWNER_NS_RECV, true, false);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(btf_owner_recv_rescue, struct sock *sk, int ret, int flags)
{
	return owner_io_hit(ctx, sk, OWNER_NS_RECV, true, true);
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(raw_owner_state, const struct sock *sk, int oldstate, int newstate)
{
	return owner_state_hit(ctx, sk, oldstate, newstate, false, false);
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(raw_owner_state_rescue, const struct sock *sk, int oldstate, int newstate)
{
	return owner_state_hit(ctx, sk, oldstate, newstate, false, true);
}

SEC("raw_tp/sock_send_length")
int BPF_PROG(raw_owner_send, struct sock *sk, int ret, int flags)
{
	return owner_io_hit(ctx, sk, OWNER_NS_SEND, false, false);
}

SEC("raw_tp/sock_send_length")
int BPF_PROG(raw_owner_send_rescue, struct sock *sk, int ret, int flags)
{
	return owner_io_hit(ctx, sk, OWNER_NS_SEND, false, true);
}

SEC("raw_tp/sock_recv_length")
int BPF_PROG(raw_owner_recv, struct sock *sk, int ret, int flags)
{
	return owner_io_hit(ctx, sk, OWNER_NS_RECV, false, false);
}

SEC("raw_tp/sock_recv_length")
int BPF_PROG(raw_owner_recv_rescue, struct sock *sk, int ret, int flags)
{
	return owner_io_hit(ctx, sk, OWNER_NS_RECV, false, true);
}
