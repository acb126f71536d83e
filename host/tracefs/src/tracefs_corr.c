/*
 * Correlation of parsed trace events into per-fault stage records, one
 * state machine per vCPU thread (see trace/tracefs.h for the rules).
 */
#define _GNU_SOURCE
#include "tracefs/tracefs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 16
#define LOG_CHUNK 4096

enum role { ROLE_NONE, ROLE_EXIT, ROLE_ENTRY, ROLE_GUEST_FAULT, ROLE_CALL, ROLE_RETURN,
	    ROLE_SMC };

struct frame {
	size_t probe;
	uint64_t start_ns;
	uint64_t child_ns; /* inclusive time of probed callees */
};

struct thread {
	pid_t pid;
	uint32_t vcpu;
	bool in_exit;   /* between kvm_exit and kvm_entry */
	bool tainted;   /* something in this span did not add up */
	bool is_fault;  /* a mapping stage ran */
	bool have_ipa;
	uint64_t exit_ns, first_call_ns, last_return_ns;
	bool any_call;
	bool clamped;          /* a stage time of this span did not fit 32 bits */
	struct frame stack[MAX_DEPTH];
	int depth;
	struct fault_record rec;
	uint32_t span_fids[TRACEFS_RMI_FIDS]; /* RMI calls of this span */
	uint32_t span_calls;
	/* The span before this one was a RIPAS change: its record (NULL when
	 * the filter dropped it) and whether the filter kept it. */
	bool prev_ripas, prev_kept;
	struct fault_record *prev_rec;
};

struct tracefs_corr {
	struct tracefs_plan plan;
	char entry_name[48], exit_name[48];
	bool auto_vcpus;
	struct thread *threads;
	size_t n_threads, cap_threads;
	struct fault_log **logs; /* per vCPU */
	size_t n_logs;
	struct tracefs_corr_stats stats;
	const struct tracefs_raw_ts *ns; /* tracefs_corr_use_ns */
	size_t n_ns, next_ns;
	tracefs_corr_keep_fn keep; /* tracefs_corr_set_filter */
	void *keep_ctx;
	uint64_t rmi_counts[TRACEFS_RMI_FIDS];          /* kept fault records */
	uint64_t rmi_counts_filtered[TRACEFS_RMI_FIDS]; /* records the filter dropped */
	uint64_t rmi_counts_outside[TRACEFS_RMI_FIDS];  /* in no fault record */
};

static const char *basename_of(const char *tp)
{
	const char *slash = strrchr(tp, '/');
	return slash ? slash + 1 : tp;
}

static struct fault_log *new_log(uint32_t vcpu)
{
	return fault_log_create(vcpu, LOG_CHUNK);
}

static struct thread *add_thread(struct tracefs_corr *c, pid_t pid, uint32_t vcpu)
{
	if (c->n_threads == c->cap_threads) {
		size_t cap = c->cap_threads ? 2 * c->cap_threads : 8;
		struct thread *t = realloc(c->threads, cap * sizeof(*t));
		if (!t)
			return NULL;
		c->threads = t;
		c->cap_threads = cap;
	}
	struct thread *t = &c->threads[c->n_threads++];
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->vcpu = vcpu;
	return t;
}

struct tracefs_corr *tracefs_corr_create(const struct tracefs_plan *plan, const pid_t *tids,
					 size_t n_tids)
{
	struct tracefs_corr *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->plan = *plan;
	snprintf(c->entry_name, sizeof(c->entry_name), "%s", basename_of(plan->entry_tp));
	snprintf(c->exit_name, sizeof(c->exit_name), "%s", basename_of(plan->exit_tp));
	c->auto_vcpus = n_tids == 0;
	for (size_t i = 0; i < n_tids; i++) {
		struct fault_log **logs = realloc(c->logs, (i + 1) * sizeof(*logs));
		if (!logs)
			goto fail;
		c->logs = logs;
		c->logs[i] = new_log((uint32_t)i);
		if (!c->logs[i] || !add_thread(c, tids[i], (uint32_t)i))
			goto fail;
		c->n_logs = i + 1;
	}
	return c;
fail:
	if (c->logs && c->n_logs < n_tids && n_tids > 0 && c->logs[c->n_logs])
		fault_log_destroy(c->logs[c->n_logs]);
	tracefs_corr_destroy(c);
	return NULL;
}

void tracefs_corr_destroy(struct tracefs_corr *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_logs; i++)
		fault_log_destroy(c->logs[i]);
	free(c->logs);
	free(c->threads);
	free(c);
}

const struct tracefs_corr_stats *tracefs_corr_stats(const struct tracefs_corr *c)
{
	return &c->stats;
}

size_t tracefs_corr_vcpus(const struct tracefs_corr *c)
{
	return c->n_logs;
}

struct fault_log *tracefs_corr_log(const struct tracefs_corr *c, size_t i)
{
	return i < c->n_logs ? c->logs[i] : NULL;
}

/* Which role NAME plays; *PROBE gets the probe index for calls/returns. */
static enum role role_of(const struct tracefs_corr *c, const char *name, size_t *probe)
{
	if (!strcmp(name, c->exit_name))
		return ROLE_EXIT;
	if (!strcmp(name, c->entry_name))
		return ROLE_ENTRY;
	if (!strncmp(name, "rmeb_smc", 8))
		return ROLE_SMC;
	if (!strcmp(name, "kvm_guest_fault"))
		return ROLE_GUEST_FAULT;
	for (size_t i = 0; i < c->plan.n_probes; i++) {
		const struct tracefs_probe_plan *p = &c->plan.probes[i];
		size_t n = strlen(p->name);
		if (!p->symbol[0] || strncmp(name, p->name, n))
			continue;
		*probe = i;
		if (name[n] == '\0')
			return ROLE_CALL;
		if (!strcmp(name + n, "_ret"))
			return ROLE_RETURN;
	}
	return ROLE_NONE;
}

static struct thread *thread_of(struct tracefs_corr *c, pid_t pid, enum role role)
{
	for (size_t i = 0; i < c->n_threads; i++)
		if (c->threads[i].pid == pid)
			return &c->threads[i];
	if (!c->auto_vcpus || role != ROLE_EXIT)
		return NULL;
	/* Ingest mode: a thread that leaves a guest is a vCPU thread. */
	struct fault_log **logs = realloc(c->logs, (c->n_logs + 1) * sizeof(*logs));
	if (!logs)
		return NULL;
	c->logs = logs;
	uint32_t vcpu = (uint32_t)c->n_logs;
	c->logs[vcpu] = new_log(vcpu);
	if (!c->logs[vcpu])
		return NULL;
	c->n_logs++;
	return add_thread(c, pid, vcpu);
}

/* "key=0x..." or "key 0x..." in an event body. */
static bool body_u64(const char *body, const char *key, uint64_t *out)
{
	size_t n = strlen(key);
	for (const char *p = strstr(body, key); p; p = strstr(p + 1, key)) {
		if (p != body && p[-1] != ' ' && p[-1] != ',')
			continue;
		const char *v = p + n;
		if (*v != '=' && *v != ' ')
			continue;
		char *end;
		errno = 0;
		unsigned long long x = strtoull(v + 1, &end, 0);
		if (end == v + 1 || errno)
			return false;
		*out = x;
		return true;
	}
	return false;
}

static uint8_t level_of_size(uint64_t size)
{
	switch (size) {
	case 1ull << 12: return 3;
	case 1ull << 21: return 2;
	case 1ull << 30: return 1;
	default: return 0;
	}
}

static void start_span(struct thread *t, uint64_t ts)
{
	t->in_exit = true;
	t->tainted = false;
	t->is_fault = false;
	t->have_ipa = false;
	t->any_call = false;
	t->clamped = false;
	t->depth = 0;
	t->exit_ns = ts;
	t->rec = (struct fault_record){ .vcpu = t->vcpu };
	memset(t->span_fids, 0, sizeof(t->span_fids));
	t->span_calls = 0;
}

static void add_fids(uint64_t *to, const uint32_t *from)
{
	for (size_t i = 0; i < TRACEFS_RMI_FIDS; i++)
		to[i] += from[i];
}

/*
 * The RMI calls of a span that is no fault: a RIPAS change's completion
 * when the span right before it on this thread was that change (the host
 * applies a change at the next REC entry), otherwise calls outside every
 * fault. Never dropped: each lands in exactly one of the three counts.
 */
static void span_calls_elsewhere(struct tracefs_corr *c, struct thread *t)
{
	if (!t->span_calls)
		return;
	if (t->prev_ripas && t->prev_kept) {
		t->prev_rec->rmi_calls += t->span_calls;
		add_fids(c->rmi_counts, t->span_fids);
		c->stats.smc_in_faults += t->span_calls;
		c->stats.smc_joined_ripas += t->span_calls;
	} else if (t->prev_ripas) {
		add_fids(c->rmi_counts_filtered, t->span_fids);
		c->stats.smc_filtered += t->span_calls;
		c->stats.smc_joined_ripas += t->span_calls;
	} else {
		add_fids(c->rmi_counts_outside, t->span_fids);
		c->stats.smc_elsewhere += t->span_calls;
	}
}

/* A stage time for the record's 32-bit field; one that does not fit
 * (over 4.29 s) marks the span, so the loss is counted, not hidden. */
static uint32_t clamp32(struct thread *t, uint64_t v)
{
	if (v > UINT32_MAX) {
		t->clamped = true;
		return UINT32_MAX;
	}
	return (uint32_t)v;
}

static void end_span(struct tracefs_corr *c, struct thread *t, uint64_t ts)
{
	t->in_exit = false;
	/* A broken span may have lost the very event that made it a fault. */
	if (t->tainted || t->depth != 0 || ts < t->exit_ns) {
		c->stats.unbalanced++;
		add_fids(c->rmi_counts_outside, t->span_fids);
		c->stats.smc_elsewhere += t->span_calls;
		t->prev_ripas = false;
		return;
	}
	if (!t->is_fault) {
		c->stats.other_exits++;
		span_calls_elsewhere(c, t);
		t->prev_ripas = false;
		return;
	}
	struct fault_record *r = &t->rec;
	r->total_ns = ts - t->exit_ns;
	r->stage_ns[STAGE_EXIT_DECODE] = clamp32(t, t->first_call_ns - t->exit_ns);
	r->stage_ns[STAGE_REC_ENTER] = clamp32(t, ts - t->last_return_ns);
	uint64_t named = 0;
	for (int s = 0; s < STAGE_UNATTRIBUTED; s++)
		named += r->stage_ns[s];
	r->stage_ns[STAGE_UNATTRIBUTED] = named < r->total_ns ? clamp32(t, r->total_ns - named) : 0;
	if (r->level == 0 && (r->kind == FAULT_PROTECTED || r->kind == FAULT_UNPROTECTED))
		r->level = r->stage_ns[STAGE_RTT_FOLD] ? 2 : 3;
	t->prev_ripas = r->kind == FAULT_RIPAS_CHANGE;
	t->prev_rec = NULL;
	t->prev_kept = !c->keep || c->keep(c->keep_ctx, r);
	if (!t->prev_kept) {
		c->stats.filtered++;
		add_fids(c->rmi_counts_filtered, t->span_fids);
		c->stats.smc_filtered += r->rmi_calls;
		return;
	}
	struct fault_log *log = c->logs[t->vcpu];
	/* Not a hot path: grow instead of dropping (a failed grow is counted
	 * as dropped by the log itself). */
	if (log->current->used == log->current->capacity && !log->current->next)
		(void)fault_log_grow(log, LOG_CHUNK);
	struct fault_record *slot = fault_log_next(log);
	*slot = *r;
	/* The log's chunks never move: a later RIPAS completion can add its
	 * calls to this record. A dropped record (scratch slot) cannot. */
	if (slot != &log->scratch)
		t->prev_rec = slot;
	else
		t->prev_kept = false;
	c->stats.faults++;
	add_fids(c->rmi_counts, t->span_fids);
	c->stats.stages_clamped += t->clamped;
	c->stats.smc_in_faults += r->rmi_calls;
}

/* One SMC site hit: an RMI call of this span if x0 is an RMI FID. */
static void smc_site_hit(struct tracefs_corr *c, struct thread *t, const struct tracefs_event *ev)
{
	uint64_t fid;

	if (!body_u64(ev->body, "fid", &fid) || fid < TRACEFS_RMI_FID_BASE ||
	    fid >= TRACEFS_RMI_FID_BASE + TRACEFS_RMI_FIDS) {
		c->stats.smc_foreign_fid++;
		return;
	}
	if (!t->in_exit) {
		c->stats.smc_elsewhere++;
		c->rmi_counts_outside[fid - TRACEFS_RMI_FID_BASE]++;
		return;
	}
	t->rec.rmi_calls++;
	t->span_calls++;
	t->span_fids[fid - TRACEFS_RMI_FID_BASE]++;
}

const uint64_t *tracefs_corr_rmi_counts(const struct tracefs_corr *c)
{
	return c->rmi_counts;
}

const uint64_t *tracefs_corr_rmi_counts_filtered(const struct tracefs_corr *c)
{
	return c->rmi_counts_filtered;
}

const uint64_t *tracefs_corr_rmi_counts_outside(const struct tracefs_corr *c)
{
	return c->rmi_counts_outside;
}

void tracefs_corr_set_filter(struct tracefs_corr *c, tracefs_corr_keep_fn keep, void *ctx)
{
	c->keep = keep;
	c->keep_ctx = ctx;
}

static void call(struct thread *t, size_t probe, const struct tracefs_event *ev,
		 const struct tracefs_probe_plan *p)
{
	if (t->depth == MAX_DEPTH) {
		t->tainted = true;
		return;
	}
	if (!t->any_call) {
		t->any_call = true;
		t->first_call_ns = ev->ts_ns;
	}
	t->stack[t->depth++] = (struct frame){ .probe = probe, .start_ns = ev->ts_ns };
	if (p->stage == STAGE_S2_MAP) {
		uint64_t v;
		if (!t->have_ipa && body_u64(ev->body, "addr", &v)) {
			t->rec.ipa = v;
			t->have_ipa = true;
		}
		if (body_u64(ev->body, "size", &v))
			t->rec.level = level_of_size(v);
	}
}

static void ret(struct thread *t, size_t probe, const struct tracefs_event *ev,
		const struct tracefs_probe_plan *p)
{
	if (t->depth == 0 || t->stack[t->depth - 1].probe != probe ||
	    ev->ts_ns < t->stack[t->depth - 1].start_ns) {
		t->tainted = true; /* a missed kretprobe or a lost event */
		t->depth = 0;
		return;
	}
	struct frame *f = &t->stack[--t->depth];
	uint64_t incl = ev->ts_ns - f->start_ns;
	uint64_t self = incl > f->child_ns ? incl - f->child_ns : 0;
	t->rec.stage_ns[p->stage] = clamp32(t, t->rec.stage_ns[p->stage] + self);
	if (t->depth > 0)
		t->stack[t->depth - 1].child_ns += incl;
	else
		t->last_return_ns = ev->ts_ns;
	if (p->fault_kind >= 0) {
		/* The most specific kind wins: a relax inside a map span is a
		 * permission fault, a RIPAS change outranks the aborts it may
		 * contain. */
		if (!t->is_fault || p->fault_kind == FAULT_RIPAS_CHANGE || p->fault_kind == FAULT_PERM)
			t->rec.kind = (uint8_t)p->fault_kind;
		t->is_fault = true;
	}
}

static void feed_event(struct tracefs_corr *c, const struct tracefs_event *ev)
{
	size_t probe = 0;
	enum role role = role_of(c, ev->name, &probe);
	if (role == ROLE_NONE)
		return;
	struct thread *t = thread_of(c, ev->pid, role);
	if (!t) {
		c->stats.foreign_threads++;
		return;
	}
	switch (role) {
	case ROLE_EXIT:
		if (t->in_exit) /* an exit without its entry: drop the span */
			c->stats.unbalanced++;
		start_span(t, ev->ts_ns);
		break;
	case ROLE_ENTRY:
		if (t->in_exit)
			end_span(c, t, ev->ts_ns);
		break;
	case ROLE_GUEST_FAULT: {
		uint64_t ipa;
		if (t->in_exit && body_u64(ev->body, "ipa", &ipa)) {
			t->rec.ipa = ipa;
			t->have_ipa = true;
		}
		break;
	}
	case ROLE_CALL:
		if (t->in_exit)
			call(t, probe, ev, &c->plan.probes[probe]);
		break;
	case ROLE_RETURN:
		if (t->in_exit)
			ret(t, probe, ev, &c->plan.probes[probe]);
		break;
	case ROLE_SMC:
		smc_site_hit(c, t, ev);
		break;
	case ROLE_NONE:
		break;
	}
}

void tracefs_corr_use_ns(struct tracefs_corr *c, const struct tracefs_raw_ts *ts, size_t n)
{
	c->ns = ts;
	c->n_ns = n;
	c->next_ns = 0;
}

/* The text rounds to the nearest microsecond: allow one either way. */
static void apply_ns(struct tracefs_corr *c, struct tracefs_event *ev)
{
	if (!c->ns || c->next_ns >= c->n_ns)
		return;
	const struct tracefs_raw_ts *r = &c->ns[c->next_ns++];
	uint64_t us_text = ev->ts_ns / 1000, us_raw = r->ts_ns / 1000;
	if (r->pid != ev->pid || r->cpu != ev->cpu || us_raw + 1 < us_text || us_text + 1 < us_raw) {
		c->stats.ns_mismatches++;
		return;
	}
	ev->ts_ns = r->ts_ns;
	c->stats.ns_events++;
}

enum tracefs_status tracefs_corr_feed_line(struct tracefs_corr *c, const char *line)
{
	struct tracefs_event ev;
	switch (tracefs_parse_line(line, &ev)) {
	case TRACEFS_LINE_EVENT:
		c->stats.events++;
		apply_ns(c, &ev);
		feed_event(c, &ev);
		break;
	case TRACEFS_LINE_LOST:
		/* Every open span may have lost events: none can be trusted. */
		c->stats.lost_lines++;
		for (size_t i = 0; i < c->n_threads; i++)
			if (c->threads[i].in_exit)
				c->threads[i].tainted = true;
		break;
	case TRACEFS_LINE_BAD:
		c->stats.bad_lines++;
		break;
	case TRACEFS_LINE_SKIP:
		break;
	}
	return TRACEFS_OK;
}

enum tracefs_status tracefs_corr_feed_file(struct tracefs_corr *c, const char *path,
					   char *err, size_t err_len)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, err_len, "tracefs: cannot open %s: %s", path, strerror(errno));
		return TRACEFS_EIO;
	}
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) != -1)
		tracefs_corr_feed_line(c, line);
	bool failed = ferror(f);
	free(line);
	fclose(f);
	if (failed) {
		snprintf(err, err_len, "tracefs: read error on %s", path);
		return TRACEFS_EIO;
	}
	return tracefs_corr_check_text(c, path, err, err_len);
}

enum tracefs_status tracefs_corr_check_text(const struct tracefs_corr *c, const char *name,
					    char *err, size_t err_len)
{
	/* Text that is not a trace at all is an input error, not zero faults. */
	if (c->stats.events == 0 && c->stats.bad_lines > 0) {
		snprintf(err, err_len, "tracefs: %s is not in the kernel's trace format "
			 "(%llu unreadable lines, no events)", name,
			 (unsigned long long)c->stats.bad_lines);
		return TRACEFS_EPARSE;
	}
	return TRACEFS_OK;
}
