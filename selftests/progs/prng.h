/* SPDX-License-Identifier: GPL-2.0 */
/*
 * prng.h: the seeded byte stream (xorshift64*) that both ends of a test
 * transfer generate, so that the receiver can check every byte without
 * the data being sent beside it, and the FNV-1a 64 hash both ends print.
 */
#ifndef ATCP_SELFTESTS_PRNG_H
#define ATCP_SELFTESTS_PRNG_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct prng {
	uint64_t s;
	uint8_t buf[8];
	unsigned int left;
};

static inline void prng_init(struct prng *p, uint64_t seed)
{
	p->s = seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL;
	if (!p->s)
		p->s = 1;
	p->left = 0;
}

static inline void prng_fill(struct prng *p, uint8_t *out, size_t n)
{
	while (n) {
		if (!p->left) {
			uint64_t x = p->s;

			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
			p->s = x;
			x *= 0x2545F4914F6CDD1DULL;
			memcpy(p->buf, &x, 8);
			p->left = 8;
		}
		*out++ = p->buf[8 - p->left--];
		n--;
	}
}

static inline uint64_t fnv1a(uint64_t h, const uint8_t *d, size_t n)
{
	while (n--) {
		h ^= *d++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

#endif
