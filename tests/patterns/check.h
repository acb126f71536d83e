/*
 * Minimal test helpers: CHECK records a failure and carries on, so one run
 * shows every broken property; main returns the failure count's status.
 * check_context names the case under test in each failure line.
 */
#ifndef TESTS_PATTERNS_CHECK_H
#define TESTS_PATTERNS_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static char check_context[200];

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: [%s] CHECK failed: %s\n",      \
				__FILE__, __LINE__, check_context, #cond);     \
			check_failures++;                                      \
		}                                                              \
	} while (0)

#define CHECK_EQ_U64(a, b)                                                     \
	do {                                                                   \
		unsigned long long a_ = (a), b_ = (b);                         \
		if (a_ != b_) {                                                \
			fprintf(stderr, "%s:%d: [%s] %s == %llu, expected %s == %llu\n", \
				__FILE__, __LINE__, check_context, #a, a_, #b, b_); \
			check_failures++;                                      \
		}                                                              \
	} while (0)

#define CHECK_CONTAINS(haystack, needle)                                       \
	do {                                                                   \
		const char *h_ = (haystack);                                   \
		if (!strstr(h_, (needle))) {                                   \
			fprintf(stderr, "%s:%d: [%s] \"%s\" does not contain \"%s\"\n", \
				__FILE__, __LINE__, check_context, h_, (needle)); \
			check_failures++;                                      \
		}                                                              \
	} while (0)

static inline int check_report(const char *test)
{
	if (check_failures)
		fprintf(stderr, "%s: %d check(s) failed\n", test, check_failures);
	else
		printf("%s: all checks passed\n", test);
	return check_failures ? 1 : 0;
}

#endif
