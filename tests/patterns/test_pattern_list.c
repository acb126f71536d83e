/*
 * `rme-bench list patterns` output: one line per registered pattern, each
 * starting with its name, carrying its summary and its requirements.
 */
#include <stdlib.h>

#include <payload/pattern_list.h>

#include "check.h"

int main(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	const struct pattern *pat;
	size_t count = 0;

	snprintf(check_context, sizeof(check_context), "pattern list");
	CHECK(out != NULL);
	if (!out)
		return check_report("test_pattern_list");
	pattern_list_print(out);
	fclose(out);
	for (const char *c = text; *c; c++)
		count += *c == '\n';
	for (size_t i = 0; (pat = pattern_at(i)); i++) {
		char line[300];

		snprintf(check_context, sizeof(check_context), "pattern %s", pat->name);
		CHECK(pat->summary && strlen(pat->summary) > 20);
		snprintf(line, sizeof(line), "%-8s %s", pat->name, pat->summary);
		CHECK_CONTAINS(text, line);
		CHECK(pattern_find(pat->name) == pat);
		count -= count > 0;
	}
	snprintf(check_context, sizeof(check_context), "pattern list");
	CHECK_EQ_U64(count, 0);  /* exactly one line per pattern */
	CHECK_CONTAINS(text, "block    one write per 2 MiB region on 2 MiB backing (block mappings) [2M backing]");
	CHECK_CONTAINS(text, "[size: whole 2M regions]");
	free(text);
	return check_report("test_pattern_list");
}
