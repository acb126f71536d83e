/*
 * Reading an input file within bounds: every loader of results, traces and
 * command files opens its input here.
 *
 * Contract: input_file_open() opens PATH read-only without blocking (a FIFO
 * is refused, never waited on), and accepts only a regular file of at most
 * MAX_BYTES bytes; a directory, FIFO, device (/dev/zero, /dev/urandom),
 * socket or larger file is refused with one line in ERR naming PATH and the
 * cause (errno text where there is one). input_file_line() reads one line
 * of at most CAP - 1 bytes, so a file without newlines (a sparse file of
 * zeros) costs CAP bytes, not its size. Nothing here prints or exits; the
 * caller turns a refusal into its exit status (2: bad input).
 */
#ifndef RESULTS_INPUT_FILE_H
#define RESULTS_INPUT_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Bounds of the loaders (stated in docs/results.md). */
#define INPUT_JSON_MAX    (256ull << 20) /* meta.json, summary.json */
#define INPUT_CSV_MAX     (64ull << 30)  /* faults.csv */
#define INPUT_TRACE_MAX   (64ull << 30)  /* kernel trace text or raw timestamps */
#define INPUT_CMDS_MAX    (1ull << 30)   /* rmi command files */
#define INPUT_LINE_MAX    (64u << 10)    /* one line of any of them */

/* NULL (ERR, which must not be NULL, set) or a stream; *SIZE (if not
 * NULL) gets the file size. */
FILE *input_file_open(const char *path, uint64_t max_bytes, uint64_t *size, char *err,
		      size_t err_len);

enum input_line {
	INPUT_LINE_OK, INPUT_LINE_EOF, INPUT_LINE_TOO_LONG, INPUT_LINE_BINARY, INPUT_LINE_ERROR
};
/* One line into BUF (newline kept when present). TOO_LONG: CAP - 1 bytes
 * without a newline; BINARY: a NUL byte; ERROR: a read error (errno). */
enum input_line input_file_line(FILE *f, char *buf, size_t cap);
/* What a TOO_LONG, BINARY or ERROR result means, for a message. */
const char *input_line_problem(enum input_line r);

#endif
