/*
 * Cost profiles (profiles.h). Every number cites its source; see
 * ../shared/reference/rmm-and-host-notes.md section 6 for the summaries.
 */
#include "profiles.h"

#include <stdlib.h>
#include <string.h>

#include "trace/stats.h"

#define NOT_MODELED "GPT maintenance per delegated granule (DC CIPAPA, GPT write, TLBI RPALOS; " \
	"no published time), the realm world switch beyond a bare SMC, TLB/cache maintenance"
#define TFA_PERF "TF-A docs/perf: fast SMC round trip (PSCI_VERSION), as summarised in " \
	"rmm-and-host-notes.md section 6"

static const struct cost_profile profiles[] = {
	{ "none", "no modeled costs: every number is the simulator's own measured work", 0,
	  "-", "everything" },
	{ "n1-smc-low", "Neoverse N1, bare SMC round trip 0.08 us per RMI call", 80, TFA_PERF,
	  NOT_MODELED },
	{ "n1-smc-high", "Neoverse N1, bare SMC round trip 0.28 us per RMI call", 280, TFA_PERF,
	  NOT_MODELED },
	{ "a57-smc-low", "Cortex-A57, bare SMC round trip 0.52 us per RMI call", 520, TFA_PERF,
	  NOT_MODELED },
	{ "a57-smc-high", "Cortex-A57, bare SMC round trip 0.72 us per RMI call", 720, TFA_PERF,
	  NOT_MODELED },
};

const struct cost_profile *cost_profile_at(size_t index)
{
	return index < sizeof(profiles) / sizeof(profiles[0]) ? &profiles[index] : NULL;
}

const struct cost_profile *cost_profile_find(const char *name)
{
	for (size_t i = 0; cost_profile_at(i); i++)
		if (!strcmp(profiles[i].name, name))
			return &profiles[i];
	return NULL;
}

size_t cost_profile_extras(const struct cost_profile *p, const struct fault_record *faults,
			   size_t n, struct results_extra *out, size_t max)
{
	uint64_t *t = malloc((n ? n : 1) * sizeof(*t));
	double smc = 0;
	size_t k = 0;

	if (!t || !n || max < 4 || p->smc_ns <= 0) {
		free(t);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		/* The host's calls for this fault, plus the REC_ENTER back. */
		double calls = (double)faults[i].rmi_calls + 1;
		smc += calls * p->smc_ns;
		t[i] = faults[i].total_ns + (uint64_t)(calls * p->smc_ns + 0.5);
	}
	stats_sort_u64(t, n);
	out[k++] = (struct results_extra){ "modeled.smc_ns", p->smc_ns };
	out[k++] = (struct results_extra){ "modeled.smc_ns_per_fault", smc / (double)n };
	out[k++] = (struct results_extra){ "modeled.fault_p50_ns",
					   (double)stats_percentile_sorted(t, n, STATS_PPM(50)) };
	out[k++] = (struct results_extra){ "modeled.fault_p99_ns",
					   (double)stats_percentile_sorted(t, n, STATS_PPM(99)) };
	free(t);
	return k;
}
