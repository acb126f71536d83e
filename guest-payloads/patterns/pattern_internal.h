/*
 * Private to the pattern library: the pieces every pattern is built from.
 *
 * - payload_errf: a tiny message formatter (no libc: patterns also build
 *   freestanding for the aarch64 guest).
 * - bij_permute: a keyed bijection over [0, n) (random orders without
 *   storing a permutation).
 * - the step engine: most patterns are "for each chunk of the vCPU's range,
 *   run these steps" (touch pages, change RIPAS); they describe the steps
 *   as data and share one generator.
 */
#ifndef PAYLOAD_PATTERN_INTERNAL_H
#define PAYLOAD_PATTERN_INTERNAL_H

#include <payload/pattern.h>

/*
 * Formats into err (always NUL-terminated, truncated to errlen). Directives:
 * %s const char *, %u uint64_t decimal, %S uint64_t byte size ("4K", "2M",
 * "3G" when exact, decimal bytes otherwise). Numbers
 * must be passed as uint64_t: the formatter reads them as such.
 */
void payload_errf(char *err, size_t errlen, const char *fmt, ...);

/*
 * The image of x under a bijection of [0, n) chosen by key: a balanced
 * Feistel network over the smallest even-width power of two >= n, walked
 * until the value falls inside [0, n) (cycle walking keeps it a bijection).
 * Requires x < n; n <= 2^62.
 */
uint64_t bij_permute(uint64_t n, uint64_t key, uint64_t x);

/* What the host maps per stage-2 fault: the first access to each such unit
 * faults (pattern_params.map_page, defaulting to the backing page). */
static inline uint64_t pattern_fault_unit(const struct pattern_iter *it)
{
	return it->p.map_page ? it->p.map_page : it->p.page;
}

enum step_kind {
	STEP_TOUCH,      /* write pages of the step's range, in order */
	STEP_SET_RIPAS,  /* one SET_RIPAS of the step's range (realm only) */
};

enum step_range {
	RANGE_CHUNK,     /* the whole chunk */
	RANGE_MID_PAGE,  /* the 4 KiB page at the middle of the chunk */
};

enum step_stride {
	STRIDE_4K,       /* every 4 KiB page */
	STRIDE_BACKING,  /* one access per backing page */
};

/* Which accesses of a touch step the pattern expects to fault. */
enum step_first {
	FIRST_BACKING,        /* the first 4 KiB of each fault unit */
	FIRST_NONE,           /* none: the pages are mapped already */
	FIRST_REALM,          /* every access, in a realm only */
	FIRST_REALM_BACKING,  /* FIRST_BACKING, in a realm only */
};

struct pattern_step {
	uint8_t kind;    /* enum step_kind */
	uint8_t range;   /* enum step_range */
	uint8_t stride;  /* enum step_stride (touch) */
	uint8_t first;   /* enum step_first (touch) */
	uint8_t ripas;   /* enum payload_ripas (SET_RIPAS) */
	bool shared;     /* touch through the unprotected alias */
};

struct pattern_program {
	uint64_t chunk;  /* chunk size; 0: the whole range is one chunk */
	uint8_t nsteps;
	const struct pattern_step *steps;
};

/* Starts the step engine on it (params and base already set). */
void program_start(struct pattern_iter *it);
/* Next action of the program; 1, or 0 at the end. */
int program_next(struct pattern_iter *it, const struct pattern_program *prog,
		 struct payload_action *a);

/* init and next of a pattern that is just a step program. */
#define PROGRAM_PATTERN_FUNCS(id, prog)                                        \
	static int id##_init(struct pattern_iter *it, char *err, size_t errlen) \
	{                                                                      \
		(void)err;                                                     \
		(void)errlen;                                                  \
		program_start(it);                                             \
		return 0;                                                      \
	}                                                                      \
	static int id##_next(struct pattern_iter *it, struct payload_action *a) \
	{                                                                      \
		return program_next(it, &(prog), a);                           \
	}

/* The registry's patterns, each defined in patterns/<name>.c. */
extern const struct pattern pattern_seq;
extern const struct pattern pattern_rand;
extern const struct pattern pattern_block;
extern const struct pattern pattern_fold;
extern const struct pattern pattern_unfold;
extern const struct pattern pattern_ripas;
extern const struct pattern pattern_shared;
extern const struct pattern pattern_mixed;
extern const struct pattern pattern_retouch;

#endif
