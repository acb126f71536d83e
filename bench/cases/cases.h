/*
 * The Google Benchmark cases of rme-bench, written in C and registered
 * through the shim (bench/gbench/include/gbench/gbench.h).
 *
 * Contract: gbench_cases_register() registers every case family once per
 * process (before gb_run); each family says in its name and label what one
 * iteration's time is. Every time is measured on this host with the stage
 * clock (clock/stage_clock.h; stage_clock_init() must have run), so every
 * figure is sim-measured: the execution of this project's models, never a
 * hardware cost. Case families:
 *   rmi/<abi>/<COMMAND>[/<variant>]   one RMI command into the RMM model
 *                                     through its SMC conduit (rmi_cases.c)
 *   fault/<policy>/<pattern>/<page>   a policy's whole stage-2 fault, via
 *                                     sim_run() (fault_cases.c)
 *   s2map/<op>                        the normal-VM stage-2 walker
 *                                     (pgtable_cases.c)
 *   clock/<op>                        the stage clock itself (clock_cases.c)
 *
 * Failure: registration returns -1 with a message on stderr (a bad option
 * value or a shim refusal). A case that cannot measure what it says ends
 * its run with gb_skip_with_error and a message beginning with the
 * reason; it never reports a number it did not measure.
 */
#ifndef BENCH_CASES_H
#define BENCH_CASES_H

#include <stdint.h>

#include "gbench/gbench.h"

struct gbench_case_opts {
	double min_time;       /* seconds of measured time per rmi/s2map/clock case */
	unsigned fault_runs;   /* fresh sim_run()s per fault case */
	uint64_t fault_size;   /* bytes per vCPU of a fault case */
	unsigned fault_vcpus;  /* vCPUs of a fault case */
	double fault_timeout;  /* seconds one fault-case run may take */
	int abi;               /* enum rmi_abi, or -1: rmi cases of both ABIs */
	const char *policy;    /* fault cases of this policy only, or NULL: all */
};

#define GBENCH_DEFAULT_MIN_TIME   0.02
#define GBENCH_DEFAULT_FAULT_RUNS 3
#define GBENCH_DEFAULT_FAULT_SIZE (8ULL << 20)
#define GBENCH_DEFAULT_FAULT_VCPUS 1
#define GBENCH_DEFAULT_FAULT_TIMEOUT 20.0

int gbench_cases_register(const struct gbench_case_opts *o);

/* One family each; called by gbench_cases_register. */
int rmi_cases_register(const struct gbench_case_opts *o);
int fault_cases_register(const struct gbench_case_opts *o);
int pgtable_cases_register(const struct gbench_case_opts *o);
int clock_cases_register(const struct gbench_case_opts *o);

#endif
