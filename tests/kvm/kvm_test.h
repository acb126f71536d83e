/*
 * Helpers of the host/kvm tests: run one configuration through the sim
 * harness and read its counts by name.
 */
#ifndef TESTS_KVM_TEST_H
#define TESTS_KVM_TEST_H

#include <stdint.h>
#include <stdio.h>

#include "harness/sim_harness.h"

extern int kvm_test_failures;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			kvm_test_failures++;                                   \
		}                                                              \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		unsigned long long a_ = (a), b_ = (b);                         \
		if (a_ != b_) {                                                \
			fprintf(stderr, "%s:%d: %s == %llu, expected %s == %llu\n", \
				__FILE__, __LINE__, #a, a_, #b, b_);           \
			kvm_test_failures++;                                   \
		}                                                              \
	} while (0)

struct kvm_test_run {
	const char *vm;       /* "realm" or "normal" */
	const char *policy;
	const char *pattern;
	uint64_t size, page;
	unsigned vcpus;
	bool overlap;
	bool thp;             /* 2M backing from THP (default: hugetlbfs) */
	bool fresh;           /* guest RAM not prefaulted */
	unsigned phases;      /* RUN_PHASE_BITs (0: no phase records) */
	uint64_t populate;    /* bytes populated (populate phase) */
	bool unmeasured;      /* populate without RMI_MEASURE_CONTENT */
	uint64_t fault_sample; /* records kept before sampling (0: default) */
};

/* Runs it; 0 and *res filled, or -1 (reported, counted as a failure). */
int kvm_test_run(const struct kvm_test_run *t, struct run_result *res);
/* Count of NAME in the run (0 if absent). */
uint64_t kvm_test_count(const struct run_result *res, const char *name);
/* Fault records of one kind. */
uint64_t kvm_test_kind(const struct run_result *res, enum fault_kind kind);
/* Expected stage-2 data faults of the pattern over all vCPUs. */
uint64_t kvm_test_expected(const struct kvm_test_run *t);

#endif
