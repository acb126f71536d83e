/*
 * Small helpers shared by the pgtable tests: a failing CHECK prints where
 * and why and makes the test program exit non-zero.
 */
#ifndef PGT_TEST_H
#define PGT_TEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "kvm/pgtable.h"

extern int pgt_test_failures;

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
				__LINE__, #cond);                            \
			pgt_test_failures++;                                 \
		}                                                            \
	} while (0)

#define CHECK_EQ(a, b)                                                       \
	do {                                                                 \
		long long va_ = (long long)(a), vb_ = (long long)(b);        \
		if (va_ != vb_) {                                            \
			fprintf(stderr, "%s:%d: CHECK_EQ failed: %s = %lld, %s = %lld\n", \
				__FILE__, __LINE__, #a, va_, #b, vb_);       \
			pgt_test_failures++;                                 \
		}                                                            \
	} while (0)

/* A guest-visible PA space for the test mappings: any 48-bit value works,
 * the walker never dereferences output addresses. */
#define TEST_PA_BASE 0x40000000000ULL

/* Number of tables reachable from the root (root pages excluded). */
long pgt_count_live_tables(struct kvm_pgtable *pgt);

/* Expect a translation of ipa to pa with at least `prot`. */
int pgt_expect_mapped(struct kvm_pgtable *pgt, uint64_t ipa, uint64_t pa,
		      enum kvm_pgtable_prot prot);
int pgt_expect_unmapped(struct kvm_pgtable *pgt, uint64_t ipa);

#endif
