// SPDX-License-Identifier: GPL-2.0
/*
 * The receive window: the scale chosen for it (RFC 7323 2.3), and the
 * window advertised from the free receive buffer, never shrinking what
 * was offered (RFC 9293 3.8.6.2.2) and never a sliver (silly window
 * syndrome, RFC 9293 3.8.6.2.2 and RFC 1122 4.2.3.3).
 */
#include <linux/module.h>
#include <net/sock.h>

#include "atcp_kunit.h"

/*
 * The scale covers the most the buffer may grow to, net.atcp.rmem's
 * maximum (6 MiB by default), however small the buffer is now.
 */
static void atcp_select_wscale__covers_rmem_max(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, atcp_select_wscale(0, 6 << 20, 0), 7);
	KUNIT_EXPECT_EQ(test, atcp_select_wscale(65535, 6 << 20, 0), 7);
	KUNIT_EXPECT_EQ(test, atcp_select_wscale(6 << 20, 6 << 20, 0), 7);
	/* packetdrill's tcp_rmem "4096 540000 15728640": Linux offers 8 */
	KUNIT_EXPECT_EQ(test, atcp_select_wscale(270000, 15728640, 0), 8);
	KUNIT_EXPECT_EQ(test, atcp_select_wscale(0, 0, 0), 0);
}

/* ilog2(space) - 15, as tcp_select_initial_window. */
static void atcp_select_wscale__log2_of_space_less_15(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, atcp_select_wscale(65535U << 9, 0, 0), 9);
	KUNIT_EXPECT_EQ(test, atcp_select_wscale(32 << 20, 0, 0), 10);
	KUNIT_EXPECT_EQ(test, atcp_select_wscale(65535U << 10, 6 << 20, 0), 10);
	KUNIT_EXPECT_EQ(test, atcp_select_wscale(64 << 20, 0, 0), 11);
	KUNIT_EXPECT_EQ(test, atcp_select_wscale(0, (1 << 23) - 1, 0), 7);
	KUNIT_EXPECT_EQ(test, atcp_select_wscale(0, 1 << 23, 0), 8);
}

/*
 * A SYN offers whole segments, within the unscaled field, as
 * tcp_select_initial_window: Linux's 64240 and 65160.
 */
static void atcp_initial_window__whole_segments_within_65535(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, atcp_initial_window(65536, 1460), 64240);
	KUNIT_EXPECT_EQ(test, atcp_initial_window(65536, 1448), 65160);
	KUNIT_EXPECT_EQ(test, atcp_initial_window(65535, 1000), 65000);
	/* A space of one segment or less is offered whole. */
	KUNIT_EXPECT_EQ(test, atcp_initial_window(1000, 1460), 1000);
	KUNIT_EXPECT_EQ(test, atcp_initial_window(1460, 1460), 1460);
	/* Loopback's MSS: one segment, then the field's limit. */
	KUNIT_EXPECT_EQ(test, atcp_initial_window(65536, 65483), 65483);
	KUNIT_EXPECT_EQ(test, atcp_initial_window(6 << 20, 65483), 65535);
	KUNIT_EXPECT_EQ(test, atcp_initial_window(70000, 0), 65535);
}

/* TCP_WINDOW_CLAMP bounds the scale as it bounds the window. */
static void atcp_select_wscale__within_window_clamp(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, atcp_select_wscale(6 << 20, 0, 65535), 0);
	KUNIT_EXPECT_EQ(test, atcp_select_wscale(6 << 20, 6 << 20, 1 << 20), 5);
	KUNIT_EXPECT_EQ(test, atcp_select_wscale(64 << 20, 0, 8 << 20), 8);
}

/* RFC 7323 2.3: 14 at most. */
static void atcp_select_wscale__at_most_14(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, atcp_select_wscale(65535U << 14, 0, 0), 14);
	KUNIT_EXPECT_EQ(test, atcp_select_wscale(1U << 30, 0, 0), 14);
	KUNIT_EXPECT_EQ(test, atcp_select_wscale(U32_MAX, 0, 0), 14);
	KUNIT_EXPECT_EQ(test, atcp_select_wscale(0, U32_MAX, 0), 14);
}

/*
 * A socket whose receive buffer is rcvbuf bytes with rmem of them in use,
 * scaled by wscale, after a segment size of 1460 was seen.  Locked.
 */
static struct sock *rcv_sock(struct kunit *test, int rcvbuf, int rmem,
			     u8 wscale)
{
	struct sock *sk = atcp_kunit_sock(test);
	struct atcp_sock *ap = atcp_sk(sk);

	lock_sock(sk);
	WRITE_ONCE(sk->sk_rcvbuf, rcvbuf);
	atomic_set(&sk->sk_rmem_alloc, rmem);
	ap->rcv_wscale = wscale;
	ap->window_clamp = 65535U << wscale;
	ap->advmss = 1460;
	inet_csk(sk)->icsk_ack.rcv_mss = 1460;
	return sk;
}

static void rcv_sock_done(struct sock *sk)
{
	atomic_set(&sk->sk_rmem_alloc, 0);
	release_sock(sk);
}

/* Half of what is free: the rest pays for the skbs around the bytes. */
static void atcp_free_window__half_the_free_buffer(struct kunit *test)
{
	struct sock *sk = rcv_sock(test, 131072, 0, 7);

	KUNIT_EXPECT_EQ(test, atcp_free_window(sk), 65536U);
	atomic_set(&sk->sk_rmem_alloc, 32768);
	KUNIT_EXPECT_EQ(test, atcp_free_window(sk), 49152U);
	rcv_sock_done(sk);
}

/* What the scaled field can say: a multiple of 1 << wscale. */
static void atcp_free_window__rounded_down_to_the_scale(struct kunit *test)
{
	struct sock *sk = rcv_sock(test, 100001, 0, 7);

	KUNIT_EXPECT_EQ(test, atcp_free_window(sk), 49920U);
	atcp_sk(sk)->rcv_wscale = 0;
	KUNIT_EXPECT_EQ(test, atcp_free_window(sk), 50001U);
	rcv_sock_done(sk);
}

/* Less free than a segment: offer nothing rather than a sliver. */
static void atcp_free_window__no_silly_window(struct kunit *test)
{
	struct sock *sk = rcv_sock(test, 131072, 131072 - 2000, 0);

	KUNIT_EXPECT_EQ(test, atcp_free_window(sk), 0U);
	atomic_set(&sk->sk_rmem_alloc, 131072 - 3000);
	KUNIT_EXPECT_EQ(test, atcp_free_window(sk), 1500U);
	rcv_sock_done(sk);
}

static void atcp_free_window__at_most_window_clamp(struct kunit *test)
{
	struct sock *sk = rcv_sock(test, 131072, 0, 0);

	atcp_sk(sk)->window_clamp = 10000;
	KUNIT_EXPECT_EQ(test, atcp_free_window(sk), 10000U);
	rcv_sock_done(sk);
}

/*
 * The window field is the window shifted right by the scale, and the
 * window is remembered from rcv_nxt.
 */
static void atcp_select_window__field_is_window_over_scale(struct kunit *test)
{
	struct sock *sk = rcv_sock(test, 131072, 0, 7);
	struct atcp_sock *ap = atcp_sk(sk);

	ap->rcv_nxt = 123456;
	KUNIT_EXPECT_EQ(test, atcp_select_window(sk), 65536U >> 7);
	KUNIT_EXPECT_EQ(test, ap->rcv_wnd, 65536U);
	KUNIT_EXPECT_EQ(test, ap->rcv_wup, 123456U);
	rcv_sock_done(sk);
}

/*
 * RFC 9293 3.8.6.2.2: the right edge offered (rcv_wup + rcv_wnd) does not
 * move left, even when the buffer fills: the window offered is then what
 * is left of the last one.
 */
static void atcp_select_window__never_shrinks_the_offer(struct kunit *test)
{
	struct sock *sk = rcv_sock(test, 131072, 131072 - 100, 0);
	struct atcp_sock *ap = atcp_sk(sk);

	ap->rcv_wup = 1000;
	ap->rcv_wnd = 50000;
	ap->rcv_nxt = 11000;
	KUNIT_EXPECT_EQ(test, atcp_select_window(sk), 40000U);
	KUNIT_EXPECT_EQ(test, ap->rcv_wup + ap->rcv_wnd, 51000U);
	rcv_sock_done(sk);
}

/* What is left of the offer, scaled, is rounded up: the edge stays put. */
static void atcp_select_window__kept_offer_rounded_up(struct kunit *test)
{
	struct sock *sk = rcv_sock(test, 131072, 131072 - 100, 7);
	struct atcp_sock *ap = atcp_sk(sk);

	ap->rcv_wup = 0;
	ap->rcv_wnd = 1000;
	ap->rcv_nxt = 0;
	KUNIT_EXPECT_EQ(test, atcp_select_window(sk), 1024U >> 7);
	KUNIT_EXPECT_EQ(test, ap->rcv_wnd, 1024U);
	rcv_sock_done(sk);
}

/* Without a scale the field's 16 bits are the limit. */
static void atcp_select_window__unscaled_at_most_65535(struct kunit *test)
{
	struct sock *sk = rcv_sock(test, 1 << 20, 0, 0);

	atcp_sk(sk)->window_clamp = 1 << 20;
	KUNIT_EXPECT_EQ(test, atcp_select_window(sk), 65535U);
	rcv_sock_done(sk);
}

/*
 * A socket whose application read @copied bytes in the receiver RTT that
 * just ended (1 ms), after @space in the one before.
 */
static struct sock *tuned_sock(struct kunit *test, u32 space, u32 copied)
{
	struct sock *sk = rcv_sock(test, 131072, 0, 7);
	struct atcp_sock *ap = atcp_sk(sk);

	ap->rcv_rtt_us = 1000 << 3;
	ap->rcvq_space = space;
	ap->rcvq_seq = 0;
	ap->copied_seq = copied;
	ap->rcvq_time = (u32)tcp_clock_us() - 2000;
	return sk;
}

/*
 * More read than the RTT before: the buffer grows past what was read
 * (twice it and more, in skb memory), within net.atcp.rmem's maximum.
 */
static void atcp_rcv_space_adjust__grows_with_what_was_read(struct kunit *test)
{
	struct sock *sk = tuned_sock(test, 14600, 65536);

	atcp_rcv_space_adjust(sk);
	KUNIT_EXPECT_GT(test, sk->sk_rcvbuf, 2 * 65536);
	KUNIT_EXPECT_LE(test, sk->sk_rcvbuf, atcp_sk_net(sk)->rmem[2]);
	KUNIT_EXPECT_EQ(test, atcp_sk(sk)->rcvq_space, 65536U);
	rcv_sock_done(sk);
}

/* SO_RCVBUF locks the buffer: the RTT is measured, nothing grows. */
static void atcp_rcv_space_adjust__not_with_so_rcvbuf(struct kunit *test)
{
	struct sock *sk = tuned_sock(test, 14600, 65536);

	sk->sk_userlocks |= SOCK_RCVBUF_LOCK;
	atcp_rcv_space_adjust(sk);
	KUNIT_EXPECT_EQ(test, sk->sk_rcvbuf, 131072);
	KUNIT_EXPECT_EQ(test, atcp_sk(sk)->rcvq_space, 65536U);
	rcv_sock_done(sk);
}

/* Before an RTT has passed, or with no RTT measured, nothing happens. */
static void atcp_rcv_space_adjust__once_per_rtt(struct kunit *test)
{
	struct sock *sk = tuned_sock(test, 14600, 65536);

	atcp_sk(sk)->rcvq_time = (u32)tcp_clock_us();
	atcp_rcv_space_adjust(sk);
	KUNIT_EXPECT_EQ(test, sk->sk_rcvbuf, 131072);
	KUNIT_EXPECT_EQ(test, atcp_sk(sk)->rcvq_space, 14600U);
	atcp_sk(sk)->rcvq_time = (u32)tcp_clock_us() - 2000;
	atcp_sk(sk)->rcv_rtt_us = 0;
	atcp_rcv_space_adjust(sk);
	KUNIT_EXPECT_EQ(test, sk->sk_rcvbuf, 131072);
	rcv_sock_done(sk);
}

/* SO_RCVBUF bounds the first window's clamp, and so the scale, by its half. */
static void atcp_initial_clamp__so_rcvbuf_bounds_it(struct kunit *test)
{
	struct sock *sk = rcv_sock(test, 65536, 0, 0);

	KUNIT_EXPECT_EQ(test, atcp_initial_clamp(sk, 0, 32768), 0U);
	KUNIT_EXPECT_EQ(test, atcp_initial_clamp(sk, 14600, 32768), 14600U);
	sk->sk_userlocks |= SOCK_RCVBUF_LOCK;
	KUNIT_EXPECT_EQ(test, atcp_initial_clamp(sk, 0, 32768), 32768U);
	KUNIT_EXPECT_EQ(test, atcp_initial_clamp(sk, 1 << 20, 32768), 32768U);
	KUNIT_EXPECT_EQ(test, atcp_initial_clamp(sk, 14600, 32768), 14600U);
	rcv_sock_done(sk);
}

static struct kunit_case atcp_window_cases[] = {
	KUNIT_CASE(atcp_select_wscale__covers_rmem_max),
	KUNIT_CASE(atcp_select_wscale__log2_of_space_less_15),
	KUNIT_CASE(atcp_select_wscale__within_window_clamp),
	KUNIT_CASE(atcp_select_wscale__at_most_14),
	KUNIT_CASE(atcp_initial_window__whole_segments_within_65535),
	KUNIT_CASE(atcp_free_window__half_the_free_buffer),
	KUNIT_CASE(atcp_free_window__rounded_down_to_the_scale),
	KUNIT_CASE(atcp_free_window__no_silly_window),
	KUNIT_CASE(atcp_free_window__at_most_window_clamp),
	KUNIT_CASE(atcp_select_window__field_is_window_over_scale),
	KUNIT_CASE(atcp_select_window__never_shrinks_the_offer),
	KUNIT_CASE(atcp_select_window__kept_offer_rounded_up),
	KUNIT_CASE(atcp_select_window__unscaled_at_most_65535),
	KUNIT_CASE(atcp_rcv_space_adjust__grows_with_what_was_read),
	KUNIT_CASE(atcp_rcv_space_adjust__not_with_so_rcvbuf),
	KUNIT_CASE(atcp_rcv_space_adjust__once_per_rtt),
	KUNIT_CASE(atcp_initial_clamp__so_rcvbuf_bounds_it),
	{}
};

static struct kunit_suite atcp_window_suite = {
	.name = "atcp_window",
	.test_cases = atcp_window_cases,
};

kunit_test_suite(atcp_window_suite);
