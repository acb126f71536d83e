/*
 * Bounded input files: see results/input_file.h. ERR is always given.
 */
#define _GNU_SOURCE
#include "results/input_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *kind_of(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device"
	       : S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

FILE *input_file_open(const char *path, uint64_t max_bytes, uint64_t *size, char *err,
		      size_t err_len)
{
	struct stat st;
	/* O_NONBLOCK: opening a FIFO for reading would wait for a writer. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, err_len, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(err, err_len, "cannot stat %s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, err_len, "%s is %s, not a regular file", path, kind_of(st.st_mode));
		close(fd);
		return NULL;
	}
	if ((uint64_t)st.st_size > max_bytes) {
		snprintf(err, err_len, "%s has %llu bytes, more than the %llu this reader accepts",
			path, (unsigned long long)st.st_size, (unsigned long long)max_bytes);
		close(fd);
		return NULL;
	}
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
		snprintf(err, err_len, "cannot read %s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	FILE *f = fdopen(fd, "r");
	if (!f) {
		snprintf(err, err_len, "cannot read %s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (size)
		*size = (uint64_t)st.st_size;
	return f;
}

enum input_line input_file_line(FILE *f, char *buf, size_t cap)
{
	size_t n = 0;
	int ch = EOF;

	while (n + 1 < cap && (ch = getc_unlocked(f)) != EOF) {
		if (ch == '\0') {
			buf[n] = '\0';
			return INPUT_LINE_BINARY;
		}
		buf[n++] = (char)ch;
		if (ch == '\n')
			break;
	}
	buf[n] = '\0';
	if (ch == EOF && ferror(f))
		return INPUT_LINE_ERROR;
	if (n == 0)
		return INPUT_LINE_EOF;
	if (buf[n - 1] != '\n' && n + 1 == cap)
		return INPUT_LINE_TOO_LONG;
	return INPUT_LINE_OK;
}

const char *input_line_problem(enum input_line r)
{
	switch (r) {
	case INPUT_LINE_TOO_LONG: return "line longer than the reader's bound (not a text file of this kind?)";
	case INPUT_LINE_BINARY: return "NUL byte in a line (a binary file?)";
	case INPUT_LINE_ERROR: return "read error";
	default: return "ok";
	}
}
