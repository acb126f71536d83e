/* Per-vCPU fault logs: chunked storage, cold-path allocation only. */
#include "clock/fault_log.h"

#include <stdlib.h>
#include <string.h>

static struct fault_log_chunk *chunk_alloc(size_t capacity)
{
	if (capacity == 0 ||
	    capacity > (SIZE_MAX - sizeof(struct fault_log_chunk)) / sizeof(struct fault_record))
		return NULL;
	struct fault_log_chunk *c =
		malloc(sizeof(*c) + capacity * sizeof(struct fault_record));
	if (!c)
		return NULL;
	c->next = NULL;
	c->capacity = capacity;
	c->used = 0;
	return c;
}

struct fault_log *fault_log_create(uint32_t vcpu, size_t capacity)
{
	struct fault_log *log = calloc(1, sizeof(*log));
	if (!log)
		return NULL;
	log->head = chunk_alloc(capacity);
	if (!log->head) {
		free(log);
		return NULL;
	}
	log->current = log->head;
	log->vcpu = vcpu;
	return log;
}

void fault_log_destroy(struct fault_log *log)
{
	if (!log)
		return;
	for (struct fault_log_chunk *c = log->head, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	free(log);
}

int fault_log_grow(struct fault_log *log, size_t extra)
{
	struct fault_log_chunk *c = chunk_alloc(extra);
	if (!c)
		return -1;
	struct fault_log_chunk *tail = log->current;
	while (tail->next)
		tail = tail->next;
	tail->next = c;
	return 0;
}

void fault_log_reset(struct fault_log *log)
{
	for (struct fault_log_chunk *c = log->head; c; c = c->next)
		c->used = 0;
	log->current = log->head;
	log->count = 0;
	log->dropped = 0;
}

bool fault_log_advance_chunk(struct fault_log *log)
{
	for (struct fault_log_chunk *c = log->current->next; c; c = c->next) {
		if (c->used < c->capacity) {
			log->current = c;
			return true;
		}
	}
	return false;
}

const struct fault_record *fault_log_get(const struct fault_log *log, size_t i)
{
	for (const struct fault_log_chunk *c = log->head; c; c = c->next) {
		if (i < c->used)
			return &c->records[i];
		i -= c->used;
	}
	return NULL;
}

int fault_log_merge(struct fault_log *const *logs, size_t n_logs,
		    struct fault_record **out, size_t *n_out, uint64_t *dropped_out)
{
	size_t total = 0;
	uint64_t dropped = 0;
	for (size_t i = 0; i < n_logs; i++) {
		total += logs[i]->count;
		dropped += logs[i]->dropped;
	}
	struct fault_record *merged = NULL;
	if (total > 0) {
		merged = malloc(total * sizeof(*merged));
		if (!merged)
			return -1;
	}
	size_t at = 0;
	for (size_t i = 0; i < n_logs; i++) {
		for (const struct fault_log_chunk *c = logs[i]->head; c; c = c->next) {
			if (c->used)
				memcpy(&merged[at], c->records, c->used * sizeof(*merged));
			at += c->used;
		}
	}
	*out = merged;
	*n_out = total;
	if (dropped_out)
		*dropped_out = dropped;
	return 0;
}
