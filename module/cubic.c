// SPDX-License-Identifier: GPL-2.0
/*
 * atcp: CUBIC congestion control (RFC 9438), with HyStart++ (RFC 9406) to
 * leave slow start before the queue overflows.
 *
 * After a reduction the window follows the cubic
 *
 *	W(t) = C * (t - K)^3 + W_max,	K = cbrt(W_max * (1 - beta) / C)
 *
 * (C = 0.4, beta = 0.7, t the time since the reduction, W_max the window
 * before it): concave up to W_max, flat around it, convex beyond; never
 * slower than Reno would be at the same point (the "Reno-friendly" region,
 * RFC 9438 4.3), and with fast convergence (4.7) a flow that lost before
 * reaching its last W_max leaves room for newer flows.
 *
 * Fixed point: time in 1/1024 s, the cubic's scale 410/1024 (C = 0.4),
 * beta 717/1024 (0.7), as Linux's tcp_cubic.
 */
#include <linux/module.h>
#include <linux/math64.h>

#include "atcp.h"

#define CUBIC_HZ		10		/* t in 1/1024 s */
#define CUBIC_BETA_SCALE	1024
#define CUBIC_BETA		717		/* 0.7 * 1024 */
#define CUBIC_C			410		/* 0.4 * 1024 */
/*
 * Reno with CUBIC's beta grows by alpha = 3 * (1 - beta) / (1 + beta)
 * segments per RTT (RFC 9438 4.3): one segment per 1 / alpha windows of
 * ACKed segments, about 15/8.
 */
#define CUBIC_RENO_ACKS_PER_CWND_X8 \
	(8 * (CUBIC_BETA_SCALE + CUBIC_BETA) / 3 / (CUBIC_BETA_SCALE - CUBIC_BETA))

/* HyStart++, RFC 9406 section 4.3 */
#define HSPP_MIN_RTT_THRESH	4000		/* us */
#define HSPP_MAX_RTT_THRESH	16000		/* us */
#define HSPP_MIN_RTT_DIVISOR	8
#define HSPP_N_RTT_SAMPLE	8
#define HSPP_CSS_GROWTH_DIVISOR	4
#define HSPP_CSS_ROUNDS		5
#define HSPP_LOW_WINDOW		16		/* segments: below, no exit */

struct atcp_cubic {
	u32 cnt;		/* ACKed segments per cwnd increase */
	u32 w_max;		/* cwnd before the last reduction */
	u32 origin;		/* W(t)'s plateau: w_max, or cwnd at the epoch */
	u32 k;			/* t at the plateau, 1/1024 s */
	u32 epoch_start;	/* jiffies the epoch began, 0: none */
	u32 delay_min;		/* smallest RTT seen, us */
	u32 reno_cwnd;		/* what Reno would have now */
	u32 ack_cnt;		/* ACKed segments counted for reno_cwnd */
	/* HyStart++ */
	u32 round_end;		/* snd_nxt when the round began */
	u32 last_round_min_rtt;	/* us, U32_MAX: none */
	u32 cur_round_min_rtt;	/* us, U32_MAX: none */
	u32 rtt_samples;	/* in this round */
	u32 css_baseline_min_rtt; /* us */
	u32 css_growth;		/* ACKed segments toward CSS's next increase */
	u8 css_rounds;		/* rounds spent in conservative slow start */
	u8 in_css;
};

static struct atcp_cubic *atcp_cubic(struct sock *sk)
{
	BUILD_BUG_ON(sizeof(struct atcp_cubic) > sizeof(atcp_sk(sk)->ca_priv));
	return (struct atcp_cubic *)atcp_sk(sk)->ca_priv;
}

/* Integer cube root: the largest r with r^3 <= x. */
static u32 atcp_cbrt(u64 x)
{
	u32 lo = 0, hi = 1 << 21;	/* (2^21)^3 = 2^63 */

	while (lo < hi) {
		u32 mid = lo + (hi - lo + 1) / 2;

		if ((u64)mid * mid * mid <= x)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

static void atcp_cubic_reset(struct atcp_cubic *ca)
{
	u32 delay_min = ca->delay_min;

	memset(ca, 0, sizeof(*ca));
	ca->delay_min = delay_min;
	ca->last_round_min_rtt = U32_MAX;
	ca->cur_round_min_rtt = U32_MAX;
}

static void atcp_cubic_init(struct sock *sk)
{
	struct atcp_cubic *ca = atcp_cubic(sk);

	memset(ca, 0, sizeof(*ca));
	atcp_cubic_reset(ca);
	ca->round_end = atcp_sk(sk)->snd_nxt;
}

/**
 * atcp_cubic_target() - W(t) of RFC 9438 section 4.2, in segments
 * @origin: the plateau, W_max
 * @k: the time of the plateau, 1/1024 s
 * @t: the time since the epoch began, 1/1024 s
 *
 * Context: any context.
 * Return: C * (t - K)^3 + W_max, never below 0.
 */
u32 atcp_cubic_target(u32 origin, u32 k, u32 t)
{
	u64 offs = t < k ? k - t : t - k;
	u64 delta;

	/*
	 * Past 2^20 / 1024 s = 17 minutes from the plateau, it is flat out.
	 * C * offs^3 takes up to 69 bits there (a u64 wraps past 347 s), so
	 * the product is taken wide.
	 */
	offs = min_t(u64, offs, 1 << 20);
	delta = mul_u64_u64_shr(CUBIC_C * offs, offs * offs,
				10 + 3 * CUBIC_HZ);
	if (t < k)
		return delta >= origin ? 0 : origin - (u32)delta;
	return delta > U32_MAX - origin ? U32_MAX : origin + (u32)delta;
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_cubic_target);

/**
 * atcp_cubic_k() - K of RFC 9438 section 4.2, in 1/1024 s
 * @w_max: the window before the reduction, segments
 * @cwnd: the window at the start of the epoch, segments
 *
 * Context: any context.
 * Return: cbrt((w_max - cwnd) / C), the time W(t) takes back to w_max.
 */
u32 atcp_cubic_k(u32 w_max, u32 cwnd)
{
	if (w_max <= cwnd)
		return 0;
	/* (w_max - cwnd) / C in (1/1024 s)^3: * 2^(3 * CUBIC_HZ) * 1024 / CUBIC_C */
	return atcp_cbrt(div_u64((u64)(w_max - cwnd) << (3 * CUBIC_HZ + 10),
				 CUBIC_C));
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_cubic_k);

/*
 * How many ACKed segments each cwnd increase takes now, aiming at W(t + RTT)
 * (RFC 9438 4.2), or at Reno's window where that is larger (4.3).
 */
static void atcp_cubic_update(struct sock *sk, u32 acked)
{
	struct atcp_cubic *ca = atcp_cubic(sk);
	struct atcp_sock *ap = atcp_sk(sk);
	u32 cwnd = ap->snd_cwnd, target, t, max_cnt;

	ca->ack_cnt += acked;
	if (!ca->epoch_start) {
		ca->epoch_start = tcp_jiffies32 ? : 1;
		ca->ack_cnt = acked;
		ca->reno_cwnd = cwnd;
		if (ca->w_max <= cwnd) {
			ca->k = 0;
			ca->origin = cwnd;
		} else {
			ca->k = atcp_cubic_k(ca->w_max, cwnd);
			ca->origin = ca->w_max;
		}
	}
	/* Where the cubic is one RTT from now. */
	t = jiffies_to_msecs(tcp_jiffies32 - ca->epoch_start) +
	    ca->delay_min / USEC_PER_MSEC;
	t = div_u64((u64)t << CUBIC_HZ, MSEC_PER_SEC);
	target = atcp_cubic_target(ca->origin, ca->k, t);
	if (target > cwnd)
		ca->cnt = cwnd / (target - cwnd);
	else
		ca->cnt = 100 * cwnd;	/* at the plateau: barely grow */

	/* What Reno would have by now (RFC 9438 4.3). */
	max_cnt = (cwnd * CUBIC_RENO_ACKS_PER_CWND_X8) >> 3;
	if (max_cnt) {
		while (ca->ack_cnt > max_cnt) {
			ca->ack_cnt -= max_cnt;
			ca->reno_cwnd++;
		}
	}
	if (ca->reno_cwnd > cwnd) {
		max_cnt = cwnd / (ca->reno_cwnd - cwnd);
		ca->cnt = min(ca->cnt, max_cnt);
	}
	/* At most 1.5 times per RTT: one per two ACKed. */
	ca->cnt = max(ca->cnt, 2U);
}

/*
 * HyStart++ (RFC 9406 4.2): the end of a round of slow start, marked by
 * the ACK of what was sent when it began.
 */
static void atcp_hspp_round(struct sock *sk, u32 ack)
{
	struct atcp_cubic *ca = atcp_cubic(sk);
	struct atcp_sock *ap = atcp_sk(sk);

	if (before(ack, ca->round_end))
		return;
	ca->last_round_min_rtt = ca->cur_round_min_rtt;
	ca->cur_round_min_rtt = U32_MAX;
	ca->rtt_samples = 0;
	ca->round_end = ap->snd_nxt;
	if (ca->in_css && ++ca->css_rounds >= HSPP_CSS_ROUNDS) {
		/* Enough rounds of it: congestion avoidance from here. */
		ap->snd_ssthresh = ap->snd_cwnd;
		ca->in_css = 0;
	}
}

static void atcp_hspp_rtt(struct sock *sk, s32 rtt_us)
{
	struct atcp_cubic *ca = atcp_cubic(sk);
	struct atcp_sock *ap = atcp_sk(sk);
	u32 thresh;

	if (ap->snd_cwnd >= ap->snd_ssthresh || rtt_us <= 0)
		return;
	ca->rtt_samples++;
	ca->cur_round_min_rtt = min_t(u32, ca->cur_round_min_rtt, rtt_us);
	if (ca->rtt_samples < HSPP_N_RTT_SAMPLE ||
	    ca->last_round_min_rtt == U32_MAX ||
	    ca->cur_round_min_rtt == U32_MAX)
		return;
	if (ca->in_css) {
		/* The delay fell back: that was not the queue, slow start again. */
		if (ca->cur_round_min_rtt < ca->css_baseline_min_rtt) {
			ca->in_css = 0;
			ca->css_rounds = 0;
		}
		return;
	}
	if (ap->snd_cwnd < HSPP_LOW_WINDOW)
		return;
	thresh = clamp_t(u32, ca->last_round_min_rtt / HSPP_MIN_RTT_DIVISOR,
			 HSPP_MIN_RTT_THRESH, HSPP_MAX_RTT_THRESH);
	if (ca->cur_round_min_rtt >= ca->last_round_min_rtt + thresh) {
		/* The queue is building: conservative slow start. */
		ca->css_baseline_min_rtt = ca->cur_round_min_rtt;
		ca->in_css = 1;
		ca->css_rounds = 0;
		ca->css_growth = 0;
	}
}

static void atcp_cubic_cong_avoid(struct sock *sk, u32 ack, u32 acked)
{
	struct atcp_cubic *ca = atcp_cubic(sk);
	struct atcp_sock *ap = atcp_sk(sk);

	if (!atcp_is_cwnd_limited(ap))
		return;
	if (ap->snd_cwnd < ap->snd_ssthresh) {
		atcp_hspp_round(sk, ack);
		if (ca->in_css) {
			/* RFC 9406 4.2: a quarter of slow start's growth. */
			ca->css_growth += acked;
			ap->snd_cwnd += ca->css_growth / HSPP_CSS_GROWTH_DIVISOR;
			ca->css_growth %= HSPP_CSS_GROWTH_DIVISOR;
			return;
		}
		acked = atcp_slow_start(ap, acked);
		if (!acked)
			return;
	}
	atcp_cubic_update(sk, acked);
	atcp_cong_avoid_ai(ap, ca->cnt, acked);
}

/* RFC 9438 4.6 and 4.7: the window after a loss, and W_max to aim for. */
static u32 atcp_cubic_ssthresh(struct sock *sk)
{
	struct atcp_cubic *ca = atcp_cubic(sk);
	u32 cwnd = atcp_sk(sk)->snd_cwnd;

	ca->epoch_start = 0;
	ca->in_css = 0;
	/* Fast convergence: lost before the last W_max, give way. */
	if (cwnd < ca->w_max)
		ca->w_max = (cwnd * (CUBIC_BETA_SCALE + CUBIC_BETA)) /
			    (2 * CUBIC_BETA_SCALE);
	else
		ca->w_max = cwnd;
	return max((cwnd * CUBIC_BETA) / CUBIC_BETA_SCALE, 2U);
}

static u32 atcp_cubic_undo_cwnd(struct sock *sk)
{
	return atcp_reno_undo_cwnd(sk);
}

static void atcp_cubic_set_state(struct sock *sk, u8 new_state)
{
	/* After a timeout the epoch starts over, from slow start. */
	if (new_state == TCP_CA_Loss)
		atcp_cubic_reset(atcp_cubic(sk));
}

static void atcp_cubic_cwnd_event(struct sock *sk, enum atcp_ca_event event)
{
	struct atcp_cubic *ca = atcp_cubic(sk);

	if (event != ATCP_CA_EVENT_TX_START || !ca->epoch_start)
		return;
	/*
	 * RFC 9438 5.8: the application paused; the cubic does not count
	 * the pause, so shift the epoch by it.
	 */
	ca->epoch_start += tcp_jiffies32 - atcp_sk(sk)->lsndtime;
	if (!ca->epoch_start)
		ca->epoch_start = 1;
}

static void atcp_cubic_pkts_acked(struct sock *sk, u32 acked, s32 rtt_us)
{
	struct atcp_cubic *ca = atcp_cubic(sk);

	if (rtt_us <= 0)
		return;
	if (!ca->delay_min || ca->delay_min > rtt_us)
		ca->delay_min = rtt_us;
	atcp_hspp_rtt(sk, rtt_us);
}

static struct atcp_cong_ops atcp_cubic_ops = {
	.name		= "cubic",
	.init		= atcp_cubic_init,
	.ssthresh	= atcp_cubic_ssthresh,
	.cong_avoid	= atcp_cubic_cong_avoid,
	.undo_cwnd	= atcp_cubic_undo_cwnd,
	.set_state	= atcp_cubic_set_state,
	.cwnd_event	= atcp_cubic_cwnd_event,
	.pkts_acked	= atcp_cubic_pkts_acked,
};

/**
 * atcp_cubic_register() - make CUBIC available
 *
 * Context: process context, module init (atcp_cong_init_module()).
 * Return: 0, or atcp_register_congestion_control()'s negative errno.
 */
int atcp_cubic_register(void)
{
	return atcp_register_congestion_control(&atcp_cubic_ops);
}

/**
 * atcp_cubic_unregister() - withdraw CUBIC
 *
 * Context: process context, module exit (atcp_cong_exit_module()).
 */
void atcp_cubic_unregister(void)
{
	atcp_unregister_congestion_control(&atcp_cubic_ops);
}
