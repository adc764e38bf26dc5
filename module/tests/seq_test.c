// SPDX-License-Identifier: GPL-2.0
/*
 * Sequence space: which segments a window accepts, across the wrap of
 * the 32-bit space (a request sock's atcp_in_window(), a full socket's
 * atcp_sequence_ok()), and PAWS (RFC 7323 section 5) on timestamps.
 */
#include <linux/module.h>
#include <linux/timekeeping.h>
#include <net/tcp.h>

#include "atcp_kunit.h"

/* A window of 0x200 bytes whose right edge lies past the wrap. */
#define WRAP_S	0xffffff00U
#define WRAP_E	0x00000100U

static void atcp_in_window__left_edge_accepted(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, atcp_in_window(1000, 1000, 1000, 2000));
	KUNIT_EXPECT_TRUE(test, atcp_in_window(1000, 1500, 1000, 2000));
	KUNIT_EXPECT_TRUE(test, atcp_in_window(WRAP_S, WRAP_S + 10, WRAP_S, WRAP_E));
}

/* Data inside the window, and data overlapping its left edge. */
static void atcp_in_window__overlap_accepted(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, atcp_in_window(1500, 1600, 1000, 2000));
	KUNIT_EXPECT_TRUE(test, atcp_in_window(900, 1100, 1000, 2000));
	KUNIT_EXPECT_TRUE(test, atcp_in_window(1900, 2100, 1000, 2000));
}

/* An old duplicate: it ends at or before the left edge. */
static void atcp_in_window__old_duplicate_rejected(struct kunit *test)
{
	KUNIT_EXPECT_FALSE(test, atcp_in_window(900, 1000, 1000, 2000));
	KUNIT_EXPECT_FALSE(test, atcp_in_window(500, 600, 1000, 2000));
	KUNIT_EXPECT_FALSE(test, atcp_in_window(WRAP_S - 100, WRAP_S, WRAP_S, WRAP_E));
}

/* Data at or past the right edge; only an empty segment at it is taken. */
static void atcp_in_window__right_edge(struct kunit *test)
{
	KUNIT_EXPECT_FALSE(test, atcp_in_window(2000, 2100, 1000, 2000));
	KUNIT_EXPECT_FALSE(test, atcp_in_window(2001, 2001, 1000, 2000));
	KUNIT_EXPECT_TRUE(test, atcp_in_window(2000, 2000, 1000, 2000));
}

/* The window spans the wrap: before() and after() carry the sums over it. */
static void atcp_in_window__across_wraparound(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, atcp_in_window(0xfffffff0U, 0x10, WRAP_S, WRAP_E));
	KUNIT_EXPECT_TRUE(test, atcp_in_window(0x10, 0x20, WRAP_S, WRAP_E));
	KUNIT_EXPECT_TRUE(test, atcp_in_window(0xf0, 0x110, WRAP_S, WRAP_E));
	KUNIT_EXPECT_TRUE(test, atcp_in_window(WRAP_E, WRAP_E, WRAP_S, WRAP_E));
	KUNIT_EXPECT_FALSE(test, atcp_in_window(WRAP_E, WRAP_E + 1, WRAP_S, WRAP_E));
	KUNIT_EXPECT_FALSE(test, atcp_in_window(0x7fff0000, 0x7fff0010, WRAP_S, WRAP_E));
}

static struct atcp_sock *rcv_window(struct kunit *test, u32 wup, u32 wnd,
				    u32 nxt)
{
	struct atcp_sock *ap = kunit_kzalloc(test, sizeof(*ap), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ap);
	ap->rcv_wup = wup;
	ap->rcv_wnd = wnd;
	ap->rcv_nxt = nxt;
	return ap;
}

/* RFC 9293 3.10.7.4: a segment is acceptable if any of it is in the window. */
static void atcp_sequence_ok__any_part_in_window(struct kunit *test)
{
	struct atcp_sock *ap = rcv_window(test, 1000, 1000, 1000);

	KUNIT_EXPECT_TRUE(test, atcp_sequence_ok(ap, 1000, 1100));
	KUNIT_EXPECT_TRUE(test, atcp_sequence_ok(ap, 500, 1001));
	KUNIT_EXPECT_TRUE(test, atcp_sequence_ok(ap, 1999, 2500));
	KUNIT_EXPECT_TRUE(test, atcp_sequence_ok(ap, 2000, 2000));
	KUNIT_EXPECT_FALSE(test, atcp_sequence_ok(ap, 2001, 2100));
	KUNIT_EXPECT_FALSE(test, atcp_sequence_ok(ap, 500, 999));
}

/*
 * A zero window still takes a segment at rcv_nxt (an ACK, a probe whose
 * data is then trimmed), nothing beyond.
 */
static void atcp_sequence_ok__zero_window_takes_rcv_nxt(struct kunit *test)
{
	struct atcp_sock *ap = rcv_window(test, 5000, 0, 5000);

	KUNIT_EXPECT_TRUE(test, atcp_sequence_ok(ap, 5000, 5000));
	KUNIT_EXPECT_TRUE(test, atcp_sequence_ok(ap, 5000, 5001));
	KUNIT_EXPECT_FALSE(test, atcp_sequence_ok(ap, 5001, 5001));
}

/*
 * Data arrived past what was advertised (rcv_nxt beyond rcv_wup +
 * rcv_wnd): the window's right edge is then rcv_nxt, never before it.
 */
static void atcp_sequence_ok__right_edge_never_before_rcv_nxt(struct kunit *test)
{
	struct atcp_sock *ap = rcv_window(test, 1000, 100, 1500);

	KUNIT_EXPECT_TRUE(test, atcp_sequence_ok(ap, 1500, 1600));
	KUNIT_EXPECT_FALSE(test, atcp_sequence_ok(ap, 1501, 1600));
}

static void atcp_sequence_ok__across_wraparound(struct kunit *test)
{
	struct atcp_sock *ap = rcv_window(test, WRAP_S, 0x200, WRAP_S);

	KUNIT_EXPECT_TRUE(test, atcp_sequence_ok(ap, 0xfffffff0U, 0x10));
	KUNIT_EXPECT_TRUE(test, atcp_sequence_ok(ap, 0x50, 0x60));
	KUNIT_EXPECT_TRUE(test, atcp_sequence_ok(ap, WRAP_E, WRAP_E + 10));
	KUNIT_EXPECT_FALSE(test, atcp_sequence_ok(ap, WRAP_E + 1, WRAP_E + 10));
	KUNIT_EXPECT_FALSE(test, atcp_sequence_ok(ap, WRAP_S - 0x100, WRAP_S - 1));
}

static struct kunit_case atcp_seq_cases[] = {
	KUNIT_CASE(atcp_in_window__left_edge_accepted),
	KUNIT_CASE(atcp_in_window__overlap_accepted),
	KUNIT_CASE(atcp_in_window__old_duplicate_rejected),
	KUNIT_CASE(atcp_in_window__right_edge),
	KUNIT_CASE(atcp_in_window__across_wraparound),
	KUNIT_CASE(atcp_sequence_ok__any_part_in_window),
	KUNIT_CASE(atcp_sequence_ok__zero_window_takes_rcv_nxt),
	KUNIT_CASE(atcp_sequence_ok__right_edge_never_before_rcv_nxt),
	KUNIT_CASE(atcp_sequence_ok__across_wraparound),
	{}
};

static struct kunit_suite atcp_seq_suite = {
	.name = "atcp_seq",
	.test_cases = atcp_seq_cases,
};

/* ts_recent_stamp for a ts_recent taken age seconds ago. */
static u32 stamp_ago(u32 age)
{
	return (u32)ktime_get_seconds() - age;
}

/* RFC 7323 5.3 R1: a TSval older than ts_recent fails. */
static void atcp_paws_check__older_tsval_fails(struct kunit *test)
{
	KUNIT_EXPECT_FALSE(test, atcp_paws_check(1000, stamp_ago(0), 999, 0));
	KUNIT_EXPECT_TRUE(test, atcp_paws_check(1000, stamp_ago(0), 1000, 0));
	KUNIT_EXPECT_TRUE(test, atcp_paws_check(1000, stamp_ago(0), 1001, 0));
}

/* "Older" is in the sense of sequence space: across the wrap. */
static void atcp_paws_check__across_wraparound(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, atcp_paws_check(0xfffffff0U, stamp_ago(0), 0x10, 0));
	KUNIT_EXPECT_FALSE(test, atcp_paws_check(0x10, stamp_ago(0), 0xfffffff0U, 0));
}

/* The window for data forgives one tick of reordering (ATCP_PAWS_WINDOW). */
static void atcp_paws_check__window_forgives(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, atcp_paws_check(1000, stamp_ago(0), 999,
						ATCP_PAWS_WINDOW));
	KUNIT_EXPECT_FALSE(test, atcp_paws_check(1000, stamp_ago(0), 998,
						 ATCP_PAWS_WINDOW));
}

/* RFC 7323 5.5: a ts_recent idle more than 24 days proves nothing. */
static void atcp_paws_check__stale_after_24_days(struct kunit *test)
{
	u32 day = 24 * 60 * 60;

	KUNIT_EXPECT_FALSE(test, atcp_paws_check(1000, stamp_ago(24 * day - 60), 1, 0));
	KUNIT_EXPECT_TRUE(test, atcp_paws_check(1000, stamp_ago(24 * day + 1), 1, 0));
}

/* A ts_recent of 0 (sent on some stacks' SYNs) proves nothing either. */
static void atcp_paws_check__zero_ts_recent_proves_nothing(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, atcp_paws_check(0, stamp_ago(0), 0x80000001U, 0));
	KUNIT_EXPECT_FALSE(test, atcp_paws_check(1, stamp_ago(0), 0x80000002U, 0));
}

/*
 * A RST that fails PAWS is still taken once ts_recent is older than an
 * MSL (60 s), for a peer that rebooted; any other segment is not.
 */
static void atcp_paws_reject__rst_taken_after_msl(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, atcp_paws_reject(1000, stamp_ago(0), 900, true));
	KUNIT_EXPECT_TRUE(test, atcp_paws_reject(1000, stamp_ago(50), 900, true));
	KUNIT_EXPECT_FALSE(test, atcp_paws_reject(1000, stamp_ago(61), 900, true));
	KUNIT_EXPECT_TRUE(test, atcp_paws_reject(1000, stamp_ago(61), 900, false));
	KUNIT_EXPECT_FALSE(test, atcp_paws_reject(1000, stamp_ago(0), 1000, false));
}

static struct kunit_case atcp_paws_cases[] = {
	KUNIT_CASE(atcp_paws_check__older_tsval_fails),
	KUNIT_CASE(atcp_paws_check__across_wraparound),
	KUNIT_CASE(atcp_paws_check__window_forgives),
	KUNIT_CASE(atcp_paws_check__stale_after_24_days),
	KUNIT_CASE(atcp_paws_check__zero_ts_recent_proves_nothing),
	KUNIT_CASE(atcp_paws_reject__rst_taken_after_msl),
	{}
};

static struct kunit_suite atcp_paws_suite = {
	.name = "atcp_paws",
	.test_cases = atcp_paws_cases,
};

kunit_test_suites(&atcp_seq_suite, &atcp_paws_suite);
