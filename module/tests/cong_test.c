// SPDX-License-Identifier: GPL-2.0
/*
 * Congestion control: Reno's slow start and additive increase (RFC 5681),
 * and CUBIC's window function and reduction (RFC 9438).
 */
#include <linux/module.h>
#include <net/sock.h>

#include "atcp_kunit.h"

/* CUBIC's time unit: 1/1024 s. */
#define SEC	1024U

static struct atcp_sock *cwnd_sock(struct kunit *test, u32 cwnd, u32 ssthresh)
{
	struct atcp_sock *ap = kunit_kzalloc(test, sizeof(*ap), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ap);
	ap->snd_cwnd = cwnd;
	ap->snd_ssthresh = ssthresh;
	return ap;
}

/* RFC 5681 3.1: one segment per segment acknowledged, up to ssthresh. */
static void atcp_slow_start__one_segment_per_acked_up_to_ssthresh(struct kunit *test)
{
	struct atcp_sock *ap = cwnd_sock(test, 10, 14);

	KUNIT_EXPECT_EQ(test, atcp_slow_start(ap, 3), 0U);
	KUNIT_EXPECT_EQ(test, ap->snd_cwnd, 13U);
	/* What ssthresh leaves over goes to congestion avoidance. */
	KUNIT_EXPECT_EQ(test, atcp_slow_start(ap, 5), 4U);
	KUNIT_EXPECT_EQ(test, ap->snd_cwnd, 14U);
}

/* RFC 5681 3.1: congestion avoidance, one segment per window acknowledged. */
static void atcp_cong_avoid_ai__one_segment_per_window(struct kunit *test)
{
	struct atcp_sock *ap = cwnd_sock(test, 10, 5);

	atcp_cong_avoid_ai(ap, 10, 9);
	KUNIT_EXPECT_EQ(test, ap->snd_cwnd, 10U);
	atcp_cong_avoid_ai(ap, 10, 1);
	KUNIT_EXPECT_EQ(test, ap->snd_cwnd, 11U);
	KUNIT_EXPECT_EQ(test, ap->snd_cwnd_cnt, 0U);
	/* A stretch ACK of two windows: two segments. */
	atcp_cong_avoid_ai(ap, 11, 22);
	KUNIT_EXPECT_EQ(test, ap->snd_cwnd, 13U);
}

/* RFC 5681 3.1 (4): after a loss, half the window, at least two segments. */
static void atcp_reno_ssthresh__half_at_least_two(struct kunit *test)
{
	struct sock *sk = atcp_kunit_sock(test);

	atcp_sk(sk)->snd_cwnd = 100;
	KUNIT_EXPECT_EQ(test, atcp_reno_ssthresh(sk), 50U);
	atcp_sk(sk)->snd_cwnd = 3;
	KUNIT_EXPECT_EQ(test, atcp_reno_ssthresh(sk), 2U);
}

/*
 * RFC 9438 4.2: K = cbrt(W_max * (1 - beta) / C); with W_max 100 and
 * beta 0.7 (cwnd 70 after the loss), C 0.4: K = cbrt(75) = 4.217 s.
 */
static void atcp_cubic_k__rfc9438_example(struct kunit *test)
{
	ATCP_KUNIT_EXPECT_IN_RANGE(test, atcp_cubic_k(100, 70), 4318U - 5,
				   4318U + 5);
}

/* K grows with the cube root of the reduction: 8 times the drop, twice K. */
static void atcp_cubic_k__cube_root_of_the_reduction(struct kunit *test)
{
	u32 k1 = atcp_cubic_k(100, 70), k8 = atcp_cubic_k(1000, 760);

	ATCP_KUNIT_EXPECT_IN_RANGE(test, k8, 2 * k1 - 4, 2 * k1 + 4);
}

/* No reduction below W_max, no time to get back to it. */
static void atcp_cubic_k__zero_at_or_above_w_max(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, atcp_cubic_k(100, 100), 0U);
	KUNIT_EXPECT_EQ(test, atcp_cubic_k(100, 150), 0U);
}

/*
 * RFC 9438 4.2: W(t) = C * (t - K)^3 + W_max, for W_max 100, beta 0.7:
 * each value below is the formula's, in hundredths of a segment, and
 * W(t) is within one segment of it.  (C is 410/1024, not 0.4, in the
 * fixed point of atcp and Linux: the two part by more than a segment
 * only once (t - K)^3 passes 2500, some 18 s from the plateau.)
 */
static void atcp_cubic_target__follows_rfc9438_window(struct kunit *test)
{
	static const u32 t_w100[][2] = {
		{ 0, 7000 }, { 1, 8668 }, { 2, 9564 }, { 3, 9928 },
		{ 4, 10000 }, { 5, 10019 }, { 6, 10227 }, { 8, 12165 },
		{ 10, 17735 },
	};
	u32 k = atcp_cubic_k(100, 70);
	int i;

	for (i = 0; i < ARRAY_SIZE(t_w100); i++) {
		u32 w = atcp_cubic_target(100, k, t_w100[i][0] * SEC);

		ATCP_KUNIT_EXPECT_IN_RANGE(test, 100 * w, t_w100[i][1] - 100,
					   t_w100[i][1] + 100);
	}
}

/*
 * RFC 9438 4.2: K = cbrt(W_max * (1 - beta) / C) for other plateaus, with
 * cwnd = beta * W_max: K = cbrt(750) = 9.0856 s for W_max 1000,
 * cbrt(7500) = 19.574 s for W_max 10000; within 0.1% (C is 410/1024).
 */
static void atcp_cubic_k__rfc9438_k_across_w_max(struct kunit *test)
{
	ATCP_KUNIT_EXPECT_IN_RANGE(test, atcp_cubic_k(1000, 700), 9304U - 10,
				   9304U + 10);
	ATCP_KUNIT_EXPECT_IN_RANGE(test, atcp_cubic_k(10000, 7000),
				   20044U - 20, 20044U + 20);
}

/*
 * RFC 9438 4.2: W(t) = C * (t - K)^3 + W_max for W_max 1000 and 10000,
 * beta 0.7, C 0.4, from t = 0 to 25 s: each value below is the formula's,
 * in segments, and W(t) is within 2 segments of it (C is 410/1024 in
 * atcp and Linux, K a whole 1/1024 s).
 */
static void atcp_cubic_target__follows_rfc9438_window_across_w_max(struct kunit *test)
{
	static const struct {
		u32 w_max, t, w;
	} v[] = {
		{ 1000, 0, 700 }, { 1000, 2, 858 }, { 1000, 4, 947 },
		{ 1000, 6, 988 }, { 1000, 9, 1000 }, { 1000, 12, 1010 },
		{ 1000, 15, 1083 }, { 1000, 20, 1520 }, { 1000, 25, 2612 },
		{ 10000, 0, 7000 }, { 10000, 4, 8489 }, { 10000, 9, 9527 },
		{ 10000, 15, 9962 }, { 10000, 20, 10000 },
		{ 10000, 25, 10064 },
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		u32 k = atcp_cubic_k(v[i].w_max, v[i].w_max * 7 / 10);
		u32 w = atcp_cubic_target(v[i].w_max, k, v[i].t * SEC);

		KUNIT_EXPECT_LE_MSG(test, abs((int)w - (int)v[i].w), 2,
				    "W_max %u t %u s: W %u, RFC 9438 %u",
				    v[i].w_max, v[i].t, w, v[i].w);
	}
}

/* At t = K the window is W_max; just before, below it; just after, above. */
static void atcp_cubic_target__plateau_at_k(struct kunit *test)
{
	u32 k = atcp_cubic_k(100, 70);

	KUNIT_EXPECT_EQ(test, atcp_cubic_target(100, k, k), 100U);
	KUNIT_EXPECT_LT(test, atcp_cubic_target(1000, k, k - 2 * SEC), 1000U);
	KUNIT_EXPECT_GT(test, atcp_cubic_target(1000, k, k + 2 * SEC), 1000U);
	/* Symmetric about the plateau: 0.4 * 2^3 = 3.2 segments each way. */
	KUNIT_EXPECT_EQ(test, atcp_cubic_target(1000, k, k + 2 * SEC), 1003U);
	ATCP_KUNIT_EXPECT_IN_RANGE(test, atcp_cubic_target(1000, k, k - 2 * SEC),
				   996U, 997U);
}

/* Far below the plateau the window is 0, not a wrapped-around number. */
static void atcp_cubic_target__never_below_zero(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, atcp_cubic_target(10, 10 * SEC, 0), 0U);
}

/*
 * Far past the plateau the window keeps growing, for as long as
 * CUBIC_C * (t - K)^3 fits in 64 bits: (t - K) up to 355668/1024 s.
 */
static void atcp_cubic_target__grows_far_past_k(struct kunit *test)
{
	u32 w1 = atcp_cubic_target(100, 0, 100 * SEC);
	u32 w2 = atcp_cubic_target(100, 0, 300 * SEC);
	u32 w3 = atcp_cubic_target(100, 0, 355668);

	KUNIT_EXPECT_GT(test, w1, 100U);
	KUNIT_EXPECT_GT(test, w2, w1);
	KUNIT_EXPECT_GT(test, w3, w2);
}

/*
 * Past the plateau W(t) never decreases, up to cubic.c's clamp at 2^20/1024
 * s (17 minutes) and beyond it, where it is flat out: C * (t - K)^3 needs
 * more than 64 bits from 355669/1024 s (347 s) on, and must not wrap there
 * (Linux 6.1's bictcp_update() has the same product, in 64 bits).
 */
static void atcp_cubic_target__flat_out_past_the_clamp_not_wrapped(struct kunit *test)
{
	static const u32 t[] = {
		100 * SEC, 300 * SEC, 355668, 355669, 400 * SEC, 1000 * SEC,
		1 << 20, 2000 * SEC, U32_MAX,
	};
	u32 prev = atcp_cubic_target(100, 0, t[0]);
	int i;

	for (i = 1; i < ARRAY_SIZE(t); i++) {
		u32 w = atcp_cubic_target(100, 0, t[i]);

		KUNIT_EXPECT_GE_MSG(test, w, prev, "t = %u/1024 s", t[i]);
		prev = w;
	}
	/* Flat out: C * (2^20/1024)^3 + 100 segments. */
	KUNIT_EXPECT_EQ(test, prev, 410U * (1U << 20) + 100U);
}

/* RFC 9438 4.6: after a loss, ssthresh = cwnd * beta (0.7), at least 2. */
static void atcp_cubic_ssthresh__beta_is_0_7(struct kunit *test)
{
	struct sock *sk = atcp_kunit_sock(test);
	struct atcp_sock *ap = atcp_sk(sk);

	lock_sock(sk);
	KUNIT_EXPECT_EQ(test, atcp_cong_set(sk, "cubic"), 0);
	KUNIT_EXPECT_STREQ(test, ap->ca_ops->name, "cubic");
	ap->snd_cwnd = 100;
	KUNIT_EXPECT_EQ(test, ap->ca_ops->ssthresh(sk), 70U);
	ap->snd_cwnd = 1000;
	KUNIT_EXPECT_EQ(test, ap->ca_ops->ssthresh(sk), 700U);
	ap->snd_cwnd = 2;
	KUNIT_EXPECT_EQ(test, ap->ca_ops->ssthresh(sk), 2U);
	release_sock(sk);
}

static struct kunit_case atcp_cong_cases[] = {
	KUNIT_CASE(atcp_slow_start__one_segment_per_acked_up_to_ssthresh),
	KUNIT_CASE(atcp_cong_avoid_ai__one_segment_per_window),
	KUNIT_CASE(atcp_reno_ssthresh__half_at_least_two),
	KUNIT_CASE(atcp_cubic_k__rfc9438_example),
	KUNIT_CASE(atcp_cubic_k__cube_root_of_the_reduction),
	KUNIT_CASE(atcp_cubic_k__zero_at_or_above_w_max),
	KUNIT_CASE(atcp_cubic_target__follows_rfc9438_window),
	KUNIT_CASE(atcp_cubic_k__rfc9438_k_across_w_max),
	KUNIT_CASE(atcp_cubic_target__follows_rfc9438_window_across_w_max),
	KUNIT_CASE(atcp_cubic_target__plateau_at_k),
	KUNIT_CASE(atcp_cubic_target__never_below_zero),
	KUNIT_CASE(atcp_cubic_target__grows_far_past_k),
	KUNIT_CASE(atcp_cubic_target__flat_out_past_the_clamp_not_wrapped),
	KUNIT_CASE(atcp_cubic_ssthresh__beta_is_0_7),
	{}
};

static struct kunit_suite atcp_cong_suite = {
	.name = "atcp_cong",
	.test_cases = atcp_cong_cases,
};

kunit_test_suite(atcp_cong_suite);
