/*
 * Temporary, fsync, rename: see trace/atomic_file.h.
 */
#define _GNU_SOURCE
#include "results/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

__attribute__((format(printf, 3, 4)))
static void set_err(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !err_len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

/*
 * Temporaries that exist right now, so that SIGINT / SIGTERM / SIGHUP
 * remove them before the process dies (the handler only reads the slots
 * and calls unlink, both async-signal-safe). A temporary beyond the slots
 * is still removed by its owner on every path but a signal.
 */
#define TEMP_SLOTS 64
static char *live_temps[TEMP_SLOTS];

static void remove_temps_and_die(int sig)
{
	for (size_t i = 0; i < TEMP_SLOTS; i++) {
		char *p = __atomic_load_n(&live_temps[i], __ATOMIC_SEQ_CST);
		if (p)
			unlink(p);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Once: our handler where the signal still has its default action (a
 * caller that ignores or handles it keeps its own choice). */
static void install_handlers(void)
{
	static bool done;
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };

	if (done)
		return;
	done = true;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction old, sa = { .sa_handler = remove_temps_and_die };
		sigemptyset(&sa.sa_mask);
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL)
			sigaction(sigs[i], &sa, NULL);
	}
}

static void temp_track(char *path)
{
	install_handlers();
	for (size_t i = 0; i < TEMP_SLOTS; i++) {
		char *expected = NULL;
		if (__atomic_compare_exchange_n(&live_temps[i], &expected, path, false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return;
	}
}

static void temp_untrack(const char *path)
{
	for (size_t i = 0; i < TEMP_SLOTS; i++) {
		char *expected = (char *)path;
		if (__atomic_compare_exchange_n(&live_temps[i], &expected, NULL, false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return;
	}
}

void atomic_file_release(char *tmp_path, bool remove)
{
	if (!tmp_path)
		return;
	temp_untrack(tmp_path);
	if (remove)
		unlink(tmp_path);
	free(tmp_path);
}

FILE *atomic_file_open(const char *final_path, char **tmp_path, char *err, size_t err_len)
{
	const char *slash = strrchr(final_path, '/');
	int dir_len = slash ? (int)(slash - final_path) : 1;
	const char *dir = slash ? final_path : ".";
	const char *base = slash ? slash + 1 : final_path;
	char *path = NULL;

	*tmp_path = NULL;
	if (!*base) {
		set_err(err, err_len, "cannot write %s: no file name", final_path);
		return NULL;
	}
	if (asprintf(&path, "%.*s/.%s.tmp-XXXXXX", slash == final_path ? 0 : dir_len, dir,
		     base) < 0) {
		set_err(err, err_len, "out of memory");
		return NULL;
	}
	int fd = mkstemp(path);
	if (fd < 0) {
		set_err(err, err_len, "cannot create a temporary for %s: %s", final_path,
			strerror(errno));
		free(path);
		return NULL;
	}
	temp_track(path);
	fchmod(fd, 0644);
	FILE *f = fdopen(fd, "w");
	if (!f) {
		set_err(err, err_len, "cannot open a temporary for %s: %s", final_path,
			strerror(errno));
		close(fd);
		atomic_file_release(path, true);
		return NULL;
	}
	*tmp_path = path;
	return f;
}

int atomic_file_sync_close(FILE *f, const char *what, char *err, size_t err_len)
{
	int rc = 0, e = 0;

	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0) {
		rc = -1;
		e = errno;
	}
	if (fclose(f) != 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	if (rc)
		set_err(err, err_len, "cannot write %s: %s", what, e ? strerror(e) : "I/O error");
	return rc;
}

int atomic_file_commit(FILE *f, char *tmp_path, const char *final_path, char *err,
		       size_t err_len)
{
	int rc = atomic_file_sync_close(f, final_path, err, err_len);

	if (rc == 0 && rename(tmp_path, final_path) != 0) {
		set_err(err, err_len, "cannot rename into %s: %s", final_path, strerror(errno));
		rc = -1;
	}
	atomic_file_release(tmp_path, rc != 0);
	return rc;
}

void atomic_file_abort(FILE *f, char *tmp_path)
{
	if (f)
		fclose(f);
	atomic_file_release(tmp_path, true);
}

int atomic_file_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}
