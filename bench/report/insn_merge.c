/* Joining the QEMU instruction plugin's spans into a results directory
 * (see insn_merge.h). */
#define _GNU_SOURCE
#include "report/insn_merge.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results/atomic_file.h"
#include "results/input_file.h"
#include "results/json.h"
#include "results/stats.h"
#include "rmm/rmm.h"

#define MAX_COLS 128
#define WORLD_COLS 7
/* The world columns the results carry (the plugin also counts EL0-2 secure). */
static const char *const world_cols[WORLD_COLS] = {
	"insn_el0_ns", "insn_el1_ns", "insn_el2_ns", "insn_el0_realm",
	"insn_el1_realm", "insn_el2_realm", "insn_el3_root",
};
#define FLAG_INTERRUPTED 4u /* an IRQ/FIQ/SError was taken inside the span */
#define FLAG_WAITED 8u      /* a WFE ran inside the span: it waited for another CPU */

struct span {
	unsigned qvcpu, gvcpu, seq, flags;
	uint64_t *v; /* plugin columns */
};

struct segment { /* one guest vCPU's part of one VM run */
	unsigned vcpus;
	size_t *idx; /* into plugin_out.spans, in file order */
	size_t n, cap;
};

struct stream { /* one guest vCPU across runs */
	struct segment *seg;
	size_t n, next;
};

/* One RMI call the host issued at NS-EL2 (a "C" record of the plugin):
 * the worlds' instructions from its SMC to its return. */
struct rmi_call {
	uint64_t fid, el3, rmm, el01;
	unsigned flags;
};

struct plugin_out {
	char *run_id, *qemu, *markers, *security, *missing, *plugin_version;
	struct rmi_call *calls;
	size_t n_calls, cap_calls;
	char *cols[MAX_COLS];
	size_t n_cols;
	struct span *spans;
	size_t n_spans, cap_spans;
	struct stream streams[64];
	bool ended;
};

/* The results side: faults.csv lines, grouped per (run, vcpu). */
struct results_rows {
	char *header;
	char **line;
	unsigned *run, *vcpu;
	size_t n;
};

__attribute__((format(printf, 4, 5)))
static int fail(int rc, char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return rc;
}

static int col_index(const struct plugin_out *p, const char *name)
{
	for (size_t i = 0; i < p->n_cols; i++)
		if (!strcmp(p->cols[i], name))
			return (int)i;
	return -1;
}

/* ---- the plugin's file ---- */

static struct segment *new_segment(struct stream *s, unsigned vcpus)
{
	struct segment *n = realloc(s->seg, (s->n + 1) * sizeof(*n));
	if (!n)
		return NULL;
	s->seg = n;
	s->seg[s->n] = (struct segment){ .vcpus = vcpus };
	return &s->seg[s->n++];
}

static int add_span(struct plugin_out *p, char *rest, char *err, size_t len, size_t lineno)
{
	struct span s = { 0 };
	int used = 0;
	if (sscanf(rest, "%u %u %u %u%n", &s.qvcpu, &s.gvcpu, &s.seq, &s.flags, &used) != 4 ||
	    s.gvcpu >= 64)
		return fail(2, err, len, "span file:%zu: not a span record", lineno);
	if (!(s.v = calloc(p->n_cols, sizeof(uint64_t))))
		return fail(1, err, len, "out of memory");
	char *q = rest + used;
	for (size_t i = 0; i < p->n_cols; i++) {
		char *end;
		errno = 0;
		s.v[i] = strtoull(q, &end, 10);
		if (end == q || errno) {
			free(s.v);
			return fail(2, err, len, "span file:%zu: %zu counts, the header has %zu "
				    "columns", lineno, i, p->n_cols);
		}
		q = end;
	}
	if (p->n_spans == p->cap_spans) {
		size_t cap = p->cap_spans ? 2 * p->cap_spans : 256;
		struct span *n = realloc(p->spans, cap * sizeof(*n));
		if (!n) {
			free(s.v);
			return fail(1, err, len, "out of memory");
		}
		p->spans = n;
		p->cap_spans = cap;
	}
	p->spans[p->n_spans] = s;
	struct stream *st = &p->streams[s.gvcpu];
	struct segment *seg = st->n ? &st->seg[st->n - 1] : new_segment(st, 0);
	if (!seg)
		return fail(1, err, len, "out of memory");
	if (seg->n == seg->cap) {
		size_t c = seg->cap ? 2 * seg->cap : 64;
		size_t *n = realloc(seg->idx, c * sizeof(*n));
		if (!n)
			return fail(1, err, len, "out of memory");
		seg->idx = n;
		seg->cap = c;
	}
	seg->idx[seg->n++] = p->n_spans++;
	return 0;
}

static char *dup_value(const char *line, size_t skip)
{
	char *v = strdup(line + skip);
	if (v)
		v[strcspn(v, "\n")] = '\0';
	return v;
}

static int read_header_line(struct plugin_out *p, const char *line)
{
	struct { const char *key; char **dst; } keys[] = {
		{ "run_id ", &p->run_id }, { "qemu_version ", &p->qemu },
		{ "markers ", &p->markers }, { "security ", &p->security },
		{ "stages_missing ", &p->missing }, { "plugin_version ", &p->plugin_version },
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strncmp(line, keys[i].key, strlen(keys[i].key))) {
			free(*keys[i].dst);
			*keys[i].dst = dup_value(line, strlen(keys[i].key));
			return 0;
		}
	if (!strncmp(line, "columns ", 8)) {
		char *copy = dup_value(line, 8), *save = NULL;
		for (char *t = strtok_r(copy, " ", &save); t && p->n_cols < MAX_COLS;
		     t = strtok_r(NULL, " ", &save))
			p->cols[p->n_cols++] = strdup(t);
		free(copy);
	}
	return 0;
}

/* Calls FN on every line of PATH (with its 1-based number) until FN
 * returns non-zero; a file that cannot be opened, is not a regular file
 * within its bound, or has a line over 64 KiB is refused (2). */
static int each_line(const char *path, int (*fn)(void *, char *, size_t), void *ctx, char *err,
		     size_t len)
{
	char why[512];
	FILE *f = input_file_open(path, INPUT_TRACE_MAX, NULL, why, sizeof(why));
	if (!f)
		return fail(2, err, len, "%s", why);
	char *line = malloc(INPUT_LINE_MAX);
	size_t lineno = 0;
	enum input_line got = INPUT_LINE_EOF;
	int rc = line ? 0 : fail(1, err, len, "out of memory");
	while (rc == 0 && (got = input_file_line(f, line, INPUT_LINE_MAX)) == INPUT_LINE_OK)
		rc = fn(ctx, line, ++lineno);
	if (rc == 0 && got != INPUT_LINE_EOF)
		rc = fail(2, err, len, "%s:%zu: %s", path, lineno + 1, input_line_problem(got));
	free(line);
	fclose(f);
	return rc;
}

/* "C VCPU FID STATUS FLAGS COUNTS...": kept when FID is an RMI command. */
static int add_call(struct plugin_out *p, char *rest, char *err, size_t len, size_t lineno)
{
	int el3 = col_index(p, "insn_el3_root"), rmm = col_index(p, "insn_el2_realm");
	int el1 = col_index(p, "insn_el1_realm"), el0 = col_index(p, "insn_el0_realm");
	uint64_t v[MAX_COLS];
	char *end;
	struct rmi_call c = { 0 };
	if (el3 < 0 || rmm < 0 || el1 < 0 || el0 < 0)
		return fail(2, err, len, "span file:%zu: a call record before the columns line", lineno);
	errno = 0;
	(void)strtoul(rest, &end, 10); /* QEMU vCPU */
	c.fid = strtoull(end, &end, 16);
	(void)strtoull(end, &end, 16); /* status */
	c.flags = (unsigned)strtoul(end, &end, 10);
	for (size_t i = 0; i < p->n_cols; i++)
		v[i] = strtoull(end, &end, 10);
	while (*end == ' ' || *end == '\n')
		end++;
	if (errno || *end)
		return fail(2, err, len, "span file:%zu: not a call record", lineno);
	if (c.fid < RMI_FID_FIRST || c.fid > RMI_FID_LAST)
		return 0;
	c.el3 = v[el3];
	c.rmm = v[rmm];
	c.el01 = v[el1] + v[el0];
	if (p->n_calls == p->cap_calls) {
		size_t cap = p->cap_calls ? 2 * p->cap_calls : 256;
		struct rmi_call *n = realloc(p->calls, cap * sizeof(*n));
		if (!n)
			return fail(1, err, len, "out of memory");
		p->calls = n;
		p->cap_calls = cap;
	}
	p->calls[p->n_calls++] = c;
	return 0;
}

struct plugin_reader {
	struct plugin_out *p;
	const char *path;
	char *err;
	size_t len;
};

/* "R" records open a new run of a guest vCPU; "S" records file under
 * the latest run of their guest vCPU. */
static int plugin_line(void *ctx, char *line, size_t lineno)
{
	struct plugin_reader *rd = ctx;
	struct plugin_out *p = rd->p;
	unsigned qv, gv, vcpus;
	if (lineno == 1 && strncmp(line, "rmeb-insn 1", 11) != 0)
		return fail(2, rd->err, rd->len, "%s is not an rme-bench instruction span file",
			    rd->path);
	if (line[0] == 'S' && line[1] == ' ')
		return add_span(p, line + 2, rd->err, rd->len, lineno);
	if (line[0] == 'R' && line[1] == ' ') {
		if (sscanf(line + 2, "%u %u %u", &qv, &gv, &vcpus) != 3 || gv >= 64)
			return fail(2, rd->err, rd->len, "span file:%zu: not a run record", lineno);
		return new_segment(&p->streams[gv], vcpus) ? 0 : fail(1, rd->err, rd->len,
									 "out of memory");
	}
	if (line[0] == 'C' && line[1] == ' ')
		return add_call(p, line + 2, rd->err, rd->len, lineno);
	if (!strncmp(line, "end", 3))
		p->ended = true;
	else if (line[0] != 'T')
		return read_header_line(p, line);
	return 0;
}

static int read_plugin(const char *path, struct plugin_out *p, char *err, size_t len)
{
	struct plugin_reader rd = { p, path, err, len };
	int rc = each_line(path, plugin_line, &rd, err, len);
	if (rc)
		return rc;
	if (!p->ended)
		return fail(2, err, len, "%s has no final \"end\" line: QEMU did not exit cleanly "
			    "(truncated span file)", path);
	if (!p->n_cols || col_index(p, "insn_el2_ns") < 0)
		return fail(2, err, len, "%s has no columns line", path);
	return 0;
}

/* ---- the results side ---- */

static int field_pos(const char *header, const char *name)
{
	int i = 0;
	size_t n = strlen(name);
	for (const char *p = header;; i++) {
		size_t l = strcspn(p, ",\n");
		if (l == n && !strncmp(p, name, n))
			return i;
		if (p[l] != ',')
			return -1;
		p += l + 1;
	}
}

static bool nth_u(const char *line, int pos, unsigned *out)
{
	for (int i = 0; i < pos; i++) {
		line = strchr(line, ',');
		if (!line)
			return false;
		line++;
	}
	char *end;
	unsigned long v = strtoul(line, &end, 10);
	if (end == line || (*end != ',' && *end != '\n' && *end))
		return false;
	*out = (unsigned)v;
	return true;
}

struct rows_reader {
	struct results_rows *r;
	const char *path;
	char *err;
	size_t len, alloc;
	int prun, pvcpu;
};

static int grow_rows(struct rows_reader *rd)
{
	struct results_rows *r = rd->r;
	if (r->n < rd->alloc)
		return 0;
	size_t alloc = rd->alloc ? 2 * rd->alloc : 1024;
	char **l = realloc(r->line, alloc * sizeof(*l));
	if (l)
		r->line = l;
	unsigned *a = l ? realloc(r->run, alloc * sizeof(*a)) : NULL;
	if (a)
		r->run = a;
	unsigned *b = a ? realloc(r->vcpu, alloc * sizeof(*b)) : NULL;
	if (!b)
		return fail(1, rd->err, rd->len, "out of memory");
	r->vcpu = b;
	rd->alloc = alloc;
	return 0;
}

static int rows_line(void *ctx, char *line, size_t lineno)
{
	struct rows_reader *rd = ctx;
	struct results_rows *r = rd->r;
	if (!r->header) {
		if (!(r->header = strdup(line)))
			return fail(1, rd->err, rd->len, "out of memory");
		rd->prun = field_pos(line, "run");
		rd->pvcpu = field_pos(line, "vcpu");
		if (rd->prun < 0 || rd->pvcpu < 0)
			return fail(2, rd->err, rd->len, "%s: no run/vcpu columns", rd->path);
		if (field_pos(line, "insn_el2_ns") >= 0)
			return fail(2, rd->err, rd->len, "%s already has instruction columns "
				    "(merged before?)", rd->path);
		return 0;
	}
	int rc = grow_rows(rd);
	if (rc)
		return rc;
	if (!nth_u(line, rd->prun, &r->run[r->n]) || !nth_u(line, rd->pvcpu, &r->vcpu[r->n]))
		return fail(2, rd->err, rd->len, "%s:%zu: no run/vcpu number", rd->path, lineno);
	line[strcspn(line, "\n")] = '\0';
	if (!(r->line[r->n] = strdup(line)))
		return fail(1, rd->err, rd->len, "out of memory");
	r->n++;
	return 0;
}

static int read_rows(const char *path, struct results_rows *r, char *err, size_t len)
{
	struct rows_reader rd = { .r = r, .path = path, .err = err, .len = len };
	int rc = each_line(path, rows_line, &rd, err, len);
	if (!rc && !r->header)
		rc = fail(2, err, len, "%s is empty", path);
	return rc;
}

/* ---- pairing rows with spans ---- */

struct out_cols { /* what the results get, as plugin column indexes */
	const char *name[MAX_COLS];
	int src[MAX_COLS];  /* plugin column, or -1: computed */
	size_t n;
	int el2, stage_first, stage_n, exc_sync, exc_irq, exc_fiq, exc_serror, wfe;
};

static void add_col(struct out_cols *c, const char *name, int src)
{
	if (c->n < MAX_COLS) {
		c->name[c->n] = name;
		c->src[c->n++] = src;
	}
}

static int plan_columns(const struct plugin_out *p, struct out_cols *c, char *err, size_t len)
{
	*c = (struct out_cols){ .stage_first = -1 };
	for (int i = 0; i < WORLD_COLS; i++) {
		int src = col_index(p, world_cols[i]);
		if (src < 0)
			return fail(2, err, len, "span file: no column %s", world_cols[i]);
		add_col(c, world_cols[i], src);
	}
	for (size_t i = 0; i < p->n_cols; i++)
		if (!strncmp(p->cols[i], "op_", 3))
			add_col(c, p->cols[i], (int)i);
	for (size_t i = 0; i < p->n_cols; i++)
		if (!strncmp(p->cols[i], "stage_", 6) && strncmp(p->cols[i], "stage_unused", 12)) {
			if (c->stage_first < 0)
				c->stage_first = (int)c->n;
			c->stage_n++;
			add_col(c, p->cols[i], (int)i); /* renamed insn_s_* when written */
		}
	add_col(c, "insn_s_el2_other", -1);
	add_col(c, "insn_exc_sync", col_index(p, "exc_sync"));
	add_col(c, "insn_exc_async", -1);
	add_col(c, "insn_flags", -1);
	c->el2 = col_index(p, "insn_el2_ns");
	c->exc_irq = col_index(p, "exc_irq");
	c->exc_fiq = col_index(p, "exc_fiq");
	c->exc_serror = col_index(p, "exc_serror");
	c->wfe = col_index(p, "op_wfe");
	if (c->exc_irq < 0 || c->exc_fiq < 0 || c->exc_serror < 0 || c->src[c->n - 3] < 0 ||
	    c->wfe < 0)
		return fail(2, err, len, "span file: no exc_* or op_wfe columns");
	return 0;
}

static uint64_t out_value(const struct out_cols *c, size_t col, const struct span *s)
{
	if (c->src[col] >= 0)
		return s->v[c->src[col]];
	uint64_t async = s->v[c->exc_irq] + s->v[c->exc_fiq] + s->v[c->exc_serror];
	const char *name = c->name[col];
	if (!strcmp(name, "insn_exc_async"))
		return async;
	if (!strcmp(name, "insn_flags"))
		return s->flags | (async ? FLAG_INTERRUPTED : 0) | (s->v[c->wfe] ? FLAG_WAITED : 0);
	uint64_t staged = 0; /* insn_s_el2_other */
	for (int i = 0; i < c->stage_n; i++)
		staged += s->v[c->src[c->stage_first + i]];
	uint64_t el2 = s->v[c->el2];
	return el2 > staged ? el2 - staged : 0;
}

static void col_name(const struct out_cols *c, size_t col, char *buf, size_t len)
{
	const char *n = c->name[col];
	if (!strncmp(n, "stage_", 6))
		snprintf(buf, len, "insn_s_%s", n + 6);
	else
		snprintf(buf, len, "%s", n);
}

/* row_span[i]: the span of faults.csv row i, per guest vCPU and run. */
static int pair_rows(struct plugin_out *p, const struct results_rows *r,
		     const struct json_value *runs, size_t *row_span, char *err, size_t len)
{
	for (size_t k = 0; k < runs->array.count; k++) {
		uint64_t vcpus = 0;
		if (!json_as_u64(json_get(&runs->array.items[k], "vcpus"), &vcpus) || vcpus > 64)
			return fail(2, err, len, "summary.json: run %zu has no vcpus", k);
		for (unsigned v = 0; v < vcpus; v++) {
			struct stream *st = &p->streams[v];
			if (st->next == st->n)
				return fail(2, err, len, "the span file has no run %zu for guest vCPU %u "
					    "(output of another run?)", k, v);
			struct segment *seg = &st->seg[st->next++];
			if (seg->vcpus != vcpus)
				return fail(2, err, len, "vCPU count mismatch: results run %zu has %" PRIu64
					    " vCPUs, the span file's run says %u", k, vcpus, seg->vcpus);
			size_t j = 0;
			for (size_t i = 0; i < r->n; i++)
				if (r->run[i] == k && r->vcpu[i] == v) {
					if (j < seg->n)
						row_span[i] = seg->idx[j];
					j++;
				}
			if (j != seg->n)
				return fail(2, err, len, "fault count mismatch: results run %zu vCPU %u has "
					    "%zu faults, the span file %zu spans", k, v, j, seg->n);
		}
	}
	for (unsigned v = 0; v < 64; v++)
		if (p->streams[v].next != p->streams[v].n)
			return fail(2, err, len, "the span file has %zu more run(s) for guest vCPU %u "
				    "than the results", p->streams[v].n - p->streams[v].next, v);
	return 0;
}

/* ---- writing ---- */

static int write_faults(const char *path, const struct results_rows *r, const struct out_cols *c,
			const struct plugin_out *p, const size_t *row_span, char *err, size_t len)
{
	char *tmp = NULL, name[96];
	FILE *f = atomic_file_open(path, &tmp, err, len);
	if (!f)
		return 1;
	fprintf(f, "%.*s", (int)strcspn(r->header, "\n"), r->header);
	for (size_t col = 0; col < c->n; col++) {
		col_name(c, col, name, sizeof(name));
		fprintf(f, ",%s", name);
	}
	fputc('\n', f);
	for (size_t i = 0; i < r->n; i++) {
		fputs(r->line[i], f);
		for (size_t col = 0; col < c->n; col++)
			fprintf(f, ",%" PRIu64, out_value(c, col, &p->spans[row_span[i]]));
		fputc('\n', f);
	}
	return atomic_file_commit(f, tmp, path, err, len) ? 1 : 0;
}

static void write_members(struct json_writer *w, const struct json_value *root)
{
	for (size_t i = 0; i < root->object.count; i++) {
		json_key(w, root->object.members[i].key);
		json_write_value(w, &root->object.members[i].value);
	}
}

static void write_run_insn(struct json_writer *w, size_t k, const struct results_rows *r,
			   const struct out_cols *c, const struct plugin_out *p,
			   const size_t *row_span, uint64_t *buf)
{
	char name[96];
	size_t flagged = 0, n = 0;
	json_begin_object(w);
	json_member_u64(w, "run", k);
	for (size_t i = 0; i < r->n; i++)
		if (r->run[i] == k && out_value(c, c->n - 1, &p->spans[row_span[i]]))
			flagged++;
	json_member_u64(w, "flagged_faults", flagged);
	json_key(w, "metrics");
	json_begin_object(w);
	for (size_t col = 0; col + 1 < c->n; col++) {
		n = 0;
		for (size_t i = 0; i < r->n; i++)
			if (r->run[i] == k)
				buf[n++] = out_value(c, col, &p->spans[row_span[i]]);
		struct sample_stats st;
		if (!n || stats_summarize(buf, n, &st))
			continue;
		col_name(c, col, name, sizeof(name));
		json_key(w, name);
		json_begin_object(w);
		json_member_u64(w, "n", st.n);
		json_member_u64(w, "min", st.min);
		json_member_u64(w, "p50", st.p50);
		json_member_u64(w, "p90", st.p90);
		json_member_u64(w, "max", st.max);
		json_member_double(w, "mean", st.mean);
		json_end_object(w);
	}
	json_end_object(w);
	json_end_object(w);
}

static int rewrite_json(const char *path, const struct json_value *root, char *err, size_t len,
			void (*extra)(struct json_writer *, const void *), const void *arg)
{
	char *tmp = NULL;
	FILE *f = atomic_file_open(path, &tmp, err, len);
	if (!f)
		return 1;
	struct json_writer w;
	json_writer_init(&w, f, true);
	json_begin_object(&w);
	write_members(&w, root);
	extra(&w, arg);
	json_end_object(&w);
	if (json_writer_finish(&w)) {
		atomic_file_abort(f, tmp);
		return fail(1, err, len, "%s: write error", path);
	}
	fputc('\n', f);
	return atomic_file_commit(f, tmp, path, err, len) ? 1 : 0;
}

struct summary_arg {
	const struct results_rows *r;
	const struct out_cols *c;
	const struct plugin_out *p;
	const size_t *row_span;
	size_t n_runs;
	uint64_t *buf;
	enum rmi_abi abi; /* names of the RMI calls (meta.json abi) */
};

static int by_fid(const void *x, const void *y)
{
	const struct rmi_call *a = x, *b = y;
	return a->fid < b->fid ? -1 : a->fid > b->fid;
}

static void write_dist(struct json_writer *w, const char *key, uint64_t *v, size_t n)
{
	struct sample_stats st;
	if (!n || stats_summarize(v, n, &st))
		return;
	json_key(w, key);
	json_begin_object(w);
	json_member_u64(w, "min", st.min);
	json_member_u64(w, "p50", st.p50);
	json_member_u64(w, "max", st.max);
	json_end_object(w);
}

/* RMM 2.0 commands the RMM model does not implement (no slot): their spec
 * names, so that insn_rmi names them too. */
static const struct { uint64_t fid; const char *name; } unmodeled_rmi[] = {
	{ RMI_RMM_CONFIG_SET, "RMM_CONFIG_SET" }, { RMI_GRANULE_TRACKING_GET, "GRANULE_TRACKING_GET" },
	{ RMI_GRANULE_TRACKING_SET, "GRANULE_TRACKING_SET" }, { RMI_RMM_CONFIG_GET, "RMM_CONFIG_GET" },
	{ RMI_GPT_L1_CREATE, "GPT_L1_CREATE" }, { RMI_GPT_L1_DESTROY, "GPT_L1_DESTROY" },
	{ RMI_RMM_ACTIVATE, "RMM_ACTIVATE" }, { RMI_OP_MEM_DONATE, "OP_MEM_DONATE" },
	{ RMI_OP_MEM_RECLAIM, "OP_MEM_RECLAIM" }, { RMI_OP_CANCEL, "OP_CANCEL" },
};

/* The spec name of an RMI function ID under ABI, or NULL: the model's
 * commands, and for 2.0 also those it does not implement. */
static const char *rmi_name(uint64_t fid, enum rmi_abi abi)
{
	const char *name = rmi_command_name_of_slot(rmi_command_slot_abi(fid, abi));
	for (size_t i = 0; !name && abi == RMI_ABI_2_0 &&
			   i < sizeof(unmodeled_rmi) / sizeof(unmodeled_rmi[0]); i++)
		if (unmodeled_rmi[i].fid == fid)
			name = unmodeled_rmi[i].name;
	return name;
}

/* One entry per RMI command: its unflagged calls' instructions by world. */
static void write_rmi_command(struct json_writer *w, const struct rmi_call *c, size_t n,
			      enum rmi_abi abi, uint64_t *buf)
{
	char fid[24];
	const char *name = rmi_name(c[0].fid, abi);
	size_t ok = 0;
	snprintf(fid, sizeof(fid), "0x%" PRIX64, c[0].fid);
	json_begin_object(w);
	json_member_string(w, "command", name ? name : fid);
	json_member_string(w, "fid", fid);
	for (size_t i = 0; i < n; i++)
		ok += !c[i].flags;
	json_member_u64(w, "calls", ok);
	json_member_u64(w, "flagged_calls", n - ok);
	for (int world = 0; world < 3; world++) {
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			if (!c[i].flags)
				buf[k++] = world == 0 ? c[i].el3 : world == 1 ? c[i].rmm : c[i].el01;
		write_dist(w, world == 0 ? "el3" : world == 1 ? "rmm" : "realm_el01", buf, k);
	}
	json_end_object(w);
}

/* p->calls sorted by FID (merge_loaded sorts them). */
static void write_rmi_calls(struct json_writer *w, const struct plugin_out *p, enum rmi_abi abi)
{
	uint64_t *buf = malloc((p->n_calls ? p->n_calls : 1) * sizeof(*buf));
	if (!buf)
		return;
	json_key(w, "insn_rmi");
	json_begin_array(w);
	for (size_t i = 0, j; i < p->n_calls; i = j) {
		for (j = i; j < p->n_calls && p->calls[j].fid == p->calls[i].fid; j++)
			;
		write_rmi_command(w, p->calls + i, j - i, abi, buf);
	}
	json_end_array(w);
	free(buf);
}

static void summary_extra(struct json_writer *w, const void *arg)
{
	const struct summary_arg *a = arg;
	json_key(w, "insn");
	json_begin_array(w);
	for (size_t k = 0; k < a->n_runs; k++)
		write_run_insn(w, k, a->r, a->c, a->p, a->row_span, a->buf);
	json_end_array(w);
	if (a->p->n_calls)
		write_rmi_calls(w, a->p, a->abi);
}

struct meta_arg {
	const struct plugin_out *p;
	const char *qemu;
};

static void meta_extra(struct json_writer *w, const void *arg)
{
	const struct meta_arg *a = arg;
	json_key(w, "insn");
	json_begin_object(w);
	json_member_string(w, "source", "emulator");
	json_member_string(w, "what",
			   "emulated instruction counts per fault (QEMU TCG, rme-bench's plugin "
			   "tools/qemu_insn_plugin): every instruction the QEMU vCPU executed between "
			   "the guest's span markers, by exception level and security state; op_* "
			   "count instructions of costly classes; insn_s_* split the host kernel's "
			   "instructions by the address ranges of the fault-path stage functions. "
			   "Counts, not time: caches, memory bandwidth and TLB misses are not in them");
	json_member_string(w, "qemu_version", a->qemu ? a->qemu : "?");
	json_member_string(w, "plugin_version", a->p->plugin_version ? a->p->plugin_version : "?");
	json_member_string(w, "run_id", a->p->run_id);
	json_member_string(w, "markers", a->p->markers ? a->p->markers : "?");
	json_member_string(w, "security_state_from", a->p->security ? a->p->security : "?");
	json_member_string(w, "stages_missing", a->p->missing ? a->p->missing : "-");
	if (a->p->n_calls)
		json_member_string(w, "insn_rmi", "summary.json insn_rmi: per RMI command the host "
				   "issued at NS-EL2 during the plugin's boot (every configuration and "
				   "the calls outside faults together), the EL3, RMM (realm EL2) and realm "
				   "EL1/EL0 instructions of one call, from its SMC to its return; calls "
				   "the normal world resumed elsewhere (an interrupt) are counted as "
				   "flagged_calls and left out of the statistics");
	json_member_string(w, "insn_flags", "1: span ended on another QEMU vCPU; 2: no begin "
			   "marker; 4: an interrupt was taken inside the span (its handler's "
			   "instructions are in the counts); 8: a WFE ran inside the span (it waited "
			   "for another CPU, e.g. a contended lock: the count depends on timing)");
	json_end_object(w);
}

static const char *meta_run_id(const struct json_value *meta)
{
	return json_as_string(json_get(json_get(meta, "extra"), "run_id"));
}

static void free_all(struct plugin_out *p, struct results_rows *r)
{
	for (size_t i = 0; i < p->n_spans; i++)
		free(p->spans[i].v);
	free(p->spans);
	for (int v = 0; v < 64; v++) {
		for (size_t s = 0; s < p->streams[v].n; s++)
			free(p->streams[v].seg[s].idx);
		free(p->streams[v].seg);
	}
	for (size_t i = 0; i < p->n_cols; i++)
		free(p->cols[i]);
	free(p->calls);
	free(p->run_id);
	free(p->qemu);
	free(p->markers);
	free(p->security);
	free(p->missing);
	free(p->plugin_version);
	for (size_t i = 0; i < r->n; i++)
		free(r->line[i]);
	free(r->line);
	free(r->run);
	free(r->vcpu);
	free(r->header);
}

static int check_run_id(const struct plugin_out *p, const struct json_value *meta, char *err,
			size_t len)
{
	const char *rid = meta_run_id(meta);
	if (!p->run_id || !strcmp(p->run_id, "-"))
		return fail(2, err, len, "the span file has no run id (plugin argument run=ID)");
	if (!rid)
		return fail(2, err, len, "meta.json has no extra.run_id (run rme-bench with "
			    "RMEB_RUN_ID set)");
	if (strcmp(rid, p->run_id))
		return fail(2, err, len, "run id mismatch: the span file is from run %s, the results "
			    "from run %s", p->run_id, rid);
	return 0;
}

static int merge_loaded(const struct insn_merge_opts *o, struct plugin_out *p,
			struct results_rows *r, const struct json_value *meta,
			const struct json_value *sum, char *err, size_t len)
{
	char path[4096];
	const struct json_value *runs = json_get(sum, "runs");
	if (!runs || runs->type != JSON_ARRAY)
		return fail(2, err, len, "summary.json has no runs");
	if (json_get(sum, "insn"))
		return fail(2, err, len, "summary.json already has instruction counts");
	int rc = check_run_id(p, meta, err, len);
	struct out_cols c;
	if (rc || (rc = plan_columns(p, &c, err, len)))
		return rc;
	size_t *row_span = calloc(r->n ? r->n : 1, sizeof(*row_span));
	uint64_t *buf = calloc(r->n ? r->n : 1, sizeof(*buf));
	if (!row_span || !buf)
		rc = fail(1, err, len, "out of memory");
	if (!rc)
		rc = pair_rows(p, r, runs, row_span, err, len);
	const struct json_value *abi = json_get(meta, "abi");
	if (p->n_calls) /* qsort's base may not be NULL, even for no elements */
		qsort(p->calls, p->n_calls, sizeof(*p->calls), by_fid);
	struct summary_arg sa = { r, &c, p, row_span, runs->array.count, buf,
				  json_as_string(abi) && !strcmp(json_as_string(abi), "1.0") ?
				  RMI_ABI_1_0 : RMI_ABI_2_0 };
	struct meta_arg ma = { p, o->qemu_version ? o->qemu_version : p->qemu };
	if (!rc) {
		snprintf(path, sizeof(path), "%s/faults.csv", o->dir);
		rc = write_faults(path, r, &c, p, row_span, err, len);
	}
	if (!rc) {
		snprintf(path, sizeof(path), "%s/meta.json", o->dir);
		rc = rewrite_json(path, meta, err, len, meta_extra, &ma);
	}
	if (!rc) { /* last, like the results writer: its presence means complete */
		snprintf(path, sizeof(path), "%s/summary.json", o->dir);
		rc = rewrite_json(path, sum, err, len, summary_extra, &sa);
	}
	free(row_span);
	free(buf);
	return rc;
}

int insn_merge(const struct insn_merge_opts *o, char *err, size_t err_len)
{
	struct plugin_out p = { 0 };
	struct results_rows r = { 0 };
	struct json_value *meta = NULL, *sum = NULL;
	struct json_error je;
	char path[4096];
	int rc = read_plugin(o->spans, &p, err, err_len);
	if (!rc) {
		snprintf(path, sizeof(path), "%s/faults.csv", o->dir);
		rc = read_rows(path, &r, err, err_len);
	}
	if (!rc) {
		snprintf(path, sizeof(path), "%s/meta.json", o->dir);
		if (!(meta = json_parse_file(path, &je)))
			rc = fail(2, err, err_len, "%s: %s", path, je.message);
	}
	if (!rc) {
		snprintf(path, sizeof(path), "%s/summary.json", o->dir);
		if (!(sum = json_parse_file(path, &je)))
			rc = fail(2, err, err_len, "%s: %s", path, je.message);
	}
	if (!rc)
		rc = merge_loaded(o, &p, &r, meta, sum, err, err_len);
	json_value_free(meta);
	json_value_free(sum);
	free_all(&p, &r);
	return rc;
}
