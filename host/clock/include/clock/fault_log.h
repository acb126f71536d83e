/*
 * Per-vCPU fault logs: where every fault record goes.
 *
 * Contract: one log per vCPU, written only by that vCPU's thread. Memory
 * is allocated up front (fault_log_create, fault_log_grow) in chunks; the
 * hot-path calls (fault_log_next, fault_log_append) never lock, allocate
 * or fail: when the capacity is used up they count the record as dropped
 * and hand back a scratch slot, so a full log never corrupts earlier
 * records and the loss is reported (fault_log_dropped), not hidden.
 *
 * Reading (fault_log_count, fault_log_get, fault_log_merge) is for after
 * the writer has stopped (its thread joined): no synchronisation inside.
 * fault_log_grow is also a cold-path call of the owning thread.
 */
#ifndef CLOCK_FAULT_LOG_H
#define CLOCK_FAULT_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock/stage.h"

struct fault_log_chunk {
	struct fault_log_chunk *next;
	size_t capacity;
	size_t used;
	struct fault_record records[];
};

struct fault_log {
	uint32_t vcpu;
	struct fault_log_chunk *head;    /* first chunk: reading order */
	struct fault_log_chunk *current; /* chunk being filled */
	size_t count;                    /* records kept */
	uint64_t dropped;                /* records that did not fit */
	struct fault_record scratch;     /* the slot a dropped record gets */
};

/* NULL on allocation failure or zero capacity. */
struct fault_log *fault_log_create(uint32_t vcpu, size_t capacity);
void fault_log_destroy(struct fault_log *log);
/* Add room for EXTRA more records (cold path). 0, or -1 on ENOMEM. */
int fault_log_grow(struct fault_log *log, size_t extra);
/* Forget all records and the dropped count; keep the memory. */
void fault_log_reset(struct fault_log *log);

/* Move to the next chunk that still has room; false if none. */
bool fault_log_advance_chunk(struct fault_log *log);

/*
 * Hot path: the slot for the next record, zeroed except vcpu. Never NULL:
 * when full, the scratch slot (overwritten by each dropped record).
 */
static inline struct fault_record *fault_log_next(struct fault_log *log)
{
	struct fault_log_chunk *c = log->current;
	if (__builtin_expect(c->used == c->capacity, 0) && !fault_log_advance_chunk(log)) {
		log->dropped++;
		log->scratch = (struct fault_record){ .vcpu = log->vcpu };
		return &log->scratch;
	}
	c = log->current;
	struct fault_record *rec = &c->records[c->used++];
	log->count++;
	*rec = (struct fault_record){ .vcpu = log->vcpu };
	return rec;
}

/* Hot path: copy REC in. False if it was dropped. */
static inline bool fault_log_append(struct fault_log *log, const struct fault_record *rec)
{
	struct fault_record *slot = fault_log_next(log);
	*slot = *rec;
	return slot != &log->scratch;
}

static inline size_t fault_log_count(const struct fault_log *log) { return log->count; }
static inline uint64_t fault_log_dropped(const struct fault_log *log) { return log->dropped; }
/* The I-th record in append order, NULL if out of range. O(chunks). */
const struct fault_record *fault_log_get(const struct fault_log *log, size_t i);

/*
 * Concatenate the logs in the order given (vCPU order if the caller
 * passes them so), keeping each log's append order. *out is malloc'd
 * (free() it; NULL when there are no records). *dropped_out, if not NULL,
 * gets the total dropped. 0, or -1 on ENOMEM.
 */
int fault_log_merge(struct fault_log *const *logs, size_t n_logs,
		    struct fault_record **out, size_t *n_out, uint64_t *dropped_out);

#endif
