# SPDX-License-Identifier: GPL-2.0
# What the kernel built for provides, found in its headers rather than
# deduced from its version, so that a backport is taken for what it is;
# compat.h is the one reader of these.  Included by every Kbuild whose
# objects include compat.h (module/, selftests/kmod/).
atcp_has = $(shell grep -qs -e $(2) $(srctree)/include/$(1) && echo -D$(3))
atcp_has_file = $(if $(wildcard $(srctree)/include/$(1)),-D$(2))
ccflags-y += $(call atcp_has_file,net/proto_memory.h,ATCP_HAVE_PROTO_MEMORY_H)
ccflags-y += $(call atcp_has_file,net/rstreason.h,ATCP_HAVE_RSTREASON)
ccflags-y += $(call atcp_has_file,net/gso.h,ATCP_HAVE_NET_GSO_H)
ccflags-y += $(call atcp_has_file,linux/skbuff_ref.h,ATCP_HAVE_SKBUFF_REF_H)
ccflags-y += $(call atcp_has_file,net/rps.h,ATCP_HAVE_NET_RPS_H)
ccflags-y += $(call atcp_has,net/inet_sock.h,INET_FLAGS_RECVERR,ATCP_HAVE_INET_FLAGS)
ccflags-y += $(call atcp_has,net/inet_timewait_sock.h,inet_twsk_hashdance_schedule,ATCP_HAVE_TWSK_HASHDANCE_SCHEDULE)
ccflags-y += $(call atcp_has,net/net_namespace.h,register_net_sysctl_sz,ATCP_HAVE_SYSCTL_SZ)
ccflags-y += $(call atcp_has,net/sock.h,'int \*karg',ATCP_HAVE_PROTO_IOCTL_KARG)
ccflags-y += $(call atcp_has,linux/sysctl.h,'proc_handler.const struct ctl_table',ATCP_HAVE_CONST_CTL_TABLE)
