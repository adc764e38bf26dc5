// SPDX-License-Identifier: GPL-2.0
/*
 * atcp_parse_options(): what a received segment's options say, for every
 * length an option may claim and every place doff may cut the list.
 */
#include <linux/module.h>
#include <net/tcp.h>

#include "atcp_kunit.h"

/*
 * What follows the header, where a parser that read past doff would find
 * an MSS option of 0xbeef and a timestamp.
 */
static const u8 past_doff[] = {
	TCPOPT_MSS, TCPOLEN_MSS, 0xbe, 0xef,
	TCPOPT_NOP, TCPOPT_NOP, TCPOPT_TIMESTAMP, TCPOLEN_TIMESTAMP,
	0, 0, 0, 1, 0, 0, 0, 2,
};

/* Parse a segment of doff words (0: as the options need) with opts. */
static void parse(struct kunit *test, u8 flags, u8 doff, const u8 *opts,
		  unsigned int optlen, struct atcp_options *opt)
{
	struct atcp_kunit_seg seg = {
		.flags = flags, .doff = doff, .opts = opts, .optlen = optlen,
		.tail = past_doff, .taillen = sizeof(past_doff),
	};
	struct sk_buff *skb = atcp_kunit_segment(test, &seg);

	memset(opt, 0xa5, sizeof(*opt));
	atcp_parse_options(skb, tcp_hdr(skb), opt);
}

/* Linux's SYN options: MSS 1460, SACK permitted, timestamps, wscale 7. */
static const u8 linux_syn[] = {
	TCPOPT_MSS, TCPOLEN_MSS, 0x05, 0xb4,
	TCPOPT_SACK_PERM, TCPOLEN_SACK_PERM,
	TCPOPT_TIMESTAMP, TCPOLEN_TIMESTAMP, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0,
	TCPOPT_NOP, TCPOPT_WINDOW, TCPOLEN_WINDOW, 7,
};

static void atcp_parse_options__linux_syn_all_read(struct kunit *test)
{
	struct atcp_options opt;

	parse(test, TCPHDR_SYN, 0, linux_syn, sizeof(linux_syn), &opt);
	KUNIT_EXPECT_FALSE(test, opt.bad);
	KUNIT_EXPECT_EQ(test, opt.mss, 1460);
	KUNIT_EXPECT_TRUE(test, opt.sack_ok);
	KUNIT_EXPECT_TRUE(test, opt.ts_ok);
	KUNIT_EXPECT_EQ(test, opt.tsval, 0x12345678U);
	KUNIT_EXPECT_EQ(test, opt.tsecr, 0U);
	KUNIT_EXPECT_TRUE(test, opt.wscale_ok);
	KUNIT_EXPECT_EQ(test, opt.wscale, 7);
	KUNIT_EXPECT_EQ(test, opt.num_sacks, 0);
}

/* Nothing of a previous segment's options survives a parse. */
static void atcp_parse_options__doff_five_means_none(struct kunit *test)
{
	struct atcp_options opt;

	parse(test, TCPHDR_SYN, 5, NULL, 0, &opt);
	KUNIT_EXPECT_FALSE(test, opt.bad);
	KUNIT_EXPECT_EQ(test, opt.mss, 0);
	KUNIT_EXPECT_FALSE(test, opt.ts_ok);
	KUNIT_EXPECT_FALSE(test, opt.sack_ok);
	KUNIT_EXPECT_FALSE(test, opt.wscale_ok);
	KUNIT_EXPECT_EQ(test, opt.num_sacks, 0);
}

/*
 * doff cuts Linux's SYN options after each word: what lies wholly before
 * the cut is read, an option the cut splits makes the list malformed, and
 * nothing past the cut is read.
 */
static void atcp_parse_options__cut_by_doff_at_every_word(struct kunit *test)
{
	static const struct {
		u8 doff, bad, mss, sack_ok, ts_ok, wscale_ok;
	} want[] = {
		{ 5, 0, 0, 0, 0, 0 },
		{ 6, 0, 1, 0, 0, 0 },
		{ 7, 1, 1, 1, 0, 0 },	/* the timestamp is cut */
		{ 8, 1, 1, 1, 0, 0 },
		{ 9, 0, 1, 1, 1, 0 },
		{ 10, 0, 1, 1, 1, 1 },
	};
	struct atcp_options opt;
	int i;

	for (i = 0; i < ARRAY_SIZE(want); i++) {
		unsigned int len = (want[i].doff - 5) * 4;

		parse(test, TCPHDR_SYN, want[i].doff, linux_syn, len, &opt);
		KUNIT_EXPECT_EQ_MSG(test, !!opt.bad, want[i].bad, "doff %u",
				    want[i].doff);
		KUNIT_EXPECT_EQ_MSG(test, opt.mss, want[i].mss ? 1460 : 0,
				    "doff %u", want[i].doff);
		KUNIT_EXPECT_EQ_MSG(test, !!opt.sack_ok, want[i].sack_ok,
				    "doff %u", want[i].doff);
		KUNIT_EXPECT_EQ_MSG(test, !!opt.ts_ok, want[i].ts_ok,
				    "doff %u", want[i].doff);
		KUNIT_EXPECT_EQ_MSG(test, !!opt.wscale_ok, want[i].wscale_ok,
				    "doff %u", want[i].doff);
	}
}

/* RFC 9293 3.7.1: MSS, and RFC 7323 / RFC 2018 SYN options, only on a SYN. */
static void atcp_parse_options__syn_options_ignored_without_syn(struct kunit *test)
{
	struct atcp_options opt;

	parse(test, TCPHDR_ACK, 0, linux_syn, sizeof(linux_syn), &opt);
	KUNIT_EXPECT_FALSE(test, opt.bad);
	KUNIT_EXPECT_EQ(test, opt.mss, 0);
	KUNIT_EXPECT_FALSE(test, opt.sack_ok);
	KUNIT_EXPECT_FALSE(test, opt.wscale_ok);
	/* Timestamps go on every segment (RFC 7323 3.2). */
	KUNIT_EXPECT_TRUE(test, opt.ts_ok);
	KUNIT_EXPECT_EQ(test, opt.tsval, 0x12345678U);
}

/*
 * An option of a known kind with another length than its own is skipped
 * whole, as one of an unknown kind: for every length from 2 to 10.
 */
static void atcp_parse_options__only_the_exact_length_counts(struct kunit *test)
{
	static const u8 kinds[] = {
		TCPOPT_MSS, TCPOPT_WINDOW, TCPOPT_SACK_PERM, TCPOPT_TIMESTAMP,
	};
	static const u8 lens[] = {
		TCPOLEN_MSS, TCPOLEN_WINDOW, TCPOLEN_SACK_PERM, TCPOLEN_TIMESTAMP,
	};
	struct atcp_options opt;
	u8 buf[12];
	int k, len;

	for (k = 0; k < ARRAY_SIZE(kinds); k++) {
		for (len = 2; len <= 10; len++) {
			bool exact = len == lens[k];
			bool set;

			memset(buf, 0, sizeof(buf));
			buf[0] = kinds[k];
			buf[1] = len;
			buf[2] = 0x05;	/* MSS 1460, wscale 5 */
			buf[3] = 0xb4;
			memset(buf + len, TCPOPT_NOP, sizeof(buf) - len);
			parse(test, TCPHDR_SYN, 8, buf, sizeof(buf), &opt);
			KUNIT_EXPECT_FALSE_MSG(test, opt.bad, "kind %u len %d",
					       kinds[k], len);
			switch (kinds[k]) {
			case TCPOPT_MSS:
				set = opt.mss;
				break;
			case TCPOPT_WINDOW:
				set = opt.wscale_ok;
				break;
			case TCPOPT_SACK_PERM:
				set = opt.sack_ok;
				break;
			default:
				set = opt.ts_ok;
			}
			KUNIT_EXPECT_EQ_MSG(test, set, exact, "kind %u len %d",
					    kinds[k], len);
		}
	}
}

/* RFC 7323 2.3: a shift count above 14 is taken as 14. */
static void atcp_parse_options__wscale_above_14_taken_as_14(struct kunit *test)
{
	static const u8 ws[] = { TCPOPT_NOP, TCPOPT_WINDOW, TCPOLEN_WINDOW, 15 };
	static const u8 ws14[] = { TCPOPT_NOP, TCPOPT_WINDOW, TCPOLEN_WINDOW, 14 };
	struct atcp_options opt;

	parse(test, TCPHDR_SYN, 0, ws, sizeof(ws), &opt);
	KUNIT_EXPECT_TRUE(test, opt.wscale_ok);
	KUNIT_EXPECT_EQ(test, opt.wscale, 14);
	parse(test, TCPHDR_SYN, 0, ws14, sizeof(ws14), &opt);
	KUNIT_EXPECT_EQ(test, opt.wscale, 14);
}

/* An end-of-list option ends the list, whatever doff says. */
static void atcp_parse_options__eol_ends_the_list(struct kunit *test)
{
	static const u8 o[] = {
		TCPOPT_NOP, TCPOPT_EOL, TCPOPT_WINDOW, TCPOLEN_WINDOW,
		TCPOPT_MSS, TCPOLEN_MSS, 0x05, 0xb4,
	};
	struct atcp_options opt;

	parse(test, TCPHDR_SYN, 0, o, sizeof(o), &opt);
	KUNIT_EXPECT_FALSE(test, opt.bad);
	KUNIT_EXPECT_FALSE(test, opt.wscale_ok);
	KUNIT_EXPECT_EQ(test, opt.mss, 0);
}

/* The last byte before doff is a kind that needs a length byte: malformed. */
static void atcp_parse_options__kind_without_length_is_bad(struct kunit *test)
{
	static const u8 o[] = { TCPOPT_NOP, TCPOPT_NOP, TCPOPT_NOP, TCPOPT_MSS };
	struct atcp_options opt;

	parse(test, TCPHDR_SYN, 0, o, sizeof(o), &opt);
	KUNIT_EXPECT_TRUE(test, opt.bad);
	KUNIT_EXPECT_NE(test, opt.mss, 0xbeef);
}

/* An option's length byte reaches past doff: malformed. */
static void atcp_parse_options__length_past_doff_is_bad(struct kunit *test)
{
	static const u8 o[] = {
		TCPOPT_NOP, TCPOPT_NOP, TCPOPT_TIMESTAMP, TCPOLEN_TIMESTAMP,
		0, 0, 0, 1,
	};
	struct atcp_options opt;

	parse(test, TCPHDR_ACK, 0, o, sizeof(o), &opt);
	KUNIT_EXPECT_TRUE(test, opt.bad);
	KUNIT_EXPECT_FALSE(test, opt.ts_ok);
}

/* A length of 0 or 1 cannot cover its own kind and length: malformed. */
static void atcp_parse_options__length_below_two_is_bad(struct kunit *test)
{
	u8 o[] = { 30, 0, TCPOPT_NOP, TCPOPT_NOP };
	struct atcp_options opt;

	parse(test, TCPHDR_SYN, 0, o, sizeof(o), &opt);
	KUNIT_EXPECT_TRUE(test, opt.bad);
	o[1] = 1;
	parse(test, TCPHDR_SYN, 0, o, sizeof(o), &opt);
	KUNIT_EXPECT_TRUE(test, opt.bad);
}

/* An option of a kind not known is skipped by its length. */
static void atcp_parse_options__unknown_kind_skipped(struct kunit *test)
{
	static const u8 o[] = {
		30, 6, TCPOPT_MSS, TCPOLEN_MSS, 0x01, 0x00,
		TCPOPT_MSS, TCPOLEN_MSS, 0x05, 0xb4, TCPOPT_NOP, TCPOPT_NOP,
	};
	struct atcp_options opt;

	parse(test, TCPHDR_SYN, 0, o, sizeof(o), &opt);
	KUNIT_EXPECT_FALSE(test, opt.bad);
	KUNIT_EXPECT_EQ(test, opt.mss, 1460);
}

/* Builds NOP, NOP, SACK with n blocks { 1000 * (2i + 1), 1000 * (2i + 2) }. */
static unsigned int sack_option(u8 *buf, int n, int len)
{
	int i;

	buf[0] = TCPOPT_NOP;
	buf[1] = TCPOPT_NOP;
	buf[2] = TCPOPT_SACK;
	buf[3] = len;
	for (i = 0; i < n; i++) {
		put_unaligned_be32(1000 * (2 * i + 1), buf + 4 + 8 * i);
		put_unaligned_be32(1000 * (2 * i + 2), buf + 8 + 8 * i);
	}
	return 4 + 8 * n;
}

/* RFC 2018: one to four blocks, in order, and where the option lies. */
static void atcp_parse_options__sack_blocks_read(struct kunit *test)
{
	struct atcp_options opt;
	u8 buf[36];
	int n, i;

	for (n = 1; n <= 4; n++) {
		unsigned int len = sack_option(buf, n, 2 + 8 * n);

		parse(test, TCPHDR_ACK, 0, buf, len, &opt);
		KUNIT_EXPECT_FALSE(test, opt.bad);
		KUNIT_ASSERT_EQ(test, opt.num_sacks, n);
		for (i = 0; i < n; i++) {
			KUNIT_EXPECT_EQ(test, opt.sack[i][0], 1000U * (2 * i + 1));
			KUNIT_EXPECT_EQ(test, opt.sack[i][1], 1000U * (2 * i + 2));
		}
		/* The offset of the SACK kind byte from the header's start. */
		KUNIT_EXPECT_EQ(test, opt.sack_off, sizeof(struct tcphdr) + 2);
	}
}

/* Two blocks claimed, one within doff: malformed, and no block read. */
static void atcp_parse_options__sack_block_past_doff(struct kunit *test)
{
	struct atcp_options opt;
	u8 buf[20];

	sack_option(buf, 2, 2 + 8 * 2);
	parse(test, TCPHDR_ACK, 5 + 3, buf, 12, &opt);
	KUNIT_EXPECT_TRUE(test, opt.bad);
	KUNIT_EXPECT_EQ(test, opt.num_sacks, 0);
}

/* A length that is not 2 plus a whole number of 8-byte blocks: malformed. */
static void atcp_parse_options__sack_partial_block_is_bad(struct kunit *test)
{
	struct atcp_options opt;
	u8 buf[20];

	sack_option(buf, 2, 2 + 8 + 4);
	parse(test, TCPHDR_ACK, 0, buf, 4 + 8 + 4, &opt);
	KUNIT_EXPECT_TRUE(test, opt.bad);
	KUNIT_EXPECT_EQ(test, opt.num_sacks, 0);
}

/* A SACK option with no block at all: malformed. */
static void atcp_parse_options__sack_without_block_is_bad(struct kunit *test)
{
	struct atcp_options opt;
	u8 buf[4];

	sack_option(buf, 0, 2);
	parse(test, TCPHDR_ACK, 0, buf, sizeof(buf), &opt);
	KUNIT_EXPECT_TRUE(test, opt.bad);
	KUNIT_EXPECT_EQ(test, opt.num_sacks, 0);
}

static struct kunit_case atcp_options_cases[] = {
	KUNIT_CASE(atcp_parse_options__linux_syn_all_read),
	KUNIT_CASE(atcp_parse_options__doff_five_means_none),
	KUNIT_CASE(atcp_parse_options__cut_by_doff_at_every_word),
	KUNIT_CASE(atcp_parse_options__syn_options_ignored_without_syn),
	KUNIT_CASE(atcp_parse_options__only_the_exact_length_counts),
	KUNIT_CASE(atcp_parse_options__wscale_above_14_taken_as_14),
	KUNIT_CASE(atcp_parse_options__eol_ends_the_list),
	KUNIT_CASE(atcp_parse_options__kind_without_length_is_bad),
	KUNIT_CASE(atcp_parse_options__length_past_doff_is_bad),
	KUNIT_CASE(atcp_parse_options__length_below_two_is_bad),
	KUNIT_CASE(atcp_parse_options__unknown_kind_skipped),
	KUNIT_CASE(atcp_parse_options__sack_blocks_read),
	KUNIT_CASE(atcp_parse_options__sack_block_past_doff),
	KUNIT_CASE(atcp_parse_options__sack_partial_block_is_bad),
	KUNIT_CASE(atcp_parse_options__sack_without_block_is_bad),
	{}
};

static struct kunit_suite atcp_options_suite = {
	.name = "atcp_options",
	.test_cases = atcp_options_cases,
};

kunit_test_suite(atcp_options_suite);
