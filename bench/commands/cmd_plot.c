/*
 * `rme-bench plot DIR [DIR...]`: figures from one or more results
 * directories, drawn by the gnuplot scripts in plots/.
 *
 * The C side loads and cross-checks every directory (bench/report), turns
 * the raw samples into small tab-separated data files in OUT/data/ and runs
 * one script per figure and format. Figures are written to temporaries and
 * renamed (bench/report/gnuplot.h), so a failure never leaves a
 * half-written figure. Exit status: 0, 1 (gnuplot missing or failed,
 * cannot write), 2 (usage, or a results directory that is corrupt,
 * partial, of another schema, or empty).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "commands.h"
#include "report/gnuplot.h"
#include "report/report.h"
#include "results/atomic_file.h"
#include "results/stats.h"

#define MAX_DIRS 16
#define VARS_LEN 8192
#define CDF_POINTS 400

#define MAX_FIGURES 32

struct plot_ctx {
	struct report_dir dirs[MAX_DIRS];
	size_t n_dirs;
	const char *out;        /* figures directory */
	char stage[PATH_MAX];   /* OUT/.plot-XXXXXX: this call's figures, until all are drawn */
	char data[PATH_MAX];    /* STAGE/data, OUT/data once promoted */
	const char *drawn[MAX_FIGURES], *skipped[MAX_FIGURES];
	size_t n_drawn, n_skipped;
	char gnuplot[PATH_MAX];
	char scripts[PATH_MAX];
	const char *formats[2];
	size_t n_formats;
	unsigned bootstrap;
	uint64_t seed;
	unsigned min_vcpus;     /* the vCPU count of the per-configuration figures */
	bool multi_policy;      /* label bars with their policy */
	char err[512];
};

struct run_ref {
	const struct report_dir *dir;
	const struct report_run *run;
};

static void plot_usage(FILE *out)
{
	fprintf(out,
		"usage: rme-bench plot [OPTIONS] DIR [DIR...]\n"
		"  Figures (PNG and SVG) from results directories, into DIR/plots of the\n"
		"  first DIR; several DIRs (e.g. one per policy or ABI) share the figures.\n"
		"  --out DIR          write figures here instead\n"
		"  --format LIST      png,svg (default both)\n"
		"  --bootstrap N      resamples for the realm/normal ratio CI (default 1000)\n"
		"  --seed N           bootstrap seed (default 1)\n"
		"Needs gnuplot (Debian: gnuplot-nox); docs/results.md explains each figure.\n");
}

static int bad(const char *msg)
{
	fprintf(stderr, "rme-bench plot: %s\n", msg);
	return 2;
}

/* ---- what every figure says about where its numbers came from ---- */

/* Add S to a space-separated set in BUF unless already present. */
static void set_add(char *buf, size_t len, const char *s)
{
	size_t n = strlen(s);
	for (const char *p = buf; (p = strstr(p, s)); p += n)
		if ((p == buf || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
			return;
	size_t used = strlen(buf);
	snprintf(buf + used, len - used, "%s%s", used ? "," : "", s);
}

/* "(sim-measured, RMI ABI 1.0)" for the title and a footnote with the rest. */
static void provenance(const struct plot_ctx *c, const struct run_ref *refs, size_t n,
		       const char *files, char *title_tag, size_t tlen, char *foot, size_t flen)
{
	char sources[128] = "", abis[64] = "", policies[128] = "", backends[64] = "",
	     revs[128] = "", dirs[256] = "", platforms[256] = "", caveats[256] = "";
	for (size_t i = 0; i < n; i++) {
		const struct results_run_summary *s = refs[i].run->sum;
		set_add(sources, sizeof(sources), s->source);
		if (strcmp(s->vm, "normal"))
			set_add(abis, sizeof(abis), s->abi);
		set_add(policies, sizeof(policies), s->policy);
	}
	for (size_t i = 0; i < c->n_dirs; i++) {
		const char *base = strrchr(c->dirs[i].path, '/');
		base = base && base[1] ? base + 1 : c->dirs[i].path;
		set_add(backends, sizeof(backends), report_meta_string(&c->dirs[i], "backend"));
		set_add(revs, sizeof(revs), report_meta_string(&c->dirs[i], "git_rev"));
		/* Emulated or unknown platforms are said in the title itself. */
		bool emulated;
		const char *plat = report_platform(&c->dirs[i], &emulated);
		set_add(platforms, sizeof(platforms), plat);
		if (emulated || strstr(plat, "not recorded"))
			set_add(caveats, sizeof(caveats), plat);
		if (c->n_dirs > 1) {
			char tagged[128];
			snprintf(tagged, sizeof(tagged), "#%zu %s", i + 1, base);
			set_add(dirs, sizeof(dirs), tagged);
		} else {
			set_add(dirs, sizeof(dirs), base);
		}
	}
	snprintf(title_tag, tlen, "(%s, RMI ABI %s%s%s)", sources,
		 abis[0] ? abis : "n/a: normal VM only", caveats[0] ? "; " : "", caveats);
	const char *what = strstr(sources, RESULTS_SOURCE_SIM_MEASURED)
		? "; sim-measured = this host executing the RMM and KVM models, not hardware time"
		: "";
	snprintf(foot, flen, "data: %s of %s | backend %s, policies %s, git %s | platform: %s%s",
		 files, dirs, backends, policies, revs, platforms, what);
}

/* ---- data files ---- */

static FILE *data_open(struct plot_ctx *c, const char *name, char **tmp, char *path, size_t len)
{
	if (snprintf(path, len, "%s/%s", c->data, name) >= (int)len) {
		snprintf(c->err, sizeof(c->err), "path too long for %s", name);
		return NULL;
	}
	return atomic_file_open(path, tmp, c->err, sizeof(c->err));
}

static int data_commit(struct plot_ctx *c, FILE *f, char *tmp, const char *path)
{
	return atomic_file_commit(f, tmp, path, c->err, sizeof(c->err));
}

/* "#k " when several directories are drawn together (the footnote says
 * which directory is #k), so equal configurations stay apart. */
static const char *dir_tag(const struct plot_ctx *c, const struct report_dir *dir, char *buf,
			   size_t len)
{
	buf[0] = '\0';
	if (c->n_dirs > 1 && dir >= c->dirs && dir < c->dirs + c->n_dirs)
		snprintf(buf, len, "#%u ", (unsigned)(dir - c->dirs) + 1);
	return buf;
}

static void run_label(const struct plot_ctx *c, const struct report_dir *dir,
		      const struct results_run_summary *s, char *buf, size_t len)
{
	char tag[24];

	dir_tag(c, dir, tag, sizeof(tag));
	/* A statistic of one sample is that sample: say so on the figure. */
	const char *one = s->faults == 1 ? " (n=1)" : "";
	if (c->multi_policy && strcmp(s->vm, "normal"))
		snprintf(buf, len, "%s%s %s %s %s%s", tag, s->vm, s->pattern, s->page, s->policy, one);
	else
		snprintf(buf, len, "%s%s %s %s%s", tag, s->vm, s->pattern, s->page, one);
	gp_label_clean(buf);
}

/* Runs at the figure's vCPU count, optionally only one page size. */
static size_t select_runs(const struct plot_ctx *c, const char *page, bool realm_only,
			  struct run_ref *out, size_t cap)
{
	size_t n = 0;
	for (size_t d = 0; d < c->n_dirs; d++)
		for (size_t i = 0; i < c->dirs[d].n_runs; i++) {
			const struct report_run *r = &c->dirs[d].runs[i];
			if (r->sum->vcpus != c->min_vcpus || !r->n)
				continue;
			if (page && strcmp(r->sum->page, page))
				continue;
			if (realm_only && !strcmp(r->sum->vm, "normal"))
				continue;
			if (n < cap)
				out[n++] = (struct run_ref){ &c->dirs[d], r };
		}
	return n;
}

/* Distinct page sizes of the selected runs, in first-seen order. */
static size_t page_list(const struct plot_ctx *c, bool realm_only, char pages[][16], size_t cap)
{
	size_t n = 0;
	for (size_t d = 0; d < c->n_dirs; d++)
		for (size_t i = 0; i < c->dirs[d].n_runs; i++) {
			const struct report_run *r = &c->dirs[d].runs[i];
			if (r->sum->vcpus != c->min_vcpus || !r->n ||
			    (realm_only && !strcmp(r->sum->vm, "normal")))
				continue;
			size_t k = 0;
			while (k < n && strcmp(pages[k], r->sum->page))
				k++;
			if (k == n && n < cap)
				snprintf(pages[n++], 16, "%s", r->sum->page);
		}
	return n;
}

/* Figures are drawn into the staging directory; promote() moves them
 * to OUT once every figure is drawn. */
static int draw(struct plot_ctx *c, const char *script, const char *vars, const char *name)
{
	char base[PATH_MAX];
	if (c->n_drawn == MAX_FIGURES) {
		snprintf(c->err, sizeof(c->err), "more than %d figures", MAX_FIGURES);
		return -1;
	}
	if (snprintf(base, sizeof(base), "%s/%s", c->stage, name) >= (int)sizeof(base)) {
		snprintf(c->err, sizeof(c->err), "path too long for %s", name);
		return -1;
	}
	if (gp_draw(c->gnuplot, c->scripts, script, vars, base, c->formats, c->n_formats, c->err,
		    sizeof(c->err)))
		return -1;
	c->drawn[c->n_drawn++] = name;
	return 0;
}

/* A figure that does not apply: say so; promote() removes one an earlier
 * call drew from other data, so no stale figure sits next to fresh ones. */
static int skip_figure(struct plot_ctx *c, const char *name, const char *why)
{
	printf("(%s: no %s figure)\n", why, name);
	if (c->n_skipped < MAX_FIGURES)
		c->skipped[c->n_skipped++] = name;
	return 0;
}

/* ---- a fresh, complete set of figures and data, or the previous one ---- */

/* Remove DIR and the files in it, and in its subdirectories (the staging
 * directory holds data/ and figures only). */
static void remove_tree(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];

	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			continue;
		if (unlink(path) != 0 && errno == EISDIR && depth > 0)
			remove_tree(path, depth - 1);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static void unlink_said(const char *dir, const char *name, const char *ext)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/%s.%s", dir, name, ext) < (int)sizeof(path) &&
	    unlink(path) == 0)
		printf("(removed the earlier %s)\n", path);
}

/* Everything drawn: figures renamed over the old ones (each rename is
 * atomic), skipped and other-format figures of earlier calls removed, the
 * data folder swapped for this call's. */
static int promote(struct plot_ctx *c)
{
	char from[PATH_MAX], to[PATH_MAX], old[PATH_MAX];
	static const char *const all_formats[] = { "png", "svg" };

	for (size_t i = 0; i < c->n_skipped; i++)
		for (size_t f = 0; f < 2; f++)
			unlink_said(c->out, c->skipped[i], all_formats[f]);
	for (size_t i = 0; i < c->n_drawn; i++)
		for (size_t f = 0; f < 2; f++) {
			bool made = false;
			for (size_t k = 0; k < c->n_formats; k++)
				made |= !strcmp(c->formats[k], all_formats[f]);
			if (!made) {
				unlink_said(c->out, c->drawn[i], all_formats[f]);
				continue;
			}
			if (snprintf(from, sizeof(from), "%s/%s.%s", c->stage, c->drawn[i],
				     all_formats[f]) >= (int)sizeof(from) ||
			    snprintf(to, sizeof(to), "%s/%s.%s", c->out, c->drawn[i],
				     all_formats[f]) >= (int)sizeof(to) || rename(from, to) != 0) {
				snprintf(c->err, sizeof(c->err), "cannot rename into %.300s: %s", to,
					 strerror(errno));
				return -1;
			}
			printf("%s\n", to);
		}
	bool fits = snprintf(from, sizeof(from), "%s", c->data) < (int)sizeof(from) &&
		    snprintf(to, sizeof(to), "%s/data", c->out) < (int)sizeof(to) &&
		    snprintf(old, sizeof(old), "%s/data.old", c->stage) < (int)sizeof(old);
	if (!fits || (rename(to, old) != 0 && errno != ENOENT) || rename(from, to) != 0) {
		snprintf(c->err, sizeof(c->err), "cannot replace %.300s: %s", to, strerror(errno));
		return -1;
	}
	remove_tree(c->stage, 1);
	c->stage[0] = '\0';
	return 0;
}

static int vars_common(struct plot_ctx *c, char *vars, const char *title, const char *foot)
{
	vars[0] = '\0';
	if (gp_var_str(vars, VARS_LEN, "datadir", c->data) ||
	    gp_var_str(vars, VARS_LEN, "figtitle", title) ||
	    gp_var_str(vars, VARS_LEN, "footnote", foot) ||
	    gp_var_num(vars, VARS_LEN, "vcpus", c->min_vcpus)) {
		snprintf(c->err, sizeof(c->err), "gnuplot arguments too long");
		return -1;
	}
	return 0;
}

/* ---- figure 1: per-stage stacked means ---- */

#define MAX_REFS 256

/*
 * Mean of stage S (STAGE_COUNT: the whole fault) over the run's faults up
 * to its p99 whole fault (the slowest 1 % left out whole: on a shared host
 * a few descheduled faults would otherwise move every mean), 0 where the
 * stage did not occur. The stages of a fault add up to its total
 * (unattributed takes the rest), so over the same faults the stacked means
 * add up to the mean whole fault whatever the mix of fault kinds: medians
 * would not.
 */
static double stage_mean_ns(const struct report_run *r, enum stage s)
{
	uint64_t p99 = r->sum->fault_ns.p99_ns;
	double sum = 0;
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++) {
		if (r->total_ns[i] > p99)
			continue;
		sum += s == STAGE_COUNT ? (double)r->total_ns[i] : (double)r->stage_ns[s][i];
		n++;
	}
	return n ? sum / (double)n : 0;
}

static int fig_stages(struct plot_ctx *c)
{
	char pages[8][16], vars[VARS_LEN], path[PATH_MAX], page_words[128] = "";
	struct run_ref refs[MAX_REFS], all[MAX_REFS];
	size_t n_pages = page_list(c, false, pages, 8), n_all = 0;
	bool used[STAGE_COUNT] = { false };

	/* Which stages ever take time: the others stay out of the legend. */
	n_all = select_runs(c, NULL, false, all, MAX_REFS);
	for (size_t i = 0; i < n_all; i++)
		for (int s = 0; s < STAGE_COUNT; s++)
			used[s] |= all[i].run->sum->has_stage[s] && all[i].run->sum->stages[s].n > 0;
	used[STAGE_UNATTRIBUTED] = true;

	for (size_t p = 0; p < n_pages; p++) {
		char name[192], *tmp; /* pages[p] is short, but gcc cannot always see it */
		snprintf(name, sizeof(name), "stages_%s.dat", pages[p]);
		size_t n = select_runs(c, pages[p], false, refs, MAX_REFS);
		FILE *f = data_open(c, name, &tmp, path, sizeof(path));
		if (!f)
			return -1;
		fprintf(f, "config");
		for (int s = 0; s < STAGE_COUNT; s++)
			if (used[s])
				fprintf(f, "\t%s", stage_name((enum stage)s));
		fprintf(f, "\tfault_mean\n");
		for (size_t i = 0; i < n; i++) {
			char label[128];
			run_label(c, refs[i].dir, refs[i].run->sum, label, sizeof(label));
			fprintf(f, "\"%s\"", label);
			for (int s = 0; s < STAGE_COUNT; s++) {
				if (!used[s])
					continue;
				fprintf(f, "\t%.4f", stage_mean_ns(refs[i].run, (enum stage)s) / 1000.0);
			}
			fprintf(f, "\t%.4f\n", stage_mean_ns(refs[i].run, STAGE_COUNT) / 1000.0);
		}
		if (data_commit(c, f, tmp, path))
			return -1;
		set_add(page_words, sizeof(page_words), pages[p]);
	}
	int ncols = 0;
	char stageidx[128] = "";
	for (int s = 0; s < STAGE_COUNT; s++) {
		if (!used[s])
			continue;
		size_t l = strlen(stageidx);
		snprintf(stageidx + l, sizeof(stageidx) - l, "%s%d", ncols ? " " : "", s + 1);
		ncols++;
	}

	char tag[256], foot[1024], title[512];
	provenance(c, all, n_all, "faults.csv", tag, sizeof(tag), foot, sizeof(foot));
	snprintf(title, sizeof(title), "Mean time per stage of a stage-2 fault, %u vCPU %s",
		 c->min_vcpus, tag);
	for (char *q = page_words; (q = strchr(q, ',')); )
		*q = ' ';
	if (vars_common(c, vars, title, foot) || gp_var_str(vars, VARS_LEN, "pages", page_words) ||
	    gp_var_num(vars, VARS_LEN, "nstages", ncols) ||
	    gp_var_str(vars, VARS_LEN, "stageidx", stageidx))
		return -1;
	return draw(c, "stages.gp", vars, "stages");
}

/* 1-based colour of a pattern+page, stable within one figure. */
static size_t color_of(char keys[][64], size_t *n_keys, const struct results_run_summary *s)
{
	char key[64];
	snprintf(key, sizeof(key), "%s %s", s->pattern, s->page);
	size_t k = 0;
	while (k < *n_keys && strcmp(keys[k], key))
		k++;
	if (k == *n_keys && *n_keys < MAX_REFS)
		snprintf(keys[(*n_keys)++], 64, "%s", key);
	return k + 1;
}

/* Append a line's colour and dash type (solid, or dashed for the normal VM). */
static void add_style(char *colors, size_t clen, char *dashes, size_t dlen, size_t color,
		      bool normal_vm)
{
	size_t used = strlen(colors);
	snprintf(colors + used, clen - used, "%s%zu", used ? " " : "", color);
	used = strlen(dashes);
	snprintf(dashes + used, dlen - used, "%s%d", used ? " " : "", normal_vm ? 2 : 1);
}

/* ---- figure 2: CDF of whole-fault latency ---- */

static int fig_cdf(struct plot_ctx *c)
{
	struct run_ref refs[MAX_REFS];
	size_t n = select_runs(c, NULL, false, refs, MAX_REFS);
	char vars[VARS_LEN], path[PATH_MAX], *tmp;
	char colors[1024] = "", dashes[512] = "";
	FILE *f = data_open(c, "cdf.dat", &tmp, path, sizeof(path));
	if (!f)
		return -1;
	/* One colour per pattern+page, solid for realm, dashed for normal. */
	char keys[MAX_REFS][64];
	size_t n_keys = 0;
	for (size_t i = 0; i < n; i++) {
		const struct results_run_summary *s = refs[i].run->sum;
		add_style(colors, sizeof(colors), dashes, sizeof(dashes),
			  color_of(keys, &n_keys, s), !strcmp(s->vm, "normal"));

		size_t m;
		uint64_t *v = report_samples(refs[i].run, STAGE_COUNT, true, &m);
		if (!v) {
			atomic_file_abort(f, tmp);
			snprintf(c->err, sizeof(c->err), "out of memory");
			return -1;
		}
		stats_sort_u64(v, m);
		char label[128];
		run_label(c, refs[i].dir, s, label, sizeof(label));
		fprintf(f, "%s\"latency_us\"\t\"%s\"\n", i ? "\n\n" : "", label);
		/* Even steps in probability, then the tail (p99..max) finer. */
		size_t last = SIZE_MAX;
		for (size_t q = 0; q <= CDF_POINTS; q++) {
			double prob = q < CDF_POINTS * 3 / 4
				? (double)q / (CDF_POINTS * 3 / 4) * 0.99
				: 0.99 + 0.01 * (double)(q - CDF_POINTS * 3 / 4) /
					  (CDF_POINTS - CDF_POINTS * 3 / 4);
			size_t rank = (size_t)ceil(prob * (double)m);
			rank = rank < 1 ? 1 : rank > m ? m : rank;
			if (rank == last)
				continue;
			last = rank;
			fprintf(f, "%.4f\t%.6f\n", (double)v[rank - 1] / 1000.0,
				(double)rank / (double)m);
		}
		free(v);
	}
	if (data_commit(c, f, tmp, path))
		return -1;

	char tag[256], foot[1024], title[512];
	provenance(c, refs, n, "faults.csv", tag, sizeof(tag), foot, sizeof(foot));
	snprintf(title, sizeof(title), "Per-fault latency CDF, realm solid, normal dashed, "
		 "%u vCPU %s", c->min_vcpus, tag);
	if (vars_common(c, vars, title, foot) || gp_var_num(vars, VARS_LEN, "ncurves", (double)n) ||
	    gp_var_str(vars, VARS_LEN, "colors", colors) ||
	    gp_var_str(vars, VARS_LEN, "dashes", dashes))
		return -1;
	return draw(c, "cdf.gp", vars, "cdf");
}

/* ---- figure 3: realm/normal ratio of medians with bootstrap CI ---- */

static int fig_overhead(struct plot_ctx *c)
{
	struct run_ref refs[MAX_REFS], used[MAX_REFS];
	size_t n = select_runs(c, NULL, false, refs, MAX_REFS), n_used = 0, rows = 0;
	char vars[VARS_LEN], path[PATH_MAX], *tmp;
	double ymin = 1, ymax = 1;
	FILE *f = data_open(c, "overhead.dat", &tmp, path, sizeof(path));
	if (!f)
		return -1;
	fprintf(f, "config\tratio\tci_low\tci_high\trealm_p50_us\tnormal_p50_us\t"
		   "realm_faults\tnormal_faults\n");
	for (size_t i = 0; i < n; i++) {
		const struct results_run_summary *r = refs[i].run->sum;
		if (!strcmp(r->vm, "normal"))
			continue;
		for (size_t j = 0; j < n; j++) {
			const struct results_run_summary *b = refs[j].run->sum;
			/* Only a normal run of the same directory: runs of another
			 * session ran under other conditions (load, build, host). */
			if (refs[j].dir != refs[i].dir || strcmp(b->vm, "normal") ||
			    strcmp(b->pattern, r->pattern) ||
			    strcmp(b->page, r->page) || b->size != r->size)
				continue;
			size_t na, nb;
			uint64_t *a = report_samples(refs[i].run, STAGE_COUNT, true, &na);
			uint64_t *bs = report_samples(refs[j].run, STAGE_COUNT, true, &nb);
			struct ratio_ci ci;
			int rc = a && bs ? report_bootstrap_median_ratio(a, na, bs, nb, c->bootstrap,
									 0.95, c->seed, &ci) : -1;
			uint64_t ma = a ? report_median(a, na) : 0, mb = bs ? report_median(bs, nb) : 0;
			if (!rc)
				stats_widen_ratio_ci(&ci.low, &ci.high, ma, mb,
						     fmax(refs[i].run->resolution_ns,
							  refs[j].run->resolution_ns));
			free(a);
			free(bs);
			if (rc || isinf(ci.high)) {
				/* a zero normal median (in the data or a resample) has
				 * no ratio or no bounded interval: leave it out */
				printf("(%s %s: normal median too close to 0 for a ratio; not drawn)\n",
				       r->pattern, r->page);
				break;
			}
			char label[128], tag[24];
			snprintf(label, sizeof(label), "%s%s %s%s%s%s",
				 dir_tag(c, refs[i].dir, tag, sizeof(tag)), r->pattern, r->page,
				 c->multi_policy ? " " : "", c->multi_policy ? r->policy : "",
				 na == 1 || nb == 1 ? " (n=1)" : "");
			gp_label_clean(label);
			fprintf(f, "\"%s\"\t%.5f\t%.5f\t%.5f\t%.3f\t%.3f\t%zu\t%zu\n", label,
				ci.ratio, ci.low, ci.high, (double)ma / 1000.0, (double)mb / 1000.0,
				na, nb);
			ymin = fmin(ymin, ci.low);
			ymax = fmax(ymax, ci.high);
			if (n_used + 2 <= MAX_REFS) {
				used[n_used++] = refs[i];
				used[n_used++] = refs[j];
			}
			rows++;
			break;
		}
	}
	if (!rows) {
		atomic_file_abort(f, tmp);
		char why[64];
		snprintf(why, sizeof(why), "no realm/normal pairs at %u vCPU", c->min_vcpus);
		return skip_figure(c, "overhead", why);
	}
	if (data_commit(c, f, tmp, path))
		return -1;
	char tag[256], foot[1024], title[512];
	provenance(c, used, n_used, "faults.csv", tag, sizeof(tag), foot, sizeof(foot));
	snprintf(title, sizeof(title), "Realm / normal median fault time, 95%% bootstrap CI "
		 "(%u resamples), %u vCPU %s", c->bootstrap, c->min_vcpus, tag);
	if (vars_common(c, vars, title, foot) || gp_var_num(vars, VARS_LEN, "logy",
							    ymax / fmax(ymin, 1e-9) > 20) ||
	    gp_var_num(vars, VARS_LEN, "ymin", ymin) || gp_var_num(vars, VARS_LEN, "ymax", ymax) ||
	    gp_var_num(vars, VARS_LEN, "nrows", (double)rows))
		return -1;
	return draw(c, "overhead.gp", vars, "overhead");
}

/* ---- figure 4: RMI calls per fault by command ---- */

static int fig_rmi(struct plot_ctx *c)
{
	char pages[8][16], vars[VARS_LEN], path[PATH_MAX], page_words[128] = "";
	const char *cmds[64];
	size_t n_cmds = 0, n_pages = page_list(c, true, pages, 8);
	struct run_ref refs[MAX_REFS], all[MAX_REFS];
	size_t n_all = select_runs(c, NULL, true, all, MAX_REFS);

	if (!n_all) {
		return skip_figure(c, "rmi", "no realm runs");
	}
	for (size_t i = 0; i < n_all; i++) {
		const struct results_run_summary *s = all[i].run->sum;
		for (size_t k = 0; k < s->n_counts; k++) {
			if (strncmp(s->counts[k].name, "RMI_", 4) || !s->counts[k].count)
				continue;
			size_t j = 0;
			while (j < n_cmds && strcmp(cmds[j], s->counts[k].name))
				j++;
			if (j == n_cmds && n_cmds < 64)
				cmds[n_cmds++] = s->counts[k].name;
		}
	}
	for (size_t p = 0; p < n_pages; p++) {
		char name[64], *tmp;
		snprintf(name, sizeof(name), "rmi_%s.dat", pages[p]);
		size_t n = select_runs(c, pages[p], true, refs, MAX_REFS);
		FILE *f = data_open(c, name, &tmp, path, sizeof(path));
		if (!f)
			return -1;
		fprintf(f, "config");
		for (size_t j = 0; j < n_cmds; j++)
			fprintf(f, "\t%s", cmds[j] + 4);
		fprintf(f, "\ttotal\ttotal_label\n");
		for (size_t i = 0; i < n; i++) {
			const struct results_run_summary *s = refs[i].run->sum;
			double total = 0;
			char label[160];
			snprintf(label, sizeof(label), "%s %s %s %s%s", s->pattern, s->page, s->policy,
				 s->abi, s->faults == 1 ? " (n=1)" : "");
			gp_label_clean(label);
			fprintf(f, "\"%s\"", label);
			if (!report_rmi_recorded(refs[i].run)) {
				/* The VMM cannot see RMI calls: no bar, never a 0. */
				for (size_t j = 0; j <= n_cmds; j++)
					fprintf(f, "\t-");
				fprintf(f, "\t\"not recorded\"\n");
				continue;
			}
			for (size_t j = 0; j < n_cmds; j++) {
				uint64_t cnt = 0;
				for (size_t k = 0; k < s->n_counts; k++)
					if (!strcmp(s->counts[k].name, cmds[j]))
						cnt = s->counts[k].count;
				double per = (double)cnt / (double)s->faults;
				total += per;
				fprintf(f, "\t%.4f", per);
			}
			fprintf(f, "\t%.4f\t\"%.2f\"\n", total, total);
		}
		if (data_commit(c, f, tmp, path))
			return -1;
		set_add(page_words, sizeof(page_words), pages[p]);
	}
	for (char *q = page_words; (q = strchr(q, ',')); )
		*q = ' ';
	char tag[256], foot[1024], title[512];
	provenance(c, all, n_all, "summary.json counts", tag, sizeof(tag), foot, sizeof(foot));
	snprintf(title, sizeof(title), "RMI calls per fault by command (run phase), %u vCPU %s",
		 c->min_vcpus, tag);
	if (vars_common(c, vars, title, foot) || gp_var_str(vars, VARS_LEN, "pages", page_words) ||
	    gp_var_num(vars, VARS_LEN, "ncmds", (double)n_cmds))
		return -1;
	return draw(c, "rmi.gp", vars, "rmi");
}

/* ---- figure 5: scaling with vCPUs ---- */

/* The run had more vCPU threads than CPUs (summary extra.oversubscribed). */
static bool run_oversubscribed(const struct results_run_summary *s)
{
	const struct json_value *x = json_get(json_get(s->json, "extra"), "oversubscribed");
	return x && x->type == JSON_NUMBER && x->number.value > 0;
}

static int fig_scaling(struct plot_ctx *c)
{
	unsigned counts[64];
	size_t n_counts = 0;
	for (size_t d = 0; d < c->n_dirs; d++)
		for (size_t i = 0; i < c->dirs[d].n_runs; i++) {
			unsigned v = c->dirs[d].runs[i].sum->vcpus;
			size_t k = 0;
			while (k < n_counts && counts[k] != v)
				k++;
			if (k == n_counts && n_counts < 64)
				counts[n_counts++] = v;
		}
	if (n_counts < 2) {
		return skip_figure(c, "scaling", "one vCPU count only");
	}
	for (size_t i = 1; i < n_counts; i++) /* ascending, for the lines */
		for (size_t j = i; j > 0 && counts[j - 1] > counts[j]; j--) {
			unsigned t = counts[j];
			counts[j] = counts[j - 1];
			counts[j - 1] = t;
		}
	char vars[VARS_LEN], path[PATH_MAX], *tmp, colors[1024] = "", dashes[512] = "";
	char keys[MAX_REFS][64];
	size_t n_keys = 0;
	struct run_ref used[MAX_REFS];
	size_t n_used = 0, n_lines = 0, n_over = 0;
	FILE *f = data_open(c, "scaling.dat", &tmp, path, sizeof(path));
	if (!f)
		return -1;
	/* One line per configuration without its vCPU count; the runs at the
	 * smallest count start each line. */
	for (size_t d = 0; d < c->n_dirs; d++)
		for (size_t i = 0; i < c->dirs[d].n_runs; i++) {
			const struct results_run_summary *s = c->dirs[d].runs[i].sum;
			if (s->vcpus != c->min_vcpus)
				continue;
			char label[128];
			run_label(c, &c->dirs[d], s, label, sizeof(label));
			fprintf(f, "%s\"vcpus\"\t\"%s\"\t\"ci_low_us\"\t\"ci_high_us\"\t\"kfaults_per_s\"\t"
				"\"oversubscribed\"\n", n_lines ? "\n\n" : "", label);
			for (size_t ci = 0; ci < n_counts; ci++)
				for (size_t j = 0; j < c->dirs[d].n_runs; j++) {
					unsigned v = counts[ci];
					const struct results_run_summary *t = c->dirs[d].runs[j].sum;
					if (t->vcpus != v || strcmp(t->vm, s->vm) ||
					    strcmp(t->pattern, s->pattern) || strcmp(t->page, s->page) ||
					    strcmp(t->policy, s->policy) || t->size != s->size ||
					    !t->faults)
						continue;
					const struct results_dist *fd = &t->fault_ns;
					bool over = run_oversubscribed(t);
					n_over += over;
					fprintf(f, "%u\t%.3f\t%.3f\t%.3f\t%.3f\t%d\n", v, fd->p50_ns / 1000.0,
						(fd->has_ci ? fd->p50_ci_low_ns : fd->p50_ns) / 1000.0,
						(fd->has_ci ? fd->p50_ci_high_ns : fd->p50_ns) / 1000.0,
						isnan(t->faults_per_sec) ? 0 : t->faults_per_sec / 1000.0,
						over);
					if (n_used < MAX_REFS)
						used[n_used++] = (struct run_ref){ &c->dirs[d],
										   &c->dirs[d].runs[j] };
				}
			add_style(colors, sizeof(colors), dashes, sizeof(dashes),
				  color_of(keys, &n_keys, s), !strcmp(s->vm, "normal"));
			n_lines++;
		}
	if (data_commit(c, f, tmp, path))
		return -1;
	char tag[256], foot[1024], title[512];
	provenance(c, used, n_used, "summary.json", tag, sizeof(tag), foot, sizeof(foot));
	snprintf(title, sizeof(title), "Scaling with vCPUs: median fault time (95%% CI) and "
		 "fault throughput %s", tag);
	if (vars_common(c, vars, title, foot) || gp_var_num(vars, VARS_LEN, "nlines", (double)n_lines) ||
	    gp_var_num(vars, VARS_LEN, "noversub", (double)n_over) ||
	    gp_var_str(vars, VARS_LEN, "colors", colors) ||
	    gp_var_str(vars, VARS_LEN, "dashes", dashes))
		return -1;
	return draw(c, "scaling.gp", vars, "scaling");
}

/* ---- figure 6: lifecycle phases against size (run --phases) ---- */

/* One line of the phases figure: a VM kind, policy and phase. */
struct phase_line {
	char key[96];
	size_t n;
	double gib[32], s_per_gib[32], rmi_per_mib[32];
};

static void phase_point(struct phase_line *lines, size_t *n_lines, size_t cap,
			const struct results_run_summary *s, const struct json_value *ph)
{
	const char *name = json_as_string(json_get(ph, "phase"));
	double ns_mib, rmi_mib;
	char key[96];

	if (!name || !json_as_double(json_get(ph, "ns_per_mib"), &ns_mib) ||
	    !json_as_double(json_get(ph, "rmi_calls_per_mib"), &rmi_mib))
		return; /* a phase over 0 bytes has no per-MiB values */
	snprintf(key, sizeof(key), "%s %s %s", s->vm, s->policy, name);
	size_t i = 0;
	while (i < *n_lines && strcmp(lines[i].key, key))
		i++;
	if (i == *n_lines) {
		if (i == cap)
			return;
		memset(&lines[i], 0, sizeof(lines[i]));
		snprintf(lines[i].key, sizeof(lines[i].key), "%s", key);
		(*n_lines)++;
	}
	struct phase_line *l = &lines[i];
	double gib = (double)s->size * s->vcpus / (double)(1ULL << 30);
	size_t at = l->n;
	if (at == 32)
		return;
	while (at > 0 && l->gib[at - 1] > gib) { /* ascending size */
		l->gib[at] = l->gib[at - 1];
		l->s_per_gib[at] = l->s_per_gib[at - 1];
		l->rmi_per_mib[at] = l->rmi_per_mib[at - 1];
		at--;
	}
	l->gib[at] = gib;
	l->s_per_gib[at] = ns_mib * 1024 / 1e9;
	l->rmi_per_mib[at] = rmi_mib;
	l->n++;
}

static int fig_phases(struct plot_ctx *c)
{
	struct phase_line *lines = calloc(64, sizeof(*lines));
	struct run_ref used[MAX_REFS];
	size_t n_lines = 0, n_used = 0;
	char vars[VARS_LEN], path[PATH_MAX], *tmp, colors[1024] = "", dashes[512] = "";

	if (!lines)
		return -1;
	for (size_t d = 0; d < c->n_dirs; d++)
		for (size_t i = 0; i < c->dirs[d].n_runs; i++) {
			const struct results_run_summary *s = c->dirs[d].runs[i].sum;
			const struct json_value *phases = json_get(s->json, "phases");
			if (!phases || phases->type != JSON_ARRAY || s->vcpus != c->min_vcpus)
				continue;
			for (size_t k = 0; k < phases->array.count; k++)
				phase_point(lines, &n_lines, 64, s, &phases->array.items[k]);
			if (n_used < MAX_REFS)
				used[n_used++] = (struct run_ref){ &c->dirs[d], &c->dirs[d].runs[i] };
		}
	if (!n_lines) {
		free(lines);
		return skip_figure(c, "phases", "no lifecycle phase records (run --phases)");
	}
	FILE *f = data_open(c, "phases.dat", &tmp, path, sizeof(path));
	if (!f) {
		free(lines);
		return -1;
	}
	for (size_t i = 0; i < n_lines; i++) {
		fprintf(f, "%s\"gib\"\t\"%s\"\t\"rmi_per_mib\"\n", i ? "\n\n" : "", lines[i].key);
		for (size_t k = 0; k < lines[i].n; k++)
			fprintf(f, "%g\t%.6f\t%.3f\n", lines[i].gib[k], lines[i].s_per_gib[k],
				lines[i].rmi_per_mib[k]);
		/* colour by phase, dashed for the normal VM */
		const char *ph = strrchr(lines[i].key, ' ') + 1;
		add_style(colors, sizeof(colors), dashes, sizeof(dashes),
			  !strcmp(ph, "populate") ? 1 : !strcmp(ph, "fault") ? 2 : 3,
			  !strncmp(lines[i].key, "normal", 6));
	}
	free(lines);
	if (data_commit(c, f, tmp, path))
		return -1;
	char tag[256], foot[1024], title[512];
	provenance(c, used, n_used, "summary.json phases", tag, sizeof(tag), foot, sizeof(foot));
	snprintf(title, sizeof(title), "A VM's memory over its life: cost per GiB and RMI calls "
		 "per MiB of each phase against guest RAM %s", tag);
	if (vars_common(c, vars, title, foot) ||
	    gp_var_num(vars, VARS_LEN, "nlines", (double)n_lines) ||
	    gp_var_str(vars, VARS_LEN, "colors", colors) ||
	    gp_var_str(vars, VARS_LEN, "dashes", dashes))
		return -1;
	return draw(c, "phases.gp", vars, "phases");
}

/* ---- command ---- */

/* ---- figure: emulated instructions per fault by world (rme-bench insn merge) ---- */

static const char *const insn_worlds[] = {
	"insn_el0_ns", "insn_el1_ns", "insn_el2_ns", "insn_el0_realm", "insn_el1_realm",
	"insn_el2_realm", "insn_el3_root",
};
#define N_INSN_WORLDS (sizeof(insn_worlds) / sizeof(insn_worlds[0]))

/* Median of count column NAME over a run's faults (0 when absent). */
static int count_median(const struct report_dir *d, const struct report_run *r, const char *name,
			uint64_t *med)
{
	int i = report_count_index(d, name);
	*med = 0;
	if (i < 0 || !r->n)
		return 0;
	uint64_t *v = malloc(r->n * sizeof(*v));
	if (!v)
		return -1;
	memcpy(v, r->count[i], r->n * sizeof(*v));
	*med = report_median(v, r->n);
	free(v);
	return 0;
}

/* One data file per host page size: bars per configuration (realm next to
 * normal of the same pattern: runs grouped by pattern), stacked by world. */
static int insn_data(struct plot_ctx *c, const char *page, const struct run_ref *refs, size_t n)
{
	char path[PATH_MAX], name[64], *tmp;
	snprintf(name, sizeof(name), "insn_%s.dat", page);
	FILE *f = data_open(c, name, &tmp, path, sizeof(path));
	if (!f)
		return -1;
	fprintf(f, "config");
	for (size_t w = 0; w < N_INSN_WORLDS; w++)
		fprintf(f, "\t%s", insn_worlds[w] + 5);
	fputc('\n', f);
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < n; i++) {
			const struct results_run_summary *s = refs[i].run->sum;
			size_t first = 0;
			while (strcmp(refs[first].run->sum->pattern, s->pattern))
				first++;
			if (first != k || strcmp(s->page, page))
				continue;
			char label[160];
			run_label(c, refs[i].dir, s, label, sizeof(label));
			fprintf(f, "\"%s %uvcpu\"", label, s->vcpus);
			for (size_t w = 0; w < N_INSN_WORLDS; w++) {
				uint64_t med;
				if (count_median(refs[i].dir, refs[i].run, insn_worlds[w], &med)) {
					atomic_file_abort(f, tmp);
					snprintf(c->err, sizeof(c->err), "out of memory");
					return -1;
				}
				fprintf(f, "\t%llu", (unsigned long long)med);
			}
			fputc('\n', f);
		}
	return data_commit(c, f, tmp, path);
}

/* Medians of the emulated instruction counts per world, one panel per
 * host page size (a 2 MiB fault zeroes 512 times the memory). */
static int fig_insn(struct plot_ctx *c)
{
	struct run_ref refs[MAX_REFS];
	char pages[8][16], page_words[128] = "";
	size_t n = 0, n_pages = 0;
	for (size_t d = 0; d < c->n_dirs; d++)
		for (size_t i = 0; i < c->dirs[d].n_runs && c->dirs[d].n_count; i++) {
			const struct report_run *r = &c->dirs[d].runs[i];
			if (!r->n || n == MAX_REFS)
				continue;
			refs[n++] = (struct run_ref){ &c->dirs[d], r };
			size_t k = 0;
			while (k < n_pages && strcmp(pages[k], r->sum->page))
				k++;
			if (k == n_pages && n_pages < 8)
				snprintf(pages[n_pages++], 16, "%s", r->sum->page);
		}
	if (!n)
		return skip_figure(c, "insn", "no emulated instruction counts");
	for (size_t p = 0; p < n_pages; p++) {
		if (insn_data(c, pages[p], refs, n))
			return -1;
		set_add(page_words, sizeof(page_words), pages[p]);
	}
	for (char *q = page_words; (q = strchr(q, ',')); )
		*q = ' ';
	char vars[VARS_LEN], tag[256], foot[1024], title[512];
	provenance(c, refs, n, "faults.csv (insn_* columns)", tag, sizeof(tag), foot, sizeof(foot));
	snprintf(title, sizeof(title), "Emulated instructions per fault by world (QEMU TCG: counts, "
		 "not time) %s", tag);
	if (vars_common(c, vars, title, foot) || gp_var_str(vars, VARS_LEN, "pages", page_words))
		return -1;
	return draw(c, "insn.gp", vars, "insn");
}

static int make_dir(const char *path, char *err, size_t len)
{
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		snprintf(err, len, "cannot create %.400s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* SIGINT / SIGTERM while drawing: finish the figure in hand, then stop
 * and remove the staging folder before ending as the signal would. */
static volatile sig_atomic_t plot_interrupted;

static void note_interrupt(int sig)
{
	plot_interrupted = sig;
}

static void catch_interrupts(void)
{
	struct sigaction sa = { .sa_handler = note_interrupt };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* OUT/.plot-XXXXXX with data/ inside: where this call draws. */
static int make_stage(struct plot_ctx *c)
{
	if (snprintf(c->stage, sizeof(c->stage), "%s/.plot-XXXXXX", c->out) >= (int)sizeof(c->stage) ||
	    !mkdtemp(c->stage)) {
		snprintf(c->err, sizeof(c->err), "cannot create a staging directory in %.400s: %s",
			 c->out, strerror(errno));
		c->stage[0] = '\0';
		return -1;
	}
	if (snprintf(c->data, sizeof(c->data), "%s/data", c->stage) >= (int)sizeof(c->data))
		return snprintf(c->err, sizeof(c->err), "path too long: %.400s", c->stage), -1;
	return make_dir(c->data, c->err, sizeof(c->err));
}

static int parse_formats(struct plot_ctx *c, char *text)
{
	char *items[4];
	size_t n;
	char err[256];
	if (cli_split_list("--format", text, items, 4, &n, err, sizeof(err)))
		return bad(err);
	c->n_formats = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(items[i], "png") && strcmp(items[i], "svg"))
			return bad("--format: expected png, svg or png,svg");
		if (c->n_formats < 2)
			c->formats[c->n_formats++] = !strcmp(items[i], "png") ? "png" : "svg";
	}
	return 0;
}

int cmd_plot(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "bootstrap", required_argument, NULL, 'B' },
		{ "seed", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct plot_ctx *c = calloc(1, sizeof(*c));
	char out_buf[PATH_MAX], err[256];
	uint64_t v;
	int opt, ret = 2;

	if (!c) {
		fprintf(stderr, "rme-bench plot: out of memory\n");
		return 1;
	}
	*c = (struct plot_ctx){ .formats = { "png", "svg" }, .n_formats = 2, .bootstrap = 1000,
				.seed = 1 };
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'o': c->out = optarg; break;
		case 'f':
			if (parse_formats(c, optarg))
				goto out;
			break;
		case 'B':
			if (cli_parse_u64("--bootstrap", optarg, 100000, &v, err, sizeof(err))) {
				ret = bad(err);
				goto out;
			}
			if (v < 10) {
				ret = bad("--bootstrap: at least 10 resamples");
				goto out;
			}
			c->bootstrap = (unsigned)v;
			break;
		case 'S':
			if (cli_parse_u64("--seed", optarg, UINT64_MAX, &c->seed, err, sizeof(err))) {
				ret = bad(err);
				goto out;
			}
			break;
		case 'h': plot_usage(stdout); ret = 0; goto out;
		default:
			snprintf(err, sizeof(err), "unknown or incomplete option '%s'", argv[optind - 1]);
			ret = bad(err);
			goto out;
		}
	}
	if (optind >= argc) {
		plot_usage(stderr);
		goto out;
	}
	if (argc - optind > MAX_DIRS) {
		ret = bad("too many results directories (at most 16)");
		goto out;
	}
	for (int i = optind; i < argc; i++) {
		if (report_load(argv[i], &c->dirs[c->n_dirs], c->err, sizeof(c->err))) {
			fprintf(stderr, "rme-bench plot: %s\n", c->err);
			goto out;
		}
		c->n_dirs++;
	}
	ret = 1;
	if (gp_find_gnuplot(c->gnuplot, sizeof(c->gnuplot), c->err, sizeof(c->err)) ||
	    gp_find_scripts(c->scripts, sizeof(c->scripts), c->err, sizeof(c->err))) {
		fprintf(stderr, "rme-bench plot: %s\n", c->err);
		goto out;
	}

	c->min_vcpus = UINT32_MAX;
	const char *policy = NULL;
	for (size_t d = 0; d < c->n_dirs; d++)
		for (size_t i = 0; i < c->dirs[d].n_runs; i++) {
			const struct results_run_summary *s = c->dirs[d].runs[i].sum;
			if (s->faults && s->vcpus < c->min_vcpus)
				c->min_vcpus = s->vcpus;
			if (strcmp(s->vm, "normal")) {
				if (policy && strcmp(policy, s->policy))
					c->multi_policy = true;
				policy = s->policy;
			}
		}
	if (!c->out) {
		if (snprintf(out_buf, sizeof(out_buf), "%s/plots", c->dirs[0].path) >=
		    (int)sizeof(out_buf)) {
			fprintf(stderr, "rme-bench plot: path too long: %s\n", c->dirs[0].path);
			goto out;
		}
		c->out = out_buf;
	}
	if (make_dir(c->out, c->err, sizeof(c->err)) || make_stage(c)) {
		fprintf(stderr, "rme-bench plot: %s\n", c->err);
		goto out;
	}
	int (*const figures[])(struct plot_ctx *) = { fig_stages, fig_cdf, fig_overhead, fig_rmi,
						      fig_scaling, fig_insn, fig_phases };
	catch_interrupts();
	for (size_t i = 0; i < sizeof(figures) / sizeof(figures[0]); i++) {
		if (!plot_interrupted && figures[i](c) == 0)
			continue;
		fprintf(stderr, "rme-bench plot: %s\n", plot_interrupted ? "interrupted: the "
			"previous figures and data are left as they were" : c->err);
		goto out;
	}
	if (promote(c)) {
		fprintf(stderr, "rme-bench plot: %s\n", c->err);
		goto out;
	}
	ret = 0;
out:
	/* A failed call leaves the previous figures and data as they were. */
	if (c->stage[0])
		remove_tree(c->stage, 1);
	if (plot_interrupted) {
		/* End as the signal would have, once the staging folder is gone. */
		signal(plot_interrupted, SIG_DFL);
		raise(plot_interrupted);
	}
	for (size_t d = 0; d < c->n_dirs; d++)
		report_free(&c->dirs[d]);
	free(c);
	return ret;
}
