/*
 * rme-bench plot on a small real run: every figure is written (PNG with
 * signature and IEND, well-formed SVG), and every broken input (corrupt
 * summary.json, truncated faults.csv, rows missing, schema mismatch, empty
 * run, no such directory, gnuplot missing, gnuplot writing half a figure)
 * is a clean error with the documented exit status and no figure left.
 *
 * usage: test_report_plot RME_BENCH
 * Run as "gnuplot" (a symlink the test makes) this program is a broken
 * gnuplot: it writes half a PNG to the requested outfile and exits 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report_test.h"
static void check_stacks_add_up(const char *dat);

static const char *bench;
static char work[PATH_MAX];

static const char *const figures[] = { "stages", "cdf", "overhead", "rmi", "scaling" };

static int fake_gnuplot(int argc, char **argv)
{
	/* -e "...outfile='PATH';..." script */
	for (int i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], "-e"))
			continue;
		const char *o = strstr(argv[i + 1], "outfile='");
		if (!o)
			continue;
		o += strlen("outfile='");
		char path[PATH_MAX];
		size_t n = strcspn(o, "'");
		snprintf(path, sizeof(path), "%.*s", (int)n, o);
		FILE *f = fopen(path, "wb");
		if (!f)
			return 3;
		fwrite("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 1, 16, f); /* and nothing else */
		fclose(f);
		return 0;
	}
	return 3;
}

static void path_in(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", work, name);
}

/* rme-bench plot DIR with extra env; checks status, message, no figures. */
static void expect_plot_error(const char *dir, int want_status, const char *want_msg,
			      const char *const *env_set, const char *const *env_unset)
{
	char err[PATH_MAX], plots[PATH_MAX];
	path_in(err, sizeof(err), "plot.err");
	char *argv[] = { (char *)bench, "plot", (char *)dir, NULL };
	int st = rt_run(argv, NULL, err, env_set, env_unset);
	if (st != want_status)
		fprintf(stderr, "plot %s: exit %d, expected %d\n", dir, st, want_status);
	CHECK(st == want_status);
	CHECK(rt_file_contains(err, want_msg));
	snprintf(plots, sizeof(plots), "%s/plots", dir);
	CHECK(rt_count_suffix(plots, ".png") == 0);
	CHECK(rt_count_suffix(plots, ".svg") == 0);
}

/* A copy of the good run named NAME, with FILE replaced by DATA. */
static void broken_copy(const char *good, const char *name, char *out, size_t len,
			const char *file, const char *data, size_t data_len)
{
	char path[PATH_MAX];
	path_in(out, len, name);
	CHECK(rt_copy_results(good, out) == 0);
	if (file) {
		snprintf(path, sizeof(path), "%s/%s", out, file);
		CHECK(rt_write_file(path, data, data_len) == 0);
	}
}

static void test_robustness(const char *good)
{
	char dir[PATH_MAX], path[PATH_MAX];
	size_t len;

	/* summary.json cut in half: a strict-JSON error naming the file */
	snprintf(path, sizeof(path), "%s/summary.json", good);
	char *summary = rt_read_file(path, &len);
	CHECK(summary != NULL);
	if (!summary)
		return;
	broken_copy(good, "corrupt-json", dir, sizeof(dir), "summary.json", summary, len / 2);
	expect_plot_error(dir, 2, "summary.json", NULL, NULL);

	/* schema version from the future */
	char *schema = strstr(summary, "\"schema\": 1");
	CHECK(schema != NULL);
	if (schema) {
		schema[strlen("\"schema\": ")] = '7';
		broken_copy(good, "schema", dir, sizeof(dir), "summary.json", summary, len);
		expect_plot_error(dir, 2, "schema version 7 is not supported", NULL, NULL);
	}
	free(summary);

	/* faults.csv cut mid-line, and cut at a line boundary */
	snprintf(path, sizeof(path), "%s/faults.csv", good);
	char *csv = rt_read_file(path, &len);
	CHECK(csv != NULL);
	if (!csv)
		return;
	size_t half = len / 2;
	while (half < len && csv[half - 1] == '\n')
		half++; /* make sure the cut is inside a line */
	broken_copy(good, "truncated-csv", dir, sizeof(dir), "faults.csv", csv, half);
	expect_plot_error(dir, 2, "faults.csv", NULL, NULL);
	char *nl = memchr(csv + len / 2, '\n', len - len / 2);
	CHECK(nl != NULL);
	if (nl) {
		broken_copy(good, "rows-missing", dir, sizeof(dir), "faults.csv", csv,
			    (size_t)(nl - csv) + 1);
		expect_plot_error(dir, 2, "but summary.json says", NULL, NULL);
	}
	/* a header of another schema */
	char *comma = strchr(csv, ',');
	if (comma) {
		memcpy(comma + 1, "cpu_", 4); /* "vcpu" -> "cpu_"; keep "total_ns" below */
		char *total = strstr(csv, "total_ns");
		if (total && total < strchr(csv, '\n'))
			memcpy(total, "totalns_", 8);
		broken_copy(good, "csv-header", dir, sizeof(dir), "faults.csv", csv, len);
		expect_plot_error(dir, 2, "header has no column \"total_ns\"", NULL, NULL);
	}
	free(csv);

	/* an empty run: the files of a run that recorded nothing */
	static const char empty_summary[] = "{\n  \"schema\": 1,\n  \"runs\": []\n}\n";
	broken_copy(good, "empty", dir, sizeof(dir), "summary.json", empty_summary,
		    strlen(empty_summary));
	snprintf(path, sizeof(path), "%s/faults.csv", dir);
	static const char header_only[] = "run,vcpu,ipa,kind,level,total_ns,rec_exit,exit_decode,"
		"abort_dispatch,memslot_lookup,page_pin,rtt_create,granule_delegate,data_create,"
		"unprot_map,rtt_fold,set_ripas,s2_map,rec_enter,unattributed,rmi_calls\n";
	CHECK(rt_write_file(path, header_only, strlen(header_only)) == 0);
	expect_plot_error(dir, 2, "empty run", NULL, NULL);

	/* no such directory, no meta.json */
	path_in(dir, sizeof(dir), "does-not-exist");
	expect_plot_error(dir, 2, "does-not-exist", NULL, NULL);
	broken_copy(good, "no-meta", dir, sizeof(dir), NULL, NULL, 0);
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	CHECK(unlink(path) == 0);
	expect_plot_error(dir, 2, "meta.json", NULL, NULL);

	/* gnuplot missing: PATH without it */
	broken_copy(good, "no-gnuplot", dir, sizeof(dir), NULL, NULL, 0);
	const char *no_path[] = { "PATH=/nonexistent-rmeb-test", NULL };
	const char *unset[] = { "RMEB_GNUPLOT", NULL };
	expect_plot_error(dir, 1, "gnuplot not found", no_path, unset);

	/* a gnuplot that writes half a PNG and says it succeeded */
	char fakedir[PATH_MAX], fake[PATH_MAX], self[PATH_MAX], env_path[PATH_MAX + 8];
	path_in(fakedir, sizeof(fakedir), "fakebin");
	mkdir(fakedir, 0755);
	snprintf(fake, sizeof(fake), "%s/gnuplot", fakedir);
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	CHECK(n > 0);
	if (n > 0) {
		self[n] = '\0';
		unlink(fake);
		CHECK(symlink(self, fake) == 0);
		snprintf(env_path, sizeof(env_path), "PATH=%s", fakedir);
		const char *fake_env[] = { env_path, NULL };
		broken_copy(good, "bad-gnuplot", dir, sizeof(dir), NULL, NULL, 0);
		expect_plot_error(dir, 1, "incomplete png", fake_env, unset);
	}
}

static void test_good_run(const char *good)
{
	char out[PATH_MAX], err[PATH_MAX], fig[PATH_MAX];
	path_in(out, sizeof(out), "plot.out");
	path_in(err, sizeof(err), "plot.err");
	char *argv[] = { (char *)bench, "plot", (char *)good, NULL };
	int st = rt_run(argv, out, err, NULL, NULL);
	CHECK(st == 0);
	if (st)
		rt_file_contains(err, "(expected success)");
	for (size_t i = 0; i < sizeof(figures) / sizeof(*figures); i++) {
		snprintf(fig, sizeof(fig), "%s/plots/%s.png", good, figures[i]);
		CHECK(rt_png_ok(fig));
		snprintf(fig, sizeof(fig), "%s/plots/%s.svg", good, figures[i]);
		CHECK(rt_svg_ok(fig));
		/* every figure names its data source and ABI */
		CHECK(rt_file_contains(fig, "sim-measured"));
		CHECK(rt_file_contains(fig, "RMI ABI 1.0"));
	}
	snprintf(fig, sizeof(fig), "%s/plots", good);
	CHECK(rt_count_suffix(fig, ".png") == 5);
	snprintf(fig, sizeof(fig), "%s/plots/data/stages_4K.dat", good);
	CHECK(rt_file_contains(fig, "unattributed"));
	check_stacks_add_up(fig);

	/* --format svg --out elsewhere: only SVGs there */
	char other[PATH_MAX];
	path_in(other, sizeof(other), "svg-only");
	char *argv2[] = { (char *)bench, "plot", "--format", "svg", "--out", other, (char *)good,
			  NULL };
	CHECK(rt_run(argv2, NULL, err, NULL, NULL) == 0);
	CHECK(rt_count_suffix(other, ".svg") == 5);
	CHECK(rt_count_suffix(other, ".png") == 0);

	/* a figure that no longer applies is removed, not left stale */
	char one[PATH_MAX];
	path_in(one, sizeof(one), "one-vcpu");
	char *run1[] = { (char *)bench, "run", "--pattern", "seq", "--size", "2M", "--vcpus", "1",
			 "--out", one, NULL };
	CHECK(rt_run(run1, NULL, err, NULL, NULL) == 0);
	char *argv5[] = { (char *)bench, "plot", "--format", "svg", "--out", other, one, NULL };
	CHECK(rt_run(argv5, out, err, NULL, NULL) == 0);
	CHECK(rt_count_suffix(other, ".svg") == 4);
	CHECK(rt_file_contains(out, "no scaling figure"));

	/* usage errors */
	char *argv3[] = { (char *)bench, "plot", NULL };
	CHECK(rt_run(argv3, NULL, NULL, NULL, NULL) == 2);
	char *argv4[] = { (char *)bench, "plot", "--format", "gif", (char *)good, NULL };
	CHECK(rt_run(argv4, NULL, err, NULL, NULL) == 2);
	CHECK(rt_file_contains(err, "--format"));
}

/* Each stacked bar of the stages figure adds up to the dot above it (the
 * mean whole fault), whatever the mix of fault kinds in the run. */
static void check_stacks_add_up(const char *dat)
{
	FILE *f = fopen(dat, "r");
	CHECK(f != NULL);
	if (!f)
		return;
	char line[4096];
	size_t rows = 0;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] != '"')
			continue; /* the header */
		double v[32], sum = 0;
		size_t n = 0;
		for (char *p = strchr(line + 1, '"'); p && n < 32; ) {
			p = strchr(p, '\t');
			if (!p)
				break;
			v[n++] = strtod(p + 1, &p);
		}
		for (size_t i = 0; i + 1 < n; i++)
			sum += v[i];
		CHECK(n >= 2 && fabs(sum - v[n - 1]) <= 0.0001 * (double)n + 1e-9);
		rows++;
	}
	fclose(f);
	CHECK(rows > 0);
}

int main(int argc, char **argv)
{
	if (!strcmp(basename(argv[0]), "gnuplot"))
		return fake_gnuplot(argc, argv);
	if (argc != 2) {
		fprintf(stderr, "usage: %s RME_BENCH\n", argv[0]);
		return 2;
	}
	bench = argv[1];
	snprintf(work, sizeof(work), "report-plot-%d", (int)getpid());
	rt_remove_tree(work);
	if (mkdir(work, 0755)) {
		perror(work);
		return 1;
	}
	char good[PATH_MAX], err[PATH_MAX];
	path_in(good, sizeof(good), "run");
	path_in(err, sizeof(err), "run.err");
	/* realm and normal, 4K and 2M, two vCPU counts: every figure applies */
	char *run[] = { (char *)bench, "run", "--pattern", "seq,block,shared", "--size", "4M",
			"--vcpus", "1,2", "--out", good, NULL };
	int st = rt_run(run, NULL, err, NULL, NULL);
	CHECK(st == 0);
	if (st) {
		rt_file_contains(err, "(run failed)");
	} else {
		test_good_run(good);
		test_robustness(good);
	}
	if (!report_test_failures)
		rt_remove_tree(work);
	if (report_test_failures)
		fprintf(stderr, "report_plot: %d check(s) failed (work dir %s kept)\n",
			report_test_failures, work);
	else
		printf("report_plot: ok\n");
	return report_test_failures != 0;
}
