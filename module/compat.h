/* SPDX-License-Identifier: GPL-2.0 */
/*
 * atcp: the only place that knows which kernel it is built for.
 *
 * atcp builds from one tree for Debian 12's 6.1 (and its PREEMPT_RT
 * flavour) and for 6.12.  Where the kernel's interfaces differ between
 * them, a wrapper here, named for what it does, gives the protocol code one
 * way to say it; nothing else tests the kernel's version.  The version
 * where each interface changed is noted, for a kernel between the two.
 */
#ifndef _ATCP_COMPAT_H
#define _ATCP_COMPAT_H

#include <linux/version.h>
#include <linux/sysctl.h>
#include <net/inet_sock.h>
#include <net/inet_timewait_sock.h>
#include <net/net_namespace.h>
#include <net/sock.h>

/* 6.10: the memory accounting helpers moved out of sock.h. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#include <net/proto_memory.h>
#endif

/* 6.6: inet_sock's option bits became inet_flags, tested atomically. */
static inline bool atcp_sk_recverr(const struct sock *sk)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
	return inet_test_bit(RECVERR, sk);
#else
	return inet_sk(sk)->recverr;
#endif
}

static inline bool atcp_sk_transparent(const struct sock *sk)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
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
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
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
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
	return register_net_sysctl_sz(net, path, table, n);
#else
	return register_net_sysctl(net, path, table);
#endif
}

/*
 * proto->ioctl: since 6.5 the value goes out through a kernel pointer and
 * the socket layer copies it to the user; before, the protocol copies it.
 * ATCP_DEFINE_PROTO_IOCTL(name, fn) defines name, of the kernel's type,
 * around int fn(struct sock *sk, int cmd, int *value).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
#define ATCP_DEFINE_PROTO_IOCTL(name, fn)				\
static int name(struct sock *sk, int cmd, int *karg)			\
{									\
	return fn(sk, cmd, karg);					\
}
#else
#define ATCP_DEFINE_PROTO_IOCTL(name, fn)				\
static int name(struct sock *sk, int cmd, unsigned long arg)		\
{									\
	int value, err = fn(sk, cmd, &value);				\
									\
	return err ? : put_user(value, (int __user *)arg);		\
}
#endif

/*
 * request_sock_ops->send_reset: since 6.10 with the reason for the RST
 * (for tracing), which atcp's does not need.
 * ATCP_DEFINE_REQSK_SEND_RESET(name, fn) defines name, of the kernel's
 * type, around void fn(const struct sock *sk, struct sk_buff *skb).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#include <net/rstreason.h>
#define ATCP_DEFINE_REQSK_SEND_RESET(name, fn)				\
static void name(const struct sock *sk, struct sk_buff *skb,		\
		 enum sk_rst_reason reason)				\
{									\
	fn(sk, skb);							\
}
#else
#define ATCP_DEFINE_REQSK_SEND_RESET(name, fn)				\
static void name(const struct sock *sk, struct sk_buff *skb)		\
{									\
	fn(sk, skb);							\
}
#endif

#endif /* _ATCP_COMPAT_H */
