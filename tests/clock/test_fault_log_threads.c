/*
 * One thread per vCPU appends into its own log with a real stage timer,
 * past capacity; after the join the merge must hold exactly the kept
 * records, in order, uncorrupted, and count every dropped one.
 */
#include <pthread.h>
#include <stdlib.h>

#include "check.h"
#include "clock/fault_log.h"
#include "clock/stage_timer.h"

#define VCPUS     4
#define CAPACITY  1000
#define GROWTH    500
#define PER_VCPU  2000

static struct fault_log *logs[VCPUS];

static void *vcpu_thread(void *arg)
{
	uint32_t vcpu = (uint32_t)(uintptr_t)arg;
	struct stage_timer timer;
	stage_timer_init(&timer, true, NULL);
	for (uint64_t i = 0; i < PER_VCPU; i++) {
		struct fault_record *rec = fault_log_next(logs[vcpu]);
		stage_timer_start(&timer, rec);
		rec->ipa = ((uint64_t)vcpu << 40) | (i << 12);
		rec->kind = FAULT_PROTECTED;
		rec->level = 3;
		stage_mark(&timer, STAGE_EXIT_DECODE);
		stage_mark(&timer, STAGE_DATA_CREATE);
		rec->rmi_calls = (uint16_t)(i & 0xff);
		stage_timer_stop(&timer);
	}
	return NULL;
}

int main(void)
{
	CHECK(stage_clock_init() == 0);
	for (uint32_t v = 0; v < VCPUS; v++) {
		logs[v] = fault_log_create(v, CAPACITY);
		CHECK(logs[v] && fault_log_grow(logs[v], GROWTH) == 0);
	}
	pthread_t threads[VCPUS];
	for (uint32_t v = 0; v < VCPUS; v++)
		CHECK(pthread_create(&threads[v], NULL, vcpu_thread, (void *)(uintptr_t)v) == 0);
	for (uint32_t v = 0; v < VCPUS; v++)
		pthread_join(threads[v], NULL);

	struct fault_record *merged = NULL;
	size_t n = 0;
	uint64_t dropped = 0;
	CHECK(fault_log_merge(logs, VCPUS, &merged, &n, &dropped) == 0);
	const size_t kept = CAPACITY + GROWTH;
	CHECK_EQ_U64(n, VCPUS * kept);
	CHECK_EQ_U64(dropped, VCPUS * (PER_VCPU - kept));
	for (size_t j = 0; j < n && merged; j++) {
		uint64_t vcpu = j / kept, i = j % kept;
		CHECK_EQ_U64(merged[j].vcpu, vcpu);
		CHECK_EQ_U64(merged[j].ipa, (vcpu << 40) | (i << 12));
		CHECK_EQ_U64(merged[j].rmi_calls, i & 0xff);
		CHECK(merged[j].total_ns > 0);
	}
	free(merged);
	for (uint32_t v = 0; v < VCPUS; v++)
		fault_log_destroy(logs[v]);
	return check_report("fault_log_threads");
}
