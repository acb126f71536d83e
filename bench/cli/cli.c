#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int cli_parse_u64(const char *opt, const char *text, uint64_t max, uint64_t *out, char *err,
		  size_t errlen)
{
	char *end;

	errno = 0;
	if (!text || !*text || *text == '-' || *text == '+') {
		snprintf(err, errlen, "%s: '%s' is not a non-negative integer", opt,
			 text ? text : "");
		return -1;
	}
	unsigned long long v = strtoull(text, &end, 0);
	if (errno || *end || v > max) {
		snprintf(err, errlen, "%s: '%s' is not an integer in 0..%llu", opt, text,
			 (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

int cli_parse_size(const char *opt, const char *text, uint64_t *out, char *err, size_t errlen)
{
	char *end;
	unsigned shift = 0;

	errno = 0;
	if (!text || !*text || *text == '-' || *text == '+') {
		snprintf(err, errlen, "%s: '%s' is not a size", opt, text ? text : "");
		return -1;
	}
	unsigned long long v = strtoull(text, &end, 10);
	if (*end && !end[1]) {
		switch (*end) {
		case 'k': case 'K': shift = 10; end++; break;
		case 'm': case 'M': shift = 20; end++; break;
		case 'g': case 'G': shift = 30; end++; break;
		}
	}
	if (errno || *end || end == text || v == 0 || v > (UINT64_MAX >> shift)) {
		snprintf(err, errlen,
			 "%s: '%s' is not a size (bytes, or a number with K, M or G; not zero)",
			 opt, text);
		return -1;
	}
	*out = (uint64_t)v << shift;
	return 0;
}

int cli_split_list(const char *opt, char *text, char **items, size_t max, size_t *n,
		   char *err, size_t errlen)
{
	*n = 0;
	for (char *save = NULL, *tok = strtok_r(text, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (*n == max) {
			snprintf(err, errlen, "%s: more than %zu items", opt, max);
			return -1;
		}
		items[(*n)++] = tok;
	}
	if (!*n) {
		snprintf(err, errlen, "%s: empty list", opt);
		return -1;
	}
	return 0;
}

const char *cli_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = { 'G', 'M', 'K' };
	static const unsigned shifts[] = { 30, 20, 10 };

	for (int i = 0; i < 3; i++)
		if (bytes >= (1ULL << shifts[i]) && !(bytes & ((1ULL << shifts[i]) - 1))) {
			snprintf(buf, len, "%llu%c", (unsigned long long)(bytes >> shifts[i]),
				 units[i]);
			return buf;
		}
	snprintf(buf, len, "%llu", (unsigned long long)bytes);
	return buf;
}

const char *cli_default_results_dir(char *buf, size_t len, const char *prefix,
				    const char *suffix)
{
	time_t now = time(NULL);
	struct tm tm;
	char stamp[32];

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	mkdir("results", 0755);
	snprintf(buf, len, "results/%s-%s%s", prefix, stamp, suffix);
	return buf;
}
