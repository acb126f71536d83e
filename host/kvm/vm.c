/*
 * VM and vCPU lifecycle and the RAM memslot: create a VM (its stage-2
 * tables or its realm), its vCPUs, finalize and destroy it. Uses the
 * shared services (services.c) and the realm and normal paths below it.
 */
#include "kvm/kvm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"
#include "kvm/lifecycle.h"
#include "kvm/policy.h"
#include "kvm/realm.h"
#include "phys/phys.h"
#include "clock/fault_log.h"
#include "results/results.h"

/* ---- memslot ---- */

static bool thp_available(void)
{
	char buf[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return !strstr(buf, "[never]");
}

/*
 * Fault every page of the slot in before the run (a VMM's preallocation,
 * e.g. QEMU's -mem-prealloc), so page_pin is the pin of a resident page.
 * Why this is the default: the first touch of fresh host memory pays the
 * host kernel's allocation and zeroing plus whatever lies below it. On a
 * cloud VM with free page reporting, measured here, a 2 MiB THP fault took
 * 7 ms on memory just handed back to the hypervisor and 0.36 ms on
 * recycled memory, so 2 MiB realm/normal comparisons flipped between 25x
 * and 0.01x with the order of the runs. --prefault off measures it anyway.
 */
static void memslot_prefault(struct kvm_memslot *slot)
{
	/* Populating in one call saves a trap per page (a per-page first
	 * touch cost this host about 13 us a page, 3.5 s per GiB); the write
	 * to every page that follows it is still needed on a host that is
	 * itself a VM (measured here: 4.5 us a page otherwise, landing in the
	 * guest's first access, i.e. in rec_enter of every measured fault). */
	phys_make_resident(slot->hva, slot->window);
}

static int memslot_create(struct kvm *kvm)
{
	struct kvm_memslot *slot = &kvm->ram;
	uint64_t size = kvm->cfg.ram_size;

	slot->gpa = kvm->cfg.ram_gpa;
	slot->size = size;
	slot->backing_page = kvm->cfg.backing_page;
	slot->map_limit = kvm_policy_map_limit(kvm->cfg.policy, slot->backing_page,
					       kvm->cfg.hugetlb);
	slot->window = kvm->cfg.ram_window && kvm->cfg.ram_window < size ? kvm->cfg.ram_window
									  : size;
	slot->map_len = slot->window + KVM_PAGE_2M;
	slot->map_base = mmap(NULL, slot->map_len, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (slot->map_base == MAP_FAILED) {
		slot->map_base = NULL;
		kvm_set_error("cannot map %llu MiB of guest RAM: %s",
			      (unsigned long long)(slot->window >> 20), strerror(errno));
		return -ENOMEM;
	}
	/* 2 MiB aligned so a THP can back every block of the slot. */
	slot->hva = (uint8_t *)(((uintptr_t)slot->map_base + KVM_PAGE_2M - 1) &
				~(uintptr_t)(KVM_PAGE_2M - 1));
	if (slot->backing_page == KVM_PAGE_2M) {
		slot->thp = thp_available() &&
			    madvise(slot->hva, slot->window, MADV_HUGEPAGE) == 0;
	} else {
		/* Keep 4K runs 4K even where THP is "always". */
		madvise(slot->hva, slot->window, MADV_NOHUGEPAGE);
	}
	if (!kvm->cfg.fresh_backing) {
		memslot_prefault(slot);
		slot->resident = true;
	}

	slot->pa = phys_alloc(kvm->dram, size / PHYS_PAGE_SIZE, KVM_PAGE_2M);
	if (slot->pa == PHYS_NONE ||
	    (slot->window < size ?
	     phys_register_window(kvm->dram, slot->pa, size, slot->hva, slot->window) :
	     phys_register_backing(kvm->dram, slot->pa, slot->hva, size))) {
		kvm_set_error("modeled DRAM has no room for %llu MiB of guest RAM",
			      (unsigned long long)(size >> 20));
		return -ENOMEM;
	}
	return 0;
}

static void memslot_destroy(struct kvm *kvm)
{
	struct kvm_memslot *slot = &kvm->ram;

	if (slot->pa && slot->pa != PHYS_NONE) {
		if (slot->window < slot->size)
			phys_unregister_window(kvm->dram, slot->pa);
		else
			phys_unregister_backing(kvm->dram, slot->pa, slot->size);
		phys_free(kvm->dram, slot->pa, slot->size / PHYS_PAGE_SIZE);
	}
	if (slot->map_base)
		munmap(slot->map_base, slot->map_len);
	memset(slot, 0, sizeof(*slot));
}

/* ---- VM ---- */

static unsigned ia_bits_for(const struct kvm_config *cfg)
{
	/* A realm's RAM must sit in the protected (lower) half; 40 bits is
	 * the default IPA size of KVM on arm64. */
	uint64_t top = cfg->ram_gpa + cfg->ram_size;
	unsigned bits = 40;

	while (bits < 52 && (1ULL << (bits - 1)) < top)
		bits++;
	return bits;
}

static struct kvm_vcpu *vcpu_alloc(struct kvm *kvm, unsigned id)
{
	struct kvm_vcpu *vcpu = calloc(1, sizeof(*vcpu));

	if (!vcpu)
		return NULL;
	vcpu->kvm = kvm;
	vcpu->id = id;
	vcpu->rmi.conduit = kvm->conduit;
	vcpu->rmi.weights = kvm->cfg.rmi_weights;
	return vcpu;
}

static int check_config(const struct kvm_config *cfg)
{
	const struct kvm_policy *pol = cfg->policy;

	if (!pol) {
		kvm_set_error("no policy");
		return -EINVAL;
	}
	if (pol->vm != cfg->type) {
		kvm_set_error("policy '%s' is for %s VMs", pol->name,
			      pol->vm == VM_REALM ? "realm" : "normal");
		return -EINVAL;
	}
	if (cfg->backing_page != KVM_PAGE_4K && cfg->backing_page != KVM_PAGE_2M) {
		kvm_set_error("backing page must be 4K or 2M");
		return -EINVAL;
	}
	if (cfg->ram_window % KVM_PAGE_2M) {
		kvm_set_error("RAM window %llu is not a multiple of 2 MiB",
			      (unsigned long long)cfg->ram_window);
		return -EINVAL;
	}
	if (!cfg->ram_size || cfg->ram_size % cfg->backing_page ||
	    cfg->ram_gpa % KVM_PAGE_2M) {
		kvm_set_error("RAM size %llu is not a non-zero multiple of the %s page",
			      (unsigned long long)cfg->ram_size,
			      cfg->backing_page == KVM_PAGE_2M ? "2M" : "4K");
		return -EINVAL;
	}
	if (!cfg->nr_vcpus || cfg->nr_vcpus > KVM_MAX_VCPUS) {
		kvm_set_error("vCPU count must be 1..%d", KVM_MAX_VCPUS);
		return -EINVAL;
	}
	return 0;
}

uint64_t kvm_default_fault_log_capacity(uint64_t ram_size)
{
	/* Two records per page (a pattern may fault a page twice) and some
	 * slack for the payload's own faults. */
	return ram_size / PHYS_PAGE_SIZE * 2 + 1024;
}

int kvm_create_vm(const struct kvm_config *cfg, struct phys_mem *dram,
		  const struct smc_conduit *conduit, struct kvm **out)
{
	int err = check_config(cfg);
	if (err)
		return err;
	if (cfg->type == VM_REALM && !conduit) {
		kvm_set_error("a realm needs an RMM (no SMC conduit)");
		return -ENODEV;
	}

	struct kvm *kvm = calloc(1, sizeof(*kvm));
	if (!kvm)
		return -ENOMEM;
	kvm->cfg = *cfg;
	if (!kvm->cfg.fault_log_capacity)
		kvm->cfg.fault_log_capacity = kvm_default_fault_log_capacity(cfg->ram_size);
	kvm->dram = dram;
	if (conduit)
		kvm->conduit = *conduit;
	pthread_rwlock_init(&kvm->mmu_lock, NULL);
	kvm->vm_ctx = vcpu_alloc(kvm, KVM_VM_CTX_ID);
	if (!kvm->vm_ctx) {
		free(kvm);
		return -ENOMEM;
	}

	err = memslot_create(kvm);
	if (!err && cfg->type == VM_REALM) {
		kvm->realm.ia_bits = cfg->ia_bits ? cfg->ia_bits : ia_bits_for(cfg);
		err = realm_create(kvm);
	} else if (!err) {
		err = kvm_normal_stage2_init(kvm, cfg->ia_bits ? cfg->ia_bits : ia_bits_for(cfg));
	}
	if (err) {
		kvm_destroy_vm(kvm);
		return err;
	}
	*out = kvm;
	return 0;
}

/* The sampled log's exact statistics; the seed is fixed per run and vCPU,
 * so a sample is reproducible. */
static int vcpu_sample_create(struct kvm *kvm, struct kvm_vcpu *vcpu)
{
	vcpu->sample = calloc(1, sizeof(*vcpu->sample));
	if (!vcpu->sample || !(vcpu->sample->hist = calloc(1, sizeof(*vcpu->sample->hist)))) {
		free(vcpu->sample);
		vcpu->sample = NULL;
		return -1;
	}
	histogram_init(&vcpu->sample->hist->fault_ns);
	for (int s = 0; s < STAGE_COUNT; s++)
		histogram_init(&vcpu->sample->hist->stages[s]);
	stats_rng_seed(&vcpu->sample->rng, kvm->cfg.seed ^ (0x9E3779B97F4A7C15ULL * (vcpu->id + 1)));
	return 0;
}

static void vcpu_sample_destroy(struct kvm_vcpu *vcpu)
{
	if (vcpu->sample)
		free(vcpu->sample->hist);
	free(vcpu->sample);
}

int kvm_vcpu_create(struct kvm *kvm, unsigned id, struct sim_guest guest,
		    struct guest_clock clock, struct kvm_vcpu **out)
{
	if (kvm->nr_vcpus >= kvm->cfg.nr_vcpus || id != kvm->nr_vcpus) {
		kvm_set_error("vCPU %u out of order or beyond %u", id, kvm->cfg.nr_vcpus);
		return -EINVAL;
	}
	struct kvm_vcpu *vcpu = vcpu_alloc(kvm, id);
	if (!vcpu)
		return -ENOMEM;
	vcpu->guest = guest;
	vcpu->clock = clock;
	vcpu->log = fault_log_create(id, kvm->cfg.fault_sample ? kvm->cfg.fault_sample
							       : kvm->cfg.fault_log_capacity);
	if (vcpu->log && kvm->cfg.fault_sample && vcpu_sample_create(kvm, vcpu)) {
		fault_log_destroy(vcpu->log);
		vcpu->log = NULL;
	}
	if (!vcpu->log) {
		free(vcpu);
		return -ENOMEM;
	}
	stage_timer_init(&vcpu->fault.timer, kvm->cfg.stage_timing, NULL);
	kvm->vcpus[kvm->nr_vcpus++] = vcpu;
	*out = vcpu;
	return 0;
}

int kvm_vm_finalize(struct kvm *kvm)
{
	if (kvm->cfg.type != VM_REALM)
		return 0;
	for (unsigned i = 0; i < kvm->nr_vcpus; i++) {
		int err = realm_create_rec(kvm, kvm->vcpus[i]);
		if (err)
			return err;
	}
	return realm_activate(kvm);
}

uint64_t kvm_destroy_vm(struct kvm *kvm)
{
	if (!kvm)
		return 0;
	if (kvm->cfg.type == VM_REALM)
		realm_destroy(kvm);
	else
		kvm_normal_stage2_destroy(kvm);
	kvm_phase_mark(kvm, kvm->cfg.type == VM_REALM ? LIFECYCLE_REALM_DESTROY
						      : LIFECYCLE_S2_UNMAP);
	for (unsigned i = 0; i < kvm->nr_vcpus; i++) {
		struct kvm_vcpu *v = kvm->vcpus[i];
		kvm_memcache_free(v);
		if (kvm->cfg.type == VM_NORMAL)
			kvm_normal_vcpu_release(v);
		if (v->run_pa)
			phys_free(kvm->dram, v->run_pa, 1);
		fault_log_destroy(v->log);
		vcpu_sample_destroy(v);
		free(v);
	}
	kvm_memcache_free(kvm->vm_ctx);
	free(kvm->vm_ctx);
	memslot_destroy(kvm);
	kvm_phase_mark(kvm, LIFECYCLE_FREE);
	pthread_rwlock_destroy(&kvm->mmu_lock);
	uint64_t leaked = kvm->leaked_granules;
	free(kvm);
	return leaked;
}
