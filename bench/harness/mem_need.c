/*
 * What a run configuration needs in memory, and what is available: see
 * harness/mem_need.h.
 */
#define _GNU_SOURCE
#include "harness/mem_need.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "clock/stage.h"
#include "kvm/kvm.h"
#include "phys/phys.h"

#define GIB (1ull << 30)
/* Model metadata per 4 KiB guest page: the RMM's granule record, the
 * modeled DRAM's page pointer, stage-2 and RTT table share. Measured peak
 * RSS above guest RAM (realm ripas 2 x 1G: 182 MiB, seq 1G: 53 MiB) stays
 * below this plus the fault records below. */
#define MODEL_BYTES_PER_PAGE 64ull
/* Code, stacks, the results writer's buffers: fixed. */
#define FIXED_BYTES (32ull << 20)

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

uint64_t mem_need_guest_ram(const struct run_config *cfg)
{
	/* Every vCPU's slot of guest RAM is host memory of this process
	 * (prefaulted, or touched by the pattern during the run). */
	return cfg->overlap ? cfg->size : sat_mul(cfg->size, cfg->vcpus);
}

void mem_need_of(const struct run_config *cfg, bool sim, uint64_t repeats, uint64_t pool_cap,
		 struct mem_need *out)
{
	uint64_t ram = mem_need_guest_ram(cfg);
	uint64_t pages = ram / PHYS_PAGE_SIZE;
	uint64_t rec = sizeof(struct fault_record);
	/* The faults a run can record: the log's default capacity, for all
	 * vCPUs together (a page faults at most twice). */
	uint64_t faults = sat_add(sat_mul(pages, 2), 1024ull * cfg->vcpus);
	uint64_t pooled = sat_mul(faults, repeats) < pool_cap ? sat_mul(faults, repeats) : pool_cap;

	*out = (struct mem_need){ .guest_ram = ram };
	if (sim) {
		/* Resident pool (sim_harness), one table per 2 MiB, metadata. */
		uint64_t pool = (pages / 512 + pages / (1u << 18) + 64 + 32ull * cfg->vcpus) *
				PHYS_PAGE_SIZE;
		out->model = sat_add(sat_add(pool, sat_mul(pages, MODEL_BYTES_PER_PAGE)),
				     pages / 512 * PHYS_PAGE_SIZE);
		out->modeled_dram = sat_add(ram, sat_add(pool, pages / 512 * PHYS_PAGE_SIZE));
	}
	/* The vCPUs' logs, their merge, the pool over repeats, 8 bytes a
	 * fault of summary scratch. */
	out->fault_log = sat_add(sat_mul(sat_add(sat_mul(faults, 2), pooled), rec),
				 sat_mul(faults, 8));
	out->resident = sat_add(sat_add(ram, out->model), sat_add(out->fault_log, FIXED_BYTES));
	/* Each vCPU's log reserves its whole default capacity up front. */
	uint64_t reserved = sat_mul(sat_mul(kvm_default_fault_log_capacity(ram), rec), cfg->vcpus);
	out->address_space = sat_add(out->resident, reserved);
}

/* "Key:   123 kB" of a /proc file, in bytes; UINT64_MAX when absent. */
static uint64_t proc_kb(const char *path, const char *key)
{
	char line[256];
	uint64_t v = UINT64_MAX;
	size_t n = strlen(key);
	FILE *f = fopen(path, "r");

	if (!f)
		return v;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':') {
			v = strtoull(line + n + 1, NULL, 10) * 1024;
			break;
		}
	fclose(f);
	return v;
}

/* A number file of a cgroup ("max": none); UINT64_MAX when absent. */
static uint64_t cgroup_value(const char *dir, const char *name)
{
	char path[4096], text[64];
	uint64_t v = UINT64_MAX;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	if (!f)
		return v;
	if (fgets(text, sizeof(text), f) && strncmp(text, "max", 3))
		v = strtoull(text, NULL, 10);
	fclose(f);
	return v;
}

/* Room left under the memory cgroup of this process (v2, then v1). */
static uint64_t cgroup_room(void)
{
	char line[1024], dir[4096];
	uint64_t room = UINT64_MAX;
	FILE *f = fopen("/proc/self/cgroup", "r");

	if (!f)
		return room;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		const char *path = strchr(strchr(line, ':') ? strchr(line, ':') + 1 : line, ':');
		bool v2 = !strncmp(line, "0::", 3), v1 = strstr(line, ":memory:") != NULL;
		if (!path || (!v2 && !v1))
			continue;
		/* The cgroup's own directory, or (a container's namespace) the root. */
		const char *roots[] = { v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/memory",
					v2 ? "/sys/fs/cgroup/unified" : NULL };
		for (size_t r = 0; r < 2 && roots[r]; r++)
			for (int own = 1; own >= 0; own--) {
				snprintf(dir, sizeof(dir), "%s%s", roots[r], own ? path + 1 : "");
				uint64_t limit = cgroup_value(dir, v2 ? "memory.max"
								  : "memory.limit_in_bytes");
				uint64_t used = cgroup_value(dir, v2 ? "memory.current"
								 : "memory.usage_in_bytes");
				/* v1 says "no limit" with a huge page-rounded number. */
				if (limit == UINT64_MAX || limit >= (1ull << 60) || used == UINT64_MAX)
					continue;
				uint64_t left = limit > used ? limit - used : 0;
				room = left < room ? left : room;
			}
	}
	fclose(f);
	return room;
}

static uint64_t rlimit_room(int resource, uint64_t used)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return UINT64_MAX;
	if (used == UINT64_MAX)
		used = 0;
	return rl.rlim_cur > used ? rl.rlim_cur - used : 0;
}

void mem_available(struct mem_available *out)
{
	*out = (struct mem_available){
		.host = proc_kb("/proc/meminfo", "MemAvailable"),
		.cgroup = cgroup_room(),
		.rlimit_as = rlimit_room(RLIMIT_AS, proc_kb("/proc/self/status", "VmSize")),
		.rlimit_data = rlimit_room(RLIMIT_DATA, proc_kb("/proc/self/status", "VmData")),
		.modeled_dram = PHYS_DEFAULT_SIZE,
	};
}

/* "1.5 GiB", or "unknown"/"no limit" for UINT64_MAX. */
static const char *gib(uint64_t bytes, char *buf, size_t len, const char *none)
{
	if (bytes == UINT64_MAX)
		snprintf(buf, len, "%s", none);
	else
		snprintf(buf, len, "%.2f GiB", (double)bytes / GIB);
	return buf;
}

int mem_check(const struct mem_need *need, const struct mem_available *a, char *err,
	      size_t err_len)
{
	char n[4][32], r[32], h[32], c[32], as[32], ds[32], m[32];
	const char *limit = NULL;
	uint64_t room = UINT64_MAX, want = need->resident;

	if (need->modeled_dram > a->modeled_dram)
		limit = "the modeled DRAM", room = a->modeled_dram, want = need->modeled_dram;
	else if (need->resident > a->host)
		limit = "the host's MemAvailable", room = a->host;
	else if (need->resident > a->cgroup)
		limit = "the memory cgroup's limit", room = a->cgroup;
	else if (need->address_space > a->rlimit_as)
		limit = "RLIMIT_AS", room = a->rlimit_as, want = need->address_space;
	else if (need->address_space > a->rlimit_data)
		limit = "RLIMIT_DATA", room = a->rlimit_data, want = need->address_space;
	if (!limit)
		return 0;
	snprintf(err, err_len, "needs %s (guest RAM %s, model %s, fault log %s) but %s leaves "
		 "%s [available: host %s, cgroup %s, RLIMIT_AS %s, RLIMIT_DATA %s, modeled DRAM %s]",
		 gib(want, n[0], 32, "?"), gib(need->guest_ram, n[1], 32, "?"),
		 gib(need->model, n[2], 32, "?"), gib(need->fault_log, n[3], 32, "?"), limit,
		 gib(room, r, 32, "?"), gib(a->host, h, 32, "unknown"),
		 gib(a->cgroup, c, 32, "no limit"), gib(a->rlimit_as, as, 32, "no limit"),
		 gib(a->rlimit_data, ds, 32, "no limit"), gib(a->modeled_dram, m, 32, "?"));
	return -1;
}
