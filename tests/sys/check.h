/* Minimal non-fatal assertions shared by the sys tests. */
#ifndef TESTS_SYS_CHECK_H
#define TESTS_SYS_CHECK_H

#include <stdio.h>

static int failures;
#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, \
				__LINE__, #cond);                           \
			failures++;                                         \
		}                                                           \
	} while (0)

#endif
