/*
 * Minimal test assertions: print where a check failed and count it; the
 * test's main returns check_failures() so ctest sees the failure.
 */
#ifndef TESTS_COMMON_CHECK_H
#define TESTS_COMMON_CHECK_H

#include <inttypes.h>
#include <stdio.h>

static int check_failed_count;

#define CHECK(cond)                                                           \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
				__LINE__, #cond);                             \
			check_failed_count++;                                 \
		}                                                             \
	} while (0)

#define CHECK_EQ_U64(a, b)                                                    \
	do {                                                                  \
		uint64_t check_a_ = (uint64_t)(a), check_b_ = (uint64_t)(b);  \
		if (check_a_ != check_b_) {                                   \
			fprintf(stderr, "%s:%d: %s == %s failed: %" PRIu64     \
				" != %" PRIu64 "\n", __FILE__, __LINE__, #a, #b, \
				check_a_, check_b_);                          \
			check_failed_count++;                                 \
		}                                                             \
	} while (0)

static inline int check_report(const char *test)
{
	if (check_failed_count)
		fprintf(stderr, "%s: %d check(s) failed\n", test, check_failed_count);
	else
		printf("%s: ok\n", test);
	return check_failed_count != 0;
}

#endif
