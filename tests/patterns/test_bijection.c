/*
 * bij_permute is a bijection of [0, n) for every n and key (including the
 * awkward ones: 1, 2, powers of two and their neighbours), and the key
 * changes the order.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "pattern_internal.h"

static void check_permutation(uint64_t n, uint64_t key)
{
	bool *seen = calloc(n, sizeof(bool));
	uint64_t dup = 0, out = 0;

	for (uint64_t x = 0; x < n; x++) {
		uint64_t y = bij_permute(n, key, x);

		if (y >= n) {
			out++;
			continue;
		}
		dup += seen[y];
		seen[y] = true;
	}
	snprintf(check_context, sizeof(check_context), "n=%llu key=%llu",
		 (unsigned long long)n, (unsigned long long)key);
	CHECK_EQ_U64(out, 0);
	CHECK_EQ_U64(dup, 0);
	free(seen);
}

static uint64_t fixed_points(uint64_t n, uint64_t key)
{
	uint64_t same = 0;

	for (uint64_t x = 0; x < n; x++)
		same += bij_permute(n, key, x) == x;
	return same;
}

int main(void)
{
	static const uint64_t sizes[] = { 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 100, 255, 256,
					  257, 511, 512, 513, 1000, 4095, 4096, 4097, 65537 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (uint64_t key = 0; key < 4; key++)
			check_permutation(sizes[i], key * 0x1234567ULL);
	snprintf(check_context, sizeof(check_context), "key changes the order");
	uint64_t differ = 0;

	for (uint64_t x = 0; x < 1000; x++)
		differ += bij_permute(1000, 1, x) != bij_permute(1000, 2, x);
	CHECK(differ > 900);
	/* Not the identity: a random permutation has about one fixed point. */
	CHECK(fixed_points(1000, 1) < 20);
	CHECK(fixed_points(4096, 99) < 20);
	/* Large domains need no table: spot-check values stay in range. */
	snprintf(check_context, sizeof(check_context), "large n");
	for (uint64_t x = 0; x < 1000; x++)
		CHECK(bij_permute(1ULL << 50, 5, x) < (1ULL << 50));
	return check_report("test_bijection");
}
