/*
 * gnuplot as a child process: no shell, stdin from /dev/null, output to a
 * temporary that is checked and renamed.
 */
#define _GNU_SOURCE
#include "gnuplot.h"

#include "results/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return -1;
}

static int is_executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int gp_find_gnuplot(char *path, size_t len, char *err, size_t err_len)
{
	const char *env = getenv("RMEB_GNUPLOT");
	if (env && *env) {
		if (!is_executable(env))
			return fail(err, err_len, "RMEB_GNUPLOT=%s is not an executable file", env);
		snprintf(path, len, "%s", env);
		return 0;
	}
	const char *p = getenv("PATH");
	while (p && *p) {
		size_t n = strcspn(p, ":");
		snprintf(path, len, "%.*s/gnuplot", (int)n, n ? p : ".");
		if (is_executable(path))
			return 0;
		p += n + (p[n] == ':');
	}
	return fail(err, err_len, "gnuplot not found on PATH; install it (Debian: apt-get install "
		    "gnuplot-nox, or scripts/deps.sh) or set RMEB_GNUPLOT");
}

static int has_scripts(const char *dir)
{
	char probe[PATH_MAX];
	snprintf(probe, sizeof(probe), "%s/common.gp", dir);
	return access(probe, R_OK) == 0;
}

int gp_find_scripts(char *dir, size_t len, char *err, size_t err_len)
{
	const char *env = getenv("RMEB_PLOTS_DIR");
	if (env && *env) {
		if (!has_scripts(env))
			return fail(err, err_len, "RMEB_PLOTS_DIR=%s has no common.gp", env);
		snprintf(dir, len, "%s", env);
		return 0;
	}
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		snprintf(dir, len, "%s/../share/rme-bench/plots", dirname(exe));
		if (has_scripts(dir))
			return 0;
	}
#ifdef RMEB_SOURCE_PLOTS_DIR
	snprintf(dir, len, "%s", RMEB_SOURCE_PLOTS_DIR);
	if (has_scripts(dir))
		return 0;
#endif
	return fail(err, err_len, "gnuplot scripts (plots/common.gp) not found; set RMEB_PLOTS_DIR "
		    "to the plots/ directory of the source tree");
}

/* gnuplot single-quoted strings: '' is a quote; nothing else is special. */
int gp_var_str(char *buf, size_t len, const char *name, const char *value)
{
	size_t used = strlen(buf);
	int n = snprintf(buf + used, len - used, "%s='", name);
	if (n < 0 || (size_t)n >= len - used)
		return -1;
	used += (size_t)n;
	for (const char *p = value; *p; p++) {
		if (*p == '\n' || *p == '\r')
			continue;
		if (used + 3 >= len)
			return -1;
		if (*p == '\'')
			buf[used++] = '\'';
		buf[used++] = *p;
	}
	if (used + 3 >= len)
		return -1;
	buf[used++] = '\'';
	buf[used++] = ';';
	buf[used] = '\0';
	return 0;
}

void gp_label_clean(char *label)
{
	for (char *p = label; *p; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20 || *p == 0x7f)
			*p = *p == '"' ? '\'' : *p == '\\' ? '/' : ' ';
}

int gp_var_num(char *buf, size_t len, const char *name, double value)
{
	size_t used = strlen(buf);
	int n = snprintf(buf + used, len - used, "%s=%.17g;", name, value);
	return n < 0 || (size_t)n >= len - used ? -1 : 0;
}

/* Does the file at PATH look like a complete figure of FORMAT? */
static int looks_complete(const char *path, const char *format)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	unsigned char head[8] = { 0 };
	char tail[64] = { 0 };
	size_t n = fread(head, 1, sizeof(head), f);
	int ok = 0;
	if (!strcmp(format, "png")) {
		static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
		/* the IEND chunk closes every complete PNG */
		ok = n == 8 && !memcmp(head, sig, 8) && fseek(f, -8, SEEK_END) == 0 &&
		     fread(tail, 1, 8, f) == 8 && !memcmp(tail, "IEND", 4);
	} else {
		if (fseek(f, -(long)(sizeof(tail) - 1), SEEK_END) != 0)
			rewind(f);
		size_t t = fread(tail, 1, sizeof(tail) - 1, f);
		tail[t] = '\0';
		ok = strstr(tail, "</svg>") != NULL;
	}
	fclose(f);
	return ok;
}

static int run_gnuplot(const char *gnuplot, const char *script, const char *vars, char *err,
		       size_t err_len)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	char *argv[] = { (char *)gnuplot, "-e", (char *)vars, (char *)script, NULL };
	pid_t pid;
	int rc = posix_spawn(&pid, gnuplot, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return fail(err, err_len, "cannot start %s: %s", gnuplot, strerror(rc));
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return fail(err, err_len, "waitpid: %s", strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return fail(err, err_len, "gnuplot failed on %s (exit %d)", script,
			    WEXITSTATUS(status));
	return fail(err, err_len, "gnuplot was killed by signal %d on %s", WTERMSIG(status),
		    script);
}

/* Why a figure is incomplete: gnuplot exits 0 on a full disk, so look. */
static int incomplete(const char *path, const char *format, const char *script, char *err,
		      size_t err_len)
{
	struct statvfs vfs;
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", path);
	if (statvfs(dirname(dir), &vfs) == 0 && vfs.f_bavail == 0)
		return fail(err, err_len, "gnuplot could not finish the %s for %s: %s (no space "
			    "left on the file system of %s)", format, script, strerror(ENOSPC), dir);
	return fail(err, err_len, "gnuplot wrote an incomplete %s for %s (see its messages "
		    "above)", format, script);
}

int gp_draw(const char *gnuplot, const char *scripts, const char *script, const char *vars,
	    const char *out_base, const char *const *formats, size_t n_formats, char *err,
	    size_t err_len)
{
	char script_path[PATH_MAX];
	snprintf(script_path, sizeof(script_path), "%s/%s", scripts, script);
	for (size_t i = 0; i < n_formats; i++) {
		char final[PATH_MAX], *tmp = NULL;
		snprintf(final, sizeof(final), "%s.%s", out_base, formats[i]);
		FILE *f = atomic_file_open(final, &tmp, err, err_len);
		if (!f)
			return -1;
		fclose(f); /* gnuplot writes it by name */
		size_t cap = strlen(vars) + 3 * PATH_MAX + 64;
		char *all = malloc(cap);
		if (!all) {
			atomic_file_abort(NULL, tmp);
			return fail(err, err_len, "out of memory");
		}
		snprintf(all, cap, "%s", vars);
		int rc = gp_var_str(all, cap, "fmt", formats[i]) ||
			 gp_var_str(all, cap, "outfile", tmp) ||
			 gp_var_str(all, cap, "plotsdir", scripts) ? -1 : 0;
		if (rc)
			fail(err, err_len, "gnuplot arguments too long");
		else
			rc = run_gnuplot(gnuplot, script_path, all, err, err_len);
		free(all);
		if (!rc && !looks_complete(tmp, formats[i]))
			rc = incomplete(tmp, formats[i], script, err, err_len);
		if (!rc && rename(tmp, final) != 0)
			rc = fail(err, err_len, "cannot rename into %s: %s", final, strerror(errno));
		atomic_file_release(tmp, rc != 0);
		if (rc)
			return -1;
	}
	return 0;
}
