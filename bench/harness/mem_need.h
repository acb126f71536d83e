/*
 * Memory preflight of `rme-bench run`: what one configuration needs, and
 * what this process may use, computed before anything is mapped.
 *
 * Contract: mem_need_of() is arithmetic on the configuration only (it
 * allocates nothing) and is the one place that knows what a run holds:
 *   - guest RAM: the bytes the guest's memory occupies in this process
 *     (mem_need_guest_ram(): size x vCPUs today; the one term to change
 *     when guest RAM is backed differently, e.g. an aliased window);
 *   - model: the sim's RMM and host model pages and metadata (resident
 *     pools, stage-2 tables, per-granule records);
 *   - fault log: the per-vCPU fault logs (address space reserved up front,
 *     resident as faults are recorded), their merged copy and the records
 *     pooled over repeats;
 * and the modeled DRAM (host/phys) the guest RAM and model pages must fit.
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
	uint64_t modeled_dram;   /* modeled DRAM the run occupies (0 on kvm) */
};

struct mem_available {
	uint64_t host;           /* MemAvailable; UINT64_MAX when unknown */
	uint64_t cgroup;         /* limit - usage; UINT64_MAX when none */
	uint64_t rlimit_as;      /* RLIMIT_AS - mapped; UINT64_MAX when none */
	uint64_t rlimit_data;    /* RLIMIT_DATA - data; UINT64_MAX when none */
	uint64_t modeled_dram;   /* the sim's modeled DRAM */
};

uint64_t mem_need_guest_ram(const struct run_config *cfg);
/* SIM: the sim backend (model and modeled DRAM count); REPEATS: runs
 * pooled into one entry, whose records `run` keeps up to POOL_CAP. */
void mem_need_of(const struct run_config *cfg, bool sim, uint64_t repeats, uint64_t pool_cap,
		 struct mem_need *out);
void mem_available(struct mem_available *out);
int mem_check(const struct mem_need *need, const struct mem_available *avail, char *err,
	      size_t err_len);

#endif
