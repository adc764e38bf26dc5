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

# module_load_or_skip KO: insmod KO unless atcp is loaded; if that fails,
# skip the whole test.
module_load_or_skip() {
	module_loaded || insmod "$1" || tap_skip_all "cannot load $1"
}

# kmsg_mark NAME: write a line of its own to the kernel log, from which
# tap_kernel_clean looks.
kmsg_mark() {
	KMSG_MARK="$1: start $$ $RANDOM"
	echo "$KMSG_MARK" >/dev/kmsg
}

# tap_kernel_clean: the TAP result for what the kernel logged since
# kmsg_mark: none of scripts/splat-patterns (oops, WARNING, BUG, leak...).
tap_kernel_clean() {
	local splat k rc

	splat=$(sed -e '/^#/d' -e '/^$/d' "$REPO/scripts/splat-patterns" | paste -sd '|')
	k=$(dmesg | sed -n "/$KMSG_MARK/,\$p" | grep -E "$splat" | head -20)
	[ -z "$k" ]
	rc=$?
	[ $rc = 0 ] || tap_diag "$k"
	tap_ok $rc "the kernel logged no oops, WARNING, BUG or leak"
}

# tap_module_reloaded KO: insmod KO if rmmod left atcp unloaded, and the TAP
# result that it is loaded for the tests that follow.
tap_module_reloaded() {
	module_loaded || insmod "$1"
	module_loaded
	tap_ok $? "the module is loaded again for the tests that follow"
}

# tap_unload_clean: the TAP result for the last module_unload's leaks.
tap_unload_clean() {
	[ -z "$UNLOAD_LEAKS" ]
	local rc=$?

	[ $rc = 0 ] || tap_diag "$UNLOAD_LEAKS"
	tap_ok $rc "unloading reports no object left in atcp's slab caches"
}
