// SPDX-License-Identifier: GPL-2.0
/*
 * RFC 6298: the RTT estimator and the retransmission timeout it gives,
 * SRTT + max(G, 4 * RTTVAR), where atcp's G is rto_min (200 ms, as
 * Linux's) and the result is at most ATCP_RTO_MAX (120 s).
 */
#include <linux/module.h>
#include <net/inet_connection_sock.h>

#include "atcp_kunit.h"

static struct sock *rtt_sock(struct kunit *test)
{
	struct sock *sk = atcp_kunit_sock(test);

	lock_sock(sk);
	return sk;
}

/* 2.1: before any sample, the RTO is one second. */
static void atcp_rto_from_rtt__one_second_before_a_sample(struct kunit *test)
{
	struct sock *sk = rtt_sock(test);

	KUNIT_EXPECT_EQ(test, atcp_sk(sk)->srtt_us, 0U);
	KUNIT_EXPECT_EQ(test, atcp_rto_from_rtt(atcp_sk(sk)), (u32)HZ);
	KUNIT_EXPECT_EQ(test, inet_csk(sk)->icsk_rto, (u32)HZ);
	release_sock(sk);
}

/* 2.2: the first sample R: SRTT = R, RTTVAR = R / 2, RTO = SRTT + 4 RTTVAR. */
static void atcp_rtt_sample__first_sets_srtt_and_rttvar(struct kunit *test)
{
	struct sock *sk = rtt_sock(test);
	struct atcp_sock *ap = atcp_sk(sk);

	atcp_rtt_sample(sk, 500000);
	KUNIT_EXPECT_EQ(test, ap->srtt_us >> 3, 500000U);
	KUNIT_EXPECT_EQ(test, ap->mdev_us >> 2, 250000U);
	KUNIT_EXPECT_EQ(test, ap->rtt_last_us, 500000U);
	KUNIT_EXPECT_EQ(test, inet_csk(sk)->icsk_rto,
			(u32)usecs_to_jiffies(500000 + 4 * 250000));
	release_sock(sk);
}

/*
 * 2.3: later samples move RTTVAR by a quarter of the error, then SRTT by
 * an eighth: 500 ms then 1000 ms give SRTT 562.5 ms, RTTVAR 312.5 ms.
 */
static void atcp_rtt_sample__smoothed_by_eighth_and_quarter(struct kunit *test)
{
	struct sock *sk = rtt_sock(test);
	struct atcp_sock *ap = atcp_sk(sk);

	atcp_rtt_sample(sk, 500000);
	atcp_rtt_sample(sk, 1000000);
	KUNIT_EXPECT_EQ(test, ap->srtt_us, 8U * 562500);
	KUNIT_EXPECT_EQ(test, ap->mdev_us, 4U * 312500);
	KUNIT_EXPECT_EQ(test, inet_csk(sk)->icsk_rto,
			(u32)usecs_to_jiffies(562500 + 4 * 312500));
	/* A sample below SRTT moves it down by the same eighth. */
	atcp_rtt_sample(sk, 62500);
	KUNIT_EXPECT_EQ(test, ap->srtt_us >> 3, 500000U);
	release_sock(sk);
}

/*
 * 2.4's lower bound, as Linux keeps it: the variance term is at least
 * rto_min, so a 1 ms path gets an RTO of 201 ms, not 3 ms.
 */
static void atcp_rtt_sample__rto_at_least_srtt_plus_rto_min(struct kunit *test)
{
	struct sock *sk = rtt_sock(test);

	KUNIT_EXPECT_EQ(test, inet_csk(sk)->icsk_rto_min, (u32)(HZ / 5));
	atcp_rtt_sample(sk, 1000);
	KUNIT_EXPECT_EQ(test, atcp_sk(sk)->rttvar_us, 200000U);
	KUNIT_EXPECT_EQ(test, inet_csk(sk)->icsk_rto,
			(u32)usecs_to_jiffies(1000 + 200000));
	KUNIT_EXPECT_GE(test, inet_csk(sk)->icsk_rto, (u32)ATCP_RTO_MIN);
	release_sock(sk);
}

/* 2.5: an upper bound on the RTO, 120 s here as in Linux. */
static void atcp_rtt_sample__rto_at_most_120s(struct kunit *test)
{
	struct sock *sk = rtt_sock(test);

	atcp_rtt_sample(sk, 100 * USEC_PER_SEC);
	KUNIT_EXPECT_EQ(test, inet_csk(sk)->icsk_rto, (u32)(120 * HZ));
	release_sock(sk);
}

/* A sample of 0 (a clock too coarse) counts as 1 us, never as no sample. */
static void atcp_rtt_sample__zero_counts_as_1us(struct kunit *test)
{
	struct sock *sk = rtt_sock(test);

	atcp_rtt_sample(sk, 0);
	KUNIT_EXPECT_EQ(test, atcp_sk(sk)->srtt_us, 8U);
	KUNIT_EXPECT_NE(test, atcp_rto_from_rtt(atcp_sk(sk)), (u32)HZ);
	release_sock(sk);
}

static struct kunit_case atcp_rtt_cases[] = {
	KUNIT_CASE(atcp_rto_from_rtt__one_second_before_a_sample),
	KUNIT_CASE(atcp_rtt_sample__first_sets_srtt_and_rttvar),
	KUNIT_CASE(atcp_rtt_sample__smoothed_by_eighth_and_quarter),
	KUNIT_CASE(atcp_rtt_sample__rto_at_least_srtt_plus_rto_min),
	KUNIT_CASE(atcp_rtt_sample__rto_at_most_120s),
	KUNIT_CASE(atcp_rtt_sample__zero_counts_as_1us),
	{}
};

static struct kunit_suite atcp_rtt_suite = {
	.name = "atcp_rtt",
	.test_cases = atcp_rtt_cases,
};

kunit_test_suite(atcp_rtt_suite);
