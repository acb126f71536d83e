/*
 * Small command-line helpers shared by the rme-bench subcommands: sizes
 * with K/M/G suffixes, unsigned integers, comma lists. The one number
 * parser of the command line: decimal digits only (no sign, space, 0x or
 * leading zero), sizes with the documented K, M, G suffixes. Lists refuse
 * empty items and an item given twice. Every parser returns 0, or -1 with
 * a message naming the option and the bad text.
 */
#ifndef BENCH_CLI_H
#define BENCH_CLI_H

#include <stddef.h>
#include <stdint.h>

/* The largest size any option takes: 1 PiB (1048576G). */
#define CLI_SIZE_MAX (1ull << 50)

int cli_parse_size(const char *opt, const char *text, uint64_t *out, char *err, size_t errlen);
int cli_parse_u64(const char *opt, const char *text, uint64_t max, uint64_t *out, char *err,
		  size_t errlen);
/* Split a comma list in place into at most `max` items; -1 if it is empty,
 * has an empty item, an item twice, or too many. */
int cli_split_list(const char *opt, char *text, char **items, size_t max, size_t *n,
		   char *err, size_t errlen);
/* "4K", "2M", "256M", "1G" or plain bytes for printing and file names. */
const char *cli_format_size(uint64_t bytes, char *buf, size_t len);

/* "results/<prefix>-<UTC time><suffix>" into buf (creating results/),
 * the default output directory of the commands that write results. */
const char *cli_default_results_dir(char *buf, size_t len, const char *prefix,
				    const char *suffix);

#endif
