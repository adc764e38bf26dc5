/* SPDX-License-Identifier: GPL-2.0 */
/*
 * atcp: the only place that knows which kernel it is built for.
 *
 * atcp builds from one tree for Debian 12's 6.1 (and its PREEMPT_RT
 * flavour) and for 6.12.  Where the kernel's interfaces differ between
 * them, a wrapper here, named for what it does, gives the protocol code one
 * way to say it.  Which interface the kernel has, module/Kbuild finds in
 * its headers (the ATCP_HAVE_* flags), not from its version, so that a
 * distribution's backport is taken for what it is; the version where each
 * changed upstream is noted.
 *
 * atcp.h includes this at its end: the wrappers call its functions.
 */
#ifndef _ATCP_COMPAT_H
#define _ATCP_COMPAT_H

#include <linux/sysctl.h>
#include <net/inet_sock.h>
#include <net/inet_timewait_sock.h>
#include <net/net_namespace.h>
#include <net/sock.h>

/* 6.4: the segmentation helpers moved out of netdevice.h and skbuff.h. */
#ifdef ATCP_HAVE_NET_GSO_H
#include <net/gso.h>
#endif

/* 6.10: the page fragment references moved out of skbuff.h. */
#ifdef ATCP_HAVE_SKBUFF_REF_H
#include <linux/skbuff_ref.h>
#endif

/* 6.10: the flow steering helpers moved out of sock.h. */
#ifdef ATCP_HAVE_NET_RPS_H
#include <net/rps.h>
#endif

/* 6.10: the memory accounting helpers moved out of sock.h. */
#ifdef ATCP_HAVE_PROTO_MEMORY_H
#include <net/proto_memory.h>
#endif

/* 6.6: inet_sock's option bits became inet_flags, tested atomically. */
static inline bool atcp_sk_recverr(const struct sock *sk)
{
#ifdef ATCP_HAVE_INET_FLAGS
	return inet_test_bit(RECVERR, sk);
#else
	return inet_sk(sk)->recverr;
#endif
}

static inline bool atcp_sk_transparent(const struct sock *sk)
{
#ifdef ATCP_HAVE_INET_FLAGS
	return inet_test_bit(TRANSPARENT, sk);
#else
	return inet_sk(sk)->transparent;
#endif
}

/*
 * Put a TIME_WAIT minisocket in sk's place in the hash tables and arm its
 * timer.  6.10 made this one call, which arms the timer under the ehash
 * lock; before, the timer is armed first, with bottom halves off so that
 * it cannot run before the minisocket is hashed.
 */
static inline void atcp_twsk_hashdance_schedule(struct inet_timewait_sock *tw,
						struct sock *sk,
						struct inet_hashinfo *hashinfo,
						int timeo)
{
#ifdef ATCP_HAVE_TWSK_HASHDANCE_SCHEDULE
	inet_twsk_hashdance_schedule(tw, sk, hashinfo, timeo);
#else
	local_bh_disable();
	inet_twsk_schedule(tw, timeo);
	inet_twsk_hashdance(tw, sk, hashinfo);
	local_bh_enable();
#endif
}

/*
 * Register a sysctl table of n entries, followed by an empty one: 6.1
 * needs that terminator; since 6.6 the count is passed, and by 6.11 the
 * terminator must not be counted.
 */
static inline struct ctl_table_header *
atcp_register_net_sysctl(struct net *net, const char *path,
			 struct ctl_table *table, size_t n)
{
#ifdef ATCP_HAVE_SYSCTL_SZ
	return register_net_sysctl_sz(net, path, table, n);
#else
	return register_net_sysctl(net, path, table);
#endif
}

/*
 * proto->ioctl: since 6.5 the value goes out through a kernel pointer and
 * the socket layer copies it to the user; before, the protocol copies it.
 */
#ifdef ATCP_HAVE_PROTO_IOCTL_KARG
static inline int atcp_proto_ioctl(struct sock *sk, int cmd, int *karg)
{
	return atcp_ioctl(sk, cmd, karg);
}
#else
static inline int atcp_proto_ioctl(struct sock *sk, int cmd, unsigned long arg)
{
	int value, err = atcp_ioctl(sk, cmd, &value);

	return err ? : put_user(value, (int __user *)arg);
}
#endif

/*
 * request_sock_ops->send_reset: since 6.10 with the reason for the RST,
 * for tracing, which atcp does not need.
 */
#ifdef ATCP_HAVE_RSTREASON
#include <net/rstreason.h>
static inline void atcp_reqsk_send_reset(const struct sock *sk,
					 struct sk_buff *skb,
					 enum sk_rst_reason reason)
{
	atcp_v4_send_reset(sk, skb);
}
#else
static inline void atcp_reqsk_send_reset(const struct sock *sk,
					 struct sk_buff *skb)
{
	atcp_v4_send_reset(sk, skb);
}
#endif

/*
 * A sysctl's proc_handler: since 6.11 the table is const.  Each handler of
 * atcp's own is one of these, around a function of sysctl.c that takes
 * the entry's data.
 */
#ifdef ATCP_HAVE_CONST_CTL_TABLE
#define ATCP_CTL_TABLE_CONST const
#else
#define ATCP_CTL_TABLE_CONST
#endif

static inline int atcp_proc_congestion_control(ATCP_CTL_TABLE_CONST struct ctl_table *ctl,
					       int write, void *buffer,
					       size_t *lenp, loff_t *ppos)
{
	return atcp_sysctl_congestion_control(ctl->data, write, buffer, lenp,
					      ppos);
}

static inline int atcp_proc_available_cc(ATCP_CTL_TABLE_CONST struct ctl_table *ctl,
					 int write, void *buffer,
					 size_t *lenp, loff_t *ppos)
{
	return atcp_sysctl_available_cc(write, buffer, lenp, ppos);
}

#endif /* _ATCP_COMPAT_H */
