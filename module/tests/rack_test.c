// SPDX-License-Identifier: GPL-2.0
/*
 * RACK's reordering window (RFC 8985 section 6.2 step 4), as Linux 6.1's
 * tcp_rack_reo_wnd(): a quarter of the least RTT per step (the steps grow
 * with D-SACKs), at most SRTT; none while no reordering has been seen once
 * recovery is on or DupThresh segments are SACKed.
 */
#include <linux/module.h>
#include <net/sock.h>

#include "atcp_kunit.h"

#define MIN_RTT_US	40000U
#define SRTT_US		100000U

/* A sender in the open state with the RTTs above, one step, nothing SACKed. */
static struct sock *rack_sock(struct kunit *test)
{
	struct sock *sk = atcp_kunit_sock(test);
	struct atcp_sock *ap = atcp_sk(sk);

	lock_sock(sk);
	ap->min_rtt_us = MIN_RTT_US;
	ap->srtt_us = SRTT_US << 3;
	ap->rack_reo_wnd_steps = 1;
	ap->reordering = ATCP_DUPTHRESH;
	ap->sacked_out = 0;
	ap->reord_seen = 0;
	ap->ca_state = ATCP_CA_OPEN;
	return sk;
}

/* RFC 8985 6.2: the window is min_rtt / 4. */
static void atcp_rack_reo_wnd__quarter_of_min_rtt(struct kunit *test)
{
	struct sock *sk = rack_sock(test);

	KUNIT_EXPECT_EQ(test, atcp_rack_reo_wnd(sk), MIN_RTT_US / 4);
	release_sock(sk);
}

/* Each step (one per D-SACK round) adds another min_rtt / 4. */
static void atcp_rack_reo_wnd__scaled_by_reo_wnd_steps(struct kunit *test)
{
	struct sock *sk = rack_sock(test);

	atcp_sk(sk)->rack_reo_wnd_steps = 3;
	KUNIT_EXPECT_EQ(test, atcp_rack_reo_wnd(sk), 3 * MIN_RTT_US / 4);
	release_sock(sk);
}

/* However many steps, the window is at most SRTT. */
static void atcp_rack_reo_wnd__capped_at_srtt(struct kunit *test)
{
	struct sock *sk = rack_sock(test);

	atcp_sk(sk)->rack_reo_wnd_steps = 20;
	KUNIT_EXPECT_EQ(test, atcp_rack_reo_wnd(sk), SRTT_US);
	atcp_sk(sk)->rack_reo_wnd_steps = 0xff;
	KUNIT_EXPECT_EQ(test, atcp_rack_reo_wnd(sk), SRTT_US);
	release_sock(sk);
}

/* In recovery, with no reordering seen, no segment may wait: zero. */
static void atcp_rack_reo_wnd__zero_in_recovery_without_reordering(struct kunit *test)
{
	struct sock *sk = rack_sock(test);
	struct atcp_sock *ap = atcp_sk(sk);

	ap->ca_state = ATCP_CA_RECOVERY;
	KUNIT_EXPECT_EQ(test, atcp_rack_reo_wnd(sk), 0U);
	ap->ca_state = ATCP_CA_LOSS;
	KUNIT_EXPECT_EQ(test, atcp_rack_reo_wnd(sk), 0U);
	/* Once reordering was seen, the window holds in recovery too. */
	ap->reord_seen = 1;
	KUNIT_EXPECT_EQ(test, atcp_rack_reo_wnd(sk), MIN_RTT_US / 4);
	release_sock(sk);
}

/*
 * With no reordering seen, DupThresh segments SACKed start the recovery
 * at once: zero, unless net.atcp.recovery has ATCP_RACK_NO_DUPTHRESH.
 */
static void atcp_rack_reo_wnd__zero_at_dupthresh_sacked_without_reordering(struct kunit *test)
{
	struct sock *sk = rack_sock(test);
	struct atcp_sock *ap = atcp_sk(sk);
	struct atcp_net *an = atcp_sk_net(sk);
	int mode = READ_ONCE(an->recovery);

	ap->sacked_out = ap->reordering - 1;
	KUNIT_EXPECT_EQ(test, atcp_rack_reo_wnd(sk), MIN_RTT_US / 4);
	ap->sacked_out = ap->reordering;
	KUNIT_EXPECT_EQ(test, atcp_rack_reo_wnd(sk), 0U);
	WRITE_ONCE(an->recovery, mode | ATCP_RACK_NO_DUPTHRESH);
	KUNIT_EXPECT_EQ(test, atcp_rack_reo_wnd(sk), MIN_RTT_US / 4);
	WRITE_ONCE(an->recovery, mode);
	ap->reord_seen = 1;
	KUNIT_EXPECT_EQ(test, atcp_rack_reo_wnd(sk), MIN_RTT_US / 4);
	release_sock(sk);
}

static struct kunit_case atcp_rack_cases[] = {
	KUNIT_CASE(atcp_rack_reo_wnd__quarter_of_min_rtt),
	KUNIT_CASE(atcp_rack_reo_wnd__scaled_by_reo_wnd_steps),
	KUNIT_CASE(atcp_rack_reo_wnd__capped_at_srtt),
	KUNIT_CASE(atcp_rack_reo_wnd__zero_in_recovery_without_reordering),
	KUNIT_CASE(atcp_rack_reo_wnd__zero_at_dupthresh_sacked_without_reordering),
	{}
};

static struct kunit_suite atcp_rack_suite = {
	.name = "atcp_rack",
	.test_cases = atcp_rack_cases,
};

kunit_test_suite(atcp_rack_suite);
