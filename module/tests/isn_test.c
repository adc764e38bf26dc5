// SPDX-License-Identifier: GPL-2.0
/*
 * Initial sequence numbers (RFC 9293 3.4.1, RFC 6528): a keyed hash of
 * the 4-tuple plus a clock ticking every 4 us (2^12 ns), so that a
 * tuple's ISNs only go up, with time, and another tuple's cannot be
 * guessed from them.
 */
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/timekeeping.h>

#include "atcp_kunit.h"

#define A	htonl(0x0a000001)
#define B	htonl(0x0a000002)

static u32 isn_ab(void)
{
	return atcp_init_isn(A, B, htons(40000), htons(80));
}

/* For one tuple, each ISN is above the one before. */
static void atcp_init_isn__monotonic_per_tuple(struct kunit *test)
{
	u32 prev = isn_ab();
	int i;

	for (i = 0; i < 50; i++) {
		u32 isn;

		usleep_range(20, 40);
		isn = isn_ab();
		KUNIT_EXPECT_GT_MSG(test, (s32)(isn - prev), 0, "call %d", i);
		prev = isn;
	}
}

/* The clock advances one per 4.096 us (ns >> 12), no more, no less. */
static void atcp_init_isn__clock_ticks_every_4us(struct kunit *test)
{
	u64 t0, t1, t2, t3;
	u32 isn0, isn1;

	t0 = ktime_get_real_ns();
	isn0 = isn_ab();
	t1 = ktime_get_real_ns();
	msleep(20);
	t2 = ktime_get_real_ns();
	isn1 = isn_ab();
	t3 = ktime_get_real_ns();
	ATCP_KUNIT_EXPECT_IN_RANGE(test, isn1 - isn0, (u32)((t2 >> 12) - (t1 >> 12)),
				   (u32)((t3 >> 12) - (t0 >> 12)));
}

/*
 * Another tuple (even the same one reversed) has another offset; both
 * advance with the same clock, so the distance between them stays.
 */
static void atcp_init_isn__tuples_have_their_own_offset(struct kunit *test)
{
	u32 ab0, ba0, ab1, ba1, cd0;

	ab0 = isn_ab();
	ba0 = atcp_init_isn(B, A, htons(80), htons(40000));
	cd0 = atcp_init_isn(A, B, htons(40001), htons(80));
	msleep(20);
	ab1 = isn_ab();
	ba1 = atcp_init_isn(B, A, htons(80), htons(40000));
	/* Distinct unless the hash collides within a millisecond's ticks. */
	KUNIT_EXPECT_GT(test, abs((s32)(ba0 - ab0)), 1000);
	KUNIT_EXPECT_GT(test, abs((s32)(cd0 - ab0)), 1000);
	/*
	 * The same clock: the distance moves only by the ticks between the
	 * calls of each pair (a 268 ms stall of this thread would be needed
	 * to move it by 1 << 16).
	 */
	KUNIT_EXPECT_LT(test, abs((s32)((ba1 - ab1) - (ba0 - ab0))), 1 << 16);
}

static struct kunit_case atcp_isn_cases[] = {
	KUNIT_CASE(atcp_init_isn__monotonic_per_tuple),
	KUNIT_CASE(atcp_init_isn__clock_ticks_every_4us),
	KUNIT_CASE(atcp_init_isn__tuples_have_their_own_offset),
	{}
};

static struct kunit_suite atcp_isn_suite = {
	.name = "atcp_isn",
	.test_cases = atcp_isn_cases,
};

kunit_test_suite(atcp_isn_suite);
