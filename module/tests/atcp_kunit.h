/* SPDX-License-Identifier: GPL-2.0 */
/*
 * atcp's KUnit suites: what they share.  Each suite tests the rules of one
 * area of the module, calling its functions directly (exported to the
 * ATCP_KUNIT namespace, see atcp.h) on sockets and segments made here.
 */
#ifndef _ATCP_KUNIT_H
#define _ATCP_KUNIT_H

#include <kunit/test.h>

#include "atcp.h"

/**
 * struct atcp_kunit_seg - a segment to build, IPv4 and TCP headers
 * @saddr: source address
 * @daddr: destination address
 * @sport: source port
 * @dport: destination port
 * @seq: sequence number
 * @ack: acknowledgment number
 * @flags: TCPHDR_*
 * @doff: the header's length in 32-bit words; 0: 5 and the options,
 *	  rounded up
 * @opts: the option bytes, from the end of the fixed header
 * @optlen: their number
 * @tail: bytes after the options (payload, or what lies past doff)
 * @taillen: their number
 */
struct atcp_kunit_seg {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	u32 seq;
	u32 ack;
	u8 flags;
	u8 doff;
	const u8 *opts;
	unsigned int optlen;
	const u8 *tail;
	unsigned int taillen;
};

struct sk_buff *atcp_kunit_segment(struct kunit *test,
				   const struct atcp_kunit_seg *seg);
struct sock *atcp_kunit_sock(struct kunit *test);

/* KUNIT_EXPECT that lo <= val <= hi. */
#define ATCP_KUNIT_EXPECT_IN_RANGE(test, val, lo, hi)			\
	do {								\
		struct kunit *__test = (test);				\
		typeof(val) __v = (val);				\
									\
		KUNIT_EXPECT_GE_MSG(__test, __v, lo, "%s", #val);	\
		KUNIT_EXPECT_LE_MSG(__test, __v, hi, "%s", #val);	\
	} while (0)

#endif /* _ATCP_KUNIT_H */
