/*
 * Running gnuplot scripts from plots/ and writing files atomically.
 *
 * Contract: gnuplot is found as $RMEB_GNUPLOT or as "gnuplot" on PATH;
 * the scripts directory as $RMEB_PLOTS_DIR, then <binary>/../share/
 * rme-bench/plots (installed), then the source tree's plots/ (a build
 * directory). A figure is drawn into a temporary file next to its final
 * name; only when gnuplot exits 0 and the file looks complete (PNG
 * signature, SVG closing tag) is it renamed into place, so a failed or
 * interrupted plot never leaves a half-written figure. Data files go
 * through the same temporary + rename (trace/atomic_file.h).
 *
 * Every function returns 0, or -1 with a message in ERR. Not thread-safe.
 */
#ifndef BENCH_REPORT_GNUPLOT_H
#define BENCH_REPORT_GNUPLOT_H

#include <stddef.h>
#include <stdio.h>

int gp_find_gnuplot(char *path, size_t len, char *err, size_t err_len);
int gp_find_scripts(char *dir, size_t len, char *err, size_t err_len);

/* Append `name='value'` (quoted for gnuplot) or `name=value` to a -e text. */
int gp_var_str(char *buf, size_t len, const char *name, const char *value);
/* Make LABEL safe inside a double-quoted string of a gnuplot data file:
 * a double quote becomes ', a backslash /, a control character a space
 * (the loader refuses such labels; this keeps a figure's data whole). */
void gp_label_clean(char *label);
int gp_var_num(char *buf, size_t len, const char *name, double value);

/*
 * Run GNUPLOT on SCRIPTS/SCRIPT with the -e text VARS plus fmt, outfile
 * and plotsdir, once per format in FORMATS ("png", "svg"), writing
 * OUT_BASE.png / OUT_BASE.svg atomically.
 */
int gp_draw(const char *gnuplot, const char *scripts, const char *script, const char *vars,
	    const char *out_base, const char *const *formats, size_t n_formats, char *err,
	    size_t err_len);

#endif
