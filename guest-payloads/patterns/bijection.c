/*
 * Keyed bijection over [0, n): a random visiting order that needs no table,
 * so `rand` runs in a freestanding guest with O(1) state at any size.
 */
#include "pattern_internal.h"

#define FEISTEL_ROUNDS 4

/* splitmix64's finaliser: a cheap, well-mixed 64-bit hash. */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned bit_width(uint64_t v)
{
	unsigned w = 0;

	while (v) {
		w++;
		v >>= 1;
	}
	return w;
}

/* One pass of a balanced Feistel network on 2 * half bits: a bijection. */
static uint64_t feistel(uint64_t x, unsigned half, uint64_t key)
{
	uint64_t mask = (1ULL << half) - 1;
	uint64_t left = x >> half, right = x & mask;

	for (unsigned round = 0; round < FEISTEL_ROUNDS; round++) {
		uint64_t f = mix64(right ^ mix64(key + round * 0x9e3779b97f4a7c15ULL));
		uint64_t next_right = left ^ (f & mask);

		left = right;
		right = next_right;
	}
	return (left << half) | right;
}

uint64_t bij_permute(uint64_t n, uint64_t key, uint64_t x)
{
	if (n <= 1)
		return 0;
	unsigned half = (bit_width(n - 1) + 1) / 2;
	/* The domain is < 4n, so the walk takes under four steps on average;
	 * it ends because x itself lies on its cycle and x < n. */
	uint64_t y = feistel(x, half, key);

	while (y >= n)
		y = feistel(y, half, key);
	return y;
}
