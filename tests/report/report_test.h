/*
 * Helpers of the plot/compare tests: checks that count failures, running
 * rme-bench as a child (optionally with PATH or other variables replaced)
 * with its stdout and stderr captured in files, small file utilities, and
 * the figure checks (PNG signature and IEND chunk, SVG well-formedness).
 */
#ifndef TESTS_REPORT_TEST_H
#define TESTS_REPORT_TEST_H

#include <stdbool.h>
#include <stddef.h>

extern int report_test_failures;

#define CHECK(cond)                                                                   \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
				#cond);                                               \
			report_test_failures++;                                       \
		}                                                                     \
	} while (0)

/* Exit status of ARGV[0] ARGV...; stdout/stderr go to OUT_FILE/ERR_FILE
 * (NULL: /dev/null). ENV_SET: "NAME=value" entries replacing or adding
 * variables, ENV_UNSET: names to remove; both NULL-terminated or NULL.
 * -1 if it could not run or died by a signal (reported on stderr). */
int rt_run(char *const argv[], const char *out_file, const char *err_file,
	   const char *const *env_set, const char *const *env_unset);

/* Whole file as a NUL-terminated string (caller frees), NULL on error. */
char *rt_read_file(const char *path, size_t *len);
int rt_write_file(const char *path, const char *data, size_t len);
bool rt_file_contains(const char *path, const char *needle);
bool rt_exists(const char *path);
/* Copy DIR/{meta.json,summary.json,faults.csv} into a new directory TO. */
int rt_copy_results(const char *from, const char *to);
/* Number of entries of DIR whose name ends with SUFFIX (0 if no DIR). */
int rt_count_suffix(const char *dir, const char *suffix);
/* rm -r of a directory tree made by the test. */
void rt_remove_tree(const char *dir);

bool rt_png_ok(const char *path);
/* Tags balanced and properly nested, attributes quoted, one root <svg>. */
bool rt_svg_ok(const char *path);

#endif
