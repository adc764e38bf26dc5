# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# tap.sh - TAP output for atcp's shell selftests (source it).
#
#   tap_plan N          print the plan first (optional: tap_done prints it
#                       at the end if it was not given)
#   tap_ok RC DESC      "ok N - DESC" when RC is 0, else "not ok N - DESC"
#   tap_is GOT WANT DESC
#   tap_skip DESC       "ok N # SKIP DESC"
#   tap_diag TEXT...    "# TEXT"
#   tap_skip_all WHY    "1..0 # SKIP WHY", exit 4 (kselftest's skip code)
#   tap_done            plan if needed; exit 1 if anything failed, else 0

TAP_N=0
TAP_FAILED=0
TAP_PLANNED=

tap_plan() {
	echo "TAP version 13"
	echo "1..$1"
	TAP_PLANNED=$1
}

tap_diag() {
	local line
	printf '%s\n' "$*" | while IFS= read -r line; do
		echo "# $line"
	done
}

tap_ok() {
	local rc=$1
	shift
	TAP_N=$((TAP_N + 1))
	if [ "$rc" = 0 ]; then
		echo "ok $TAP_N - $*"
	else
		TAP_FAILED=$((TAP_FAILED + 1))
		echo "not ok $TAP_N - $*"
	fi
	return "$rc"
}

tap_is() {
	local got=$1 want=$2
	shift 2
	if [ "$got" = "$want" ]; then
		tap_ok 0 "$*"
	else
		tap_ok 1 "$* (got '$got', want '$want')"
	fi
}

tap_skip() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N # SKIP $*"
}

tap_skip_all() {
	echo "TAP version 13"
	echo "1..0 # SKIP $*"
	exit 4
}

tap_done() {
	[ -n "$TAP_PLANNED" ] || echo "1..$TAP_N"
	if [ -n "$TAP_PLANNED" ] && [ "$TAP_PLANNED" != "$TAP_N" ]; then
		echo "# planned $TAP_PLANNED tests but ran $TAP_N"
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
	echo "# $TAP_N tests, $TAP_FAILED failed"
	[ "$TAP_FAILED" = 0 ]
	exit $?
}
