// SPDX-License-Identifier: GPL-2.0
/*
 * Delayed ACKs (RFC 9293 3.8.6.3, RFC 1122 4.2.3.2): the ACK timeout (ATO)
 * follows the gaps between arrivals, within [delack_min, rto], and the
 * timer armed from it lies within [delack_min, delack_max] of the
 * namespace, within half a second for a bulk flow, within an RTT.
 *
 * The suite runs with delack_min 200 ms and delack_max 600 ms, so that
 * each bound differs from the others (and from HZ / 2) and an arrival
 * has 100 ms of slack to count as back to back.
 */
#include <linux/jiffies.h>
#include <linux/module.h>
#include <net/inet_connection_sock.h>
#include <net/sock.h>

#include "atcp_kunit.h"

#define DELACK_MIN_MS	200
#define DELACK_MAX_MS	600

#define DMIN	msecs_to_jiffies(DELACK_MIN_MS)
#define DMAX	msecs_to_jiffies(DELACK_MAX_MS)

static int atcp_delack_init(struct kunit *test)
{
	struct atcp_net *an = atcp_pernet(&init_net);
	int *saved = kunit_kmalloc_array(test, 2, sizeof(int), GFP_KERNEL);

	if (!saved)
		return -ENOMEM;
	saved[0] = READ_ONCE(an->delack_min);
	saved[1] = READ_ONCE(an->delack_max);
	WRITE_ONCE(an->delack_min, DELACK_MIN_MS);
	WRITE_ONCE(an->delack_max, DELACK_MAX_MS);
	test->priv = saved;
	return 0;
}

static void atcp_delack_exit(struct kunit *test)
{
	struct atcp_net *an = atcp_pernet(&init_net);
	int *saved = test->priv;

	WRITE_ONCE(an->delack_min, saved[0]);
	WRITE_ONCE(an->delack_max, saved[1]);
}

/* In-order data of len bytes, its headers pulled as on the receive path. */
static struct sk_buff *data_skb(struct kunit *test, unsigned int len)
{
	struct atcp_kunit_seg seg = { .flags = TCPHDR_ACK, .seq = 1, .ack = 1 };
	struct sk_buff *skb;

	seg.tail = kunit_kzalloc(test, len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, seg.tail);
	seg.taillen = len;
	skb = atcp_kunit_segment(test, &seg);
	__skb_pull(skb, skb_transport_offset(skb) + tcp_hdrlen(skb));
	return skb;
}

/*
 * A receiver of 1000-byte segments with a window of rcv_wnd.  Locked:
 * only expectations until delack_done().
 */
static struct sock *delack_sock(struct kunit *test, u32 rcv_wnd)
{
	struct sock *sk = atcp_kunit_sock(test);

	lock_sock(sk);
	atcp_sk(sk)->advmss = 1460;
	atcp_sk(sk)->rcv_wnd = rcv_wnd;
	inet_csk(sk)->icsk_ack.rcv_mss = 1000;
	inet_csk(sk)->icsk_rto = 10 * HZ;
	return sk;
}

static void delack_done(struct sock *sk)
{
	sk_stop_timer(sk, &inet_csk(sk)->icsk_delack_timer);
	inet_csk(sk)->icsk_ack.pending = 0;
	release_sock(sk);
}

/*
 * The first data: an ACK is due, ATO starts at delack_min, and the next
 * rcv_wnd / (2 * rcv_mss) segments are ACKed at once (quick ACKs).
 */
static void atcp_event_data_recv__first_data_starts_at_delack_min(struct kunit *test)
{
	struct sk_buff *skb = data_skb(test, 1000);
	struct sock *sk = delack_sock(test, 10000);
	struct inet_connection_sock *icsk = inet_csk(sk);

	atcp_event_data_recv(sk, skb);
	KUNIT_EXPECT_TRUE(test, inet_csk_ack_scheduled(sk));
	KUNIT_EXPECT_EQ(test, icsk->icsk_ack.ato, (u32)DMIN);
	KUNIT_EXPECT_EQ(test, icsk->icsk_ack.quick, 10000 / (2 * 1000));
	delack_done(sk);
}

/* Quick ACKs are owed for 16 segments at most (ATCP_MAX_QUICKACKS). */
static void atcp_event_data_recv__at_most_16_quick_acks(struct kunit *test)
{
	struct sk_buff *skb = data_skb(test, 1000);
	struct sock *sk = delack_sock(test, 1000000);

	atcp_event_data_recv(sk, skb);
	KUNIT_EXPECT_EQ(test, inet_csk(sk)->icsk_ack.quick, 16);
	delack_done(sk);
}

/* Arrivals back to back halve ATO, pulled toward delack_min. */
static void atcp_event_data_recv__back_to_back_pulls_ato_down(struct kunit *test)
{
	struct sk_buff *skb = data_skb(test, 1000);
	struct sock *sk = delack_sock(test, 10000);
	struct inet_connection_sock *icsk = inet_csk(sk);

	icsk->icsk_ack.ato = 3 * DMIN;
	icsk->icsk_ack.lrcvtime = tcp_jiffies32;
	atcp_event_data_recv(sk, skb);
	KUNIT_EXPECT_EQ(test, icsk->icsk_ack.ato, (u32)(3 * DMIN / 2 + DMIN / 2));
	delack_done(sk);
}

/* A gap shorter than ATO: ATO becomes half of itself plus the gap. */
static void atcp_event_data_recv__ato_follows_the_gap(struct kunit *test)
{
	struct sk_buff *skb = data_skb(test, 1000);
	struct sock *sk = delack_sock(test, 10000);
	struct inet_connection_sock *icsk = inet_csk(sk);

	icsk->icsk_ack.ato = 4 * DMIN;
	icsk->icsk_ack.lrcvtime = tcp_jiffies32 - DMIN;
	atcp_event_data_recv(sk, skb);
	/* The gap is DMIN, or a little more if the clock ticked meanwhile. */
	ATCP_KUNIT_EXPECT_IN_RANGE(test, icsk->icsk_ack.ato, (u32)(3 * DMIN),
				   (u32)(3 * DMIN + DMIN / 2));
	delack_done(sk);
}

/* ATO is never more than the RTO. */
static void atcp_event_data_recv__ato_at_most_rto(struct kunit *test)
{
	struct sk_buff *skb = data_skb(test, 1000);
	struct sock *sk = delack_sock(test, 10000);
	struct inet_connection_sock *icsk = inet_csk(sk);

	icsk->icsk_rto = 2 * DMIN;
	icsk->icsk_ack.ato = 4 * DMIN;
	icsk->icsk_ack.lrcvtime = tcp_jiffies32 - DMIN;
	atcp_event_data_recv(sk, skb);
	KUNIT_EXPECT_EQ(test, icsk->icsk_ack.ato, (u32)(2 * DMIN));
	delack_done(sk);
}

/* A gap longer than the RTO: the sender restarted, ACK quickly again. */
static void atcp_event_data_recv__gap_past_rto_quick_acks_again(struct kunit *test)
{
	struct sk_buff *skb = data_skb(test, 1000);
	struct sock *sk = delack_sock(test, 10000);
	struct inet_connection_sock *icsk = inet_csk(sk);

	icsk->icsk_rto = DMIN;
	icsk->icsk_ack.ato = DMIN;
	icsk->icsk_ack.lrcvtime = tcp_jiffies32 - 4 * DMIN;
	atcp_event_data_recv(sk, skb);
	KUNIT_EXPECT_EQ(test, icsk->icsk_ack.quick, 10000 / (2 * 1000));
	KUNIT_EXPECT_EQ(test, icsk->icsk_ack.ato, (u32)DMIN);
	delack_done(sk);
}

/*
 * Arm the delayed-ACK timer with ATO ato; expect it due in want jiffies
 * (from a jiffies value between the one before the call and the one after).
 */
static void expect_delack_in(struct kunit *test, struct sock *sk, u32 ato,
			     unsigned long want)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	unsigned long before, after;

	icsk->icsk_ack.ato = ato;
	before = jiffies;
	atcp_send_delayed_ack(sk);
	after = jiffies;
	KUNIT_EXPECT_TRUE(test, icsk->icsk_ack.pending & ICSK_ACK_TIMER);
	KUNIT_EXPECT_TRUE(test, timer_pending(&icsk->icsk_delack_timer));
	ATCP_KUNIT_EXPECT_IN_RANGE(test, icsk->icsk_ack.timeout - before, want,
				   want + (after - before));
}

/* However short ATO is, the ACK waits delack_min. */
static void atcp_send_delayed_ack__not_before_delack_min(struct kunit *test)
{
	struct sock *sk = delack_sock(test, 10000);

	expect_delack_in(test, sk, 1, DMIN);
	delack_done(sk);
}

/* An interactive flow (pingpong) waits ATO up to delack_max. */
static void atcp_send_delayed_ack__interactive_at_most_delack_max(struct kunit *test)
{
	struct sock *sk = delack_sock(test, 10000);

	inet_csk_enter_pingpong_mode(sk);
	expect_delack_in(test, sk, 10 * HZ, DMAX);
	delack_done(sk);
}

/* A bulk flow waits half a second at most, whatever delack_max says. */
static void atcp_send_delayed_ack__bulk_at_most_half_a_second(struct kunit *test)
{
	struct sock *sk = delack_sock(test, 10000);

	expect_delack_in(test, sk, 10 * HZ, HZ / 2);
	delack_done(sk);
}

/* An ACK waits no longer than an RTT (SRTT), but at least delack_min. */
static void atcp_send_delayed_ack__at_most_srtt(struct kunit *test)
{
	struct sock *sk = delack_sock(test, 10000);

	inet_csk_enter_pingpong_mode(sk);
	atcp_sk(sk)->srtt_us = 300000 << 3;
	expect_delack_in(test, sk, 10 * HZ, usecs_to_jiffies(300000));
	delack_done(sk);
}

static struct kunit_case atcp_delack_cases[] = {
	KUNIT_CASE(atcp_event_data_recv__first_data_starts_at_delack_min),
	KUNIT_CASE(atcp_event_data_recv__at_most_16_quick_acks),
	KUNIT_CASE(atcp_event_data_recv__back_to_back_pulls_ato_down),
	KUNIT_CASE(atcp_event_data_recv__ato_follows_the_gap),
	KUNIT_CASE(atcp_event_data_recv__ato_at_most_rto),
	KUNIT_CASE(atcp_event_data_recv__gap_past_rto_quick_acks_again),
	KUNIT_CASE(atcp_send_delayed_ack__not_before_delack_min),
	KUNIT_CASE(atcp_send_delayed_ack__interactive_at_most_delack_max),
	KUNIT_CASE(atcp_send_delayed_ack__bulk_at_most_half_a_second),
	KUNIT_CASE(atcp_send_delayed_ack__at_most_srtt),
	{}
};

static struct kunit_suite atcp_delack_suite = {
	.name = "atcp_delack",
	.init = atcp_delack_init,
	.exit = atcp_delack_exit,
	.test_cases = atcp_delack_cases,
};

kunit_test_suite(atcp_delack_suite);
