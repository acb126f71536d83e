/*
 * Cost profiles (`--profile NAME`): hardware costs the simulator cannot
 * show, added to its measured times as separately labelled *modeled* time.
 *
 * Contract: a profile is a table row with a per-SMC round-trip cost and
 * the public source of that number. Only costs with a published figure
 * are modeled; everything else (GPT maintenance per delegated granule,
 * TLB/cache maintenance, the realm world switch beyond a bare SMC) is
 * left out and the profile's `not_modeled` says so: no figure is
 * invented. The measured numbers are never changed; the modeled ones go
 * to the run's "modeled.*" extras and meta.json says which profile and
 * sources were used.
 */
#ifndef BENCH_PROFILES_H
#define BENCH_PROFILES_H

#include <stddef.h>
#include <stdint.h>

#include "sim_harness.h"
#include "trace/results.h"

struct cost_profile {
	const char *name;
	const char *summary;
	double smc_ns;            /* one SMC round trip (EL2 -> EL3 -> EL2) */
	const char *source;       /* where smc_ns comes from */
	const char *not_modeled;  /* what this profile leaves out */
};

/* NULL if unknown; "none" is a profile with no costs. */
const struct cost_profile *cost_profile_find(const char *name);
const struct cost_profile *cost_profile_at(size_t index);

/* Modeled extras of one run: every RMI call of a fault (its rmi_calls,
 * plus the REC_ENTER that resumes the guest) costs one SMC round trip.
 * Writes "modeled.smc_ns", "modeled.smc_ns_per_fault" and
 * "modeled.fault_p50_ns" / "modeled.fault_p99_ns" (measured + modeled,
 * per record); returns entries written. Realm runs only. */
size_t cost_profile_extras(const struct cost_profile *p, const struct fault_record *faults,
			   size_t n, struct results_extra *out, size_t max);

#endif
