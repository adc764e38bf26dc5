// SPDX-License-Identifier: GPL-2.0
/*
 * atcp: module init and exit, protocol registration, per-netns setup.
 *
 * atcp registers a receive handler for its IP protocol number and a
 * SOCK_STREAM protosw for AF_INET.  Binding, lookup, request socks and
 * TIME_WAIT minisockets reuse the inet connection-socket infrastructure
 * with a hash table of atcp's own, so atcp ports are a namespace apart
 * from TCP's.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/random.h>
#include <net/inet_common.h>
#include <net/protocol.h>
#include <net/ip.h>
#include <net/tcp_states.h>
#include <net/net_namespace.h>

#include "atcp.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

int atcp_proto_num = IPPROTO_ATCP;
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_proto_num);
module_param_named(proto, atcp_proto_num, int, 0444);
MODULE_PARM_DESC(proto, "IP protocol number (default 253)");

static unsigned long atcp_ehash_entries;
module_param_named(ehash_entries, atcp_ehash_entries, ulong, 0444);
MODULE_PARM_DESC(ehash_entries, "established hash buckets (0: sized from RAM)");

/*
 * inet_hash() and the bind code find a protocol's own table through
 * tcp_or_dccp_get_hashinfo(), which in 6.1 reads sk_prot->h.hashinfo only
 * when DCCP is configured; without it atcp's sockets would land in TCP's
 * tables, where atcp's lookups never find them.
 */
#if !IS_ENABLED(CONFIG_IP_DCCP)
#error "atcp needs a kernel with CONFIG_IP_DCCP (y or m) for its own hash table"
#endif

struct inet_hashinfo atcp_hashinfo;
unsigned int atcp_net_id __read_mostly;
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_net_id);
static DEFINE_PER_CPU(unsigned int, atcp_orphan_count);
static struct percpu_counter atcp_sockets_allocated;

/*
 * The memory of every atcp socket's queues together, in pages, bounded by
 * net.atcp.mem; per-CPU reserves go to the total in batches.  While the
 * total is over mem[1], atcp_memory_pressure holds the jiffies pressure
 * began: windows stay small, send buffers shrink, queues are pruned.
 */
static atomic_long_t atcp_memory_allocated ____cacheline_aligned_in_smp;
static DEFINE_PER_CPU(int, atcp_memory_per_cpu_fw_alloc);
static unsigned long atcp_memory_pressure;

static void atcp_enter_memory_pressure(struct sock *sk)
{
	unsigned long val;

	if (READ_ONCE(atcp_memory_pressure))
		return;
	val = jiffies ? : -1UL;
	if (!cmpxchg(&atcp_memory_pressure, 0, val))
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_MEMORY_PRESSURES);
}

static void atcp_leave_memory_pressure(struct sock *sk)
{
	if (READ_ONCE(atcp_memory_pressure))
		WRITE_ONCE(atcp_memory_pressure, 0);
}

/* Orphans of every namespace: the bound net.atcp.max_orphans is global. */
static int atcp_orphan_count_sum(void)
{
	int i, total = 0;

	for_each_possible_cpu(i)
		total += per_cpu(atcp_orphan_count, i);
	return max(total, 0);
}

/**
 * atcp_check_oom() - should a socket without an owner go now?
 * @sk: an orphan, or a socket being orphaned
 * @shift: how much stricter the orphan bound is for this one (it looks
 *	   stuck, or an ICMP error arrived): the count is doubled per step
 *
 * Too many orphans, or the protocol's memory over its hard limit with
 * this socket holding some of it (tcp_check_oom).
 * Context: the socket owned by the caller (atcp_close() under
 * bh_lock_sock(), or a timer).
 * Return: true if it should be reset and released.
 */
bool atcp_check_oom(struct sock *sk, int shift)
{
	bool too_many_orphans, out_of_memory;

	too_many_orphans = atcp_orphan_count_sum() << shift >
			   READ_ONCE(atcp_sysctl_max_orphans);
	out_of_memory = sk->sk_wmem_queued > SOCK_MIN_SNDBUF &&
			sk_memory_allocated(sk) > sk_prot_mem_limits(sk, 2);
	if (too_many_orphans)
		net_info_ratelimited("atcp: too many orphaned sockets\n");
	if (out_of_memory)
		net_info_ratelimited("atcp: out of memory -- consider tuning net.atcp.mem\n");
	return too_many_orphans || out_of_memory;
}

static unsigned int atcp_ehash_order;
static unsigned int atcp_bhash_order;

/**
 * atcp_set_state() - move a socket to another state
 * @sk: the socket
 * @state: the new state (TCP_*)
 *
 * Every state change goes through here: it keeps the hash tables and the
 * port binding in step with the state (unhashed and the port released on
 * TCP_CLOSE), and traces the change, as tcp_set_state() does.
 *
 * Context: the socket owned by the caller (lock_sock(), or bh_lock_sock()
 * in softirq and timers); or a child that atcp_v4_syn_recv_sock() gives
 * up on, unlocked by inet_csk_prepare_forced_close() but reachable by no
 * one else.
 */
void atcp_set_state(struct sock *sk, int state)
{
	int oldstate = sk->sk_state;

	if (oldstate == state)
		return;
	trace_atcp_state(sk, oldstate, state);

	if (state == TCP_CLOSE) {
		sk->sk_prot->unhash(sk);
		if (inet_csk(sk)->icsk_bind_hash &&
		    !(sk->sk_userlocks & SOCK_BINDPORT_LOCK))
			inet_put_port(sk);
	}
	inet_sk_set_state(sk, state);
}

/**
 * atcp_done() - the connection is over
 * @sk: the socket
 *
 * Moves to CLOSE, stops the timers and shuts both directions; a socket
 * with a process wakes it, an orphan is destroyed (tcp_done).
 *
 * Context: as atcp_set_state(): the socket owned by the caller, or a child
 * being closed after inet_csk_prepare_forced_close().  An orphan's memory
 * may be gone on return.
 */
void atcp_done(struct sock *sk)
{
	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV))
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_ATTEMPT_FAILS);
	atcp_set_state(sk, TCP_CLOSE);
	inet_csk_clear_xmit_timers(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);

	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_state_change(sk);
	else
		inet_csk_destroy_sock(sk);
}

/**
 * atcp_done_with_error() - the connection failed
 * @sk: the socket
 * @err: the error its owner will read (ECONNRESET, ETIMEDOUT, an ICMP's)
 *
 * A RST, an ICMP error or a timeout ended it: reports @err and drops what
 * was still to be sent, so that nothing of it can leave later, then
 * atcp_done() (tcp_done_with_error).
 *
 * Context: the socket owned by the caller (softirq receive or ICMP under
 * bh_lock_sock(), a timer, or process context under lock_sock()).
 */
void atcp_done_with_error(struct sock *sk, int err)
{
	WRITE_ONCE(sk->sk_err, err);
	/* Pairs with smp_rmb() in atcp_poll(). */
	smp_wmb();
	atcp_write_queue_purge(sk);
	atcp_done(sk);
	if (!sock_flag(sk, SOCK_DEAD))
		sk_error_report(sk);
}

/* Writers wait for a third of the send buffer (sk_stream_write_space). */
static void atcp_write_space(struct sock *sk)
{
	struct socket *sock = sk->sk_socket;
	struct socket_wq *wq;

	if (!sock || !__sk_stream_is_writeable(sk, 1))
		return;
	clear_bit(SOCK_NOSPACE, &sock->flags);
	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_poll(&wq->wait, EPOLLOUT | EPOLLWRNORM |
					   EPOLLWRBAND);
	if (wq && wq->fasync_list && !(sk->sk_shutdown & SEND_SHUTDOWN))
		sock_wake_async(wq, SOCK_WAKE_SPACE, POLL_OUT);
	rcu_read_unlock();
}

static int atcp_v4_init_sock(struct sock *sk)
{
	struct atcp_net *an = atcp_sk_net(sk);
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct atcp_sock *ap = atcp_sk(sk);

	atcp_clear_connection(ap);
	atcp_cong_sock_init(sk);
	atcp_init_xmit_timers(sk);
	icsk->icsk_af_ops = &atcp_ipv4_af_ops;
	icsk->icsk_sync_mss = atcp_sync_mss;
	icsk->icsk_rto = ATCP_TIMEOUT_INIT;
	icsk->icsk_rto_min = ATCP_RTO_MIN;
	icsk->icsk_delack_max = msecs_to_jiffies(READ_ONCE(an->delack_max));

	sk->sk_state = TCP_CLOSE;
	sk->sk_write_space = atcp_write_space;
	sock_set_flag(sk, SOCK_USE_WRITE_QUEUE);
	/* As tcp_init_sock: the defaults, grown later by autotuning. */
	WRITE_ONCE(sk->sk_sndbuf, READ_ONCE(an->wmem[1]));
	WRITE_ONCE(sk->sk_rcvbuf, READ_ONCE(an->rmem[1]));
	sk_sockets_allocated_inc(sk);
	return 0;
}

/* Forget everything queued to send: the connection is over. */
void atcp_write_queue_purge(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(&sk->sk_write_queue)) != NULL)
		atcp_wmem_free_skb(sk, skb);
	ap->send_head = NULL;
	inet_csk(sk)->icsk_backoff = 0;
}

/**
 * atcp_purge_queues() - free every queued segment of a socket
 * @sk: the socket
 *
 * The write queue (and the FIN queued on it), the receive queue and the
 * out-of-order queue, as a disconnect or the socket's destruction needs.
 *
 * Context: the socket owned by the caller: atcp_disconnect() (lock_sock(),
 * or bh_lock_sock() for a child a closing listener forgets), or the
 * socket's destruction (proto->destroy).
 */
void atcp_purge_queues(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);

	atcp_write_queue_purge(sk);
	ap->fin_queued = 0;
	__skb_queue_purge(&sk->sk_receive_queue);
	atcp_ofo_purge(sk);
}

static void atcp_v4_destroy_sock(struct sock *sk)
{
	inet_csk_clear_xmit_timers(sk);
	atcp_cong_release(sk);
	atcp_purge_queues(sk);
	if (inet_csk(sk)->icsk_bind_hash)
		inet_put_port(sk);
	sk_sockets_allocated_dec(sk);
}

struct proto atcp_prot = {
	.name			= "ATCP",
	.owner			= THIS_MODULE,
	.close			= atcp_close,
	.connect		= atcp_v4_connect,
	.disconnect		= atcp_disconnect,
	.accept			= inet_csk_accept,
	.ioctl			= atcp_proto_ioctl,
	.init			= atcp_v4_init_sock,
	.destroy		= atcp_v4_destroy_sock,
	.shutdown		= atcp_shutdown,
	.setsockopt		= atcp_setsockopt,
	.getsockopt		= atcp_getsockopt,
	.keepalive		= atcp_set_keepalive,
	.recvmsg		= atcp_recvmsg,
	.sendmsg		= atcp_sendmsg,
	.stream_memory_free	= atcp_stream_memory_free,
	.backlog_rcv		= atcp_v4_do_rcv,
	.release_cb		= atcp_release_cb,
	.hash			= inet_hash,
	.unhash			= inet_unhash,
	.get_port		= inet_csk_get_port,
	.put_port		= inet_put_port,
	.sockets_allocated	= &atcp_sockets_allocated,
	.orphan_count		= &atcp_orphan_count,
	.enter_memory_pressure	= atcp_enter_memory_pressure,
	.leave_memory_pressure	= atcp_leave_memory_pressure,
	.memory_allocated	= &atcp_memory_allocated,
	.per_cpu_fw_alloc	= &atcp_memory_per_cpu_fw_alloc,
	.memory_pressure	= &atcp_memory_pressure,
	.sysctl_mem		= atcp_sysctl_mem,
	.sysctl_wmem		= atcp_sysctl_wmem,
	.sysctl_rmem		= atcp_sysctl_rmem,
	.max_header		= ATCP_MAX_HEADER,
	.obj_size		= sizeof(struct atcp_sock),
	.slab_flags		= SLAB_TYPESAFE_BY_RCU,
	.rsk_prot		= &atcp_request_sock_ops,
	.twsk_prot		= &atcp_timewait_sock_ops,
	.h.hashinfo		= &atcp_hashinfo,
	.no_autobind		= true,
};

static struct net_protocol atcp_net_protocol = {
	.handler	= atcp_v4_rcv,
	.err_handler	= atcp_v4_err,
	.no_policy	= 1,
	.icmp_strict_tag_validation = 1,
};

static struct inet_protosw atcp_protosw = {
	.type		= SOCK_STREAM,
	.protocol	= IPPROTO_ATCP,
	.prot		= &atcp_prot,
	.flags		= INET_PROTOSW_ICSK,
};

static int __net_init atcp_net_init(struct net *net)
{
	struct atcp_net *an = atcp_pernet(net);
	int err;

	atcp_sysctl_defaults(an);
	refcount_set(&an->tw_death_row.tw_refcount, 1);
	an->tw_death_row.hashinfo = &atcp_hashinfo;
	/* CUBIC, as Linux's TCP; a namespace inherits nothing of its parent. */
	err = atcp_cong_set_default(an, "cubic");
	if (err)
		return err;

	err = -ENOMEM;
	an->mib = alloc_percpu(struct atcp_mib_cpu);
	if (!an->mib)
		goto put_cong;

	err = inet_ctl_sock_create(&an->ctl_sk, PF_INET, SOCK_RAW,
				   atcp_proto_num, net);
	if (err)
		goto free_mib;

	err = atcp_sysctl_net_init(net);
	if (err)
		goto free_ctl;

	err = atcp_proc_net_init(net);
	if (err)
		goto free_sysctl;
	return 0;

free_sysctl:
	atcp_sysctl_net_exit(net);
free_ctl:
	inet_ctl_sock_destroy(an->ctl_sk);
free_mib:
	free_percpu(an->mib);
put_cong:
	atcp_cong_net_exit(an);
	return err;
}

static void __net_exit atcp_net_exit(struct net *net)
{
	struct atcp_net *an = atcp_pernet(net);

	atcp_proc_net_exit(net);
	atcp_sysctl_net_exit(net);
	inet_ctl_sock_destroy(an->ctl_sk);
	atcp_cong_net_exit(an);
}

/*
 * Serializes atcp_net_exit_batch(): the cleanup of dead namespaces and the
 * unwinding of a namespace whose setup failed may run it at once.
 */
static DEFINE_MUTEX(atcp_exit_batch_mutex);

/*
 * TIME_WAIT minisockets hold no reference on their netns: purge those of
 * the dying namespaces once the sockets are gone, then free the counters.
 * The purge takes those of every dead namespace, not only this batch's, so
 * two batches at once could each free state the other still dismantles.
 */
static void __net_exit atcp_net_exit_batch(struct list_head *net_exit_list)
{
	struct net *net;

	mutex_lock(&atcp_exit_batch_mutex);
	inet_twsk_purge(&atcp_hashinfo);
	list_for_each_entry(net, net_exit_list, exit_list) {
		struct atcp_net *an = atcp_pernet(net);

		WARN_ON_ONCE(!refcount_dec_and_test(&an->tw_death_row.tw_refcount));
		free_percpu(an->mib);
	}
	mutex_unlock(&atcp_exit_batch_mutex);
}

static struct pernet_operations atcp_net_ops = {
	.init		= atcp_net_init,
	.exit		= atcp_net_exit,
	.exit_batch	= atcp_net_exit_batch,
	.id		= &atcp_net_id,
	.size		= sizeof(struct atcp_net),
};

static int __init atcp_hashinfo_init(void)
{
	unsigned long goal, nr_pages = totalram_pages();
	unsigned int i;
	int err;

	err = inet_hashinfo2_init_mod(&atcp_hashinfo);
	if (err)
		return err;

	err = -ENOMEM;
	atcp_hashinfo.bind_bucket_cachep =
		kmem_cache_create("atcp_bind_bucket",
				  sizeof(struct inet_bind_bucket), 0,
				  SLAB_HWCACHE_ALIGN | SLAB_ACCOUNT, NULL);
	if (!atcp_hashinfo.bind_bucket_cachep)
		goto free_lhash2;
	atcp_hashinfo.bind2_bucket_cachep =
		kmem_cache_create("atcp_bind2_bucket",
				  sizeof(struct inet_bind2_bucket), 0,
				  SLAB_HWCACHE_ALIGN | SLAB_ACCOUNT, NULL);
	if (!atcp_hashinfo.bind2_bucket_cachep)
		goto free_bind_cache;

	/* One bucket page per 2 MiB of RAM by default, as DCCP sizes it. */
	goal = nr_pages >> (21 - PAGE_SHIFT);
	if (atcp_ehash_entries)
		goal = (atcp_ehash_entries * sizeof(struct inet_ehash_bucket))
			>> PAGE_SHIFT;
	for (atcp_ehash_order = 0; (1UL << atcp_ehash_order) < goal;
	     atcp_ehash_order++)
		;
	do {
		unsigned long size = (1UL << atcp_ehash_order) * PAGE_SIZE /
				     sizeof(struct inet_ehash_bucket);

		atcp_hashinfo.ehash_mask = rounddown_pow_of_two(size) - 1;
		atcp_hashinfo.ehash = (struct inet_ehash_bucket *)
			__get_free_pages(GFP_KERNEL | __GFP_NOWARN,
					 atcp_ehash_order);
	} while (!atcp_hashinfo.ehash && atcp_ehash_order-- > 0);
	if (!atcp_hashinfo.ehash)
		goto free_bind2_cache;
	for (i = 0; i <= atcp_hashinfo.ehash_mask; i++)
		INIT_HLIST_NULLS_HEAD(&atcp_hashinfo.ehash[i].chain, i);

	if (inet_ehash_locks_alloc(&atcp_hashinfo))
		goto free_ehash;

	atcp_bhash_order = min(atcp_ehash_order, 4U);
	atcp_hashinfo.bhash_size = (1UL << atcp_bhash_order) * PAGE_SIZE /
				   sizeof(struct inet_bind_hashbucket);
	atcp_hashinfo.bhash = (struct inet_bind_hashbucket *)
		__get_free_pages(GFP_KERNEL | __GFP_NOWARN, atcp_bhash_order);
	if (!atcp_hashinfo.bhash)
		goto free_locks;
	atcp_hashinfo.bhash2 = (struct inet_bind_hashbucket *)
		__get_free_pages(GFP_KERNEL | __GFP_NOWARN, atcp_bhash_order);
	if (!atcp_hashinfo.bhash2)
		goto free_bhash;
	for (i = 0; i < atcp_hashinfo.bhash_size; i++) {
		spin_lock_init(&atcp_hashinfo.bhash[i].lock);
		INIT_HLIST_HEAD(&atcp_hashinfo.bhash[i].chain);
		spin_lock_init(&atcp_hashinfo.bhash2[i].lock);
		INIT_HLIST_HEAD(&atcp_hashinfo.bhash2[i].chain);
	}
	atcp_hashinfo.pernet = false;
	return 0;

free_bhash:
	free_pages((unsigned long)atcp_hashinfo.bhash, atcp_bhash_order);
free_locks:
	inet_ehash_locks_free(&atcp_hashinfo);
free_ehash:
	free_pages((unsigned long)atcp_hashinfo.ehash, atcp_ehash_order);
free_bind2_cache:
	kmem_cache_destroy(atcp_hashinfo.bind2_bucket_cachep);
free_bind_cache:
	kmem_cache_destroy(atcp_hashinfo.bind_bucket_cachep);
free_lhash2:
	inet_hashinfo2_free_mod(&atcp_hashinfo);
	return err;
}

static void atcp_hashinfo_exit(void)
{
	free_pages((unsigned long)atcp_hashinfo.bhash2, atcp_bhash_order);
	free_pages((unsigned long)atcp_hashinfo.bhash, atcp_bhash_order);
	inet_ehash_locks_free(&atcp_hashinfo);
	free_pages((unsigned long)atcp_hashinfo.ehash, atcp_ehash_order);
	kmem_cache_destroy(atcp_hashinfo.bind2_bucket_cachep);
	kmem_cache_destroy(atcp_hashinfo.bind_bucket_cachep);
	inet_hashinfo2_free_mod(&atcp_hashinfo);
}

static int __init atcp_init(void)
{
	int err;

	BUILD_BUG_ON(sizeof(struct atcp_skb_cb) > sizeof_field(struct sk_buff, cb));
	if (atcp_proto_num <= 0 || atcp_proto_num >= IPPROTO_MAX ||
	    atcp_proto_num == IPPROTO_TCP) {
		pr_err("atcp: invalid protocol number %d\n", atcp_proto_num);
		return -EINVAL;
	}
	atcp_protosw.protocol = atcp_proto_num;
	atcp_protosw.ops = atcp_stream_ops_pick();

	err = percpu_counter_init(&atcp_sockets_allocated, 0, GFP_KERNEL);
	if (err)
		return err;
	err = atcp_hashinfo_init();
	if (err)
		goto free_counter;
	atcp_sysctl_limits_init(atcp_hashinfo.ehash_mask + 1);
	err = proto_register(&atcp_prot, 1);
	if (err)
		goto free_hashinfo;
	/* Before the namespaces: each takes one as its default. */
	err = atcp_cong_init_module();
	if (err)
		goto unregister_proto;
	err = register_pernet_subsys(&atcp_net_ops);
	if (err)
		goto unregister_cong;
	err = atcp_sysctl_init();
	if (err)
		goto unregister_pernet;
	/* From here on segments arrive, and need all of the above. */
	err = inet_add_protocol(&atcp_net_protocol, atcp_proto_num);
	if (err) {
		pr_err("atcp: IP protocol %d is already taken by another protocol (HomaModule used 253 until 2025); load atcp with proto=N for a free number N (insmod atcp.ko proto=N)\n",
		       atcp_proto_num);
		err = -EBUSY;
		goto unregister_sysctl;
	}
	/* Only our own super-segments need it, and none is sent before. */
	err = atcp_offload_init();
	if (err) {
		pr_err("atcp: IP protocol %d has another protocol's segmentation offload\n",
		       atcp_proto_num);
		goto del_protocol;
	}
	inet_register_protosw(&atcp_protosw);
	pr_info("atcp: registered on IP protocol %d\n", atcp_proto_num);
	return 0;

del_protocol:
	inet_del_protocol(&atcp_net_protocol, atcp_proto_num);
unregister_sysctl:
	atcp_sysctl_exit();
unregister_pernet:
	unregister_pernet_subsys(&atcp_net_ops);
unregister_cong:
	atcp_cong_exit_module();
unregister_proto:
	proto_unregister(&atcp_prot);
free_hashinfo:
	atcp_hashinfo_exit();
free_counter:
	percpu_counter_destroy(&atcp_sockets_allocated);
	return err;
}

static void __exit atcp_exit(void)
{
	inet_unregister_protosw(&atcp_protosw);
	inet_del_protocol(&atcp_net_protocol, atcp_proto_num);
	atcp_offload_exit();
	/* No handler runs past here: the above wait for an RCU grace period. */
	atcp_sysctl_exit();
	unregister_pernet_subsys(&atcp_net_ops);
	atcp_cong_exit_module();
	proto_unregister(&atcp_prot);
	atcp_hashinfo_exit();
	percpu_counter_destroy(&atcp_sockets_allocated);
}

module_init(atcp_init);
module_exit(atcp_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("atcp: TCP as a transport of its own IP protocol number");
MODULE_ALIAS_NET_PF_PROTO_TYPE(PF_INET, IPPROTO_ATCP, SOCK_STREAM);
