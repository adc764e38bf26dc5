// SPDX-License-Identifier: GPL-2.0
/*
 * atcp: congestion control.
 *
 * The window's size is an algorithm's to say, behind struct atcp_cong_ops
 * (as tcp_congestion_ops): recovery.c says when a loss happened and a
 * reduction is due, the algorithm says to what, and how the window grows
 * as ACKs come.  Reno (RFC 5681) is built in and always there; CUBIC
 * (cubic.c) is the default, as in Linux; another module may register its
 * own.  Each namespace has a default for new sockets,
 * net.atcp.congestion_control; TCP_CONGESTION picks one per socket.
 *
 * The list of algorithms changes under atcp_cong_list_lock and is read
 * under RCU; a socket, and a namespace's default, hold a reference on the
 * module of the algorithm they use.
 */
#include <linux/module.h>
#include <linux/rculist.h>
#include <linux/string.h>

#include "atcp.h"

static DEFINE_SPINLOCK(atcp_cong_list_lock);
static LIST_HEAD(atcp_cong_list);

static struct atcp_cong_ops *atcp_cong_find(const char *name)
{
	struct atcp_cong_ops *ops;

	list_for_each_entry_rcu(ops, &atcp_cong_list, list) {
		if (!strcmp(ops->name, name))
			return ops;
	}
	return NULL;
}

/**
 * atcp_register_congestion_control() - make an algorithm available
 * @ops: the algorithm; ssthresh, cong_avoid and undo_cwnd are required
 *
 * Return: 0, -EINVAL for missing hooks or name, -EEXIST if the name is
 * taken.
 * Context: process.
 */
int atcp_register_congestion_control(struct atcp_cong_ops *ops)
{
	int err = 0;

	if (!ops->ssthresh || !ops->cong_avoid || !ops->undo_cwnd ||
	    !ops->name[0]) {
		pr_err("atcp: congestion control %s lacks a required hook\n",
		       ops->name);
		return -EINVAL;
	}
	spin_lock(&atcp_cong_list_lock);
	if (atcp_cong_find(ops->name))
		err = -EEXIST;
	else
		list_add_tail_rcu(&ops->list, &atcp_cong_list);
	spin_unlock(&atcp_cong_list_lock);
	return err;
}
EXPORT_SYMBOL_GPL(atcp_register_congestion_control);

/**
 * atcp_unregister_congestion_control() - take an algorithm away
 * @ops: the algorithm
 *
 * No socket uses it (each holds a reference on ops->owner), but a lookup
 * may still walk past it: the caller's module may go only after an RCU
 * grace period, which this waits for.
 * Context: process.
 */
void atcp_unregister_congestion_control(struct atcp_cong_ops *ops)
{
	spin_lock(&atcp_cong_list_lock);
	list_del_rcu(&ops->list);
	spin_unlock(&atcp_cong_list_lock);
	synchronize_rcu();
}
EXPORT_SYMBOL_GPL(atcp_unregister_congestion_control);

/*
 * The algorithm called name, with a reference on its module, or NULL.
 * Context: any.
 */
static const struct atcp_cong_ops *atcp_cong_get(const char *name)
{
	const struct atcp_cong_ops *ops;

	rcu_read_lock();
	ops = atcp_cong_find(name);
	if (ops && !try_module_get(ops->owner))
		ops = NULL;
	rcu_read_unlock();
	return ops;
}

/**
 * atcp_slow_start() - RFC 5681 3.1 slow start, one segment per segment
 *		       acknowledged, up to ssthresh
 * @ap: the socket
 * @acked: segments newly acknowledged
 *
 * Context: the socket owned, as every congestion control hook.
 * Return: what is left of acked once cwnd reaches ssthresh, for
 * congestion avoidance.
 */
u32 atcp_slow_start(struct atcp_sock *ap, u32 acked)
{
	u32 cwnd = min(ap->snd_cwnd + acked, ap->snd_ssthresh);

	acked -= cwnd - ap->snd_cwnd;
	ap->snd_cwnd = cwnd;
	return acked;
}
EXPORT_SYMBOL_GPL(atcp_slow_start);

/**
 * atcp_cong_avoid_ai() - grow cwnd by one segment per w segments acknowledged
 * @ap: the socket
 * @w: segments per increase (Reno: cwnd)
 * @acked: segments newly acknowledged
 *
 * Context: the socket owned, as every congestion control hook.
 */
void atcp_cong_avoid_ai(struct atcp_sock *ap, u32 w, u32 acked)
{
	w = max(w, 1U);
	/* A window that shrank meanwhile: what is counted is enough. */
	if (ap->snd_cwnd_cnt >= w) {
		ap->snd_cwnd_cnt = 0;
		ap->snd_cwnd++;
	}
	ap->snd_cwnd_cnt += acked;
	if (ap->snd_cwnd_cnt >= w) {
		ap->snd_cwnd += ap->snd_cwnd_cnt / w;
		ap->snd_cwnd_cnt %= w;
	}
}
EXPORT_SYMBOL_GPL(atcp_cong_avoid_ai);

/**
 * atcp_reno_ssthresh() - Reno's slow-start threshold after a loss
 * @sk: the socket
 *
 * RFC 5681 3.1: half the window, at least two segments.
 *
 * Context: the socket owned, as every congestion control hook.
 * Return: the new ssthresh, in segments.
 */
u32 atcp_reno_ssthresh(struct sock *sk)
{
	return max(atcp_sk(sk)->snd_cwnd >> 1, 2U);
}
EXPORT_SYMBOL_GPL(atcp_reno_ssthresh);

/**
 * atcp_reno_cong_avoid() - Reno's window growth for acknowledged segments
 * @sk: the socket
 * @ack: the new snd_una
 * @acked: how many segments the ACK acknowledged
 *
 * Slow start below ssthresh, then one segment per window (RFC 5681 3.1);
 * only while the window limits the sender.
 *
 * Context: the socket owned, as every congestion control hook.
 */
void atcp_reno_cong_avoid(struct sock *sk, u32 ack, u32 acked)
{
	struct atcp_sock *ap = atcp_sk(sk);

	if (!atcp_is_cwnd_limited(ap))
		return;
	if (ap->snd_cwnd < ap->snd_ssthresh) {
		acked = atcp_slow_start(ap, acked);
		if (!acked)
			return;
	}
	atcp_cong_avoid_ai(ap, ap->snd_cwnd, acked);
}
EXPORT_SYMBOL_GPL(atcp_reno_cong_avoid);

/**
 * atcp_reno_undo_cwnd() - the window when a reduction turns out spurious
 * @sk: the socket
 *
 * Context: the socket owned, as every congestion control hook.
 * Return: at least the window before the reduction (prior_cwnd).
 */
u32 atcp_reno_undo_cwnd(struct sock *sk)
{
	const struct atcp_sock *ap = atcp_sk(sk);

	return max(ap->snd_cwnd, ap->prior_cwnd);
}
EXPORT_SYMBOL_GPL(atcp_reno_undo_cwnd);

/* Built in: no module reference to hold for it, atcp is in use anyway. */
struct atcp_cong_ops atcp_reno = {
	.name		= "reno",
	.ssthresh	= atcp_reno_ssthresh,
	.cong_avoid	= atcp_reno_cong_avoid,
	.undo_cwnd	= atcp_reno_undo_cwnd,
};

/**
 * atcp_init_cwnd() - the window a connection starts with
 * @sk: the socket, its route set
 *
 * The route's initcwnd if it has one, else 10 segments (RFC 6928).
 * Return: the window, in segments.
 */
u32 atcp_init_cwnd(const struct sock *sk)
{
	const struct dst_entry *dst = __sk_dst_get((struct sock *)sk);
	u32 cwnd = dst ? dst_metric(dst, RTAX_INITCWND) : 0;

	return cwnd ? : ATCP_INIT_CWND;
}

/**
 * atcp_set_ca_state() - change the recovery state, telling the algorithm
 * @sk: the socket
 * @state: TCP_CA_Open, TCP_CA_Recovery or TCP_CA_Loss
 *
 * Context: the socket owned.
 */
void atcp_set_ca_state(struct sock *sk, u8 state)
{
	struct atcp_sock *ap = atcp_sk(sk);

	if (ap->ca_ops->set_state)
		ap->ca_ops->set_state(sk, state);
	ap->ca_state = state;
}

/**
 * atcp_cong_init() - the connection is established: start its window
 * @sk: the socket
 *
 * From one segment if the SYN or SYN-ACK had to be resent (RFC 5681 3.1),
 * else from the initial window; the algorithm starts its state afresh.
 * Context: the socket owned.
 */
void atcp_cong_init(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);

	ap->snd_cwnd = ap->total_retrans ? 1 : atcp_init_cwnd(sk);
	ap->snd_cwnd_cnt = 0;
	/* A SYN's loss episode ends with the handshake. */
	ap->ca_state = ATCP_CA_OPEN;
	ap->undo_marker = 0;
	ap->frto = 0;
	memset(ap->ca_priv, 0, sizeof(ap->ca_priv));
	if (ap->ca_ops->init)
		ap->ca_ops->init(sk);
}

/* Use ops from now on; ops' module reference is the socket's. */
static void atcp_cong_assign(struct sock *sk, const struct atcp_cong_ops *ops)
{
	struct atcp_sock *ap = atcp_sk(sk);
	const struct atcp_cong_ops *old = ap->ca_ops;

	if (old && old->release)
		old->release(sk);
	ap->ca_ops = ops;
	if (old)
		module_put(old->owner);
	memset(ap->ca_priv, 0, sizeof(ap->ca_priv));
	if (sk->sk_state != TCP_CLOSE && sk->sk_state != TCP_LISTEN &&
	    ops->init)
		ops->init(sk);
}

/**
 * atcp_cong_sock_init() - a new socket takes its namespace's algorithm
 * @sk: the socket
 *
 * Context: process, or softirq for a listener's child (which keeps its
 * listener's, see atcp_cong_clone()).
 */
void atcp_cong_sock_init(struct sock *sk)
{
	const struct atcp_cong_ops *ops;

	rcu_read_lock();
	ops = rcu_dereference(atcp_sk_net(sk)->ca_default);
	if (!ops || !try_module_get(ops->owner))
		ops = &atcp_reno;
	rcu_read_unlock();
	atcp_sk(sk)->ca_ops = NULL;
	atcp_cong_assign(sk, ops);
}

/**
 * atcp_cong_clone() - a listener's child keeps the listener's algorithm
 * @newsk: the child, just cloned: its ca_ops is the listener's pointer,
 *	   without a reference of its own yet
 *
 * Context: softirq.
 */
void atcp_cong_clone(struct sock *newsk)
{
	struct atcp_sock *ap = atcp_sk(newsk);

	/* An algorithm's module on its way out: Reno, built in, instead. */
	if (!try_module_get(ap->ca_ops->owner))
		ap->ca_ops = &atcp_reno;
	memset(ap->ca_priv, 0, sizeof(ap->ca_priv));
}

/**
 * atcp_cong_release() - the socket goes: its congestion control too
 * @sk: the socket
 *
 * Calls the algorithm's release hook and drops the reference on its
 * module.  Reno (built in, no reference) stays behind, never NULL: a
 * destroyed socket can still be read, by a child cloned from a closing
 * listener on the lockless path of softirq (atcp_cong_clone()), or by a
 * segment its backlog still held, as TCP's icsk_ca_ops stays set.
 *
 * Context: the socket's destruction (proto->destroy), the socket owned by
 * the caller or, for a child never hashed, reachable by no one else.
 */
void atcp_cong_release(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);
	const struct atcp_cong_ops *ops = ap->ca_ops;

	if (!ops || ops == &atcp_reno)
		return;
	WRITE_ONCE(ap->ca_ops, &atcp_reno);
	if (ops->release)
		ops->release(sk);
	module_put(ops->owner);
}

/**
 * atcp_cong_set() - TCP_CONGESTION: use the algorithm called name
 * @sk: the socket, owned
 * @name: the algorithm's name
 *
 * Context: process context, setsockopt() with the socket owned
 * (lock_sock()).
 * Return: 0, or -ENOENT if there is no such algorithm (as TCP).
 */
int atcp_cong_set(struct sock *sk, const char *name)
{
	const struct atcp_cong_ops *ops;

	if (!strcmp(atcp_sk(sk)->ca_ops->name, name))
		return 0;
	ops = atcp_cong_get(name);
	if (!ops)
		return -ENOENT;
	atcp_cong_assign(sk, ops);
	return 0;
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_cong_set);

/**
 * atcp_cong_set_default() - a namespace's algorithm for new sockets
 * @an: the namespace's state
 * @name: the algorithm's name
 *
 * Return: 0, or -ENOENT if there is no such algorithm.
 * Context: process; the sysctl's writers are serialized by the caller.
 */
int atcp_cong_set_default(struct atcp_net *an, const char *name)
{
	const struct atcp_cong_ops *ops = atcp_cong_get(name), *old;

	if (!ops)
		return -ENOENT;
	old = rcu_replace_pointer(an->ca_default, ops, true);
	if (old)
		module_put(old->owner);
	return 0;
}

/**
 * atcp_cong_net_exit() - a namespace goes: drop its default's module reference
 * @an: the namespace's atcp state
 *
 * Context: process context, the namespace's exit (pernet_operations).
 */
void atcp_cong_net_exit(struct atcp_net *an)
{
	const struct atcp_cong_ops *old;

	old = rcu_replace_pointer(an->ca_default,
				  (const struct atcp_cong_ops *)NULL, true);
	if (old)
		module_put(old->owner);
}

/**
 * atcp_cong_default_name() - the name of a namespace's default algorithm
 * @an: the namespace's state
 * @buf: ATCP_CA_NAME_MAX bytes
 *
 * Context: any context; reads the default under RCU.
 */
void atcp_cong_default_name(struct atcp_net *an, char *buf)
{
	const struct atcp_cong_ops *ops;

	rcu_read_lock();
	ops = rcu_dereference(an->ca_default);
	strscpy(buf, ops ? ops->name : atcp_reno.name, ATCP_CA_NAME_MAX);
	rcu_read_unlock();
}

/**
 * atcp_cong_available() - the names of every algorithm, space separated
 * @buf: where they go
 * @len: its size
 *
 * Context: any context; reads the list of algorithms under RCU.
 */
void atcp_cong_available(char *buf, size_t len)
{
	const struct atcp_cong_ops *ops;
	size_t offs = 0;

	*buf = '\0';
	rcu_read_lock();
	list_for_each_entry_rcu(ops, &atcp_cong_list, list) {
		offs += snprintf(buf + offs, len - offs, "%s%s",
				 offs ? " " : "", ops->name);
		if (offs >= len)
			break;
	}
	rcu_read_unlock();
}

/**
 * atcp_cong_init_module() - register the built-in algorithms, Reno and CUBIC
 *
 * Context: process context, module init.
 * Return: 0, or the negative errno of a failed registration (nothing is
 * left registered then).
 */
int __init atcp_cong_init_module(void)
{
	int err = atcp_register_congestion_control(&atcp_reno);

	if (err)
		return err;
	err = atcp_cubic_register();
	if (err)
		atcp_unregister_congestion_control(&atcp_reno);
	return err;
}

/**
 * atcp_cong_exit_module() - unregister the built-in algorithms
 *
 * Context: process context, module exit (or a failed init).
 */
void atcp_cong_exit_module(void)
{
	atcp_cubic_unregister();
	atcp_unregister_congestion_control(&atcp_reno);
}
