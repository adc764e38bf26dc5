# SPDX-License-Identifier: GPL-2.0
# module.sh: unload atcp in the middle of the selftests and check what the
# kernel says about it.  Sourced after common.sh (tap_ok, tap_diag).

module_refcnt_zero() {
	[ "$(cat /sys/module/atcp/refcnt)" = 0 ]
}

module_loaded() {
	grep -q '^atcp ' /proc/modules
}

# module_unload: rmmod atcp.  Sets UNLOAD_RC to rmmod's exit status and
# UNLOAD_LEAKS to what kmem_cache_destroy() logged about objects still
# allocated in atcp's slab caches (empty if nothing).
module_unload() {
	local before

	before=$(dmesg | wc -l)
	rmmod atcp
	UNLOAD_RC=$?
	UNLOAD_LEAKS=$(dmesg | tail -n +"$((before + 1))" |
		grep -i -E 'still has objects|Objects remaining|leak')
}

# tap_unload_clean: the TAP result for the last module_unload's leaks.
tap_unload_clean() {
	[ -z "$UNLOAD_LEAKS" ]
	local rc=$?

	[ $rc = 0 ] || tap_diag "$UNLOAD_LEAKS"
	tap_ok $rc "unloading reports no object left in atcp's slab caches"
}
