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
 * tcp_select_initial_window: Linux's 64240, and 65160 with timestamps.
 */
static void atcp_initial_window__whole_segments_within_65535(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, atcp_initial_window(65536, 1460, false), 64240);
	KUNIT_EXPECT_EQ(test, atcp_initial_window(65536, 1460, true), 65160);
	KUNIT_EXPECT_EQ(test, atcp_initial_window(65536, 1448, false), 65160);
	KUNIT_EXPECT_EQ(test, atcp_initial_window(65535, 1000, false), 65000);
	/* A space of one segment or less is offered whole. */
	KUNIT_EXPECT_EQ(test, atcp_initial_window(1000, 1460, false), 1000);
	KUNIT_EXPECT_EQ(test, atcp_initial_window(1460, 1460, false), 1460);
	/* Loopback's MSS: one segment, then the field's limit. */
	KUNIT_EXPECT_EQ(test, atcp_initial_window(65536, 65483, false), 65483);
	KUNIT_EXPECT_EQ(test, atcp_initial_window(6 << 20, 65483, true), 65535);
	KUNIT_EXPECT_EQ(test, atcp_initial_window(70000, 0, false), 65535);
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
 * scaled by wscale, after a segment size of 1460 was seen, its window
 * free to grow to the clamp.  Locked.
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
	ap->rcv_ssthresh = ap->window_clamp;
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

/*
 * A scaled window rounds up to what the field can say, so that the scale
 * never takes the window away; an unscaled one offers whole segments.
 */
static void atcp_free_window__scaled_up_unscaled_whole_segments(struct kunit *test)
{
	struct sock *sk = rcv_sock(test, 100001, 0, 7);

	KUNIT_EXPECT_EQ(test, atcp_free_window(sk), 50048U);
	atcp_sk(sk)->rcv_wscale = 0;
	KUNIT_EXPECT_EQ(test, atcp_free_window(sk), 49640U);
	rcv_sock_done(sk);
}

/*
 * With less than half the buffer free: nothing below a sixteenth of the
 * buffer or a segment (no silly window, and zero in time), and what is
 * offered is rounded down to the scale.
 */
static void atcp_free_window__no_silly_window(struct kunit *test)
{
	struct sock *sk = rcv_sock(test, 131072, 131072 - 3000, 0);

	KUNIT_EXPECT_EQ(test, atcp_free_window(sk), 0U);
	atomic_set(&sk->sk_rmem_alloc, 131072 - 10000);
	KUNIT_EXPECT_EQ(test, atcp_free_window(sk), 4380U);
	atcp_sk(sk)->rcv_wscale = 7;
	KUNIT_EXPECT_EQ(test, atcp_free_window(sk), 4992U);
	rcv_sock_done(sk);
}

/* An unscaled offer within a segment of the free space is kept. */
static void atcp_free_window__unscaled_offer_kept(struct kunit *test)
{
	struct sock *sk = rcv_sock(test, 131072, 0, 0);

	atcp_sk(sk)->rcv_wnd = 65000;
	KUNIT_EXPECT_EQ(test, atcp_free_window(sk), 65000U);
	atcp_sk(sk)->rcv_wnd = 64000;
	KUNIT_EXPECT_EQ(test, atcp_free_window(sk), 64240U);
	rcv_sock_done(sk);
}

/* The window grows no further than rcv_ssthresh lets it yet. */
static void atcp_free_window__at_most_rcv_ssthresh(struct kunit *test)
{
	struct sock *sk = rcv_sock(test, 131072, 0, 0);

	atcp_sk(sk)->rcv_ssthresh = 10000;
	KUNIT_EXPECT_EQ(test, atcp_free_window(sk), 8760U);
	atcp_sk(sk)->rcv_wscale = 7;
	KUNIT_EXPECT_EQ(test, atcp_free_window(sk), 10112U);
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
	atcp_sk(sk)->rcv_ssthresh = 1 << 20;
	KUNIT_EXPECT_EQ(test, atcp_select_window(sk), 65535U);
	rcv_sock_done(sk);
}

static const u8 grow_payload[1448];

/* A segment of @len payload bytes that costs @truesize bytes of memory. */
static struct sk_buff *grow_skb(struct kunit *test, unsigned int len,
				unsigned int truesize)
{
	struct atcp_kunit_seg seg = {
		.tail = grow_payload,
		.taillen = len,
	};
	struct sk_buff *skb = atcp_kunit_segment(test, &seg);

	skb_pull(skb, skb->len - len);
	skb->truesize = truesize;
	return skb;
}

/*
 * A segment whose memory is at most twice its payload shows the window
 * fits the buffer: two segments more, or twice the segment (check #2 of
 * tcp_grow_window); no quick ACK is owed for it (SPEC 5).
 */
static void atcp_grow_window__two_segments_while_they_fit(struct kunit *test)
{
	struct sock *sk = rcv_sock(test, 131072, 0, 7);
	struct atcp_sock *ap = atcp_sk(sk);

	ap->rcv_ssthresh = 14600;
	inet_csk(sk)->icsk_ack.quick = 0;
	atcp_grow_window(sk, grow_skb(test, 1448, 2896), true);
	KUNIT_EXPECT_EQ(test, ap->rcv_ssthresh, 14600U + 2920);
	KUNIT_EXPECT_EQ(test, inet_csk(sk)->icsk_ack.quick, 0);
	atcp_grow_window(sk, grow_skb(test, 1448, 1448), true);
	KUNIT_EXPECT_EQ(test, ap->rcv_ssthresh, 14600U + 2 * 2920);
	rcv_sock_done(sk);
}

/* Never past the window the free buffer offers, nor the clamp. */
static void atcp_grow_window__up_to_the_free_space(struct kunit *test)
{
	struct sock *sk = rcv_sock(test, 131072, 0, 7);
	struct atcp_sock *ap = atcp_sk(sk);

	ap->rcv_ssthresh = 65000;
	atcp_grow_window(sk, grow_skb(test, 1448, 2896), true);
	KUNIT_EXPECT_EQ(test, ap->rcv_ssthresh, 65536U);
	atcp_grow_window(sk, grow_skb(test, 1448, 2896), true);
	KUNIT_EXPECT_EQ(test, ap->rcv_ssthresh, 65536U);
	ap->window_clamp = 20000;
	ap->rcv_ssthresh = 19000;
	atcp_grow_window(sk, grow_skb(test, 1448, 2896), true);
	KUNIT_EXPECT_EQ(test, ap->rcv_ssthresh, 20000U);
	rcv_sock_done(sk);
}

/*
 * Small segments in large skbs: the window grows while it is small
 * against the largest buffer, and stops where such segments would
 * overflow the buffer it offers (__tcp_grow_window).
 */
static void atcp_grow_window__costly_segments_only_while_small(struct kunit *test)
{
	struct sock *sk = rcv_sock(test, 4 << 20, 0, 7);
	struct atcp_sock *ap = atcp_sk(sk);

	ap->rcv_ssthresh = 14600;
	atcp_grow_window(sk, grow_skb(test, 128, 2600), true);
	KUNIT_EXPECT_EQ(test, ap->rcv_ssthresh, 14600U + 2920);
	ap->rcv_ssthresh = 300000;
	atcp_grow_window(sk, grow_skb(test, 128, 2600), true);
	KUNIT_EXPECT_EQ(test, ap->rcv_ssthresh, 300000U);
	rcv_sock_done(sk);
}

/*
 * More queued than the buffer holds: the window grows again from two
 * segments (tcp_clamp_window), and the buffer stays as it is.
 */
static void atcp_clamp_window__restarts_from_two_segments(struct kunit *test)
{
	struct sock *sk = rcv_sock(test, 65536, 70000, 7);

	atcp_clamp_window(sk);
	KUNIT_EXPECT_EQ(test, sk->sk_rcvbuf, 65536);
	KUNIT_EXPECT_EQ(test, atcp_sk(sk)->rcv_ssthresh, 2920U);
	rcv_sock_done(sk);
}

/*
 * At establishment the window's bound is the buffer's window less one
 * segment for the application (tcp_app_win), and the window's growth
 * and the first autotuning round start within it.
 */
static void atcp_init_buffer_space__one_segment_kept_back(struct kunit *test)
{
	struct sock *sk = rcv_sock(test, 131072, 0, 7);
	struct atcp_sock *ap = atcp_sk(sk);

	sk->sk_userlocks |= SOCK_SNDBUF_LOCK;
	ap->rcv_wnd = 64240;
	atcp_init_buffer_space(sk);
	KUNIT_EXPECT_EQ(test, ap->window_clamp, 65536U - 1460);
	KUNIT_EXPECT_EQ(test, ap->rcv_ssthresh, 65536U - 1460);
	KUNIT_EXPECT_EQ(test, ap->rcvq_space, 14600U);
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
	KUNIT_CASE(atcp_free_window__scaled_up_unscaled_whole_segments),
	KUNIT_CASE(atcp_free_window__no_silly_window),
	KUNIT_CASE(atcp_free_window__unscaled_offer_kept),
	KUNIT_CASE(atcp_free_window__at_most_rcv_ssthresh),
	KUNIT_CASE(atcp_grow_window__two_segments_while_they_fit),
	KUNIT_CASE(atcp_grow_window__up_to_the_free_space),
	KUNIT_CASE(atcp_grow_window__costly_segments_only_while_small),
	KUNIT_CASE(atcp_clamp_window__restarts_from_two_segments),
	KUNIT_CASE(atcp_init_buffer_space__one_segment_kept_back),
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
