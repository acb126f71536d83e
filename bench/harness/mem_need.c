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
#include "harness/sim_harness.h"

#define GIB (1ull << 30)
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

uint64_t mem_need_guest_ram(const struct run_config *cfg, bool sim)
{
	uint64_t ram = cfg->overlap ? cfg->size : sat_mul(cfg->size, cfg->vcpus);

	/* The sim backs guest RAM above its window by the window aliased
	 * across it; a real VM's RAM is all host memory. */
	return sim ? sim_guest_ram_host_bytes(ram) : ram;
}

void mem_need_of(const struct run_config *cfg, bool sim, uint64_t repeats, uint64_t pool_cap,
		 struct mem_need *out)
{
	uint64_t ram = cfg->overlap ? cfg->size : sat_mul(cfg->size, cfg->vcpus);
	uint64_t rec = sizeof(struct fault_record);
	uint64_t capacity = kvm_default_fault_log_capacity(ram);
	/* The records a run keeps: every fault up to the sample size. */
	uint64_t records = sat_mul(capacity, cfg->vcpus);
	if (sim && records > SIM_FAULT_SAMPLE)
		records = SIM_FAULT_SAMPLE;
	uint64_t pooled = sat_mul(records, repeats) < pool_cap ? sat_mul(records, repeats) : pool_cap;

	*out = (struct mem_need){ .guest_ram = mem_need_guest_ram(cfg, sim) };
	/* The models' granule array and tables, and the vCPUs' logs with
	 * their merge (sim_harness.h); a real VM's logs and merge alike. */
	out->model = sim ? sim_model_bytes(ram, cfg->vcpus, cfg->vm == VM_REALM)
			 : sat_mul(sat_mul(records, rec), 2);
	/* `run`'s pool over repeats, 8 bytes a record of summary scratch. */
	out->fault_log = sat_add(sat_mul(pooled, rec), sat_mul(records, 8));
	out->resident = sat_add(sat_add(out->guest_ram, out->model),
				sat_add(out->fault_log, FIXED_BYTES));
	/* Each vCPU's log reserves its share of the records up front. */
	uint64_t reserved = sat_mul(sat_add(records, cfg->vcpus), rec);
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

	/* A path too long for the buffer names no file we could read. */
	int len = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (len < 0 || (size_t)len >= sizeof(path))
		return v;
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
				int len = snprintf(dir, sizeof(dir), "%s%s", roots[r],
						   own ? path + 1 : "");
				if (len < 0 || (size_t)len >= sizeof(dir))
					continue;
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
	char n[4][32], r[32], h[32], c[32], as[32], ds[32];
	const char *limit = NULL;
	uint64_t room = UINT64_MAX, want = need->resident;

	if (need->resident > a->host)
		limit = "the host's MemAvailable", room = a->host;
	else if (need->resident > a->cgroup)
		limit = "the memory cgroup's limit", room = a->cgroup;
	else if (need->address_space > a->rlimit_as)
		limit = "RLIMIT_AS", room = a->rlimit_as, want = need->address_space;
	else if (need->address_space > a->rlimit_data)
		limit = "RLIMIT_DATA", room = a->rlimit_data, want = need->address_space;
	if (!limit)
		return 0;
	snprintf(err, err_len, "needs %s of host memory (guest RAM %s, model %s, fault log %s) "
		 "but %s leaves %s [available: host %s, cgroup %s, RLIMIT_AS %s, RLIMIT_DATA %s]",
		 gib(want, n[0], 32, "?"), gib(need->guest_ram, n[1], 32, "?"),
		 gib(need->model, n[2], 32, "?"), gib(need->fault_log, n[3], 32, "?"), limit,
		 gib(room, r, 32, "?"), gib(a->host, h, 32, "unknown"),
		 gib(a->cgroup, c, 32, "no limit"), gib(a->rlimit_as, as, 32, "no limit"),
		 gib(a->rlimit_data, ds, 32, "no limit"));
	return -1;
}
