/*
 * Cost profiles (`--profile NAME`): hardware costs the simulator cannot
 * show, added to its measured times as separately labelled *modeled* time.
 *
 * Contract: a profile is a table row with a per-SMC round-trip cost and
 * the public source of that number, and optionally the RMM's own work per
 * command: instructions TF-RMM's handlers execute (tfrmm-n1: on its x86
 * host build with callgrind, results/profiles/tfrmm-host-icount.csv;
 * tfrmm-qemu: aarch64 TF-RMM and TF-A under QEMU, counted per call by the
 * instruction plugin, results/profiles/tfrmm-qemu-icount.csv) turned into
 * time at a stated clock and IPC. Only costs with a measured or published
 * figure are modeled; everything else (GPT maintenance per delegated
 * granule, TLB/cache maintenance, zeroing bandwidth, the realm world
 * switch beyond a bare SMC) is left out and `not_modeled` says so: no
 * figure is invented. The measured numbers are never changed; the modeled ones go
 * to the run's "modeled.*" extras and meta.json says which profile and
 * sources were used.
 */
#ifndef BENCH_PROFILES_H
#define BENCH_PROFILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/sim_harness.h"
#include "kvm/rmi_cmds.h"
#include "results/results.h"

/* Instructions the RMM executes for one call of a command (a count name
 * of the results, "RMI_GRANULE_DELEGATE"), for one ABI. */
struct cmd_icount {
	const char *abi;          /* "1.0" or "2.0" */
	const char *command;
	double instructions;
};

struct cost_profile {
	const char *name;
	const char *summary;
	double smc_ns;            /* one SMC round trip (EL2 -> EL3 -> EL2) */
	const char *source;       /* where smc_ns comes from */
	const char *not_modeled;  /* what this profile leaves out */
	/* Optional RMM work per command (NULL-terminated), at ghz x ipc. */
	const struct cmd_icount *per_call;
	double ghz, ipc;
	const char *per_call_source;
};

/* NULL if unknown; "none" is a profile with no costs. */
const struct cost_profile *cost_profile_find(const char *name);
const struct cost_profile *cost_profile_at(size_t index);

/* Modeled extras of one run, purely modeled and per fault (no measured
 * time in them): a fault costs one SMC round trip per RMI call (its
 * rmi_calls, plus the REC_ENTER that resumes the guest) and, with per-call
 * costs, the RMM's instructions of exactly its calls (the record's
 * call_weight, summed during the run from cost_profile_weights) plus
 * REC_ENTER's. Writes "modeled.smc_ns", "modeled.smc_ns_per_fault", with
 * per-call costs "modeled.rmm_ns_per_fault" and "modeled.uncosted_calls"
 * (the run's calls of commands the profile has no count for: they cost
 * their SMC only), and "modeled.fault_p50_ns" / "modeled.fault_p99_ns"
 * over the faults' modeled costs; returns entries written. Realm runs only. */
size_t cost_profile_extras(const struct cost_profile *p, const char *abi,
			   const struct fault_record *faults, size_t n,
			   const struct results_count *counts, size_t n_counts,
			   struct results_extra *out, size_t max);

/* Per-FID weights for a run under ABI (struct run_config.rmi_weights):
 * the RMM instructions of one call of each command the profile costs, 0
 * for the others. */
void cost_profile_weights(const struct cost_profile *p, const char *abi,
			  uint32_t weights[RMI_WEIGHT_FIDS]);

/* Whether the profile has a per-call count for any command of `abi`
 * (a per-call profile measured on one ABI cannot cost the other's runs). */
bool cost_profile_covers_abi(const struct cost_profile *p, const char *abi);

/* The RMM instructions of one call of `command` under `abi`, or -1. */
double cost_profile_icount(const struct cost_profile *p, const char *abi, const char *command);

#endif
