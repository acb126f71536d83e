/*
 * Memory preflight of `rme-bench run`: what one configuration needs, and
 * what this process may use, computed before anything is mapped.
 *
 * Contract: mem_need_of() is arithmetic on the configuration only (it
 * allocates nothing) and is the one place that knows what a run holds:
 *   - guest RAM: the bytes the guest's memory occupies in this process
 *     (mem_need_guest_ram(): size x vCPUs, or on the sim the aliased
 *     window above SIM_RAM_WINDOW, sim_guest_ram_host_bytes());
 *   - model: the sim's models' metadata and fault records as
 *     sim_model_bytes() counts them (granule array, stage-2 tables, the
 *     logs and their merge); on kvm the logs and their merge;
 *   - fault log: the records `run` pools over repeats and its scratch;
 *   - address space: the above plus the log capacity each vCPU reserves
 *     up front (what RLIMIT_AS / RLIMIT_DATA see).
 * The sim's modeled DRAM is sized to the guest RAM (sim_dram_size()), so
 * it is no limit of its own.
 * mem_available() reads the limits: the host's MemAvailable, a cgroup v2
 * (memory.max - memory.current) or v1 (memory.limit_in_bytes - usage)
 * limit, and RLIMIT_AS / RLIMIT_DATA less what the process already maps.
 * mem_check() compares them and returns 0, or -1 with one line in ERR
 * naming the need, its parts and what is available. Nothing here prints.
 */
#ifndef BENCH_HARNESS_MEM_NEED_H
#define BENCH_HARNESS_MEM_NEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "run/run.h"

struct mem_need {
	uint64_t guest_ram;      /* resident guest memory */
	uint64_t model;          /* sim model pages and metadata (0 on kvm) */
	uint64_t fault_log;      /* resident fault records, all copies */
	uint64_t resident;       /* sum of the above: host memory the run uses */
	uint64_t address_space;  /* resident + reserved-but-untouched log room */
};

struct mem_available {
	uint64_t host;           /* MemAvailable; UINT64_MAX when unknown */
	uint64_t cgroup;         /* limit - usage; UINT64_MAX when none */
	uint64_t rlimit_as;      /* RLIMIT_AS - mapped; UINT64_MAX when none */
	uint64_t rlimit_data;    /* RLIMIT_DATA - data; UINT64_MAX when none */
};

uint64_t mem_need_guest_ram(const struct run_config *cfg, bool sim);
/* SIM: the sim backend (window, models, sampled records); REPEATS: runs
 * pooled into one entry, whose records `run` keeps up to POOL_CAP. */
void mem_need_of(const struct run_config *cfg, bool sim, uint64_t repeats, uint64_t pool_cap,
		 struct mem_need *out);
void mem_available(struct mem_available *out);
int mem_check(const struct mem_need *need, const struct mem_available *avail, char *err,
	      size_t err_len);

#endif
