// SPDX-License-Identifier: GPL-2.0
/*
 * SYN cookies: the ISN of a cookie SYN-ACK carries the MSS (from a table),
 * and the ACK that returns it gives it back only if nothing of the
 * connection's tuple, the client's ISN or the cookie was changed; with
 * timestamps, the SYN-ACK's TSval carries the window scale and SACK.
 */
#include <linux/module.h>
#include <linux/timekeeping.h>
#include <net/inet_sock.h>
#include <net/request_sock.h>

#include "atcp_kunit.h"

#define CLIENT_ISN	0x12345678U

/* The client's SYN, and the final ACK it sends for a cookie. */
static struct sk_buff *cookie_seg(struct kunit *test, u16 sport, u32 seq,
				  u32 ack, u8 flags)
{
	struct atcp_kunit_seg seg = {
		.saddr = htonl(0x0a000001), .daddr = htonl(0x0a000002),
		.sport = htons(sport), .dport = htons(80),
		.seq = seq, .ack = ack, .flags = flags,
	};

	return atcp_kunit_segment(test, &seg);
}

/* The cookie a listener answers a SYN advertising *mss with. */
static u32 cookie_for(struct kunit *test, struct sock *listener, u16 *mss)
{
	struct sk_buff *syn = cookie_seg(test, 40000, CLIENT_ISN, 0, TCPHDR_SYN);

	return atcp_cookie_isn(listener, syn, mss);
}

/* The MSS the final ACK for cookie gives back, 0 for none. */
static u16 cookie_ack(struct kunit *test, u16 sport, u32 client_isn, u32 cookie)
{
	return atcp_cookie_check_isn(cookie_seg(test, sport, client_isn + 1,
						cookie + 1, TCPHDR_ACK));
}

static void atcp_cookie_isn__round_trip_gives_the_mss(struct kunit *test)
{
	struct sock *sk = atcp_kunit_sock(test);
	u16 mss = 1460;
	u32 cookie = cookie_for(test, sk, &mss);

	KUNIT_EXPECT_EQ(test, mss, 1460);
	KUNIT_EXPECT_EQ(test, cookie_ack(test, 40000, CLIENT_ISN, cookie), 1460);
}

/* The MSS offered is the largest of the table not above the SYN's. */
static void atcp_cookie_isn__mss_rounded_down_to_the_table(struct kunit *test)
{
	static const u16 in_out[][2] = {
		{ 100, 536 }, { 536, 536 }, { 1299, 536 }, { 1300, 1300 },
		{ 1459, 1440 }, { 1460, 1460 }, { 9000, 8960 }, { 65535, 65483 },
	};
	struct sock *sk = atcp_kunit_sock(test);
	int i;

	for (i = 0; i < ARRAY_SIZE(in_out); i++) {
		u16 mss = in_out[i][0];
		u32 cookie = cookie_for(test, sk, &mss);

		KUNIT_EXPECT_EQ_MSG(test, mss, in_out[i][1], "SYN's MSS %u",
				    in_out[i][0]);
		KUNIT_EXPECT_EQ_MSG(test, cookie_ack(test, 40000, CLIENT_ISN, cookie),
				    in_out[i][1], "SYN's MSS %u", in_out[i][0]);
	}
}

/* Bits 31..27 hold the 64-second period the cookie was made in. */
static void atcp_cookie_isn__period_in_top_five_bits(struct kunit *test)
{
	struct sock *sk = atcp_kunit_sock(test);
	u32 before = ktime_get_seconds() >> 6;
	u16 mss = 1460;
	u32 cookie = cookie_for(test, sk, &mss);
	u32 after = ktime_get_seconds() >> 6;

	KUNIT_EXPECT_TRUE_MSG(test, cookie >> 27 == (before & 31) ||
			      cookie >> 27 == (after & 31),
			      "period %u, cookie's %u", after & 31, cookie >> 27);
	KUNIT_EXPECT_EQ(test, (cookie >> 24) & 7, 3U);	/* 1460: index 3 */
}

/* Any bit of the hash changed: no cookie of ours. */
static void atcp_cookie_check_isn__changed_hash_rejected(struct kunit *test)
{
	struct sock *sk = atcp_kunit_sock(test);
	u16 mss = 1460;
	u32 cookie = cookie_for(test, sk, &mss);
	int bit;

	for (bit = 0; bit < 24; bit++)
		KUNIT_EXPECT_EQ_MSG(test, cookie_ack(test, 40000, CLIENT_ISN,
						     cookie ^ BIT(bit)), 0,
				    "bit %d", bit);
}

/* Another MSS index, valid or not, or another period: rejected. */
static void atcp_cookie_check_isn__changed_mss_or_period_rejected(struct kunit *test)
{
	struct sock *sk = atcp_kunit_sock(test);
	u16 mss = 1460;
	u32 cookie = cookie_for(test, sk, &mss);
	u32 idx;

	for (idx = 0; idx < 8; idx++) {
		u32 c = (cookie & ~(7U << 24)) | idx << 24;

		if (c != cookie)
			KUNIT_EXPECT_EQ_MSG(test, cookie_ack(test, 40000, CLIENT_ISN, c),
					    0, "index %u", idx);
	}
	KUNIT_EXPECT_EQ(test, cookie_ack(test, 40000, CLIENT_ISN,
					 cookie + (1U << 27)), 0);
	KUNIT_EXPECT_EQ(test, cookie_ack(test, 40000, CLIENT_ISN,
					 cookie - (1U << 27)), 0);
}

/* The hash covers the tuple and the client's ISN. */
static void atcp_cookie_check_isn__other_tuple_or_isn_rejected(struct kunit *test)
{
	struct sock *sk = atcp_kunit_sock(test);
	u16 mss = 1460;
	u32 cookie = cookie_for(test, sk, &mss);

	KUNIT_EXPECT_EQ(test, cookie_ack(test, 40001, CLIENT_ISN, cookie), 0);
	KUNIT_EXPECT_EQ(test, cookie_ack(test, 40000, CLIENT_ISN + 1, cookie), 0);
	KUNIT_EXPECT_EQ(test, cookie_ack(test, 40000, CLIENT_ISN, cookie), 1460);
}

/*
 * The TSval of a cookie SYN-ACK for a SYN with timestamps (and the
 * options of wscale_ok, wscale, sack_ok), as the ACK echoes it back.
 */
static void cookie_ts_round_trip(struct kunit *test, bool wscale_ok, u8 wscale,
				 bool sack_ok, struct atcp_options *opt)
{
	struct sk_buff *syn = cookie_seg(test, 40000, CLIENT_ISN, 0, TCPHDR_SYN);
	struct sk_buff *ack = cookie_seg(test, 40000, CLIENT_ISN + 1, 1, TCPHDR_ACK);
	struct atcp_request_sock *areq;
	struct inet_request_sock *ireq;

	areq = kunit_kzalloc(test, sizeof(*areq), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, areq);
	ireq = &areq->req;
	ireq->wscale_ok = wscale_ok;
	ireq->snd_wscale = wscale;
	ireq->sack_ok = sack_ok;
	areq->ts_off = atcp_cookie_ts_off(syn);

	memset(opt, 0, sizeof(*opt));
	opt->ts_ok = 1;
	opt->tsecr = atcp_cookie_tsval((struct request_sock *)areq);
	atcp_cookie_decode_options(ack, opt);
}

static void atcp_cookie_tsval__carries_wscale_and_sack(struct kunit *test)
{
	struct atcp_options opt;
	u8 ws;

	for (ws = 0; ws <= 14; ws++) {
		cookie_ts_round_trip(test, true, ws, true, &opt);
		KUNIT_EXPECT_TRUE(test, opt.wscale_ok);
		KUNIT_EXPECT_EQ(test, opt.wscale, ws);
		KUNIT_EXPECT_TRUE(test, opt.sack_ok);
	}
	cookie_ts_round_trip(test, true, 7, false, &opt);
	KUNIT_EXPECT_EQ(test, opt.wscale, 7);
	KUNIT_EXPECT_FALSE(test, opt.sack_ok);
}

static void atcp_cookie_tsval__carries_no_wscale(struct kunit *test)
{
	struct atcp_options opt;

	cookie_ts_round_trip(test, false, 0, true, &opt);
	KUNIT_EXPECT_FALSE(test, opt.wscale_ok);
	KUNIT_EXPECT_EQ(test, opt.wscale, 0);
	KUNIT_EXPECT_TRUE(test, opt.sack_ok);
}

/*
 * The options replace the clock's low 6 bits, never taking it forward:
 * later TSvals of the connection must not go back.
 */
static void atcp_cookie_tsval__never_ahead_of_the_clock(struct kunit *test)
{
	struct sk_buff *syn = cookie_seg(test, 40000, CLIENT_ISN, 0, TCPHDR_SYN);
	struct atcp_request_sock *areq;
	u32 before, ts, after;

	areq = kunit_kzalloc(test, sizeof(*areq), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, areq);
	areq->req.wscale_ok = 1;
	areq->req.snd_wscale = 14;
	areq->req.sack_ok = 1;
	areq->ts_off = atcp_cookie_ts_off(syn);
	before = atcp_ts_now();
	ts = atcp_cookie_tsval((struct request_sock *)areq) - areq->ts_off;
	after = atcp_ts_now();
	KUNIT_EXPECT_LE(test, (s32)(ts - after), 0);
	KUNIT_EXPECT_LT(test, (s32)(before - ts), 64);
	KUNIT_EXPECT_EQ(test, ts & 63, 14U | BIT(4));
}

/* An ACK without a timestamp brings back no option but the MSS. */
static void atcp_cookie_decode_options__none_without_timestamp(struct kunit *test)
{
	struct sk_buff *ack = cookie_seg(test, 40000, CLIENT_ISN + 1, 1, TCPHDR_ACK);
	struct atcp_options opt = { .wscale_ok = 1, .wscale = 7, .sack_ok = 1 };

	atcp_cookie_decode_options(ack, &opt);
	KUNIT_EXPECT_FALSE(test, opt.wscale_ok);
	KUNIT_EXPECT_FALSE(test, opt.sack_ok);
}

static struct kunit_case atcp_syncookies_cases[] = {
	KUNIT_CASE(atcp_cookie_isn__round_trip_gives_the_mss),
	KUNIT_CASE(atcp_cookie_isn__mss_rounded_down_to_the_table),
	KUNIT_CASE(atcp_cookie_isn__period_in_top_five_bits),
	KUNIT_CASE(atcp_cookie_check_isn__changed_hash_rejected),
	KUNIT_CASE(atcp_cookie_check_isn__changed_mss_or_period_rejected),
	KUNIT_CASE(atcp_cookie_check_isn__other_tuple_or_isn_rejected),
	KUNIT_CASE(atcp_cookie_tsval__carries_wscale_and_sack),
	KUNIT_CASE(atcp_cookie_tsval__carries_no_wscale),
	KUNIT_CASE(atcp_cookie_tsval__never_ahead_of_the_clock),
	KUNIT_CASE(atcp_cookie_decode_options__none_without_timestamp),
	{}
};

static struct kunit_suite atcp_syncookies_suite = {
	.name = "atcp_syncookies",
	.test_cases = atcp_syncookies_cases,
};

kunit_test_suite(atcp_syncookies_suite);
