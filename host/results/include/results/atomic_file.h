/*
 * Files that appear whole or not at all.
 *
 * Contract: atomic_file_open() creates a temporary beside FINAL_PATH (same
 * directory, so the rename is atomic) named ".NAME.tmp-XXXXXX", mode 0644;
 * the caller writes to the stream, then atomic_file_commit() flushes,
 * fsyncs, closes and renames it into place, or atomic_file_abort() removes
 * it. A reader therefore never sees a half-written file under a final
 * name. Writers of several files that must land in an order (the results
 * directory) use atomic_file_sync_close() on each and rename themselves,
 * then atomic_file_sync_dir().
 *
 * Failure: NULL / -1 with a message naming the file in ERR; the temporary
 * is removed and *TMP_PATH freed by commit and abort whatever the outcome.
 *
 * Interrupts: every temporary from atomic_file_open() is tracked until it
 * is committed, aborted or released; SIGINT, SIGTERM and SIGHUP (where
 * they still have their default action) remove the tracked temporaries,
 * then end the process as the signal would have.
 */
#ifndef RESULTS_ATOMIC_FILE_H
#define RESULTS_ATOMIC_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* *TMP_PATH is malloc'd; commit or abort frees it. */
FILE *atomic_file_open(const char *final_path, char **tmp_path, char *err, size_t err_len);
/* Flush, fsync and close F (always closed); WHAT names it in the message. */
int atomic_file_sync_close(FILE *f, const char *what, char *err, size_t err_len);
/* sync_close, then rename TMP_PATH to FINAL_PATH. */
int atomic_file_commit(FILE *f, char *tmp_path, const char *final_path, char *err,
		       size_t err_len);
/* Close F if not NULL, remove and free TMP_PATH if not NULL. */
void atomic_file_abort(FILE *f, char *tmp_path);
/* Stop tracking TMP_PATH (renamed or removed by the caller), remove it
 * first if REMOVE, free it. NULL is a no-op. */
void atomic_file_release(char *tmp_path, bool remove);
/* fsync a directory, so renames in it are on disk. 0 or -1 (errno set). */
int atomic_file_sync_dir(const char *dir);

#endif
