/*
 * Pinning, perf notes and repetitions for `rme-bench run` (run_measure.h).
 */
#define _GNU_SOURCE
#include "harness/run_measure.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli/cli.h"
#include "kvm/policy.h"
#include "sys/perf.h"
#include "results/atomic_file.h"
#include "clock/stage_clock.h"
#include "results/stats.h"

/* ---- pinning ---- */

int run_pin_init(struct run_pinning *p, const char *pin_arg, const unsigned *vcpus,
		 size_t n_vcpus, char *err, size_t len)
{
	char why[200];

	memset(p, 0, sizeof(*p));
	p->have_original = !sched_getaffinity(0, sizeof(p->original), &p->original);
	if (pin_arg && !strcmp(pin_arg, "off")) {
		p->off = true;
		snprintf(p->note, sizeof(p->note), "pinning off (--pin off)");
	}
	if (pin_arg && !p->off) {
		if (sys_cpulist_parse(pin_arg, &p->user, why, sizeof(why))) {
			snprintf(err, len, "--pin: %s", why);
			return -1;
		}
		p->from_user = true;
	}
	if (sys_topology_load(&p->topo, why, sizeof(why))) {
		p->topo = NULL;
		if (p->from_user) {
			snprintf(err, len, "--pin: cannot read the topology: %s", why);
			return -1;
		}
		snprintf(p->note, sizeof(p->note), "unpinned: topology unavailable: %s", why);
		return 0;
	}
	for (size_t i = 0; i < n_vcpus && p->from_user; i++) {
		struct sys_pin_plan *plan = sys_pin_plan_compute(p->topo, vcpus[i], &p->user,
								 why, sizeof(why));
		if (!plan) {
			snprintf(err, len, "--pin: %s (the main thread takes the first CPU, "
				 "vCPU i the (i+2)-th)", why);
			return -1;
		}
		free(plan);
	}
	return 0;
}

static void plans_append(struct run_pinning *p, unsigned vcpus, const struct sys_pin_plan *plan)
{
	char *text = NULL, *joined;
	size_t text_len = 0;
	FILE *f = open_memstream(&text, &text_len);

	if (!f)
		return;
	fprintf(f, "\"%u\": ", vcpus);
	sys_pin_plan_write_json(plan, f);
	fclose(f);
	/* One entry per vCPU count: the first run of that count records it. */
	char key[24];
	snprintf(key, sizeof(key), "\"%u\": ", vcpus);
	if (p->plans && strstr(p->plans, key)) {
		free(text);
		return;
	}
	joined = realloc(p->plans, p->plans_len + text_len + 3);
	if (joined) {
		p->plans = joined;
		p->plans_len += (size_t)sprintf(p->plans + p->plans_len, "%s%s",
						 p->plans_len ? ", " : "", text);
	}
	free(text);
}

static void restore_main(struct run_pinning *p)
{
	if (p->have_original)
		sched_setaffinity(0, sizeof(p->original), &p->original);
}

unsigned run_cpus_available(void)
{
	/* Read once, before pinning narrows the calling thread's mask. */
	static unsigned cpus;
	cpu_set_t set;

	if (cpus)
		return cpus;
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) {
		cpus = (unsigned)CPU_COUNT(&set);
	} else {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		cpus = n > 0 ? (unsigned)n : 1;
	}
	return cpus;
}

const int *run_pin_apply(struct run_pinning *p, unsigned vcpus, int *vcpu_pu)
{
	char why[SYS_PIN_NOTE_LEN];

	restore_main(p);
	if (p->off || !p->topo)
		return NULL;
	struct sys_pin_plan *plan = sys_pin_plan_compute(p->topo, vcpus,
							 p->from_user ? &p->user : NULL,
							 why, sizeof(why));
	if (!plan)
		return NULL; /* validated in run_pin_init; a default plan cannot fail */
	plans_append(p, vcpus, plan);
	const int *ret = NULL;
	if (plan->pinned) {
		if (sys_pin_bind_self(p->topo, plan->pin[0].pu, why, sizeof(why)) != 0) {
			/* Binding not supported here: everything runs unpinned. */
			snprintf(p->note, sizeof(p->note), "%s", why);
		} else {
			for (unsigned i = 0; i < vcpus; i++)
				vcpu_pu[i] = plan->pin[i + 1].pu;
			ret = vcpu_pu;
		}
	}
	free(plan);
	return ret;
}

int run_pin_meta(struct run_pinning *p, struct results_writer *w, char *err, size_t len)
{
	char *json = malloc(p->plans_len + 64);
	int ret;

	if (!json) {
		snprintf(err, len, "out of memory");
		return -1;
	}
	sprintf(json, "{%s}", p->plans ? p->plans : "");
	ret = results_meta_add_json(w, "pinning", json, err, len);
	free(json);
	if (!ret && p->note[0])
		ret = results_meta_add_string(w, "pinning_note", p->note, err, len);
	if (!ret && p->topo) {
		struct sys_topology_counts c;
		char buf[256], pus[128];
		sys_topology_counts(p->topo, &c);
		sys_topology_pu_list(p->topo, pus, sizeof(pus));
		snprintf(buf, sizeof(buf), "{\"file\": \"topology.xml\", \"packages\": %u, "
			 "\"cores\": %u, \"pus\": %u, \"numa_nodes\": %u, \"usable_pus\": \"%s\"}",
			 c.packages, c.cores, c.pus, c.numa_nodes, pus);
		ret = results_meta_add_json(w, "topology", buf, err, len);
	}
	return ret;
}

int run_pin_write_topology(struct run_pinning *p, const char *dir, char *err, size_t len)
{
	char path[4096];

	if (!p->topo)
		return 0;
	snprintf(path, sizeof(path), "%s/topology.xml", dir);
	return sys_topology_export_xml(p->topo, path, err, len);
}

void run_pin_free(struct run_pinning *p)
{
	restore_main(p);
	sys_topology_free(p->topo);
	free(p->plans);
	memset(p, 0, sizeof(*p));
}

/* ---- perf ---- */

int run_perf_meta(struct results_writer *w, char *err, size_t len)
{
	struct sys_perf_group *g = sys_perf_open();
	char *text = NULL;
	size_t text_len = 0;
	FILE *f = open_memstream(&text, &text_len);
	int ret = -1;

	if (!g || !f) {
		snprintf(err, len, "perf: out of memory");
	} else {
		sys_perf_write_json(g, f);
		fclose(f);
		f = NULL;
		ret = results_meta_add_json(w, "perf", text, err, len);
	}
	if (f)
		fclose(f);
	free(text);
	sys_perf_close(g);
	return ret;
}

void run_perf_add(struct run_perf_sum *s, const struct run_result *r, bool first)
{
	if (first) {
		memset(s, 0, sizeof(*s));
		for (int c = 0; c < SYS_PERF_COUNT; c++)
			s->available[c] = true;
	}
	if (!r->perf_read) {
		for (int c = 0; c < SYS_PERF_COUNT; c++)
			s->available[c] = false;
		return;
	}
	s->runs_read++;
	s->multiplexed |= r->perf_multiplexed;
	for (int c = 0; c < SYS_PERF_COUNT; c++) {
		s->available[c] &= r->perf_available[c];
		s->value[c] += r->perf_value[c];
	}
}

size_t run_perf_extras(const struct run_perf_sum *s, uint64_t faults,
		       struct results_extra *out, size_t max)
{
	/* Names live as long as the program: extras are written at commit. */
	static char names[SYS_PERF_COUNT][2][48];
	size_t n = 0;

	for (int c = 0; c < SYS_PERF_COUNT && n + 2 <= max; c++) {
		if (!s->runs_read || !s->available[c])
			continue;
		snprintf(names[c][0], sizeof(names[c][0]), "perf.%s", sys_perf_counter_name(c));
		snprintf(names[c][1], sizeof(names[c][1]), "perf.%s_per_fault",
			 sys_perf_counter_name(c));
		out[n++] = (struct results_extra){ names[c][0], s->value[c] };
		out[n++] = (struct results_extra){ names[c][1],
						   faults ? s->value[c] / (double)faults : 0 };
	}
	if (n < max && s->runs_read)
		out[n++] = (struct results_extra){ "perf.multiplexed", s->multiplexed ? 1 : 0 };
	return n;
}

/* ---- per-stage counters (--perf-stages) ---- */

void run_perf_stage_add(struct run_perf_stage_sum *s, const struct run_result *r,
			bool first)
{
	struct run_perf_stages *a = &s->s;
	const struct run_perf_stages *b = &r->perf_stages;

	if (first) {
		memset(s, 0, sizeof(*s));
		for (int c = 0; c < SYS_PERF_COUNT; c++)
			a->available[c] = true;
	}
	if (!r->perf_stages_read) {
		for (int c = 0; c < SYS_PERF_COUNT; c++)
			a->available[c] = false;
		return;
	}
	s->runs_read++;
	a->reads += b->reads;
	a->read_failures += b->read_failures;
	a->minflt_run += b->minflt_run;
	a->multiplexed |= b->multiplexed;
	for (int c = 0; c < SYS_PERF_COUNT; c++)
		a->available[c] &= b->available[c];
	for (int st = 0; st < STAGE_COUNT; st++) {
		a->marks[st] += b->marks[st];
		a->minflt[st] += b->minflt[st];
		a->never_counted[st] |= b->never_counted[st];
		for (int c = 0; c < SYS_PERF_COUNT; c++)
			a->value[st][c] += b->value[st][c];
	}
}

size_t run_perf_stage_extras(const struct run_perf_stage_sum *s, uint64_t faults,
			     double read_cost_ns, struct results_extra *out, size_t max)
{
	/* Names are copied by the results writer; one buffer per slot. */
	static char names[STAGE_COUNT][SYS_PERF_COUNT + 2][2][64];
	const struct run_perf_stages *a = &s->s;
	double per = faults ? 1.0 / (double)faults : 0;
	size_t n = 0;

	if (!s->runs_read || max < 4)
		return 0;
	out[n++] = (struct results_extra){ "perf_stages", 1 };
	out[n++] = (struct results_extra){ "perf_stage.reads_per_fault",
					   (double)a->reads * per };
	out[n++] = (struct results_extra){ "perf_stage.read_cost_ns",
					   read_cost_ns > 0 ? read_cost_ns : 0 };
	out[n++] = (struct results_extra){ "perf_stage.multiplexed", a->multiplexed ? 1 : 0 };
	if (n < max)
		out[n++] = (struct results_extra){ "perf_stage.minor-faults", (double)a->minflt_run };
	for (int st = 0; st < STAGE_COUNT; st++) {
		const char *sn = stage_name((enum stage)st);
		if (!a->marks[st] || n >= max)
			continue;
		snprintf(names[st][SYS_PERF_COUNT][0], 64, "perf_stage.%s.marks", sn);
		out[n++] = (struct results_extra){ names[st][SYS_PERF_COUNT][0],
						   (double)a->marks[st] };
		if (n + 2 <= max) {
			char (*mn)[64] = names[st][SYS_PERF_COUNT + 1];
			snprintf(mn[0], 64, "perf_stage.%s.minor-faults", sn);
			snprintf(mn[1], 64, "perf_stage.%s.minor-faults_per_fault", sn);
			out[n++] = (struct results_extra){ mn[0], (double)a->minflt[st] };
			out[n++] = (struct results_extra){ mn[1], (double)a->minflt[st] * per };
		}
		for (int c = 0; c < SYS_PERF_COUNT && n + 2 <= max; c++) {
			if (!a->available[c] || a->never_counted[st])
				continue;
			const char *cn = sys_perf_counter_name((enum sys_perf_counter)c);
			snprintf(names[st][c][0], 64, "perf_stage.%s.%s", sn, cn);
			snprintf(names[st][c][1], 64, "perf_stage.%s.%s_per_fault", sn, cn);
			out[n++] = (struct results_extra){ names[st][c][0], a->value[st][c] };
			out[n++] = (struct results_extra){ names[st][c][1], a->value[st][c] * per };
		}
	}
	return n;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

double run_perf_read_cost_ns(void)
{
	enum { READS = 2000 };
	static uint64_t t[READS];
	struct sys_perf_group *g = sys_perf_open();
	struct sys_perf_sample smp;
	double ret = -1;

	if (!g)
		return -1;
	if (sys_perf_available_count(g)) {
		for (int i = 0; i < READS; i++) {
			struct rusage ru;
			uint64_t a = stage_clock_now();
			int e = sys_perf_read(g, &smp) | getrusage(RUSAGE_THREAD, &ru);
			t[i] = stage_clock_now() - a;
			if (e)
				goto out;
		}
		qsort(t, READS, sizeof(t[0]), cmp_u64);
		ret = (double)stage_clock_ticks_to_ns(t[READS / 2]);
	}
out:
	sys_perf_close(g);
	return ret;
}

int run_perf_stage_meta(struct results_writer *w, double read_cost_ns, char *err,
			size_t len)
{
	struct sys_perf_group *g = sys_perf_open();
	char buf[2048];
	size_t n = 0;

	if (!g) {
		snprintf(err, len, "perf: out of memory");
		return -1;
	}
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "{\"on\": true, \"counters\": [");
	for (int c = 0, first = 1; c < SYS_PERF_COUNT; c++) {
		if (!sys_perf_available(g, (enum sys_perf_counter)c))
			continue;
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\"%s\"", first ? "" : ", ",
				      sys_perf_counter_name((enum sys_perf_counter)c));
		first = 0;
	}
	sys_perf_close(g);
	snprintf(buf + n, sizeof(buf) - n,
		 "], \"also\": \"minor-faults (getrusage RUSAGE_THREAD, not a perf event)\", "
		 "\"read_cost_ns_median\": %.0f, \"note\": \"each stage boundary of a "
		 "fault reads the vCPU thread's perf group once (one read()) and its "
		 "minor-fault count (one getrusage()); the delta goes to the stage the "
		 "boundary closes, and the reads' own cost (read_cost_ns_median per "
		 "boundary) is timed into that stage's time and counted in its counters: "
		 "stage times of this run are not comparable with runs without "
		 "--perf-stages. rec_exit and rec_enter have no counters (their ends are "
		 "stamped by the guest clock); unattributed counts only the intervals the "
		 "host explicitly skips, not its computed remainder. perf page-faults "
		 "misses faults the kernel takes for the thread (get_user_pages, "
		 "MADV_POPULATE_WRITE: page_pin's); minor-faults counts them. "
		 "Unavailable counters are listed in perf\"}",
		 read_cost_ns > 0 ? read_cost_ns : 0);
	return results_meta_add_json(w, "perf_stages", buf, err, len);
}

/* ---- repetitions ---- */

uint64_t run_median_ns(const struct run_result *r)
{
	uint64_t *t = malloc((r->n_faults ? r->n_faults : 1) * sizeof(*t));
	uint64_t m = 0;

	if (!t || !r->n_faults) {
		free(t);
		return 0;
	}
	for (size_t i = 0; i < r->n_faults; i++)
		t[i] = r->faults[i].total_ns;
	stats_sort_u64(t, r->n_faults);
	m = stats_percentile_sorted(t, r->n_faults, STATS_PPM(50));
	free(t);
	return m;
}

double run_repeat_ci_pct(const struct run_repeats *rep, uint64_t *median, uint64_t *lo,
			 uint64_t *hi)
{
	uint64_t copy[RUN_MAX_REPEATS];
	struct sample_stats st;

	if (!rep->n)
		return -1;
	memcpy(copy, rep->p50, rep->n * sizeof(copy[0]));
	if (stats_summarize(copy, rep->n, &st))
		return -1;
	*median = st.p50;
	if (!st.has_p50_ci || !st.p50)
		return -1;
	*lo = st.p50_ci_low;
	*hi = st.p50_ci_high;
	uint64_t half = st.p50 - st.p50_ci_low > st.p50_ci_high - st.p50 ?
		st.p50 - st.p50_ci_low : st.p50_ci_high - st.p50;
	return 100.0 * (double)half / (double)st.p50;
}

const char *run_repeat_stop_name(enum run_repeat_stop s)
{
	static const char *const names[] = { "count", "ci_reached", "time_budget",
					     "max_repeats" };
	return names[s];
}

size_t run_repeat_extras(const struct run_repeats *rep, struct results_extra *out, size_t max)
{
	uint64_t median = 0, lo = 0, hi = 0;
	double pct = run_repeat_ci_pct(rep, &median, &lo, &hi);
	size_t n = 0;

	if (max < 6)
		return 0;
	out[n++] = (struct results_extra){ "repeats", (double)rep->n };
	/* 0 count, 1 CI reached, 2 time budget, 3 max repeats (repeats.csv). */
	out[n++] = (struct results_extra){ "repeat_stop", (double)rep->stop };
	out[n++] = (struct results_extra){ "repeat_p50_median_ns", (double)median };
	if (pct >= 0) {
		out[n++] = (struct results_extra){ "repeat_p50_ci_low_ns", (double)lo };
		out[n++] = (struct results_extra){ "repeat_p50_ci_high_ns", (double)hi };
		out[n++] = (struct results_extra){ "repeat_p50_ci_halfwidth_pct", pct };
	}
	return n;
}

static int log_printf(struct run_repeat_log *log, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int log_printf(struct run_repeat_log *log, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		size_t room = log->cap - log->len;
		va_start(ap, fmt);
		int n = vsnprintf(log->buf ? log->buf + log->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -1;
		if ((size_t)n < room) {
			log->len += (size_t)n;
			return 0;
		}
		size_t cap = (log->cap + (size_t)n + 1) * 2;
		char *b = realloc(log->buf, cap);
		if (!b)
			return -1;
		log->buf = b;
		log->cap = cap;
	}
}

int run_repeat_log_add(struct run_repeat_log *log, int run_id, const struct run_config *cfg,
		       const char *abi, const struct run_repeats *rep)
{
	char pg[16];

	if (!log->len && log_printf(log, "run,vm,pattern,policy,abi,page,size,vcpus,repeat,"
				    "faults,p50_ns,total_ns,stop\n"))
		return -1;
	for (unsigned i = 0; i < rep->n; i++)
		if (log_printf(log, "%d,%s,%s,%s,%s,%s,%llu,%u,%u,%llu,%llu,%llu,%s\n", run_id,
			       cfg->vm == VM_REALM ? "realm" : "normal", cfg->pattern->name,
			       cfg->policy->name, abi, cli_format_size(cfg->page, pg, sizeof(pg)),
			       (unsigned long long)cfg->size, cfg->vcpus, i,
			       (unsigned long long)rep->faults[i], (unsigned long long)rep->p50[i],
			       (unsigned long long)rep->total_ns[i],
			       run_repeat_stop_name(rep->stop)))
			return -1;
	return 0;
}

int run_repeat_log_write(const struct run_repeat_log *log, const char *dir, char *err,
			 size_t len)
{
	char path[4096], *tmp;
	FILE *f;

	snprintf(path, sizeof(path), "%s/repeats.csv", dir);
	f = atomic_file_open(path, &tmp, err, len);
	if (!f)
		return -1;
	if (fwrite(log->buf ? log->buf : "", 1, log->len, f) != log->len) {
		snprintf(err, len, "cannot write %s: %s", path, strerror(errno));
		atomic_file_abort(f, tmp);
		return -1;
	}
	return atomic_file_commit(f, tmp, path, err, len);
}

void run_repeat_log_free(struct run_repeat_log *log)
{
	free(log->buf);
	memset(log, 0, sizeof(*log));
}
