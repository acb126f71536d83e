/*
 * Helpers for the RMM model tests: a machine (DRAM + RMM), SMC calls in
 * one line, and a realm built through the SMC interface only.
 */
#ifndef RMM_TEST_UTIL_H
#define RMM_TEST_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "abi/rmi.h"
#include "phys/phys.h"
#include "rmm/rmm.h"

struct tmachine {
	struct phys_mem *pm;
	struct rmm *rmm;
	enum rmi_abi abi;
	/* When set, every SMC is also written here as a `rme-bench rmi`
	 * command line (bench/rmi_cmd/rmi_cmd.h), with X0's status as a comment, so a
	 * run can be replayed on another RMM (TF-RMM's host build). */
	FILE *emit;
	void (*emit_fn)(struct tmachine *m, const struct smc_args *a, const struct smc_res *r);
};

struct trealm {
	uint64_t rd, params, rtt_base;
	unsigned s2sz, num_root;
	int sl;
};

extern int t_failures;

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
	t_failures++; } } while (0)
#define CHECK_EQ(a, b) do { uint64_t _a = (uint64_t)(a), _b = (uint64_t)(b); if (_a != _b) { \
	fprintf(stderr, "%s:%d: %s == 0x%llx, expected %s == 0x%llx\n", __FILE__, __LINE__, \
		#a, (unsigned long long)_a, #b, (unsigned long long)_b); t_failures++; } } while (0)

/* 1 GiB of DRAM is plenty for unit tests (tm_dram_size, read at init). */
extern uint64_t tm_dram_size;
void tm_init(struct tmachine *m, enum rmi_abi abi);
void tm_init_cfg(struct tmachine *m, const struct rmm_config *cfg);
void tm_fini(struct tmachine *m);

/* One SMC; returns X0, fills res (may be NULL). */
uint64_t tm_smc(struct tmachine *m, struct smc_res *res, uint64_t fid, uint64_t x1, uint64_t x2,
		uint64_t x3, uint64_t x4, uint64_t x5);
/* SMC(m, fid, x1, ...) / SMCR(m, &res, fid, x1, ...): missing args are 0. */
#define SMC_PAD_(m, r, fid, a, b, c, d, e, ...) tm_smc(m, r, fid, a, b, c, d, e)
#define SMC(m, fid, ...) SMC_PAD_(m, NULL, fid, __VA_ARGS__, 0, 0, 0, 0, 0)
#define SMCR(m, r, fid, ...) SMC_PAD_(m, r, fid, __VA_ARGS__, 0, 0, 0, 0, 0)

uint64_t tm_page(struct tmachine *m);              /* an NS page of host memory */
uint64_t tm_delegated(struct tmachine *m);         /* a delegated page */
uint64_t tm_delegated_range(struct tmachine *m, unsigned npages, uint64_t align);

/* REALM_CREATE with s2sz and start level (num_root derived), no activate. */
uint64_t tm_realm_create(struct tmachine *m, struct trealm *r, unsigned s2sz, int sl);
/* Create the RTTs down to `level` for ipa. */
void tm_rtt_create_to(struct tmachine *m, struct trealm *r, uint64_t ipa, int level);
/* REC_CREATE with mpidr; returns the REC PA, or 0 on failure. */
uint64_t tm_rec_create(struct tmachine *m, struct trealm *r, uint64_t mpidr);

/* Map a data page at ipa the ABI's way (delegate + DATA_CREATE_UNKNOWN, or
 * RANGE_DELEGATE + RTT_DATA_MAP); RTTs must exist. Returns X0 of the map. */
uint64_t tm_map_data(struct tmachine *m, struct trealm *r, uint64_t ipa, uint64_t *pa_out);

/* Fails the test with the checker's message if an invariant is broken. */
void tm_check(struct tmachine *m, const char *when);

int t_report(const char *name);

#endif
