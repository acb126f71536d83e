/*
 * Threads test (ctest label `threads`, run under TSan in CI): several host
 * threads, one per vCPU of one realm, drive the RMM model at once through
 * its SMC conduit. Each thread runs its REC (REC_ENTER); the guest writes
 * to a list of IPAs, and every data-abort exit is served the way the seed
 * host series does it (realm_map_protected): GRANULE_DELEGATE then
 * DATA_CREATE_UNKNOWN, RTT_CREATE for the missing levels on RMI_ERROR_RTT
 * (RMI 1.0); GRANULE_RANGE_DELEGATE then RTT_DATA_MAP (RMI 2.0).
 *
 * The IPAs, in the same order for every thread so that they collide:
 *   shared   all threads fault the same IPA backed by the same host page
 *            (one memslot): one delegates it, the others' delegate fails;
 *            each loser reads the entry with RTT_READ_ENTRY and accepts it
 *            once the winner has mapped it (the seed's two-vCPU race);
 *   contended all threads fault the same IPA, each with a page of its own:
 *            every delegate succeeds, one data map wins, the others fail,
 *            undelegate their page, read the entry and accept it (each in
 *            a fresh 2 MiB region, so RTT_CREATE may race too);
 *   private  a thread's own IPAs, half in the 2 MiB regions of the shared
 *            ones (RTT_CREATE races on one table), half in a 1 GiB region
 *            of its own (level-2 RTTs created at once in one parent);
 *   unprotected all threads fault the same unprotected IPA backed by one
 *            NS page: one RTT_MAP_UNPROTECTED (RTT_UNPROT_MAP) wins, the
 *            others get RMI_ERROR_RTT at level 3, read the entry, accept it.
 *
 * Every vCPU that faults on a shared or contended IPA waits until all have
 * faulted on it, so each such fault has exactly one winner and
 * NTHREADS - 1 losers; RTT_CREATE races happen or not, as timing goes,
 * and are reported, not required.
 *
 * Afterwards: the invariant checker (no granule in two states, no DATA
 * granule mapped twice, RTT refcounts equal the entries keeping them
 * live), every IPA maps the page it must, every losing page is back in
 * the NS world, and the number of lost races is exactly what the protocol
 * implies.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "rmm_test_util.h"

#define NTHREADS     4
#define N_SHARED     24
#define N_CONTENDED  12
#define N_PRIVATE    24
#define N_UNPROT     8
#define N_IPAS       (N_SHARED + N_CONTENDED + N_PRIVATE + N_UNPROT)
#define MEMCACHE     16
#define MAX_RETRIES  (1u << 22)

#define GIB          (1ULL << 30)
#define SZ_2M        (2ULL << 20)
#define SHARED_BASE  GIB                    /* shared and contended IPAs */
#define PRIVATE_BASE (2 * GIB)              /* thread t: PRIVATE_BASE + t GiB */
#define UNPROT_BASE  ((1ULL << 39) + GIB)   /* unprotected half of a 40-bit realm */
#define NS_ATTRS_1_0 ((5ULL << 2) | (3ULL << 6))   /* WB, RW (SH is the RMM's) */
#define UNPROT_FLAGS_2_0 (1 | (5ULL << 16) | (3ULL << 19))      /* SINGLE, WB, RW */

struct vcpu;

struct test {
	struct tmachine m;
	struct trealm r;
	struct smc_conduit conduit;
	uint64_t shared_pa;                     /* the memslot behind shared IPAs */
	uint64_t ns_pa;                         /* NS memory behind unprotected IPAs */
	pthread_barrier_t start;
	struct vcpu *vcpus;
	/* vCPUs that took the fault at each program step (shared steps) */
	atomic_uint arrived[N_IPAS];
	atomic_bool abort;                      /* a vCPU failed: stop waiting */
};

struct vcpu {
	struct test *t;
	unsigned id;
	uint64_t rec, run;
	uint64_t ipa[N_IPAS];                   /* the guest's program */
	uint64_t own_pa[N_IPAS];                /* pages this vCPU brings (0: shared) */
	unsigned next;                          /* guest: current operation */
	uint64_t memcache[MEMCACHE];            /* NS pages for RTTs */
	unsigned nr_cache;
	/* what happened */
	unsigned lost_delegate, lost_map, lost_rtt, mapped, sync_exits;
	unsigned lost_unprot, mapped_unprot;
	const char *error;
};

/* ---- IPA layout ---- */

static uint64_t shared_ipa(unsigned i)
{
	/* four level-3 tables, several pages each */
	return SHARED_BASE + (i % 4) * SZ_2M + (i / 4) * GRANULE_SIZE;
}

/* Each in a 2 MiB region of its own: the racing vCPUs may also race on
 * the RTT_CREATE of its level-3 table. */
static uint64_t contended_ipa(unsigned i)
{
	return SHARED_BASE + (4 + i) * SZ_2M + (64 + i) * GRANULE_SIZE;
}

static uint64_t private_ipa(unsigned t, unsigned i)
{
	if (i % 2)
		return PRIVATE_BASE + t * GIB + (i % 3) * SZ_2M + i * GRANULE_SIZE;
	return SHARED_BASE + (i % 4) * SZ_2M + (128 + t * N_PRIVATE + i) * GRANULE_SIZE;
}

static uint64_t unprot_ipa(unsigned i)
{
	return UNPROT_BASE + (i % 2) * SZ_2M + i * GRANULE_SIZE;
}

/* ---- SMCs through the conduit ---- */

static uint64_t vsmc(struct vcpu *v, struct smc_res *res, uint64_t fid, uint64_t a1, uint64_t a2,
		     uint64_t a3, uint64_t a4, uint64_t a5)
{
	struct smc_args a = { .fid = fid, .x = { a1, a2, a3, a4, a5, 0 } };
	struct smc_res r;

	smc_call(&v->t->conduit, &a, res ? res : &r);
	return res ? res->x[0] : r.x[0];
}

static bool abi1(const struct vcpu *v) { return v->t->m.abi == RMI_ABI_1_0; }

static bool delegate(struct vcpu *v, uint64_t pa)
{
	struct smc_res r;

	if (abi1(v))
		return vsmc(v, NULL, RMI_GRANULE_DELEGATE, pa, 0, 0, 0, 0) == RMI_SUCCESS;
	return vsmc(v, &r, RMI_GRANULE_RANGE_DELEGATE, pa, pa + GRANULE_SIZE, 0, 0, 0) ==
		       RMI_SUCCESS && r.x[1] == pa + GRANULE_SIZE;
}

static bool undelegate(struct vcpu *v, uint64_t pa)
{
	struct smc_res r;

	if (abi1(v))
		return vsmc(v, NULL, RMI_GRANULE_UNDELEGATE, pa, 0, 0, 0, 0) == RMI_SUCCESS;
	return vsmc(v, &r, RMI_GRANULE_RANGE_UNDELEGATE, pa, pa + GRANULE_SIZE, 0, 0, 0) ==
		       RMI_SUCCESS && r.x[1] == pa + GRANULE_SIZE;
}

/* DATA_CREATE_UNKNOWN (1.0) or RTT_DATA_MAP with one SINGLE 4 KiB block. */
static uint64_t data_map(struct vcpu *v, uint64_t ipa, uint64_t pa)
{
	uint64_t rd = v->t->r.rd;

	if (abi1(v))
		return vsmc(v, NULL, RMI_DATA_CREATE_UNKNOWN, rd, pa, ipa, 0, 0);
	return vsmc(v, NULL, RMI_RTT_DATA_MAP, rd, ipa, ipa + GRANULE_SIZE, 1, pa | (1ULL << 2));
}

/* The level-3 entry of ipa: its state and, if ASSIGNED, the PA. */
static unsigned read_entry(struct vcpu *v, uint64_t ipa, uint64_t *pa)
{
	struct smc_res r;

	if (vsmc(v, &r, RMI_RTT_READ_ENTRY, v->t->r.rd, ipa, 3, 0, 0) != RMI_SUCCESS) {
		v->error = "RTT_READ_ENTRY failed";
		return RMI_TABLE;
	}
	*pa = r.x[3];
	return r.x[1] == 3 ? (unsigned)r.x[2] : RMI_UNASSIGNED;
}

/* realm_create_rtt_levels: RTTs from level + 1 down to 3, each from the
 * memcache; a table another vCPU created first costs our page nothing. */
static int create_rtt_levels(struct vcpu *v, uint64_t ipa, int level)
{
	while (level++ < 3) {
		uint64_t span = 1ULL << (12 + 9 * (3 - (level - 1)));

		if (!v->nr_cache) {
			v->error = "memcache empty";
			return -1;
		}
		uint64_t rtt = v->memcache[--v->nr_cache];
		if (!delegate(v, rtt)) {
			v->error = "delegating an RTT page failed";
			return -1;
		}
		uint64_t ret = vsmc(v, NULL, RMI_RTT_CREATE, v->t->r.rd, rtt, ipa & ~(span - 1),
				    (uint64_t)level, 0);
		if (ret != RMI_SUCCESS) {
			if (!undelegate(v, rtt)) {
				v->error = "undelegating an unused RTT page failed";
				return -1;
			}
			v->memcache[v->nr_cache++] = rtt;
			if (ret != RMI_RETURN(RMI_ERROR_RTT, (unsigned)level - 1)) {
				v->error = "RTT_CREATE failed";
				return -1;
			}
			v->lost_rtt++;   /* another vCPU created this table */
		}
	}
	return 0;
}

/* realm_map_protected for one 4 KiB page. */
static int map_protected(struct vcpu *v, uint64_t ipa, uint64_t pa)
{
	uint64_t got;

	for (unsigned retry = 0; retry < MAX_RETRIES; retry++) {
		if (!delegate(v, pa)) {
			/* Another vCPU raced on the same fault and owns the
			 * page: accept its mapping once it is there. */
			unsigned st = read_entry(v, ipa, &got);
			if (st == RMI_ASSIGNED && got == pa) {
				v->lost_delegate++;
				return 0;
			}
			if (st != RMI_UNASSIGNED) {
				v->error = "entry raced to an unexpected state";
				return -1;
			}
			sched_yield();
			continue;
		}
		uint64_t ret = data_map(v, ipa, pa);
		while (RMI_RETURN_STATUS(ret) == RMI_ERROR_RTT && RMI_RETURN_INDEX(ret) < 3) {
			if (create_rtt_levels(v, ipa, (int)RMI_RETURN_INDEX(ret)))
				return -1;
			ret = data_map(v, ipa, pa);
		}
		if (ret == RMI_SUCCESS) {
			v->mapped++;
			return 0;
		}
		/* Lost the data map to a vCPU that brought another page. */
		if (!undelegate(v, pa)) {
			v->error = "undelegating a losing page failed";
			return -1;
		}
		if (ret == RMI_RETURN(RMI_ERROR_RTT, 3) && read_entry(v, ipa, &got) == RMI_ASSIGNED) {
			v->lost_map++;
			return 0;
		}
		v->error = "data map failed";
		return -1;
	}
	v->error = "gave up waiting for a racing vCPU";
	return -1;
}

/* realm_map_non_secure: RTT_MAP_UNPROTECTED (RTT_UNPROT_MAP in 2.0); the
 * vCPU that finds the entry mapped already reads it and accepts it. */
static int map_unprotected(struct vcpu *v, uint64_t ipa, uint64_t pa)
{
	uint64_t rd = v->t->r.rd, got;

	for (unsigned retry = 0; retry < 8; retry++) {
		uint64_t ret = abi1(v) ? vsmc(v, NULL, RMI_RTT_MAP_UNPROTECTED, rd, ipa, 3,
					      pa | NS_ATTRS_1_0, 0)
				       : vsmc(v, NULL, RMI_RTT_UNPROT_MAP, rd, ipa, ipa + GRANULE_SIZE,
					      UNPROT_FLAGS_2_0, pa | (1ULL << 2) | (1ULL << 63));

		if (RMI_RETURN_STATUS(ret) == RMI_ERROR_RTT && RMI_RETURN_INDEX(ret) < 3) {
			if (create_rtt_levels(v, ipa, (int)RMI_RETURN_INDEX(ret)))
				return -1;
			continue;
		}
		if (ret == RMI_SUCCESS) {
			v->mapped_unprot++;
			return 0;
		}
		if (ret == RMI_RETURN(RMI_ERROR_RTT, 3) && read_entry(v, ipa, &got) == RMI_ASSIGNED &&
		    (got & 0x0000FFFFFFFFF000ULL) == pa) {
			v->lost_unprot++;
			return 0;
		}
		break;
	}
	v->error = "unprotected map failed";
	return -1;
}

/* ---- the guest: write each IPA once ---- */

static bool g_peek(void *ctx, struct sim_gop *op)
{
	struct vcpu *v = ctx;

	if (v->next == N_IPAS)
		return false;
	memset(op, 0, sizeof(*op));
	op->kind = SIM_GOP_WRITE;
	op->ipa = v->ipa[v->next];
	op->value = ((uint64_t)v->id << 32) | v->next;
	return true;
}

static void g_complete(void *ctx, const struct sim_gop_result *res)
{
	struct vcpu *v = ctx;

	if (res->outcome != SIM_GOP_DONE)
		v->error = "a guest write did not complete";
	v->next++;
}

static void g_exited(void *ctx, unsigned reason)
{
	(void)ctx;
	(void)reason;
}

static const struct sim_guest_ops guest_ops = { g_peek, g_complete, g_exited };

static uint64_t page_for(const struct vcpu *v, uint64_t ipa)
{
	for (unsigned i = 0; i < N_IPAS; i++)
		if (v->ipa[i] == ipa)
			return v->own_pa[i] ? v->own_pa[i]
			       : ipa >= UNPROT_BASE ? v->t->ns_pa + (ipa - UNPROT_BASE)
			       : v->t->shared_pa + (ipa - SHARED_BASE);
	return 0;
}

/* Hold a vCPU that faulted on a shared or contended IPA until every vCPU
 * has faulted on it: then all of them race on the same fault, as two
 * vCPUs touching one page at once do, and the loser counts are exact. */
static void rendezvous(struct vcpu *v, unsigned step)
{
	struct test *t = v->t;

	atomic_fetch_add(&t->arrived[step], 1);
	while (atomic_load(&t->arrived[step]) < NTHREADS && !atomic_load(&t->abort))
		sched_yield();
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct rmi_rec_run *run = phys_va(v->t->m.pm, v->run);

	pthread_barrier_wait(&v->t->start);
	while (!v->error) {
		run->entry.flags = 0;
		if (vsmc(v, NULL, RMI_REC_ENTER, v->rec, v->run, 0, 0, 0) != RMI_SUCCESS) {
			v->error = "REC_ENTER failed";
			break;
		}
		if (run->exit.exit_reason == RMI_EXIT_PSCI)
			break;   /* the program is done */
		if (run->exit.exit_reason == RMI_EXIT_IRQ)
			continue;
		if (run->exit.exit_reason != RMI_EXIT_SYNC) {
			v->error = "unexpected REC exit";
			break;
		}
		v->sync_exits++;
		uint64_t ipa = HPFAR_TO_IPA(run->exit.hpfar);
		uint64_t pa = page_for(v, ipa);
		if (!pa) {
			v->error = "abort at an IPA the guest never touched";
			break;
		}
		if (ipa == v->t->vcpus[0].ipa[v->next] &&
		    ipa == v->t->vcpus[NTHREADS - 1].ipa[v->next])
			rendezvous(v, v->next);   /* a shared step: race on it */
		if (ipa >= UNPROT_BASE)
			map_unprotected(v, ipa, pa);
		else
			map_protected(v, ipa, pa);
	}
	if (v->error)
		atomic_store(&v->t->abort, true);
	return NULL;
}

/* ---- setup and checks ---- */

static int setup(struct test *t, struct vcpu *vcpus, enum rmi_abi abi)
{
	memset(t, 0, sizeof(*t));
	tm_init(&t->m, abi);
	t->conduit = rmm_conduit(t->m.rmm);
	t->vcpus = vcpus;
	if (tm_realm_create(&t->m, &t->r, 40, 1) != RMI_SUCCESS)
		return -1;
	/* RIPAS RAM for the level-1 entries of every IPA used */
	if (SMC(&t->m, RMI_RTT_INIT_RIPAS, t->r.rd, GIB, PRIVATE_BASE + NTHREADS * GIB) !=
	    RMI_SUCCESS)
		return -1;
	t->shared_pa = phys_alloc(t->m.pm, (unsigned)(4 * SZ_2M / GRANULE_SIZE), GRANULE_SIZE);
	t->ns_pa = phys_alloc(t->m.pm, (unsigned)(2 * SZ_2M / GRANULE_SIZE), GRANULE_SIZE);
	for (unsigned id = 0; id < NTHREADS; id++) {
		struct vcpu *v = &vcpus[id];
		unsigned n = 0;

		memset(v, 0, sizeof(*v));
		v->t = t;
		v->id = id;
		v->rec = tm_rec_create(&t->m, &t->r, id);
		v->run = tm_page(&t->m);
		if (!v->rec || rmm_sim_rec_attach_guest(t->m.rmm, v->rec,
							(struct sim_guest){ &guest_ops, v }))
			return -1;
		for (unsigned i = 0; i < MEMCACHE; i++)
			v->memcache[v->nr_cache++] = tm_page(&t->m);
		/* shared and contended first, private interleaved */
		for (unsigned i = 0; i < N_SHARED || i < N_CONTENDED || i < N_PRIVATE || i < N_UNPROT;
		     i++) {
			if (i < N_UNPROT)
				v->ipa[n++] = unprot_ipa(i);
			if (i < N_SHARED)
				v->ipa[n++] = shared_ipa(i);
			if (i < N_CONTENDED) {
				v->ipa[n] = contended_ipa(i);
				v->own_pa[n++] = tm_page(&t->m);
			}
			if (i < N_PRIVATE) {
				v->ipa[n] = private_ipa(id, i);
				v->own_pa[n++] = tm_page(&t->m);
			}
		}
	}
	return SMC(&t->m, RMI_REALM_ACTIVATE, t->r.rd) == RMI_SUCCESS ? 0 : -1;
}

static void check_results(struct test *t, struct vcpu *vcpus)
{
	struct vcpu *v0 = &vcpus[0];
	unsigned lost_delegate = 0, lost_map = 0, lost_rtt = 0, mapped = 0;
	unsigned lost_unprot = 0, mapped_unprot = 0;
	uint64_t pa = UINT64_MAX; /* read_entry() sets it only on success */

	for (unsigned id = 0; id < NTHREADS; id++) {
		struct vcpu *v = &vcpus[id];

		if (v->error)
			fprintf(stderr, "vCPU %u: %s\n", id, v->error);
		CHECK(!v->error);
		CHECK_EQ(v->next, N_IPAS);   /* every write completed */
		lost_delegate += v->lost_delegate;
		lost_map += v->lost_map;
		lost_rtt += v->lost_rtt;
		mapped += v->mapped;
		lost_unprot += v->lost_unprot;
		mapped_unprot += v->mapped_unprot;
	}
	tm_check(&t->m, "after the threads");
	/* one winner per shared or contended IPA, every other vCPU lost */
	CHECK_EQ(lost_delegate, N_SHARED * (NTHREADS - 1));
	CHECK_EQ(lost_map, N_CONTENDED * (NTHREADS - 1));
	CHECK_EQ(mapped, N_SHARED + N_CONTENDED + NTHREADS * N_PRIVATE);
	CHECK_EQ(lost_unprot, N_UNPROT * (NTHREADS - 1));
	CHECK_EQ(mapped_unprot, N_UNPROT);
	for (unsigned i = 0; i < N_UNPROT; i++) {
		CHECK_EQ(read_entry(v0, unprot_ipa(i), &pa), RMI_ASSIGNED);
		CHECK_EQ(pa & 0x0000FFFFFFFFF000ULL, t->ns_pa + (unprot_ipa(i) - UNPROT_BASE));
	}

	for (unsigned i = 0; i < N_SHARED; i++) {
		uint64_t ipa = shared_ipa(i);
		CHECK_EQ(read_entry(v0, ipa, &pa), RMI_ASSIGNED);
		CHECK_EQ(pa, t->shared_pa + (ipa - SHARED_BASE));
	}
	for (unsigned n = 0; n < N_IPAS; n++) {
		unsigned winners = 0;

		if (!v0->own_pa[n])
			continue;
		CHECK_EQ(read_entry(v0, v0->ipa[n], &pa), RMI_ASSIGNED);
		for (unsigned id = 0; id < NTHREADS; id++) {
			uint64_t own = vcpus[id].own_pa[n];
			bool contended = v0->ipa[n] == vcpus[id].ipa[n];

			if (own == pa && (contended || id == 0)) {
				winners++;
			} else if (contended) {
				/* a losing page went back to the NS world:
				 * delegating it works again */
				CHECK(delegate(v0, own) && undelegate(v0, own));
			}
		}
		CHECK_EQ(winners, 1);
	}
	for (unsigned id = 1; id < NTHREADS; id++)
		for (unsigned n = 0; n < N_IPAS; n++)
			if (vcpus[id].ipa[n] != v0->ipa[n]) {   /* private */
				CHECK_EQ(read_entry(v0, vcpus[id].ipa[n], &pa), RMI_ASSIGNED);
				CHECK_EQ(pa, vcpus[id].own_pa[n]);
			}

	struct rmm_counts c;
	rmm_counts_read(t->m.rmm, &c);
	CHECK_EQ(c.event[RMM_EV_GUEST_ACCESS], NTHREADS * N_IPAS);
	printf("ABI %s: %u vCPUs, %u protected + %u unprotected faults mapped, %u delegate races "
	       "lost, %u data-map races lost, %u unprotected-map races lost, %u RTT_CREATE races "
	       "lost\n", t->m.abi == RMI_ABI_1_0 ? "1.0" : "2.0", NTHREADS, mapped, mapped_unprot,
	       lost_delegate, lost_map, lost_unprot, lost_rtt);
}

static void run_abi(enum rmi_abi abi)
{
	static struct vcpu vcpus[NTHREADS];
	pthread_t th[NTHREADS];
	struct test t;

	if (setup(&t, vcpus, abi)) {
		fprintf(stderr, "setup failed\n");
		t_failures++;
		tm_fini(&t.m);
		return;
	}
	pthread_barrier_init(&t.start, NULL, NTHREADS);
	for (unsigned id = 0; id < NTHREADS; id++)
		if (pthread_create(&th[id], NULL, vcpu_thread, &vcpus[id])) {
			fprintf(stderr, "pthread_create failed\n");
			exit(2);
		}
	for (unsigned id = 0; id < NTHREADS; id++)
		pthread_join(th[id], NULL);
	pthread_barrier_destroy(&t.start);
	check_results(&t, vcpus);
	tm_fini(&t.m);
}

int main(void)
{
	run_abi(RMI_ABI_1_0);
	run_abi(RMI_ABI_2_0);
	return t_report("rmm_thread_test");
}
