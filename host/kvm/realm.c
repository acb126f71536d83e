/*
 * Realm lifecycle and shared RTT helpers (see kvm/realm.h).
 */
#include "kvm/realm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/lifecycle.h"
#include "kvm/policy.h"
#include "phys/phys.h"
#include "rmm2_desc.h"

#define RMM_ABI_1_0 RMI_ABI_VERSION(1, 0)
#define RMM_ABI_2_0 RMI_ABI_VERSION(2, 0)

void realm_rtt_geometry(unsigned ia_bits, int *level_start, unsigned *num_start)
{
	/* As the architecture's stage-2 rules (and KVM's stage2_pgtable_levels)
	 * allow: up to 16 concatenated tables at the start level, so four IPA
	 * bits are resolved by concatenation before an extra level is needed. */
	int levels = (int)(ia_bits - 4 - 4) / 9;
	int start = 4 - levels;
	unsigned covered = GRANULE_SHIFT + 9 * (unsigned)levels;

	*level_start = start;
	*num_start = ia_bits > covered ? 1U << (ia_bits - covered) : 1;
}

/* RMI 2.0 (the 2026 series' rmi_delegate_range / rmi_undelegate_range): a
 * range command reissued from where the RMM stopped until [base, top) is
 * done. *reached: how far it got. Returns the last status. */
typedef uint64_t (*rmi_range_fn)(struct rmi_host *h, uint64_t base, uint64_t top,
				 uint64_t *next);
static uint64_t range_loop(struct kvm_vcpu *vcpu, uint64_t base, uint64_t top,
			   rmi_range_fn range, uint64_t *reached)
{
	uint64_t done = base, ret;

	do {
		uint64_t next = done;
		ret = range(&vcpu->rmi, done, top, &next);
		if (RMI_RETURN_STATUS(ret) != RMI_SUCCESS || next <= done)
			break; /* an error, or no progress: stop rather than spin */
		done = next;
	} while (done < top);
	*reached = done;
	return ret;
}

static uint64_t range_one_granule(struct kvm_vcpu *vcpu, uint64_t pa, rmi_range_fn range)
{
	uint64_t reached, ret = range_loop(vcpu, pa, pa + GRANULE_SIZE, range, &reached);

	if (reached == pa + GRANULE_SIZE)
		return RMI_SUCCESS;
	return RMI_RETURN_STATUS(ret) != RMI_SUCCESS ? ret : RMI_ERROR_INPUT;
}

uint64_t realm_delegate(struct kvm_vcpu *vcpu, uint64_t pa)
{
	uint64_t ret = vcpu->kvm->cfg.policy->abi == RMI_ABI_1_0 ?
		rmi_granule_delegate(&vcpu->rmi, pa) :
		range_one_granule(vcpu, pa, rmi_granule_range_delegate);

	kvm_phase_mark(vcpu->kvm, LIFECYCLE_DELEGATE);
	return ret;
}

uint64_t realm_undelegate(struct kvm_vcpu *vcpu, uint64_t pa)
{
	uint64_t ret = vcpu->kvm->cfg.policy->abi == RMI_ABI_1_0 ?
		rmi_granule_undelegate(&vcpu->rmi, pa) :
		range_one_granule(vcpu, pa, rmi_granule_range_undelegate);

	kvm_phase_mark(vcpu->kvm, LIFECYCLE_UNDELEGATE);
	return ret;
}

void realm_free_delegated(struct kvm_vcpu *vcpu, uint64_t pa)
{
	if (realm_undelegate(vcpu, pa) != RMI_SUCCESS) {
		/* The page cannot return to the NS world: lose it, as the
		 * kernel does with get_page(), and say so in the results. */
		__atomic_fetch_add(&vcpu->kvm->leaked_granules, 1, __ATOMIC_RELAXED);
		return;
	}
	phys_free(vcpu->kvm->dram, pa, 1);
}

void realm_release_data(struct kvm_vcpu *vcpu, uint64_t pa)
{
	/* Guest RAM belongs to the memslot: undelegate only, never free. */
	if (realm_undelegate(vcpu, pa) != RMI_SUCCESS)
		__atomic_fetch_add(&vcpu->kvm->leaked_granules, 1, __ATOMIC_RELAXED);
}

void realm_release_data_range(struct kvm_vcpu *vcpu, uint64_t pa, uint64_t bytes)
{
	uint64_t reached;

	if (vcpu->kvm->cfg.policy->abi == RMI_ABI_1_0) {
		for (uint64_t off = 0; off < bytes; off += GRANULE_SIZE)
			realm_release_data(vcpu, pa + off);
		return;
	}
	/* One range call for the lot (it reports how far it got): the
	 * series' undelegate_range_desc() / rmi_undelegate_range(). */
	if (range_loop(vcpu, pa, pa + bytes, rmi_granule_range_undelegate, &reached) !=
	    RMI_SUCCESS || reached < pa + bytes)
		__atomic_fetch_add(&vcpu->kvm->leaked_granules,
				   (pa + bytes - reached) / GRANULE_SIZE, __ATOMIC_RELAXED);
	kvm_phase_mark(vcpu->kvm, LIFECYCLE_UNDELEGATE);
}

/* A delegated page for a new RTT, from the memcache. */
static uint64_t alloc_delegated_granule(struct kvm_vcpu *vcpu)
{
	uint64_t pa = kvm_memcache_take(vcpu);

	if (pa == PHYS_NONE)
		return PHYS_NONE;
	if (realm_delegate(vcpu, pa) != RMI_SUCCESS) {
		kvm_memcache_return(vcpu, pa);
		return PHYS_NONE;
	}
	return pa;
}

uint64_t realm_alloc_rtt(struct kvm_vcpu *vcpu)
{
	struct kvm *kvm = vcpu->kvm;

	if (kvm->cfg.policy->spare_rtt_page) {
		uint64_t spare = __atomic_exchange_n(&kvm->realm.spare_page, PHYS_NONE,
						     __ATOMIC_ACQ_REL);
		if (spare != PHYS_NONE) {
			vcpu->stats.spare_taken++;
			return spare;
		}
	}
	return alloc_delegated_granule(vcpu);
}

void realm_free_rtt(struct kvm_vcpu *vcpu, uint64_t pa)
{
	struct kvm *kvm = vcpu->kvm;
	uint64_t none = PHYS_NONE;

	if (kvm->cfg.policy->spare_rtt_page) {
		if (__atomic_compare_exchange_n(&kvm->realm.spare_page, &none, pa, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			vcpu->stats.spare_kept++;
			return;
		}
		vcpu->stats.spare_full++;
	}
	realm_free_delegated(vcpu, pa);
}

/* The fold scan folded the level-LEVEL table at MAP_IPA: remember it. */
static void note_scan_fold(struct realm *realm, uint64_t map_ipa, int level)
{
	pthread_mutex_lock(&realm->folded_lock);
	if (realm->n_folded == realm->cap_folded) {
		size_t cap = realm->cap_folded ? 2 * realm->cap_folded : 16;
		uint64_t *n = realloc(realm->folded, cap * sizeof(*n));
		if (n) {
			realm->folded = n;
			realm->cap_folded = cap;
		}
	}
	if (realm->n_folded < realm->cap_folded) /* else uncounted: out of memory */
		realm->folded[realm->n_folded++] = map_ipa | (uint64_t)level;
	pthread_mutex_unlock(&realm->folded_lock);
}

/* Whether an RTT_CREATE made again a table the fold scan had folded (and
 * forget it: the next fold of it is noted again). */
static bool take_scan_fold(struct realm *realm, uint64_t map_ipa, int level)
{
	bool found = false;
	pthread_mutex_lock(&realm->folded_lock);
	for (size_t i = 0; i < realm->n_folded && !found; i++)
		if (realm->folded[i] == (map_ipa | (uint64_t)level)) {
			realm->folded[i] = realm->folded[--realm->n_folded];
			found = true;
		}
	pthread_mutex_unlock(&realm->folded_lock);
	return found;
}

int realm_create_rtt_levels(struct kvm_vcpu *vcpu, uint64_t ipa, int level,
			    int max_level)
{
	struct realm *realm = &vcpu->kvm->realm;

	while (level++ < max_level) {
		uint64_t map_ipa = ipa & ~(rtt_level_map_size(level - 1) - 1);
		uint64_t rtt = realm_alloc_rtt(vcpu);

		if (rtt == PHYS_NONE) {
			kvm_set_error("no page for a level-%d RTT", level);
			return -ENOMEM;
		}
		uint64_t ret = rmi_rtt_create(&vcpu->rmi, realm->rd, rtt, map_ipa, level);

		kvm_phase_mark(vcpu->kvm, LIFECYCLE_RTT_CREATE);

		if (RMI_RETURN_STATUS(ret) == RMI_ERROR_RTT &&
		    (int)RMI_RETURN_INDEX(ret) == level - 1) {
			/* The table exists (another vCPU made it first, or a
			 * 2 MiB map's pre-created table is still there). */
			vcpu->stats.rtt_create_lost++;
			realm_free_rtt(vcpu, rtt);
			continue;
		}
		if (ret == RMI_SUCCESS && take_scan_fold(realm, map_ipa, level))
			vcpu->stats.rtt_recreated++;
		if (ret != RMI_SUCCESS) {
			realm_free_rtt(vcpu, rtt);
			kvm_set_error("RTT_CREATE ipa %#llx level %d: status %u index %u",
				      (unsigned long long)map_ipa, level,
				      RMI_RETURN_STATUS(ret), RMI_RETURN_INDEX(ret));
			return -ENXIO;
		}
	}
	kvm_stage_mark(vcpu, STAGE_RTT_CREATE);
	return 0;
}

int realm_fold_rtt(struct kvm_vcpu *vcpu, uint64_t ipa)
{
	uint64_t rtt;
	uint64_t ret = rmi_rtt_fold(&vcpu->rmi, vcpu->kvm->realm.rd,
				    ipa & ~(KVM_PAGE_2M - 1), RTT_MAX_LEVEL, &rtt);

	kvm_stage_mark(vcpu, STAGE_RTT_FOLD);
	if (ret != RMI_SUCCESS) {
		kvm_set_error("RTT_FOLD ipa %#llx: status %u index %u",
			      (unsigned long long)ipa, RMI_RETURN_STATUS(ret),
			      RMI_RETURN_INDEX(ret));
		return -ENXIO;
	}
	realm_free_rtt(vcpu, rtt);
	kvm_stage_mark(vcpu, STAGE_RTT_FOLD);
	return 0;
}

/* ---- unmapping and RIPAS changes ---- */

/* Unfold: create the RTT at `level` under the entry that stopped a walk at
 * level - 1 (a block, or an unassigned entry covering more than the range).
 * The table page comes from the memcache, topped up here: the kernel
 * allocates it GFP_ATOMIC under the mmu_lock at the same point. */
static int unfold_entry(struct kvm_vcpu *vcpu, uint64_t ipa, int level)
{
	if (kvm_memcache_topup(vcpu, 1))
		return -ENOMEM;
	return realm_create_rtt_levels(vcpu, ipa, level - 1, level);
}

/* RMI 1.0 (the 1.0-era series' realm_destroy_private_granule): DATA_DESTROY
 * each granule; ERROR_RTT with `top` past ipa means nothing is assigned
 * there (skip), otherwise ipa is inside a block: unfold it and retry. */
static int unmap_protected_v1(struct kvm_vcpu *vcpu, uint64_t base, uint64_t top)
{
	struct realm *realm = &vcpu->kvm->realm;
	uint64_t ipa = base;

	while (ipa < top) {
		uint64_t data, next;
		uint64_t ret = rmi_data_destroy(&vcpu->rmi, realm->rd, ipa, &data, &next);
		unsigned status = RMI_RETURN_STATUS(ret), index = RMI_RETURN_INDEX(ret);

		kvm_phase_mark(vcpu->kvm, LIFECYCLE_UNMAP);

		if (status == RMI_SUCCESS) {
			realm_release_data(vcpu, data);
			ipa += GRANULE_SIZE;
		} else if (status == RMI_ERROR_RTT && next > ipa) {
			ipa = next;
		} else if (status == RMI_ERROR_RTT && (int)index < RTT_MAX_LEVEL) {
			int err = unfold_entry(vcpu, ipa, (int)index + 1);
			if (err)
				return err;
		} else {
			kvm_set_error("DATA_DESTROY ipa %#llx: status %u index %u",
				      (unsigned long long)ipa, status, index);
			return -ENXIO;
		}
	}
	return 0;
}

/* Undelegate the granules of a RmiAddrRangeDesc returned by RTT_DATA_UNMAP
 * (size class [1:0], count [11:2], address [51:12], state [63]) with one
 * range call, as the series' undelegate_range_desc(). */
static void free_range_desc(struct kvm_vcpu *vcpu, uint64_t desc)
{
	uint64_t pa = desc & 0x000ffffffffff000ULL;
	uint64_t count = (desc >> 2) & 0x3ff;
	uint64_t bytes = count * rtt_level_map_size(RTT_MAX_LEVEL - (int)(desc & 3));

	if (desc >> 63)
		return; /* undelegated memory: nothing to give back */
	realm_release_data_range(vcpu, pa, bytes);
}

/* RMI 2.0 (the newest series' realm_unmap_private_range): RTT_DATA_UNMAP
 * with a SINGLE output descriptor; on ERROR_RTT without progress, unfold
 * (RTT_CREATE one level down) and retry; undelegate what was returned. */
static int unmap_protected_v2(struct kvm_vcpu *vcpu, uint64_t base, uint64_t top)
{
	struct realm *realm = &vcpu->kvm->realm;
	uint64_t ipa = base;

	while (ipa < top) {
		uint64_t next = 0, range = 0;
		uint64_t ret = rmi_rtt_data_unmap(&vcpu->rmi, realm->rd, ipa, top,
						  RMM2_ADDR_TYPE_SINGLE, 0, &next, &range);
		unsigned status = RMI_RETURN_STATUS(ret), index = RMI_RETURN_INDEX(ret);

		kvm_phase_mark(vcpu->kvm, LIFECYCLE_UNMAP);

		if (status == RMI_SUCCESS && next > ipa) {
			free_range_desc(vcpu, range);
			ipa = next;
		} else if (status == RMI_ERROR_RTT && next > ipa) {
			ipa = next;
		} else if (status == RMI_ERROR_RTT && (int)index < RTT_MAX_LEVEL) {
			int err = unfold_entry(vcpu, ipa, (int)index + 1);
			if (err)
				return err;
		} else {
			kvm_set_error("RTT_DATA_UNMAP ipa %#llx: status %u index %u",
				      (unsigned long long)ipa, status, index);
			return -ENXIO;
		}
	}
	return 0;
}

int realm_fold_rtt_level(struct kvm_vcpu *vcpu, int level, uint64_t start, uint64_t end)
{
	uint64_t map_size = rtt_level_map_size(level - 1);
	int not_folded = 0;

	for (uint64_t addr = start, next; addr < end; addr = next) {
		uint64_t aligned = addr & ~(map_size - 1), rtt;
		uint64_t ret = rmi_rtt_fold(&vcpu->rmi, vcpu->kvm->realm.rd, aligned, level, &rtt);
		unsigned status = RMI_RETURN_STATUS(ret), index = RMI_RETURN_INDEX(ret);

		kvm_phase_mark(vcpu->kvm, LIFECYCLE_RTT_FOLD);

		next = aligned + map_size;
		if (status == RMI_SUCCESS) {
			vcpu->stats.scan_folded++;
			note_scan_fold(&vcpu->kvm->realm, aligned, level);
			realm_free_delegated(vcpu, rtt);
		} else if (status == RMI_ERROR_RTT) {
			if (level == RTT_MAX_LEVEL || (int)index < level) {
				vcpu->stats.scan_refused++;
				not_folded++;
			} else {
				int r = realm_fold_rtt_level(vcpu, level + 1, addr, next);
				if (r < 0)
					return r;
				if (r == 0)
					next = addr; /* children folded: retry here */
			}
		} else {
			kvm_set_error("RTT_FOLD ipa %#llx level %d: status %u",
				      (unsigned long long)aligned, level, status);
			return -ENXIO;
		}
	}
	kvm_stage_mark(vcpu, STAGE_RTT_FOLD);
	return not_folded;
}

int realm_unmap_protected_range(struct kvm_vcpu *vcpu, uint64_t base, uint64_t top)
{
	int ret = vcpu->kvm->cfg.policy->abi == RMI_ABI_1_0 ?
		unmap_protected_v1(vcpu, base, top) : unmap_protected_v2(vcpu, base, top);

	/* Within a fault only RIPAS -> EMPTY unmaps: its stage says so. */
	kvm_stage_mark(vcpu, STAGE_SET_RIPAS);
	/* Both series end a private unmap with the fold scan (the early one
	 * in realm_set_ipa_state / kvm_realm_unmap_range, the 2026 one in
	 * realm_unmap_private_range, error paths included). */
	if (!ret && top > base) {
		int folded = realm_fold_rtt_level(vcpu, vcpu->kvm->realm.rtt_level_start + 1,
						  base, top);
		if (folded < 0)
			ret = folded;
	}
	return ret;
}

/* The kernel's find_map_level(): the shallowest level whose entries [start,
 * end) covers whole, so a RIPAS change needs tables no deeper than that. */
static int find_map_level(const struct realm *realm, uint64_t start, uint64_t end)
{
	int level = RTT_MAX_LEVEL;

	while (level > realm->rtt_level_start) {
		uint64_t map_size = rtt_level_map_size(level - 1);
		if ((start & (map_size - 1)) || start + map_size > end)
			break;
		level--;
	}
	return level;
}

int realm_set_ipa_state(struct kvm_vcpu *vcpu, uint64_t start, uint64_t end,
			unsigned ripas, uint64_t *reached)
{
	struct realm *realm = &vcpu->kvm->realm;
	uint64_t ipa = start;
	int ret = 0;

	while (ipa < end) {
		uint64_t next = 0;
		uint64_t r = rmi_rtt_set_ripas(&vcpu->rmi, realm->rd, vcpu->rec, ipa, end, &next);
		unsigned status = RMI_RETURN_STATUS(r);

		if (status == RMI_SUCCESS && next > ipa) {
			ipa = next;
			continue;
		}
		int walk_level = (int)RMI_RETURN_INDEX(r);
		int level = find_map_level(realm, ipa, end);
		if (status != RMI_ERROR_RTT || walk_level >= level) {
			/* The entry itself refuses the change (e.g. DESTROYED
			 * without the guest's consent): no table helps. */
			kvm_set_error("RTT_SET_RIPAS [%#llx, %#llx): status %u index %u",
				      (unsigned long long)ipa, (unsigned long long)end, status,
				      RMI_RETURN_INDEX(r));
			ret = -EINVAL;
			break;
		}
		ret = realm_create_rtt_levels(vcpu, ipa, walk_level, level);
		if (ret)
			break;
	}
	kvm_stage_mark(vcpu, STAGE_SET_RIPAS);
	*reached = ipa;
	/* Memory the guest gave up goes back to the host now (and tables
	 * left homogeneous are folded). */
	if (ripas == RMI_EMPTY && ipa != start) {
		int err = realm_unmap_protected_range(vcpu, start, ipa);
		if (err < 0 && !ret)
			ret = err;
	}
	return ret;
}

/* ---- creation ---- */

static uint64_t next_vmid = 1;

/* An NS page for a parameter block; its host view is zeroed. */
static uint64_t alloc_ns_page(struct kvm *kvm, void **va)
{
	uint64_t pa = phys_alloc(kvm->dram, 1, PHYS_PAGE_SIZE);

	if (pa == PHYS_NONE)
		return PHYS_NONE;
	*va = phys_va(kvm->dram, pa);
	if (!*va) {
		phys_free(kvm->dram, pa, 1);
		return PHYS_NONE;
	}
	memset(*va, 0, PHYS_PAGE_SIZE);
	return pa;
}

static uint64_t alloc_delegated_page(struct kvm *kvm, uint64_t npages, uint64_t *pa_out)
{
	uint64_t pa = phys_alloc(kvm->dram, npages, PHYS_PAGE_SIZE);

	if (pa == PHYS_NONE)
		return RMI_ERROR_INPUT;
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t ret = realm_delegate(kvm->vm_ctx, pa + i * GRANULE_SIZE);
		if (ret != RMI_SUCCESS) {
			while (i--)
				realm_undelegate(kvm->vm_ctx, pa + i * GRANULE_SIZE);
			phys_free(kvm->dram, pa, npages);
			return ret;
		}
	}
	*pa_out = pa;
	return RMI_SUCCESS;
}

static int check_rmm_version(struct kvm *kvm)
{
	uint64_t want = kvm->cfg.policy->abi == RMI_ABI_1_0 ? RMM_ABI_1_0 : RMM_ABI_2_0;
	uint64_t lower, higher;
	uint64_t ret = rmi_version(&kvm->vm_ctx->rmi, want, &lower, &higher);

	if (ret != RMI_SUCCESS) {
		kvm_set_error("RMM does not implement RMI %llu.%llu (it offers %llu.%llu-%llu.%llu)",
			      (unsigned long long)(want >> 16), (unsigned long long)(want & 0xffff),
			      (unsigned long long)(lower >> 16), (unsigned long long)(lower & 0xffff),
			      (unsigned long long)(higher >> 16), (unsigned long long)(higher & 0xffff));
		return -ENOTSUP;
	}
	return 0;
}

int realm_init_ram_ripas(struct kvm *kvm)
{
	struct kvm_vcpu *ctx = kvm->vm_ctx;
	uint64_t ipa = kvm->cfg.ram_gpa, end = ipa + kvm->cfg.ram_size;

	while (ipa < end) {
		uint64_t next;
		uint64_t ret = rmi_rtt_init_ripas(&ctx->rmi, kvm->realm.rd, ipa, end, &next);

		kvm_phase_mark(kvm, LIFECYCLE_INIT_RIPAS);

		if (RMI_RETURN_STATUS(ret) == RMI_ERROR_RTT) {
			int level = (int)RMI_RETURN_INDEX(ret);
			if (level >= RTT_MAX_LEVEL || kvm_memcache_topup(ctx, 4) ||
			    realm_create_rtt_levels(ctx, ipa, level, level + 1))
				return -ENXIO;
			continue;
		}
		if (ret != RMI_SUCCESS || next <= ipa) {
			kvm_set_error("RTT_INIT_RIPAS %#llx: status %u index %u",
				      (unsigned long long)ipa, RMI_RETURN_STATUS(ret),
				      RMI_RETURN_INDEX(ret));
			return -ENXIO;
		}
		ipa = next;
	}
	return 0;
}

int realm_create(struct kvm *kvm)
{
	struct realm *realm = &kvm->realm;
	struct rmi_realm_params *params;
	int err = check_rmm_version(kvm);

	if (err)
		return err;
	realm_rtt_geometry(realm->ia_bits, &realm->rtt_level_start, &realm->rtt_num_start);
	realm->spare_page = PHYS_NONE;
	pthread_mutex_init(&realm->folded_lock, NULL);
	realm->n_folded = 0;

	if (alloc_delegated_page(kvm, 1, &realm->rd) != RMI_SUCCESS ||
	    alloc_delegated_page(kvm, realm->rtt_num_start, &realm->rtt_base) != RMI_SUCCESS) {
		kvm_set_error("cannot delegate the RD and RTT root");
		return -ENXIO;
	}
	realm->params = alloc_ns_page(kvm, (void **)&params);
	if (realm->params == PHYS_NONE)
		return -ENOMEM;

	realm->vmid = __atomic_fetch_add(&next_vmid, 1, __ATOMIC_RELAXED) & 0xffff;
	params->s2sz = realm->ia_bits;
	/* The series passes the host's ID_AA64DFR0_EL1.{BRPs,WRPs}; the model
	 * has no debug registers: one of each, the smallest valid value. */
	params->num_bps = 1;
	params->num_wps = 1;
	params->hash_algo = RMI_HASH_SHA_256;
	params->vmid = realm->vmid;
	params->rtt_base = realm->rtt_base;
	params->rtt_level_start = realm->rtt_level_start;
	params->rtt_num_start = realm->rtt_num_start;

	uint64_t ret = rmi_realm_create(&kvm->vm_ctx->rmi, realm->rd, realm->params);
	if (ret != RMI_SUCCESS) {
		kvm_set_error("REALM_CREATE (s2sz %u, start level %d x%u): status %u index %u",
			      realm->ia_bits, realm->rtt_level_start, realm->rtt_num_start,
			      RMI_RETURN_STATUS(ret), RMI_RETURN_INDEX(ret));
		return -ENXIO;
	}
	/* With a populate phase the RIPAS is set there, where the VMM does. */
	return kvm->cfg.populate ? 0 : realm_init_ram_ripas(kvm);
}

/* KVM's MPIDR of a vCPU (reset_mpidr): Aff0 holds 16 vCPUs, then Aff1 and
 * Aff2; the RMM numbers RECs in this order (RMI 1.0 B4.3.10). */
static uint64_t vcpu_mpidr(unsigned id)
{
	return (id & 0xfULL) | (((id >> 4) & 0xffULL) << 8) | (((id >> 12) & 0xffULL) << 16);
}

int realm_create_rec(struct kvm *kvm, struct kvm_vcpu *vcpu)
{
	struct rmi_rec_params *params = NULL; /* set with params_pa */
	uint64_t aux = 0, params_pa;

	/* RMI 1.0 asks the RMM how many auxiliary granules a REC needs; 2.0
	 * has no REC_AUX_COUNT (the RMM requests memory itself), so none. */
	if (kvm->cfg.policy->abi == RMI_ABI_1_0 &&
	    (rmi_rec_aux_count(&kvm->vm_ctx->rmi, kvm->realm.rd, &aux) != RMI_SUCCESS ||
	     aux > MAX_REC_AUX_GRANULES)) {
		kvm_set_error("REC_AUX_COUNT failed or too large (%llu)", (unsigned long long)aux);
		return -ENXIO;
	}
	if (alloc_delegated_page(kvm, 1, &vcpu->rec) != RMI_SUCCESS)
		return -ENXIO;
	for (vcpu->nr_aux = 0; vcpu->nr_aux < aux; vcpu->nr_aux++)
		if (alloc_delegated_page(kvm, 1, &vcpu->rec_aux[vcpu->nr_aux]) != RMI_SUCCESS)
			return -ENXIO;

	params_pa = alloc_ns_page(kvm, (void **)&params);
	if (params_pa == PHYS_NONE || !params)
		return -ENOMEM;
	vcpu->run_pa = alloc_ns_page(kvm, (void **)&vcpu->run);
	if (vcpu->run_pa == PHYS_NONE) {
		phys_free(kvm->dram, params_pa, 1);
		return -ENOMEM;
	}

	/* Every vCPU starts runnable at the payload entry, memstress style
	 * (a real guest would start secondaries with PSCI CPU_ON). */
	params->flags = REC_PARAMS_FLAG_RUNNABLE;
	params->mpidr = vcpu_mpidr(vcpu->id);
	params->pc = kvm->cfg.ram_gpa;
	params->num_aux = vcpu->nr_aux;
	for (unsigned i = 0; i < vcpu->nr_aux; i++)
		params->aux[i] = vcpu->rec_aux[i];

	uint64_t ret = rmi_rec_create(&kvm->vm_ctx->rmi, kvm->realm.rd, vcpu->rec, params_pa);
	phys_free(kvm->dram, params_pa, 1);
	if (ret != RMI_SUCCESS) {
		kvm_set_error("REC_CREATE vcpu %u: status %u index %u", vcpu->id,
			      RMI_RETURN_STATUS(ret), RMI_RETURN_INDEX(ret));
		return -ENXIO;
	}
	return 0;
}

int realm_activate(struct kvm *kvm)
{
	uint64_t ret = rmi_realm_activate(&kvm->vm_ctx->rmi, kvm->realm.rd);

	if (ret != RMI_SUCCESS) {
		kvm_set_error("REALM_ACTIVATE: status %u index %u", RMI_RETURN_STATUS(ret),
			      RMI_RETURN_INDEX(ret));
		return -ENXIO;
	}
	return 0;
}

/* ---- teardown ---- */

static void unmap_unprotected_range(struct kvm_vcpu *ctx, uint64_t base, uint64_t top)
{
	struct realm *realm = &ctx->kvm->realm;
	uint64_t ipa = base;

	while (ipa < top) {
		uint64_t next = ipa + GRANULE_SIZE, ret;
		struct rtt_entry e;

		rmi_rtt_read_entry(&ctx->rmi, realm->rd, ipa, RTT_MAX_LEVEL, &e);
		uint64_t span = rtt_level_map_size(e.walk_level);
		if (e.state == RMI_ASSIGNED) {
			if (ctx->kvm->cfg.policy->abi == RMI_ABI_1_0)
				ret = rmi_rtt_unmap_unprotected(&ctx->rmi, realm->rd, ipa,
								e.walk_level, &next);
			else
				ret = rmi_rtt_unprot_unmap(&ctx->rmi, realm->rd, ipa,
							   ipa + span, &next);
			if (ret != RMI_SUCCESS || next <= ipa)
				next = (ipa | (span - 1)) + 1;
		} else {
			next = (ipa | (span - 1)) + 1;
		}
		ipa = next;
		kvm_phase_mark(ctx->kvm, LIFECYCLE_UNMAP);
	}
}

/* Destroy the RTTs below `level` that cover [base, top), deepest first. */
static void destroy_rtts(struct kvm_vcpu *ctx, uint64_t base, uint64_t top, int level)
{
	struct realm *realm = &ctx->kvm->realm;
	uint64_t span = rtt_level_map_size(level);

	for (uint64_t ipa = base & ~(span - 1); ipa < top; ipa += span) {
		struct rtt_entry e;
		if (rmi_rtt_read_entry(&ctx->rmi, realm->rd, ipa, level, &e) != RMI_SUCCESS ||
		    e.walk_level != level || e.state != RMI_TABLE)
			continue;
		if (level + 1 < RTT_MAX_LEVEL)
			destroy_rtts(ctx, ipa, ipa + span, level + 1);
		uint64_t rtt, next;
		uint64_t ret = rmi_rtt_destroy(&ctx->rmi, realm->rd, ipa, level + 1, &rtt, &next);

		kvm_phase_mark(ctx->kvm, LIFECYCLE_RTT_DESTROY);
		if (ret == RMI_SUCCESS)
			realm_free_delegated(ctx, rtt);
		else
			ctx->kvm->leaked_granules++;
	}
}

void realm_destroy(struct kvm *kvm)
{
	struct kvm_vcpu *ctx = kvm->vm_ctx;
	struct realm *realm = &kvm->realm;
	uint64_t ram = kvm->cfg.ram_gpa, end = ram + kvm->cfg.ram_size;
	uint64_t alias = kvm_unprotected_bit(kvm);

	if (!realm->rd)
		return;
	realm_unmap_protected_range(ctx, ram, end);
	unmap_unprotected_range(ctx, ram | alias, end | alias);
	for (unsigned i = 0; i < kvm->nr_vcpus; i++) {
		struct kvm_vcpu *v = kvm->vcpus[i];
		bool gone = v->rec && rmi_rec_destroy(&ctx->rmi, v->rec) == RMI_SUCCESS;

		kvm_phase_mark(kvm, LIFECYCLE_REC_DESTROY);
		if (gone)
			realm_free_delegated(ctx, v->rec);
		for (unsigned a = 0; a < v->nr_aux; a++)
			realm_free_delegated(ctx, v->rec_aux[a]);
		v->rec = 0;
	}
	uint64_t ia_top = 1ULL << realm->ia_bits;
	/* 2.0: the series terminates the realm before tearing down its RTTs. */
	if (kvm->cfg.policy->abi == RMI_ABI_2_0)
		rmi_realm_terminate(&ctx->rmi, realm->rd);
	kvm_phase_mark(kvm, LIFECYCLE_REALM_DESTROY);
	destroy_rtts(ctx, 0, ia_top, realm->rtt_level_start);
	if (realm->spare_page != PHYS_NONE)
		realm_free_delegated(ctx, realm->spare_page);
	realm->spare_page = PHYS_NONE;
	free(realm->folded);
	realm->folded = NULL;
	realm->n_folded = realm->cap_folded = 0;
	uint64_t destroyed = rmi_realm_destroy(&ctx->rmi, realm->rd);

	kvm_phase_mark(kvm, LIFECYCLE_REALM_DESTROY);
	if (destroyed == RMI_SUCCESS) {
		realm_free_delegated(ctx, realm->rd);
		for (unsigned i = 0; i < realm->rtt_num_start; i++)
			realm_free_delegated(ctx, realm->rtt_base + i * GRANULE_SIZE);
	} else {
		kvm->leaked_granules += 1 + realm->rtt_num_start;
	}
	if (realm->params)
		phys_free(kvm->dram, realm->params, 1);
	realm->rd = 0;
}
