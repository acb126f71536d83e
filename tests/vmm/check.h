/*
 * Test helpers for tests/vmm: CHECK records a failure and carries on, so
 * one run shows every broken property; main returns check_status().
 */
#ifndef TESTS_VMM_CHECK_H
#define TESTS_VMM_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;

#define CHECK(cond)                                                                   \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
			check_failures++;                                             \
		}                                                                     \
	} while (0)

#define CHECK_EQ(a, b)                                                                \
	do {                                                                          \
		unsigned long long a_ = (unsigned long long)(a);                      \
		unsigned long long b_ = (unsigned long long)(b);                      \
		if (a_ != b_) {                                                       \
			fprintf(stderr, "%s:%d: %s == 0x%llx, expected %s == 0x%llx\n",   \
				__FILE__, __LINE__, #a, a_, #b, b_);                  \
			check_failures++;                                             \
		}                                                                     \
	} while (0)

#define CHECK_CONTAINS(text, needle)                                                  \
	do {                                                                          \
		const char *t_ = (text);                                              \
		if (!strstr(t_, (needle))) {                                          \
			fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n",        \
				__FILE__, __LINE__, t_, (needle));                    \
			check_failures++;                                             \
		}                                                                     \
	} while (0)

static inline int check_status(const char *name)
{
	if (check_failures)
		fprintf(stderr, "%s: %d check(s) failed\n", name, check_failures);
	return check_failures ? 1 : 0;
}

#endif
