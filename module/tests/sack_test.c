// SPDX-License-Identifier: GPL-2.0
/*
 * The sender's SACK scoreboard (RFC 2018 section 5, RFC 6675): which sent
 * segments an ACK's blocks mark, which of the others are taken as lost,
 * the reordering a block reveals, and the pipe that recovery sends by.
 */
#include <linux/module.h>
#include <net/sock.h>

#include "atcp_kunit.h"

#define SEGS	10
#define UNA	1000U
#define MSS	1000U

/*
 * An ACK of UNA carrying the SACK blocks blk[0..n), its sack_off set as
 * the receive path sets it.  Made before the socket is locked.
 */
static struct sk_buff *sack_ack(struct kunit *test, const u32 (*blk)[2], int n)
{
	struct atcp_kunit_seg seg = { .flags = TCPHDR_ACK, .seq = 1, .ack = UNA };
	struct atcp_options opt;
	struct sk_buff *skb;
	u8 o[36];
	int i;

	KUNIT_ASSERT_LE(test, n, 4);
	o[0] = TCPOPT_NOP;
	o[1] = TCPOPT_NOP;
	o[2] = TCPOPT_SACK;
	o[3] = TCPOLEN_SACK_BASE + n * TCPOLEN_SACK_PERBLOCK;
	for (i = 0; i < n; i++) {
		put_unaligned_be32(blk[i][0], o + 4 + 8 * i);
		put_unaligned_be32(blk[i][1], o + 8 + 8 * i);
	}
	seg.opts = o;
	seg.optlen = 4 + 8 * n;
	skb = atcp_kunit_segment(test, &seg);
	atcp_parse_options(skb, tcp_hdr(skb), &opt);
	KUNIT_ASSERT_EQ(test, opt.num_sacks, n);
	ATCP_SKB_CB(skb)->sack_off = opt.sack_off;
	return skb;
}

/*
 * A sender with SEGS segments of MSS bytes from UNA in flight, nothing
 * SACKed yet.  Locked: only expectations until release_sock().
 */
static struct sock *sack_sock(struct kunit *test)
{
	struct sock *sk = atcp_kunit_sock(test);
	struct atcp_sock *ap = atcp_sk(sk);
	struct sk_buff_head q;
	int i;

	__skb_queue_head_init(&q);
	for (i = 0; i < SEGS; i++) {
		struct sk_buff *skb = alloc_skb(0, GFP_KERNEL);

		if (!skb) {
			__skb_queue_purge(&q);
			KUNIT_ASSERT_FAILURE(test, "no memory");
		}
		memset(ATCP_SKB_CB(skb), 0, sizeof(struct atcp_skb_cb));
		ATCP_SKB_CB(skb)->seq = UNA + i * MSS;
		ATCP_SKB_CB(skb)->end_seq = UNA + (i + 1) * MSS;
		ATCP_SKB_CB(skb)->tcp_flags = TCPHDR_ACK;
		__skb_queue_tail(&q, skb);
	}
	lock_sock(sk);
	skb_queue_splice_tail(&q, &sk->sk_write_queue);
	ap->snd_una = UNA;
	ap->snd_nxt = UNA + SEGS * MSS;
	ap->snd_max = ap->snd_nxt;
	ap->mss_cache = MSS;
	ap->send_head = NULL;
	return sk;
}

/* The sacked bits of the i-th segment sent. */
static u8 sacked(struct sock *sk, int i)
{
	struct sk_buff *skb;

	skb_queue_walk(&sk->sk_write_queue, skb) {
		if (!i--)
			return ATCP_SKB_CB(skb)->sacked;
	}
	return 0xff;
}

/* The segments whose sacked bits include bit, as a bitmap of indexes. */
static unsigned long marked(struct sock *sk, u8 bit)
{
	unsigned long map = 0;
	int i;

	for (i = 0; i < SEGS; i++)
		if (sacked(sk, i) & bit)
			map |= BIT(i);
	return map;
}

static void atcp_sacktag__marks_segments_inside_a_block(struct kunit *test)
{
	static const u32 b[][2] = { { 3000, 5000 } };
	struct sk_buff *ack = sack_ack(test, b, 1);
	struct sock *sk = sack_sock(test);

	atcp_sacktag(sk, ack, UNA);
	KUNIT_EXPECT_EQ(test, marked(sk, ATCP_SACKED_ACKED), BIT(2) | BIT(3));
	KUNIT_EXPECT_EQ(test, atcp_sk(sk)->sacked_out, 2U);
	KUNIT_EXPECT_EQ(test, atcp_sk(sk)->highest_sack, 5000U);
	release_sock(sk);
}

/* A segment only partly inside a block is not marked. */
static void atcp_sacktag__partly_covered_segment_not_marked(struct kunit *test)
{
	static const u32 b[][2] = { { 3500, 5000 }, { 6000, 6999 } };
	struct sk_buff *ack = sack_ack(test, b, 2);
	struct sock *sk = sack_sock(test);

	atcp_sacktag(sk, ack, UNA);
	KUNIT_EXPECT_EQ(test, marked(sk, ATCP_SACKED_ACKED), BIT(3));
	KUNIT_EXPECT_EQ(test, atcp_sk(sk)->sacked_out, 1U);
	release_sock(sk);
}

/*
 * RFC 2883: a first block below the cumulative ACK is a D-SACK, data
 * received twice; it marks nothing, the blocks after it do.
 */
static void atcp_sacktag__dsack_below_ack_marks_nothing(struct kunit *test)
{
	static const u32 b[][2] = { { 500, 1000 }, { 7000, 8000 } };
	struct sk_buff *ack = sack_ack(test, b, 2);
	struct sock *sk = sack_sock(test);
	unsigned int flags;

	flags = atcp_sacktag(sk, ack, UNA);
	KUNIT_EXPECT_TRUE(test, flags & ATCP_ACKF_DSACK);
	KUNIT_EXPECT_TRUE(test, flags & ATCP_ACKF_SACKED);
	KUNIT_EXPECT_EQ(test, marked(sk, ATCP_SACKED_ACKED), BIT(6));
	KUNIT_EXPECT_EQ(test, atcp_sk(sk)->sacked_out, 1U);
	release_sock(sk);
}

/*
 * RFC 8985 6.2 step 4: a D-SACK widens RACK's reordering window by a
 * step, at most once a round trip (cwnd segments delivered), as
 * tcp_rack_update_reo_wnd().
 */
static void atcp_sacktag__dsack_widens_reo_wnd_once_a_round(struct kunit *test)
{
	static const u32 b[][2] = { { 500, 1000 } };
	struct sk_buff *ack = sack_ack(test, b, 1);
	struct sock *sk = sack_sock(test);
	struct atcp_sock *ap = atcp_sk(sk);

	ap->snd_cwnd = SEGS;
	ap->delivered = 0;
	ap->rack_last_delivered = 0;
	ap->rack_reo_wnd_steps = 1;
	atcp_sacktag(sk, ack, UNA);
	KUNIT_EXPECT_EQ(test, ap->rack_reo_wnd_steps, 2);
	/* Again within the round: no wider. */
	ap->delivered = SEGS - 1;
	atcp_sacktag(sk, ack, UNA);
	KUNIT_EXPECT_EQ(test, ap->rack_reo_wnd_steps, 2);
	/* A round later: one step more. */
	ap->delivered = SEGS;
	atcp_sacktag(sk, ack, UNA);
	KUNIT_EXPECT_EQ(test, ap->rack_reo_wnd_steps, 3);
	release_sock(sk);
}

/* A block reaching past what was sent is not to be believed. */
static void atcp_sacktag__block_beyond_snd_max_ignored(struct kunit *test)
{
	static const u32 b[][2] = { { 10000, 12000 } };
	struct sk_buff *ack = sack_ack(test, b, 1);
	struct sock *sk = sack_sock(test);

	atcp_sacktag(sk, ack, UNA);
	KUNIT_EXPECT_EQ(test, marked(sk, ATCP_SACKED_ACKED), 0UL);
	KUNIT_EXPECT_EQ(test, atcp_sk(sk)->sacked_out, 0U);
	release_sock(sk);
}

/* The same block again counts nothing more. */
static void atcp_sacktag__segment_counted_once(struct kunit *test)
{
	static const u32 b[][2] = { { 3000, 5000 } };
	struct sk_buff *ack = sack_ack(test, b, 1);
	struct sock *sk = sack_sock(test);

	atcp_sacktag(sk, ack, UNA);
	atcp_sacktag(sk, ack, UNA);
	KUNIT_EXPECT_EQ(test, atcp_sk(sk)->sacked_out, 2U);
	release_sock(sk);
}

/*
 * RFC 6675 IsLost(), with RACK off: a segment with DupThresh (3) SACKed
 * segments above it is lost; with two above, not yet.  SACK blocks alone
 * mark nothing lost.
 */
static void atcp_sack_dupthresh_mark_lost__dupthresh_sacked_above_is_lost(struct kunit *test)
{
	static const u32 two[][2] = { { 3000, 5000 } };
	static const u32 three[][2] = { { 3000, 6000 } };
	struct sk_buff *ack2 = sack_ack(test, two, 1);
	struct sk_buff *ack3 = sack_ack(test, three, 1);
	struct sock *sk = sack_sock(test);

	KUNIT_EXPECT_EQ(test, atcp_sk(sk)->reordering, (u32)ATCP_DUPTHRESH);
	atcp_sacktag(sk, ack2, UNA);
	KUNIT_EXPECT_EQ(test, atcp_sack_dupthresh_mark_lost(sk), 0U);
	KUNIT_EXPECT_EQ(test, marked(sk, ATCP_SACKED_LOST), 0UL);
	atcp_sacktag(sk, ack3, UNA);
	KUNIT_EXPECT_EQ(test, marked(sk, ATCP_SACKED_LOST), 0UL);
	KUNIT_EXPECT_EQ(test, atcp_sack_dupthresh_mark_lost(sk), 2U);
	KUNIT_EXPECT_EQ(test, marked(sk, ATCP_SACKED_LOST), BIT(0) | BIT(1));
	KUNIT_EXPECT_EQ(test, atcp_sk(sk)->lost_marked, 2U);
	release_sock(sk);
}

/*
 * A segment sent once and SACKed below the highest SACKed one arrived
 * late, not lost: the distance, in segments, becomes the DupThresh.
 */
static void atcp_sacktag__reordering_raises_dupthresh(struct kunit *test)
{
	static const u32 high[][2] = { { 6000, 7000 } };
	static const u32 low[][2] = { { 2000, 3000 } };
	struct sk_buff *ack_high = sack_ack(test, high, 1);
	struct sk_buff *ack_low = sack_ack(test, low, 1);
	struct sock *sk = sack_sock(test);

	atcp_sacktag(sk, ack_high, UNA);
	KUNIT_EXPECT_EQ(test, atcp_sk(sk)->reordering, (u32)ATCP_DUPTHRESH);
	atcp_sacktag(sk, ack_low, UNA);
	KUNIT_EXPECT_EQ(test, atcp_sk(sk)->reordering, (7000U - 2000U) / MSS);
	release_sock(sk);
}

/*
 * RFC 6675 pipe, in SACK recovery: neither SACKed nor lost segments count,
 * and a retransmission counts once more.
 */
static void atcp_in_flight__pipe_in_sack_recovery(struct kunit *test)
{
	static const u32 b[][2] = { { 3000, 6000 } };
	struct sk_buff *ack = sack_ack(test, b, 1);
	struct sock *sk = sack_sock(test);
	struct atcp_sock *ap = atcp_sk(sk);

	atcp_sacktag(sk, ack, UNA);
	atcp_sack_dupthresh_mark_lost(sk);
	ap->ca_state = ATCP_CA_RECOVERY;
	/* 2 lost, 3 SACKed, 5 in flight. */
	KUNIT_EXPECT_EQ(test, atcp_in_flight(sk), 5 * MSS);
	ATCP_SKB_CB(skb_peek(&sk->sk_write_queue))->sacked |= ATCP_SACKED_RETRANS;
	KUNIT_EXPECT_EQ(test, atcp_in_flight(sk), 6 * MSS);
	release_sock(sk);
}

/*
 * With nothing SACKed or lost, what is in flight is snd_nxt - snd_una; a
 * SACKed segment has left the network even before recovery begins, as in
 * Linux's tcp_packets_in_flight().
 */
static void atcp_in_flight__sacked_leave_the_pipe_when_open(struct kunit *test)
{
	static const u32 b[][2] = { { 3000, 6000 } };
	struct sk_buff *ack = sack_ack(test, b, 1);
	struct sock *sk = sack_sock(test);

	KUNIT_EXPECT_EQ(test, atcp_in_flight(sk), SEGS * MSS);
	atcp_sacktag(sk, ack, UNA);
	KUNIT_EXPECT_EQ(test, atcp_sk(sk)->ca_state, (u8)ATCP_CA_OPEN);
	KUNIT_EXPECT_EQ(test, atcp_in_flight(sk), (SEGS - 3) * MSS);
	release_sock(sk);
}

static struct kunit_case atcp_sack_cases[] = {
	KUNIT_CASE(atcp_sacktag__marks_segments_inside_a_block),
	KUNIT_CASE(atcp_sacktag__partly_covered_segment_not_marked),
	KUNIT_CASE(atcp_sacktag__dsack_below_ack_marks_nothing),
	KUNIT_CASE(atcp_sacktag__dsack_widens_reo_wnd_once_a_round),
	KUNIT_CASE(atcp_sacktag__block_beyond_snd_max_ignored),
	KUNIT_CASE(atcp_sacktag__segment_counted_once),
	KUNIT_CASE(atcp_sack_dupthresh_mark_lost__dupthresh_sacked_above_is_lost),
	KUNIT_CASE(atcp_sacktag__reordering_raises_dupthresh),
	KUNIT_CASE(atcp_in_flight__pipe_in_sack_recovery),
	KUNIT_CASE(atcp_in_flight__sacked_leave_the_pipe_when_open),
	{}
};

static struct kunit_suite atcp_sack_suite = {
	.name = "atcp_sack",
	.test_cases = atcp_sack_cases,
};

kunit_test_suite(atcp_sack_suite);
