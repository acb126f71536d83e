/*
 * The SMC conduit: the one way the host side talks to an RMM.
 *
 * Contract: a conduit carries one SMC64 call (function ID in X0, arguments
 * in X1..X6) and returns X0..X4, exactly what `smc #0` does on hardware.
 * The simulator's RMM model implements it in-process (rmm_conduit()); a
 * real backend implements it with an SMC instruction through the kernel.
 * Nothing above this layer may reach into the RMM another way, so every
 * host policy can run unchanged on a real RMM.
 */
#ifndef ABI_SMC_H
#define ABI_SMC_H

#include <stdint.h>

#define SMC_NR_ARGS 6 /* X1..X6 */
#define SMC_NR_RES  5 /* X0..X4 */

struct smc_args {
	uint64_t fid;               /* X0 */
	uint64_t x[SMC_NR_ARGS];    /* X1..X6 */
};

struct smc_res {
	uint64_t x[SMC_NR_RES];     /* X0 (status) .. X4 */
};

struct smc_conduit {
	void (*call)(void *ctx, const struct smc_args *args, struct smc_res *res);
	void *ctx;
	const char *name;           /* "sim-rmm", "smc", ... for meta.json */
};

static inline void smc_call(const struct smc_conduit *c, const struct smc_args *a,
			    struct smc_res *r)
{
	c->call(c->ctx, a, r);
}

#endif
