# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Helpers shared by the scripts in this directory.  Source it; do not run it.

# The kernel lines atcp is built and tested on (KERNEL= of make, ATCP_KERNEL
# in the environment of these scripts): Debian 12's own 6.1, its PREEMPT_RT
# flavour, and the 6.12 that Debian 12 ships beside it.  The default is 6.1.
KERNEL_LINES="6.1 6.1-rt 6.12"

# kernel_line: the line asked for, checked.
kernel_line() {
	local line=${ATCP_KERNEL:-6.1}
	case " $KERNEL_LINES " in
	*" $line "*) printf '%s\n' "$line" ;;
	*)
		echo "unknown kernel line '$line' (known: $KERNEL_LINES)" >&2
		return 1
		;;
	esac
}

# line_matches LINE VERSION: is VERSION (e.g. 6.1.0-57-amd64,
# 6.1.0-57-rt-amd64, 6.12.118+deb12-amd64) a kernel of LINE?
line_matches() {
	case $1:$2 in
	6.1:6.1.0-*-rt-amd64 | 6.1:6.1.0-*-cloud-amd64) return 1 ;;
	6.1:6.1.0-*-amd64) return 0 ;;
	6.1-rt:6.1.0-*-rt-amd64) return 0 ;;
	6.12:6.12.*-rt-amd64 | 6.12:6.12.*-cloud-amd64) return 1 ;;
	6.12:6.12.*-amd64) return 0 ;;
	esac
	return 1
}

# boot_kvers LINE: the /boot/vmlinuz-* versions of LINE, oldest first.
boot_kvers() {
	local f v
	for f in /boot/vmlinuz-*-amd64; do
		[ -e "$f" ] || continue
		v=${f#/boot/vmlinuz-}
		line_matches "$1" "$v" && printf '%s\n' "$v"
	done | sort -V
}

# kver: print the Debian kernel version that the VM boots and the module is
# built against (e.g. 6.1.0-57-amd64): the newest /boot/vmlinuz-*-amd64 of
# the kernel line (ATCP_KERNEL) that has matching headers in
# /usr/src/linux-headers-<ver>.  Never `uname -r`: the host kernel is not
# the one we build for.  ATCP_KVER in the environment overrides the choice.
kver() {
	local v best='' line
	if [ -n "${ATCP_KVER:-}" ]; then
		printf '%s\n' "$ATCP_KVER"
		return 0
	fi
	line=$(kernel_line) || return 1
	for v in $(boot_kvers "$line"); do
		[ -d "/usr/src/linux-headers-$v" ] && best=$v
	done
	if [ -z "$best" ]; then
		echo "kver: no Linux $line kernel (/boot/vmlinuz-*-amd64) with /usr/src/linux-headers-<ver>; run scripts/setup (make KERNEL=$line)" >&2
		return 1
	fi
	printf '%s\n' "$best"
}

# newest_boot_kver: the newest /boot/vmlinuz-*-amd64 of the kernel line,
# headers or not.
newest_boot_kver() {
	local line
	line=$(kernel_line) || return 1
	boot_kvers "$line" | tail -n 1
}
