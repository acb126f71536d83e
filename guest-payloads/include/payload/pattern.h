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
	bool needs_2m;         /* only meaningful on 2 MiB backing */
	/* Start a stream. Returns 0, or -1 with a message in err when the
	 * parameters do not fit this pattern (size not a multiple, ...). */
	int (*init)(struct pattern_iter *it, char *err, size_t errlen);
	/* Next action: 1 and *a filled, or 0 at the end of the stream. */
	int (*next)(struct pattern_iter *it, struct payload_action *a);
};

/* The registry. NULL if no pattern has this name. */
const struct pattern *pattern_find(const char *name);
/* Patterns in registry order; NULL after the last. */
const struct pattern *pattern_at(size_t index);

/* Validates params for the pattern and starts the iterator. 0 or -1 with err. */
int pattern_iter_start(struct pattern_iter *it, const struct pattern *pat,
		       const struct pattern_params *params, char *err, size_t errlen);
int pattern_iter_next(struct pattern_iter *it, struct payload_action *a);

#endif
