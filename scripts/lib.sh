# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Helpers shared by the scripts in this directory.  Source it; do not run it.

# kver: print the Debian kernel version the VM boots (e.g. 6.1.0-56-amd64):
# the newest /boot/vmlinuz-*-amd64 that has matching headers in
# /usr/src/linux-headers-<ver>.  Never `uname -r`: the host kernel is not the
# one we build for.  ATCP_KVER in the environment overrides the choice.
kver() {
	local f v best=
	if [ -n "${ATCP_KVER:-}" ]; then
		printf '%s\n' "$ATCP_KVER"
		return 0
	fi
	for v in $(for f in /boot/vmlinuz-*-amd64; do
			[ -e "$f" ] && printf '%s\n' "${f#/boot/vmlinuz-}"
		done | sort -V); do
		[ -d "/usr/src/linux-headers-$v" ] && best=$v
	done
	if [ -z "$best" ]; then
		echo "kver: no /boot/vmlinuz-*-amd64 with /usr/src/linux-headers-<ver>; run scripts/setup" >&2
		return 1
	fi
	printf '%s\n' "$best"
}

# newest_boot_kver: the newest /boot/vmlinuz-*-amd64, headers or not.
newest_boot_kver() {
	local f
	for f in /boot/vmlinuz-*-amd64; do
		[ -e "$f" ] && printf '%s\n' "${f#/boot/vmlinuz-}"
	done | sort -V | tail -n 1
}
