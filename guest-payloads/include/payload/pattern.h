/*
 * Guest payload patterns: what a guest vCPU does to its memory.
 *
 * Contract: a pattern is data plus a generator. Given the run's parameters
 * and a vCPU index, it yields a finite stream of guest actions expressed as
 * offsets into the guest's RAM region (never IPAs, never backend calls), so
 * the sim payload runtime and the aarch64 bare-metal runtime execute the
 * very same definitions. Generators allocate nothing and keep their whole
 * state in struct pattern_iter, so they also compile freestanding.
 *
 * Memory layout seen by a pattern (memstress style): vCPU v owns
 * [v * size, (v + 1) * size) of the RAM region, or every vCPU uses
 * [0, size) when params.overlap is set (vCPUs racing on the same pages).
 * `shared` actions address the same offset through the realm's unprotected
 * alias (a normal VM has no alias and uses the same address).
 *
 * first_touch marks the accesses the pattern expects to fault: the first
 * access to each unit the host maps per fault (`map_page`, or the backing
 * `page` when 0: a host maps at most a whole backing page per fault,
 * protected and alias mappings separately; some host series map less, e.g.
 * 4 KiB pages of a 2 MiB-backed realm), and in
 * a realm the first access to a page after RIPAS EMPTY -> RAM (the host
 * gave the page up). Counting them gives the expected number of
 * stage-2 data faults of this vCPU (pattern_count). Under `overlap` it is
 * this vCPU's first touch; vCPUs racing on a page fault only once in total.
 * A normal VM (realm == false) gets no SET_RIPAS actions at all.
 *
 * Failure: pattern_iter_start() validates every parameter and returns -1
 * with a message naming the parameter; a failed iterator yields nothing.
 */
#ifndef PAYLOAD_PATTERN_H
#define PAYLOAD_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PATTERN_SZ_4K (4096ULL)
#define PATTERN_SZ_2M (2ULL << 20)

enum payload_op {
	PAYLOAD_READ,
	PAYLOAD_WRITE,
	PAYLOAD_SET_RIPAS,  /* RSI_IPA_STATE_SET [offset, offset + len) */
};

enum payload_ripas {
	PAYLOAD_RIPAS_EMPTY = 0,
	PAYLOAD_RIPAS_RAM = 1,
};

struct payload_action {
	uint64_t offset;    /* from the start of the guest RAM region */
	uint64_t len;       /* SET_RIPAS: length of the range */
	uint8_t op;         /* enum payload_op */
	uint8_t ripas;      /* SET_RIPAS: enum payload_ripas */
	bool shared;        /* access through the unprotected alias */
	bool first_touch;   /* the pattern expects this access to fault */
};

struct pattern_params {
	uint64_t size;      /* bytes per vCPU; multiple of `page` */
	uint64_t page;      /* host backing page: PATTERN_SZ_4K or _2M */
	uint64_t map_page;  /* stage-2 mapping per fault: 0 (= page), 4K or page;
			     * changes which accesses fault, never the accesses */
	uint32_t vcpus;     /* total vCPUs */
	uint32_t vcpu;      /* this vCPU */
	uint64_t seed;      /* for randomised patterns */
	bool realm;         /* false: RIPAS actions are skipped */
	bool overlap;       /* all vCPUs use the same [0, size) */
};

/* Generator state: opaque to users, fixed size, no allocation. */
struct pattern_iter {
	const struct pattern *pattern;
	struct pattern_params p;
	uint64_t base;      /* this vCPU's first offset */
	uint64_t pos;       /* generator position */
	uint64_t phase;
	uint64_t state[8];  /* generator-private */
};

struct pattern {
	const char *name;
	const char *summary;   /* one line for `rme-bench list patterns` */
	bool needs_2m;         /* only meaningful on 2 MiB backing: 4K refused */
	/* Start a stream. Returns 0, or -1 with a message in err when the
	 * parameters do not fit this pattern (size not a multiple, ...). */
	int (*init)(struct pattern_iter *it, char *err, size_t errlen);
	/* Next action: 1 and *a filled, or 0 at the end of the stream. */
	int (*next)(struct pattern_iter *it, struct payload_action *a);
	/* Works on whole 2 MiB regions: size must be a multiple of 2 MiB. */
	bool needs_regions;
	/* Issues SET_RIPAS in a realm (refused with `overlap`: vCPUs would
	 * change the RIPAS of pages another vCPU is touching). */
	bool changes_ripas;
};

/* The registry. NULL if no pattern has this name. */
const struct pattern *pattern_find(const char *name);
/* Patterns in registry order; NULL after the last. */
const struct pattern *pattern_at(size_t index);

/* Validates params for the pattern and starts the iterator. 0 or -1 with err. */
int pattern_iter_start(struct pattern_iter *it, const struct pattern *pat,
		       const struct pattern_params *params, char *err, size_t errlen);
int pattern_iter_next(struct pattern_iter *it, struct payload_action *a);

/* What a whole stream does, found by running it (no closed forms to drift). */
struct pattern_counts {
	uint64_t actions;
	uint64_t accesses;          /* READ + WRITE */
	uint64_t first_touches;     /* expected stage-2 data faults */
	uint64_t shared_first_touches;
	uint64_t set_ripas;         /* SET_RIPAS actions (realm only) */
	uint64_t ripas_bytes;       /* sum of their lengths */
};

/* Runs the pattern for params from the start. 0, or -1 with err. */
int pattern_count(const struct pattern *pat, const struct pattern_params *params,
		  struct pattern_counts *out, char *err, size_t errlen);

#endif
