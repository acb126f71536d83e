/*
 * memstress-style harness of the sim backend (see sim_harness.h).
 */
#define _GNU_SOURCE
#include "harness/sim_harness.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "kvm/lifecycle.h"
#include "kvm/policy.h"
#include "payload/sim_runtime.h"
#include "phys/phys.h"
#include "clock/fault_log.h"
#include "clock/stage_clock.h"
#include "results/stats.h"

/* One vCPU thread's per-stage counters (cfg.perf_stages): written only
 * by its thread, from the stage timer's mark hook; read after the join. */
struct stage_perf_acc {
	struct sys_perf_group *g;
	struct sys_perf_sample last;
	bool have_last;
	uint64_t raw[STAGE_COUNT][SYS_PERF_COUNT];
	uint64_t enabled_ns[STAGE_COUNT], running_ns[STAGE_COUNT];
	uint64_t marks[STAGE_COUNT];
	uint64_t minflt[STAGE_COUNT];  /* getrusage(RUSAGE_THREAD) minor faults */
	uint64_t last_minflt;
	uint64_t reads, read_failures;
};

struct vcpu_thread {
	pthread_t thread;
	struct kvm_vcpu *vcpu;
	struct sim_payload payload;
	pthread_barrier_t *start;
	int pin_cpu;
	bool pin_failed;
	bool perf;
	struct sys_perf_delta perf_delta;
	bool perf_ok;
	bool perf_stages;
	struct stage_perf_acc stage_perf;
	uint64_t minflt_run;
	int ret;
	char error[256];
};

static uint64_t payload_exit_ts(void *ctx) { return sim_payload_exit_ts(ctx); }
static uint64_t payload_resume_ts(void *ctx) { return sim_payload_resume_ts(ctx); }

static uint64_t grew(uint64_t after, uint64_t before)
{
	return after >= before ? after - before : 0;
}

/* This thread's minor faults so far. Unlike perf's page-faults event it
 * also counts faults taken inside the kernel on the thread's behalf
 * (get_user_pages, MADV_POPULATE_WRITE: how page_pin faults pages in),
 * which the perf event does not see (they have no user register state). */
static uint64_t thread_minflt(void)
{
	struct rusage ru;
	return getrusage(RUSAGE_THREAD, &ru) ? 0 : (uint64_t)ru.ru_minflt;
}

/* Stage timer mark hook: one read() of the group and one getrusage(); the
 * delta since the previous boundary goes to the stage being closed
 * (STAGE_COUNT: the fault's start, a new baseline). No locks, no
 * allocation. */
static void stage_perf_hook(void *ctx, enum stage closed)
{
	struct stage_perf_acc *a = ctx;
	struct sys_perf_sample now;
	uint64_t minflt = thread_minflt();

	a->reads++;
	if (sys_perf_read(a->g, &now)) {
		a->read_failures++;
		a->have_last = false;
		return;
	}
	if ((unsigned)closed < STAGE_COUNT && a->have_last) {
		for (int c = 0; c < SYS_PERF_COUNT; c++)
			a->raw[closed][c] += grew(now.value[c], a->last.value[c]);
		a->enabled_ns[closed] += grew(now.time_enabled_ns, a->last.time_enabled_ns);
		a->running_ns[closed] += grew(now.time_running_ns, a->last.time_running_ns);
		a->marks[closed]++;
		a->minflt[closed] += grew(minflt, a->last_minflt);
	}
	a->last_minflt = minflt;
	a->last = now;
	a->have_last = true;
}

static void *vcpu_thread_main(void *arg)
{
	struct vcpu_thread *t = arg;

	if (t->pin_cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(t->pin_cpu, &set);
		t->pin_failed = pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0;
	}
	/* The group counts this thread; opened before the start so probing
	 * the counters is not part of the run. */
	struct sys_perf_group *g = t->perf ? sys_perf_open() : NULL;
	struct sys_perf_sample before, after;
	if (g && t->perf_stages) {
		t->stage_perf.g = g;
		stage_timer_set_hook(&t->vcpu->fault.timer, stage_perf_hook, &t->stage_perf);
	}
	pthread_barrier_wait(t->start);
	bool have_before = g && !sys_perf_read(g, &before);
	uint64_t minflt0 = thread_minflt();
	t->ret = kvm_vcpu_run(t->vcpu);
	t->minflt_run = thread_minflt() - minflt0;
	if (have_before && !sys_perf_read(g, &after)) {
		sys_perf_delta(g, &before, &after, &t->perf_delta);
		t->perf_ok = !t->perf_delta.never_counted;
	}
	/* The group goes away: no mark after this may read it. */
	stage_timer_set_hook(&t->vcpu->fault.timer, NULL, NULL);
	t->stage_perf.g = NULL;
	sys_perf_close(g);
	if (t->ret < 0)
		snprintf(t->error, sizeof(t->error), "vcpu %u: %s", t->vcpu->id,
			 kvm_last_error());
	return NULL;
}

struct sim_env {
	struct phys_mem *dram;
	struct rmm *rmm;
	struct kvm *kvm;
	struct vcpu_thread *threads;
	struct rmm_counts before;
};

static void phase_from_clock(struct run_phase *ph, const struct kvm_phase_clock *clock,
			     uint64_t t0)
{
	ph->present = true;
	ph->total_ns = stage_clock_ticks_to_ns(stage_clock_now() - t0);
	for (int s = 0; s < LIFECYCLE_STAGE_COUNT && ph->n_stages < RUN_MAX_PHASE_STAGES; s++)
		if (clock->ticks[s])
			ph->stages[ph->n_stages++] = (struct results_count){
				lifecycle_stage_name((enum lifecycle_stage)s),
				stage_clock_ticks_to_ns(clock->ticks[s]) };
}

static void phase_rmi_counts(struct sim_env *env, struct run_phase *ph,
			     const struct rmm_counts *before);

/* Teardown of the VM, timed as the teardown phase when TEARDOWN is set:
 * from the destroy call until the host has its memory back. */
static void env_destroy_vm(struct sim_env *env, struct run_result *res, bool timed)
{
	struct kvm_phase_clock clock;
	struct rmm_counts before;
	struct run_phase *ph = res ? &res->phases[RUN_PHASE_TEARDOWN] : NULL;
	uint64_t bytes = env->kvm->cfg.ram_size;

	if (timed && ph) {
		if (env->rmm)
			rmm_counts_read(env->rmm, &before);
		kvm_phase_bind(env->kvm, &clock);
	}
	uint64_t t0 = stage_clock_now();
	uint64_t leaked = kvm_destroy_vm(env->kvm);
	if (timed && ph) {
		phase_from_clock(ph, &clock, t0);
		ph->bytes = bytes;
		ph->measured = -1;
		if (env->rmm)
			phase_rmi_counts(env, ph, &before);
	}
	if (res)
		res->leaked_granules = leaked;
	env->kvm = NULL;
}

static void env_destroy(struct sim_env *env, struct run_result *res, bool timed_teardown)
{
	if (env->kvm)
		env_destroy_vm(env, res, timed_teardown);
	rmm_destroy(env->rmm);
	phys_destroy(env->dram);
	free(env->threads);
	memset(env, 0, sizeof(*env));
}

static int fail(struct run_result *res, const char *what, const char *why)
{
	snprintf(res->error, sizeof(res->error), "%s: %s", what, why);
	return -1;
}

uint64_t sim_dram_size(uint64_t ram)
{
	uint64_t headroom = PHYS_DEFAULT_SIZE / 2;

	return ram + headroom > PHYS_DEFAULT_SIZE ? ram + headroom : PHYS_DEFAULT_SIZE;
}

/* Records each vCPU keeps: all of them (0) while the log of every fault
 * fits `max` records, else a sample of its share. */
static uint64_t sim_fault_sample(uint64_t ram, unsigned vcpus, uint64_t max)
{
	uint64_t capacity = kvm_default_fault_log_capacity(ram);

	return capacity * vcpus <= max ? 0 : (max + vcpus - 1) / vcpus;
}

uint64_t sim_model_bytes(uint64_t ram, unsigned vcpus, bool realm)
{
	uint64_t pages = ram / PHYS_PAGE_SIZE;
	uint64_t records = pages * 2 + 1024 * (uint64_t)vcpus;

	if (records > SIM_FAULT_SAMPLE)
		records = SIM_FAULT_SAMPLE;
	return (realm ? pages * 16 : 0) + ram / (2ULL << 20) * PHYS_PAGE_SIZE +
	       records * sizeof(struct fault_record) * 2;
}

uint64_t sim_guest_ram_host_bytes(uint64_t ram)
{
	return ram > SIM_RAM_WINDOW ? SIM_RAM_WINDOW : ram;
}

static int build_vm(const struct run_config *cfg, struct sim_env *env,
		    struct run_result *res)
{
	bool realm = cfg->vm == VM_REALM;
	uint64_t ram = cfg->overlap ? cfg->size : cfg->size * cfg->vcpus;

	env->dram = phys_create(PHYS_DEFAULT_BASE, sim_dram_size(ram));
	if (!env->dram)
		return fail(res, "modeled DRAM", "out of memory");
	/* With guest RAM prefaulted, the model's own pages are resident too:
	 * enough for a last-level table per 2 MiB, one per GiB above it, and
	 * each vCPU's REC, run page, auxiliary granules and parameters. An
	 * empty pool only costs speed, so a failure is not an error. */
	if (!cfg->fresh_backing)
		(void)phys_reserve(env->dram, ram / (2ULL << 20) + ram / (1ULL << 30) + 64 +
						      32ULL * cfg->vcpus);
	struct smc_conduit conduit, *cp = NULL;
	if (realm) {
		struct rmm_config rc = { .abi = cfg->policy->abi };
		env->rmm = rmm_create(&rc, env->dram);
		if (!env->rmm)
			return fail(res, "RMM model", "out of memory");
		conduit = rmm_conduit(env->rmm);
		cp = &conduit;
	}
	struct kvm_config kc = {
		.populate = cfg->phases & RUN_PHASE_BIT(RUN_PHASE_POPULATE),
		.populate_bytes = cfg->populate,
		.populate_measured = cfg->populate_measured,
		.type = cfg->vm,
		.policy = cfg->policy,
		.ram_gpa = KVM_DEFAULT_RAM_GPA,
		.ram_size = ram,
		.backing_page = cfg->page,
		.hugetlb = cfg->hugetlb,
		.nr_vcpus = cfg->vcpus,
		.stage_timing = cfg->stage_timing,
		.fresh_backing = cfg->fresh_backing,
		.rmi_weights = cfg->rmi_weights,
		.ram_window = ram > SIM_RAM_WINDOW ? SIM_RAM_WINDOW : 0,
		.fault_sample = sim_fault_sample(ram, cfg->vcpus, cfg->fault_sample ?
								   cfg->fault_sample :
								   SIM_FAULT_SAMPLE),
		.seed = cfg->seed,
	};
	if (kvm_create_vm(&kc, env->dram, cp, &env->kvm))
		return fail(res, "create VM", kvm_last_error());
	return 0;
}

static int add_vcpus(const struct run_config *cfg, struct sim_env *env,
		     struct run_result *res)
{
	struct kvm *kvm = env->kvm;
	struct sim_guest_layout layout = {
		.ram_base = kvm->cfg.ram_gpa,
		.ram_size = kvm->cfg.ram_size,
		.unprotected_bit = kvm_unprotected_bit(kvm),
		.premapped = kvm->cfg.type == VM_REALM && kvm->cfg.populate ?
			     kvm->cfg.populate_bytes : 0,
	};
	char err[200];

	env->threads = calloc(cfg->vcpus, sizeof(*env->threads));
	if (!env->threads)
		return fail(res, "vCPU threads", "out of memory");
	for (unsigned i = 0; i < cfg->vcpus; i++) {
		struct vcpu_thread *t = &env->threads[i];
		struct pattern_params pp = {
			.size = cfg->size, .page = cfg->page, .vcpus = cfg->vcpus, .vcpu = i,
			.seed = cfg->seed, .realm = cfg->vm == VM_REALM, .overlap = cfg->overlap,
			.map_page = kvm_policy_map_limit(cfg->policy, cfg->page, cfg->hugetlb),
		};
		if (sim_payload_init(&t->payload, cfg->pattern, &pp, &layout, err, sizeof(err)))
			return fail(res, cfg->pattern->name, err);
		struct guest_clock clock = { payload_exit_ts, payload_resume_ts, &t->payload };
		if (kvm_vcpu_create(kvm, i, sim_payload_guest(&t->payload), clock, &t->vcpu))
			return fail(res, "create vCPU", kvm_last_error());
		t->pin_cpu = cfg->pin_cpus ? cfg->pin_cpus[i] : -1;
		t->perf = cfg->perf_counters;
		t->perf_stages = cfg->perf_counters && cfg->perf_stages;
	}
	if (kvm_vm_finalize(kvm))
		return fail(res, "finalize VM", kvm_last_error());
	if (env->rmm)
		for (unsigned i = 0; i < cfg->vcpus; i++)
			if (rmm_sim_rec_attach_guest(env->rmm, env->threads[i].vcpu->rec,
						     sim_payload_guest(&env->threads[i].payload)))
				return fail(res, "attach guest", "REC not found");
	return 0;
}

static int run_threads(const struct run_config *cfg, struct sim_env *env,
		       struct run_result *res)
{
	pthread_barrier_t start;
	unsigned started = 0;
	int ret = 0;

	pthread_barrier_init(&start, NULL, cfg->vcpus + 1);
	for (; started < cfg->vcpus; started++) {
		env->threads[started].start = &start;
		if (pthread_create(&env->threads[started].thread, NULL, vcpu_thread_main,
				   &env->threads[started]))
			break;
	}
	if (started < cfg->vcpus) {
		/* Cannot start every vCPU: the barrier would never open. */
		fprintf(stderr, "rme-bench: cannot create vCPU threads\n");
		abort();
	}
	if (env->rmm)
		rmm_counts_read(env->rmm, &env->before);
	uint64_t t0 = stage_clock_now();
	pthread_barrier_wait(&start);
	for (unsigned i = 0; i < cfg->vcpus; i++)
		pthread_join(env->threads[i].thread, NULL);
	res->total_ns = stage_clock_ticks_to_ns(stage_clock_now() - t0);
	pthread_barrier_destroy(&start);

	for (unsigned i = 0; i < cfg->vcpus; i++)
		if (env->threads[i].ret < 0 && !ret) {
			snprintf(res->error, sizeof(res->error), "%s", env->threads[i].error);
			ret = -1;
		}
	return ret;
}

static void add_count(struct results_count *counts, size_t *n_counts, const char *name,
		      uint64_t n)
{
	if (n && *n_counts < RUN_MAX_COUNTS)
		counts[(*n_counts)++] = (struct results_count){ name, n };
}

/* RMI command names with their prefix, built once (slot order). */
static char rmi_names[RMM_MAX_COMMANDS][40];

/* The RMI commands and RSI events since BEFORE, by name, into COUNTS;
 * *calls gets the commands but REC_ENTER (entering the realm is no
 * call made to handle anything). */
static void rmi_count_delta(struct sim_env *env, enum rmi_abi abi,
			    const struct rmm_counts *before, struct results_count *counts,
			    size_t *n_counts, uint64_t *calls)
{
	struct rmm_counts after;

	rmm_counts_read(env->rmm, &after);
	for (int slot = 0; slot < RMM_MAX_COMMANDS; slot++) {
		const char *name = rmi_command_name_of_slot(slot);
		uint64_t n = 0;
		if (!name)
			continue;
		for (int s = 0; s < RMI_STATUS_COUNT; s++)
			n += after.cmd[slot][s] - before->cmd[slot][s];
		if (!rmi_names[slot][0])
			snprintf(rmi_names[slot], sizeof(rmi_names[slot]), "RMI_%s", name);
		add_count(counts, n_counts, rmi_names[slot], n);
		if (rmi_command_fid(name, abi) != RMI_REC_ENTER)
			*calls += n;
	}
	add_count(counts, n_counts, "RSI_IPA_STATE_SET",
		  after.event[RMM_EV_RSI_IPA_STATE_SET] - before->event[RMM_EV_RSI_IPA_STATE_SET]);
	add_count(counts, n_counts, "SEA_INJECTED",
		  after.event[RMM_EV_SEA_INJECTED] - before->event[RMM_EV_SEA_INJECTED]);
}

/* (The VM may be gone: a teardown's counts are read after it.) */
static void phase_rmi_counts(struct sim_env *env, struct run_phase *ph,
			     const struct rmm_counts *before)
{
	rmi_count_delta(env, rmm_abi(env->rmm), before, ph->counts, &ph->n_counts,
			&ph->rmi_calls);
}

static void collect_counts(struct sim_env *env, struct run_result *res)
{
	if (env->rmm)
		rmi_count_delta(env, rmm_abi(env->rmm), &env->before, res->counts,
				&res->n_counts, &res->rmi_calls);
	for (unsigned i = 0; i < env->kvm->nr_vcpus; i++) {
		const struct sim_payload_counters *n = sim_payload_counters(&env->threads[i].payload);
		const struct kvm_vcpu *v = env->threads[i].vcpu;
		res->guest_accesses += n->accesses;
		res->guest_first_touches += n->first_touches;
		res->guest_exits += n->exits;
		res->guest_seas += n->seas;
		res->guest_errors += n->guest_errors;
		res->missed_faults += n->missed_faults;
		res->unexpected_exits += n->unexpected_exits;
		res->races += v->stats.races;
		res->rtt_create_lost += v->stats.rtt_create_lost;
		res->rtt_recreated += v->stats.rtt_recreated;
		res->spare_taken += v->stats.spare_taken;
		res->spare_kept += v->stats.spare_kept;
		res->spare_full += v->stats.spare_full;
		res->scan_folded += v->stats.scan_folded;
		res->scan_refused += v->stats.scan_refused;
		res->host_page_ins += v->stats.host_page_ins;
		res->mmio_exits += v->stats.mmio;
		res->irq_exits += v->stats.exits[RMI_EXIT_IRQ];
		res->pin_failures += env->threads[i].pin_failed;
		if (n->guest_errors && !res->error[0])
			snprintf(res->error, sizeof(res->error), "vcpu %u guest: %s", i,
				 sim_payload_error(&env->threads[i].payload));
	}
}

/* Sum the vCPU threads' counters; a counter missing on any vCPU is
 * unavailable (a partial sum would be a silently wrong number). */
static void collect_perf(const struct run_config *cfg, struct sim_env *env,
			 struct run_result *res)
{
	if (!cfg->perf_counters)
		return;
	res->perf_read = true;
	for (int c = 0; c < SYS_PERF_COUNT; c++)
		res->perf_available[c] = true;
	for (unsigned i = 0; i < cfg->vcpus; i++) {
		const struct vcpu_thread *t = &env->threads[i];
		if (!t->perf_ok) {
			res->perf_read = false;
			return;
		}
		res->perf_multiplexed |= t->perf_delta.multiplexed;
		for (int c = 0; c < SYS_PERF_COUNT; c++) {
			res->perf_available[c] &= t->perf_delta.available[c];
			res->perf_value[c] += t->perf_delta.value[c];
		}
	}
	for (int c = 0; c < SYS_PERF_COUNT; c++)
		if (!res->perf_available[c])
			res->perf_value[c] = 0;
}

/* Merge the vCPUs' per-stage accumulators (after the join). A counter
 * is available only if every vCPU's group had it and no read failed; a
 * stage's values are scaled by its own enabled/running time. */
static void collect_perf_stages(const struct run_config *cfg, struct sim_env *env,
				struct run_result *res)
{
	struct run_perf_stages *ps = &res->perf_stages;
	uint64_t enabled[STAGE_COUNT] = { 0 }, running[STAGE_COUNT] = { 0 };
	uint64_t raw[STAGE_COUNT][SYS_PERF_COUNT];

	if (!cfg->perf_counters || !cfg->perf_stages || !res->perf_read)
		return;
	memset(raw, 0, sizeof(raw));
	memset(ps, 0, sizeof(*ps));
	for (int c = 0; c < SYS_PERF_COUNT; c++)
		ps->available[c] = res->perf_available[c];
	for (unsigned i = 0; i < cfg->vcpus; i++) {
		const struct stage_perf_acc *a = &env->threads[i].stage_perf;
		ps->reads += a->reads;
		ps->read_failures += a->read_failures;
		ps->minflt_run += env->threads[i].minflt_run;
		for (int s = 0; s < STAGE_COUNT; s++) {
			ps->marks[s] += a->marks[s];
			ps->minflt[s] += a->minflt[s];
			enabled[s] += a->enabled_ns[s];
			running[s] += a->running_ns[s];
			for (int c = 0; c < SYS_PERF_COUNT; c++)
				raw[s][c] += a->raw[s][c];
		}
	}
	if (ps->read_failures)
		for (int c = 0; c < SYS_PERF_COUNT; c++)
			ps->available[c] = false;
	for (int s = 0; s < STAGE_COUNT; s++) {
		double scale = 1.0;
		if (running[s] < enabled[s]) {
			ps->multiplexed = true;
			if (!running[s]) {
				ps->never_counted[s] = true;
				continue;
			}
			scale = (double)enabled[s] / (double)running[s];
		}
		for (int c = 0; c < SYS_PERF_COUNT; c++)
			if (ps->available[c])
				ps->value[s][c] = (double)raw[s][c] *
						  (c == SYS_PERF_TASK_CLOCK ? 1.0 : scale);
	}
	res->perf_stages_read = true;
}

/* Sampled logs: each vCPU's reservoir is a uniform sample of its own
 * faults; keeping the same fraction of every vCPU's faults (the smallest
 * kept / seen, each vCPU's rows picked uniformly from its reservoir by a
 * partial Fisher-Yates shuffle, fixed seed) makes the merged rows a
 * uniform sample of the run. The exact statistics are summed. */
static int collect_sampled(struct sim_env *env, struct run_result *res, uint64_t seed)
{
	unsigned n = env->kvm->nr_vcpus;
	double keep = 1.0;
	size_t total = 0;

	if (!(res->hist = calloc(1, sizeof(*res->hist))))
		return fail(res, "fault records", "out of memory");
	histogram_init(&res->hist->fault_ns);
	for (int s = 0; s < STAGE_COUNT; s++)
		histogram_init(&res->hist->stages[s]);
	for (unsigned i = 0; i < n; i++) {
		const struct kvm_vcpu *v = env->threads[i].vcpu;
		double kept = v->sample->hist->n ?
			(double)fault_log_count(v->log) / (double)v->sample->hist->n : 1.0;
		keep = kept < keep ? kept : keep;
	}
	if (!(res->faults = malloc((env->kvm->cfg.fault_sample * n + 1) * sizeof(*res->faults))))
		return fail(res, "fault records", "out of memory");
	for (unsigned i = 0; i < n; i++) {
		struct kvm_vcpu *v = env->threads[i].vcpu;
		const struct results_fault_hist *h = v->sample->hist;
		struct fault_log_chunk *c = v->log->head;
		size_t have = fault_log_count(v->log), take = (size_t)(keep * (double)h->n);
		struct stats_rng rng;

		stats_rng_seed(&rng, seed ^ (0xD1B54A32D192ED03ULL * (i + 1)));

		for (size_t k = 0; k < take && k < have; k++) {
			size_t j = k + (size_t)(stats_rng_next(&rng) % (have - k));
			struct fault_record t = c->records[k];
			c->records[k] = c->records[j];
			c->records[j] = t;
			res->faults[total++] = c->records[k];
		}
		res->hist->n += h->n;
		res->hist->rmi_calls += h->rmi_calls;
		for (int k = 0; k < FAULT_KIND_COUNT; k++)
			res->hist->kinds[k] += h->kinds[k];
		histogram_merge(&res->hist->fault_ns, &h->fault_ns);
		for (int s = 0; s < STAGE_COUNT; s++)
			histogram_merge(&res->hist->stages[s], &h->stages[s]);
	}
	res->n_faults = total;
	return 0;
}

static int collect_faults(struct sim_env *env, struct run_result *res, uint64_t seed)
{
	struct fault_log *logs[KVM_MAX_VCPUS];

	if (env->kvm->cfg.fault_sample)
		return collect_sampled(env, res, seed);

	for (unsigned i = 0; i < env->kvm->nr_vcpus; i++)
		logs[i] = env->threads[i].vcpu->log;
	if (fault_log_merge(logs, env->kvm->nr_vcpus, &res->faults, &res->n_faults,
			    &res->dropped_faults))
		return fail(res, "fault records", "out of memory");
	return 0;
}

/* The populate phase: the initial contents, timed, before the realm is
 * activated (kvm/lifecycle.h). */
static int run_populate(const struct run_config *cfg, struct sim_env *env,
			struct run_result *res)
{
	struct run_phase *ph = &res->phases[RUN_PHASE_POPULATE];
	struct kvm_phase_clock clock;
	struct rmm_counts before;

	if (env->rmm)
		rmm_counts_read(env->rmm, &before);
	kvm_phase_bind(env->kvm, &clock);
	uint64_t t0 = stage_clock_now();
	int err = kvm_vm_populate(env->kvm);
	phase_from_clock(ph, &clock, t0);
	kvm_phase_bind(env->kvm, NULL);
	if (err)
		return fail(res, "populate", kvm_last_error());
	ph->bytes = cfg->populate;
	ph->measured = cfg->vm == VM_REALM ? cfg->populate_measured : -1;
	if (env->rmm)
		phase_rmi_counts(env, ph, &before);
	return 0;
}

/* The fault phase: the run itself, its stages summed over every fault. */
static void fault_phase(struct sim_env *env, struct run_result *res)
{
	struct run_phase *ph = &res->phases[RUN_PHASE_FAULT];
	uint64_t sum[STAGE_COUNT] = { 0 };

	ph->present = true;
	/* The RAM left to fault in: a realm's populated image is mapped. */
	ph->bytes = env->kvm->cfg.ram_size - (env->kvm->cfg.type == VM_REALM &&
					      env->kvm->cfg.populate ?
					      env->kvm->cfg.populate_bytes : 0);
	ph->total_ns = res->total_ns;
	ph->rmi_calls = res->rmi_calls;
	ph->measured = -1;
	memcpy(ph->counts, res->counts, res->n_counts * sizeof(res->counts[0]));
	ph->n_counts = res->n_counts;
	for (int s = 0; s < STAGE_COUNT && res->hist; s++)
		sum[s] = (uint64_t)res->hist->stages[s].sum;
	for (size_t i = 0; i < res->n_faults && !res->hist; i++)
		for (int s = 0; s < STAGE_COUNT; s++)
			sum[s] += res->faults[i].stage_ns[s];
	for (int s = 0; s < STAGE_COUNT && ph->n_stages < RUN_MAX_PHASE_STAGES; s++)
		if (sum[s])
			ph->stages[ph->n_stages++] = (struct results_count){
				stage_name((enum stage)s), sum[s] };
}

int sim_run(const struct run_config *cfg, struct run_result *res)
{
	struct sim_env env = { 0 };

	memset(res, 0, sizeof(*res));
	if (!cfg->policy || !cfg->pattern || !cfg->vcpus || cfg->vcpus > KVM_MAX_VCPUS)
		return fail(res, "configuration", "policy, pattern and 1..256 vCPUs needed");

	int ret = build_vm(cfg, &env, res);
	if (!ret && (cfg->phases & RUN_PHASE_BIT(RUN_PHASE_POPULATE)))
		ret = run_populate(cfg, &env, res);
	if (!ret)
		ret = add_vcpus(cfg, &env, res);
	if (!ret)
		ret = run_threads(cfg, &env, res);
	if (!ret) {
		collect_counts(&env, res);
		collect_perf(cfg, &env, res);
		collect_perf_stages(cfg, &env, res);
		ret = collect_faults(&env, res, cfg->seed);
	}
	if (!ret && (cfg->phases & RUN_PHASE_BIT(RUN_PHASE_FAULT)))
		fault_phase(&env, res);
	env_destroy(&env, res, !ret && (cfg->phases & RUN_PHASE_BIT(RUN_PHASE_TEARDOWN)));
	if (ret)
		run_result_free(res);
	return ret;
}

