/* `rme-bench list patterns`: host-only (stdio), kept out of the
 * freestanding sources. */
#include <payload/pattern_list.h>

void pattern_list_print(FILE *out)
{
	const struct pattern *pat;

	for (size_t i = 0; (pat = pattern_at(i)); i++) {
		const char *note = pat->needs_2m ? " [2M backing]"
				 : pat->needs_regions ? " [size: whole 2M regions]" : "";

		fprintf(out, "%-8s %s%s\n", pat->name, pat->summary, note);
	}
}
