/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tap.h - minimal TAP output for atcp selftests, kselftest style.
 *
 * Header-only: every function is static.  Output goes to stdout, diagnostics
 * are TAP comments ("# ...").  The protocol under test is util.h's
 * atcp_test_proto().
 */
#ifndef ATCP_SELFTEST_TAP_H
#define ATCP_SELFTEST_TAP_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define KSFT_PASS 0
#define KSFT_FAIL 1
#define KSFT_SKIP 4

static unsigned int tap_count;
static unsigned int tap_failed;

static inline void tap_plan(unsigned int n)
{
	printf("TAP version 13\n1..%u\n", n);
	fflush(stdout);
}

static inline void tap_diag(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

/* Report one result; returns cond so that callers can chain on it. */
static inline int tap_result(int cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline int tap_result(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%s %u - ", cond ? "ok" : "not ok", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	return cond;
}

static inline void tap_skip(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static inline void tap_skip(const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	printf("ok %u # SKIP ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

/* The whole program is skipped: print an empty plan and exit. */
static inline void __attribute__((noreturn)) tap_skip_all(const char *why)
{
	printf("TAP version 13\n1..0 # SKIP %s\n", why);
	fflush(stdout);
	exit(KSFT_SKIP);
}

static inline void __attribute__((noreturn)) tap_bail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static inline void __attribute__((noreturn)) tap_bail(const char *fmt, ...)
{
	va_list ap;

	fputs("Bail out! ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	exit(KSFT_FAIL);
}

/* Exit status for the end of a test program. */
static inline int tap_finish(void)
{
	tap_diag("%u tests, %u failed", tap_count, tap_failed);
	return tap_failed ? KSFT_FAIL : KSFT_PASS;
}

#endif /* ATCP_SELFTEST_TAP_H */
