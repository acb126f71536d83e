/*
 * Provenance of a results directory: which code ran, on which machine and
 * platform, and whether the wall clock that dated it can be believed.
 *
 *  - The git revision is taken at build time (cmake/build_rev.cmake writes
 *    the two functions below into the build tree at every build), with a
 *    flag for tracked files that differ from it: a revision taken when
 *    CMake configured goes stale with the next commit.
 *  - The host description (CPU model, CPU count, kernel, never the host
 *    name) and the platform: QEMU under TCG, QEMU on KVM, an Arm FVP, some
 *    other hypervisor's VM, or hardware, decided from what the kernel and
 *    firmware expose (device tree compatible, DMI, the CPU's MIDR
 *    implementer, the x86 hypervisor flag): no dmesg, no extra tools.
 *
 * Reads files under ROOT ("" for this machine: /proc, /sys); writes
 * nothing but the JSON it is asked for. Uses results/json only.
 */
#ifndef RESULTS_PROVENANCE_H
#define RESULTS_PROVENANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct json_writer;

/* The revision of the sources this binary was built from ("unknown"
 * outside a git checkout); 1 if tracked files differed, 0 if not, -1
 * unknown. Defined in the generated build_rev.c. */
const char *results_git_rev(void);
int results_git_dirty(void);

struct results_platform {
	const char *kind;   /* "hardware", "qemu-tcg", "qemu-kvm", "fvp", "vm", "unknown" */
	bool emulated;      /* the CPU is emulated (TCG, FVP): times are not hardware times */
	char evidence[320]; /* what the decision rests on, for a reader to check */
};

void results_detect_platform(const char *root, struct results_platform *out);
/* One line for figures and `compare`: "qemu-tcg (emulated CPU)" etc. */
const char *results_platform_label(const char *kind);

/* The "host" object of meta.json for the machine under ROOT ("" = this one). */
void results_write_host(struct json_writer *jw, const char *root);
/* The same as JSON text (malloc'd, free() it), NULL on ENOMEM. */
char *results_host_json(const char *root);

/* "2026-12-07T01:39:44.135Z" */
void results_format_utc(const struct timespec *t, char *out, size_t len);

/*
 * The measured host kept next to a trace (trace record --keep-trace) so
 * that a later `trace ingest` on another machine describes the machine
 * that was measured: {"host": {...}, "start_time": "...", "end_time":
 * "...", "start_unix_ns": N, "end_unix_ns": N, "start_time_plausible": b}.
 * 0, or -1 with a message in ERR.
 */
int results_write_host_file(const char *path, const struct timespec *start,
			    const struct timespec *end, char *err, size_t err_len);
/* *HOST_JSON (malloc'd text of the "host" object) and *START from PATH. */
int results_read_host_file(const char *path, char **host_json, struct timespec *start,
			   char *err, size_t err_len);

/* A wall clock before 2020 is a machine without a real-time clock (a
 * nested guest that booted at the epoch), not the time of the run. */
bool results_wall_clock_plausible(const struct timespec *t);

#endif
