#include "cli/cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Decimal digits only, no sign, no space, no leading zero ("010" is not
 * 8 or 10 here: it is refused), at most 20 of them. *END: the first
 * character after the digits. */
static bool decimal_digits(const char *text, unsigned long long *v, const char **end)
{
	const char *p = text;

	if (!text || !isdigit((unsigned char)*p) || (p[0] == '0' && isdigit((unsigned char)p[1])))
		return false;
	while (isdigit((unsigned char)*p))
		p++;
	errno = 0;
	*v = strtoull(text, NULL, 10);
	*end = p;
	return errno == 0;
}

int cli_parse_u64(const char *opt, const char *text, uint64_t max, uint64_t *out, char *err,
		  size_t errlen)
{
	unsigned long long v;
	const char *end;

	if (!decimal_digits(text, &v, &end) || *end || v > max) {
		snprintf(err, errlen, "%s: '%s' is not a decimal integer in 0..%llu", opt,
			 text ? text : "", (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

int cli_parse_size(const char *opt, const char *text, uint64_t *out, char *err, size_t errlen)
{
	unsigned long long v;
	const char *end;
	unsigned shift = 0;

	bool ok = decimal_digits(text, &v, &end);
	if (ok && *end && !end[1]) {
		switch (*end) {
		case 'k': case 'K': shift = 10; end++; break;
		case 'm': case 'M': shift = 20; end++; break;
		case 'g': case 'G': shift = 30; end++; break;
		}
	}
	if (!ok || *end || v == 0 || v > (CLI_SIZE_MAX >> shift)) {
		snprintf(err, errlen, "%s: '%s' is not a size (decimal bytes, or with K, M or G; "
			 "not zero, at most 1048576G)", opt, text ? text : "");
		return -1;
	}
	*out = (uint64_t)v << shift;
	return 0;
}

int cli_split_list(const char *opt, char *text, char **items, size_t max, size_t *n,
		   char *err, size_t errlen)
{
	*n = 0;
	for (char *p = text;;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (!*p) {
			snprintf(err, errlen, "%s: empty item in the list", opt);
			return -1;
		}
		for (size_t i = 0; i < *n; i++)
			if (!strcmp(items[i], p)) {
				snprintf(err, errlen, "%s: '%s' given twice", opt, p);
				return -1;
			}
		if (*n == max) {
			snprintf(err, errlen, "%s: more than %zu items", opt, max);
			return -1;
		}
		items[(*n)++] = p;
		if (!comma)
			return 0;
		p = comma + 1;
	}
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
