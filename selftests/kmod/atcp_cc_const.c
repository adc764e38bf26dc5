// SPDX-License-Identifier: GPL-2.0
/*
 * atcp_cc_const: a congestion control for atcp from another module, for
 * selftests/test_congestion.py: the window is always `cwnd` segments (a
 * module parameter), whatever happens.  It shows what another module's
 * algorithm needs: an atcp_cong_ops with the three required hooks,
 * registered on load and unregistered on unload.
 */
#include <linux/module.h>

#include "../../module/atcp.h"

static unsigned int cwnd = 7;
module_param(cwnd, uint, 0444);
MODULE_PARM_DESC(cwnd, "the window, in segments (default 7)");

static void atcp_cc_const_init(struct sock *sk)
{
	atcp_sk(sk)->snd_cwnd = cwnd;
}

static u32 atcp_cc_const_ssthresh(struct sock *sk)
{
	return cwnd;
}

static void atcp_cc_const_cong_avoid(struct sock *sk, u32 ack, u32 acked)
{
	atcp_sk(sk)->snd_cwnd = cwnd;
}

static u32 atcp_cc_const_undo_cwnd(struct sock *sk)
{
	return cwnd;
}

static struct atcp_cong_ops atcp_cc_const = {
	.name		= "const",
	.owner		= THIS_MODULE,
	.init		= atcp_cc_const_init,
	.ssthresh	= atcp_cc_const_ssthresh,
	.cong_avoid	= atcp_cc_const_cong_avoid,
	.undo_cwnd	= atcp_cc_const_undo_cwnd,
};

static int __init atcp_cc_const_register(void)
{
	if (!cwnd)
		return -EINVAL;
	return atcp_register_congestion_control(&atcp_cc_const);
}

static void __exit atcp_cc_const_unregister(void)
{
	atcp_unregister_congestion_control(&atcp_cc_const);
}

module_init(atcp_cc_const_register);
module_exit(atcp_cc_const_unregister);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("atcp: a constant congestion window, for the selftests");
