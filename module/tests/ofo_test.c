// SPDX-License-Identifier: GPL-2.0
/*
 * The receiver's out-of-order queue (an rbtree by sequence number) and the
 * SACK blocks it reports (RFC 2018 section 4): where a segment goes, what
 * a duplicate, an overlap or a continuation becomes, and which blocks an
 * ACK carries, in which order.
 */
#include <linux/module.h>
#include <net/sock.h>

#include "atcp_kunit.h"

/*
 * A receiver expecting byte 1000, SACK permitted or not.  Locked: what
 * follows, until release_sock(), only expects (an assertion would end
 * the test with the socket owned).
 */
static struct sock *ofo_sock(struct kunit *test, bool sack_ok)
{
	struct sock *sk = atcp_kunit_sock(test);
	struct atcp_sock *ap = atcp_sk(sk);

	lock_sock(sk);
	ap->rcv_nxt = 1000;
	ap->sack_ok = sack_ok;
	return sk;
}

/* [seq, end) arrives out of order, as atcp_data_queue() queues it. */
static void ofo_add(struct kunit *test, struct sock *sk, u32 seq, u32 end)
{
	struct sk_buff *skb;

	/* Room for a continuation to be copied in (atcp_try_coalesce()). */
	skb = alloc_skb(4096, GFP_KERNEL);
	if (!skb) {
		KUNIT_FAIL(test, "no memory");
		return;
	}
	skb_put_zero(skb, end - seq);
	memset(ATCP_SKB_CB(skb), 0, sizeof(struct atcp_skb_cb));
	ATCP_SKB_CB(skb)->seq = seq;
	ATCP_SKB_CB(skb)->end_seq = end;
	if (atcp_try_rmem_schedule(sk, skb)) {
		kfree_skb(skb);
		KUNIT_FAIL(test, "no receive memory for [%u, %u)", seq, end);
		return;
	}
	atcp_ofo_queue(sk, skb);
}

/* The queue is exactly the n ranges want[][2], in order. */
static void expect_queue(struct kunit *test, struct sock *sk,
			 const u32 (*want)[2], int n)
{
	struct rb_node *p;
	int i = 0;

	for (p = rb_first(&atcp_sk(sk)->ofo_root); p; p = rb_next(p), i++) {
		struct sk_buff *skb = rb_to_skb(p);

		if (i >= n)
			continue;
		KUNIT_EXPECT_EQ_MSG(test, ATCP_SKB_CB(skb)->seq, want[i][0],
				    "segment %d", i);
		KUNIT_EXPECT_EQ_MSG(test, ATCP_SKB_CB(skb)->end_seq, want[i][1],
				    "segment %d", i);
		KUNIT_EXPECT_EQ_MSG(test, skb->len, want[i][1] - want[i][0],
				    "segment %d", i);
	}
	KUNIT_EXPECT_EQ(test, i, n);
}

/* The SACK blocks to send are exactly the n of want[][2], in order. */
static void expect_sacks(struct kunit *test, struct sock *sk,
			 const u32 (*want)[2], int n)
{
	struct atcp_sock *ap = atcp_sk(sk);
	int i;

	KUNIT_EXPECT_EQ(test, (int)ap->num_sacks, n);
	for (i = 0; i < min_t(int, n, ap->num_sacks); i++) {
		KUNIT_EXPECT_EQ_MSG(test, ap->selective_acks[i].start, want[i][0],
				    "block %d", i);
		KUNIT_EXPECT_EQ_MSG(test, ap->selective_acks[i].end, want[i][1],
				    "block %d", i);
	}
}

static void atcp_ofo_queue__kept_in_sequence_order(struct kunit *test)
{
	static const u32 q[][2] = { { 3000, 4000 }, { 5000, 6000 }, { 7000, 8000 } };
	struct sock *sk = ofo_sock(test, true);

	ofo_add(test, sk, 5000, 6000);
	ofo_add(test, sk, 3000, 4000);
	ofo_add(test, sk, 7000, 8000);
	expect_queue(test, sk, q, ARRAY_SIZE(q));
	release_sock(sk);
}

/* What is held already is not taken twice, whole or in part. */
static void atcp_ofo_queue__duplicate_dropped(struct kunit *test)
{
	static const u32 q[][2] = { { 3000, 4000 }, { 5000, 6000 } };
	struct sock *sk = ofo_sock(test, true);

	ofo_add(test, sk, 3000, 4000);
	ofo_add(test, sk, 5000, 6000);
	ofo_add(test, sk, 3000, 4000);
	ofo_add(test, sk, 3200, 3800);
	ofo_add(test, sk, 5000, 6000);
	expect_queue(test, sk, q, ARRAY_SIZE(q));
	release_sock(sk);
}

/* A segment that covers others from their start replaces them. */
static void atcp_ofo_queue__covering_segment_replaces(struct kunit *test)
{
	static const u32 q[][2] = { { 3000, 7000 }, { 8000, 9000 } };
	struct sock *sk = ofo_sock(test, true);

	ofo_add(test, sk, 3000, 4000);
	ofo_add(test, sk, 5000, 6000);
	ofo_add(test, sk, 8000, 9000);
	ofo_add(test, sk, 3000, 7000);
	expect_queue(test, sk, q, ARRAY_SIZE(q));
	release_sock(sk);
}

/* A segment that continues a queued one is appended to it. */
static void atcp_ofo_queue__continuation_coalesced(struct kunit *test)
{
	static const u32 q[][2] = { { 3000, 6000 } };
	struct sock *sk = ofo_sock(test, true);

	ofo_add(test, sk, 3000, 4000);
	ofo_add(test, sk, 4000, 5000);
	ofo_add(test, sk, 5000, 6000);
	expect_queue(test, sk, q, ARRAY_SIZE(q));
	release_sock(sk);
}

/* A partial overlap from the middle: both stay, as in TCP. */
static void atcp_ofo_queue__partial_overlap_both_kept(struct kunit *test)
{
	static const u32 q[][2] = { { 3000, 4000 }, { 3500, 4500 } };
	struct sock *sk = ofo_sock(test, true);

	ofo_add(test, sk, 3000, 4000);
	ofo_add(test, sk, 3500, 4500);
	expect_queue(test, sk, q, ARRAY_SIZE(q));
	release_sock(sk);
}

/* RFC 2018 4: the first block holds the segment that arrived last. */
static void atcp_ofo_queue__first_sack_block_is_the_latest(struct kunit *test)
{
	static const u32 s[][2] = { { 5000, 6000 }, { 7000, 8000 }, { 3000, 4000 } };
	struct sock *sk = ofo_sock(test, true);

	ofo_add(test, sk, 3000, 4000);
	ofo_add(test, sk, 7000, 8000);
	ofo_add(test, sk, 5000, 6000);
	expect_sacks(test, sk, s, ARRAY_SIZE(s));
	release_sock(sk);
}

/* An arrival that joins blocks makes one block of them. */
static void atcp_ofo_queue__sack_blocks_merge(struct kunit *test)
{
	static const u32 s[][2] = { { 3000, 6000 }, { 8000, 9000 } };
	struct sock *sk = ofo_sock(test, true);

	ofo_add(test, sk, 8000, 9000);
	ofo_add(test, sk, 3000, 4000);
	ofo_add(test, sk, 5000, 6000);
	ofo_add(test, sk, 4000, 5000);
	expect_sacks(test, sk, s, ARRAY_SIZE(s));
	release_sock(sk);
}

/* Four blocks at most; the one reported longest ago goes. */
static void atcp_ofo_queue__four_sack_blocks_at_most(struct kunit *test)
{
	static const u32 s[][2] = {
		{ 11000, 12000 }, { 9000, 10000 }, { 7000, 8000 }, { 5000, 6000 },
	};
	struct sock *sk = ofo_sock(test, true);
	u32 seq;

	for (seq = 3000; seq <= 11000; seq += 2000)
		ofo_add(test, sk, seq, seq + 1000);
	expect_sacks(test, sk, s, ARRAY_SIZE(s));
	release_sock(sk);
}

/* A duplicate is reported too: the peer learns it arrived (RFC 2018 4). */
static void atcp_ofo_queue__duplicate_moves_its_block_first(struct kunit *test)
{
	static const u32 s[][2] = { { 3000, 4000 }, { 5000, 6000 } };
	struct sock *sk = ofo_sock(test, true);

	ofo_add(test, sk, 3000, 4000);
	ofo_add(test, sk, 5000, 6000);
	ofo_add(test, sk, 3000, 4000);
	expect_sacks(test, sk, s, ARRAY_SIZE(s));
	release_sock(sk);
}

/* Without SACK permitted on the SYN, no block is kept to send. */
static void atcp_ofo_queue__no_blocks_without_sack_permitted(struct kunit *test)
{
	struct sock *sk = ofo_sock(test, false);

	ofo_add(test, sk, 3000, 4000);
	ofo_add(test, sk, 5000, 6000);
	KUNIT_EXPECT_EQ(test, atcp_sk(sk)->num_sacks, 0);
	release_sock(sk);
}

/* Blocks that rcv_nxt has passed are no longer reported. */
static void atcp_sack_remove__drops_blocks_below_rcv_nxt(struct kunit *test)
{
	static const u32 s[][2] = { { 7000, 8000 } };
	struct sock *sk = ofo_sock(test, true);

	ofo_add(test, sk, 3000, 4000);
	ofo_add(test, sk, 5000, 6000);
	ofo_add(test, sk, 7000, 8000);
	atcp_sk(sk)->rcv_nxt = 6000;
	atcp_sack_remove(atcp_sk(sk));
	expect_sacks(test, sk, s, ARRAY_SIZE(s));
	release_sock(sk);
}

/* A block that rcv_nxt reaches into is cut at rcv_nxt. */
static void atcp_sack_remove__trims_block_at_rcv_nxt(struct kunit *test)
{
	static const u32 s[][2] = { { 4500, 6000 } };
	struct sock *sk = ofo_sock(test, true);

	ofo_add(test, sk, 3000, 6000);
	atcp_sk(sk)->rcv_nxt = 4500;
	atcp_sack_remove(atcp_sk(sk));
	expect_sacks(test, sk, s, ARRAY_SIZE(s));
	release_sock(sk);
}

/* Nothing out of order: no block at all. */
static void atcp_sack_remove__empty_queue_means_no_blocks(struct kunit *test)
{
	struct sock *sk = ofo_sock(test, true);

	ofo_add(test, sk, 3000, 4000);
	KUNIT_EXPECT_EQ(test, atcp_sk(sk)->num_sacks, 1);
	atcp_ofo_purge(sk);
	atcp_sack_remove(atcp_sk(sk));
	KUNIT_EXPECT_EQ(test, atcp_sk(sk)->num_sacks, 0);
	release_sock(sk);
}

static struct kunit_case atcp_ofo_cases[] = {
	KUNIT_CASE(atcp_ofo_queue__kept_in_sequence_order),
	KUNIT_CASE(atcp_ofo_queue__duplicate_dropped),
	KUNIT_CASE(atcp_ofo_queue__covering_segment_replaces),
	KUNIT_CASE(atcp_ofo_queue__continuation_coalesced),
	KUNIT_CASE(atcp_ofo_queue__partial_overlap_both_kept),
	KUNIT_CASE(atcp_ofo_queue__first_sack_block_is_the_latest),
	KUNIT_CASE(atcp_ofo_queue__sack_blocks_merge),
	KUNIT_CASE(atcp_ofo_queue__four_sack_blocks_at_most),
	KUNIT_CASE(atcp_ofo_queue__duplicate_moves_its_block_first),
	KUNIT_CASE(atcp_ofo_queue__no_blocks_without_sack_permitted),
	KUNIT_CASE(atcp_sack_remove__drops_blocks_below_rcv_nxt),
	KUNIT_CASE(atcp_sack_remove__trims_block_at_rcv_nxt),
	KUNIT_CASE(atcp_sack_remove__empty_queue_means_no_blocks),
	{}
};

static struct kunit_suite atcp_ofo_suite = {
	.name = "atcp_ofo",
	.test_cases = atcp_ofo_cases,
};

kunit_test_suite(atcp_ofo_suite);
