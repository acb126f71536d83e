/*
 * Population and the phase clock (see kvm/lifecycle.h). Teardown is
 * kvm_destroy_vm() (vm.c, realm.c); its steps mark the clock there.
 *
 * Sources of the population paths (docs/sim-backend.md, "Lifecycle"):
 * RMI 1.0, the early CCA host series (arch/arm64/kvm/rme.c): the VMM
 * first sets the RIPAS of RAM (KVM_CAP_ARM_RME_INIT_IPA_REALM ->
 * realm_init_ipa_state: RTT_INIT_RIPAS), then populates
 * (KVM_CAP_ARM_RME_POPULATE_REALM -> populate_par_region ->
 * realm_create_protected_data_page: GRANULE_DELEGATE, DATA_CREATE, on
 * RMI_ERROR_RTT the missing RTTs and one retry), one 4 KiB page a call.
 * RMI 2.0, the 2026 series (arch/arm64/kvm/rmi.c): KVM_ARM_RMI_POPULATE
 * -> kvm_gmem_populate -> realm_data_map_init: delegate the page,
 * RTT_DATA_MAP_INIT, RTTs and one retry on RMI_ERROR_RTT; the RIPAS of
 * the memslots is set at activation (set_ripas_of_protected_regions),
 * after the population.
 */
#include "kvm/lifecycle.h"

#include <errno.h>
#include <string.h>

#include "clock/stage_clock.h"
#include "kvm/kvm.h"
#include "kvm/policy.h"
#include "kvm/realm.h"
#include "phys/phys.h"

#define RMI_MEASURE_CONTENT 1

static const char *const stage_names[] = {
#define LIFECYCLE_NAME(id, name, what) name,
	LIFECYCLE_STAGE_LIST(LIFECYCLE_NAME)
#undef LIFECYCLE_NAME
};
static const char *const stage_whats[] = {
#define LIFECYCLE_WHAT(id, name, what) what,
	LIFECYCLE_STAGE_LIST(LIFECYCLE_WHAT)
#undef LIFECYCLE_WHAT
};

const char *lifecycle_stage_name(enum lifecycle_stage s)
{
	return (unsigned)s < LIFECYCLE_STAGE_COUNT ? stage_names[s] : "?";
}

const char *lifecycle_stage_description(enum lifecycle_stage s)
{
	return (unsigned)s < LIFECYCLE_STAGE_COUNT ? stage_whats[s] : "?";
}

void kvm_phase_bind(struct kvm *kvm, struct kvm_phase_clock *clock)
{
	if (clock) {
		memset(clock, 0, sizeof(*clock));
		clock->last = stage_clock_now();
	}
	kvm->phase = clock;
}

void kvm_phase_mark(struct kvm *kvm, enum lifecycle_stage stage)
{
	struct kvm_phase_clock *c = kvm->phase;

	if (!c)
		return;
	uint64_t now = stage_clock_now();
	if (now > c->last && (unsigned)stage < LIFECYCLE_STAGE_COUNT)
		c->ticks[stage] += now - c->last;
	if (now > c->last)
		c->last = now;
}

/* The image the VMM loads: 4 KiB of it per page, stamped with the IPA so
 * no two pages hash alike (the model hashes what it is given). */
static void write_image_page(uint8_t *dst, uint64_t ipa)
{
	static uint8_t image[PHYS_PAGE_SIZE];

	if (!image[1])
		for (size_t i = 0; i < sizeof(image); i++)
			image[i] = (uint8_t)(i * 131 + 7);
	memcpy(dst, image, sizeof(image));
	memcpy(dst, &ipa, sizeof(ipa));
}

/* Normal VM: the VMM copies the image into guest memory; KVM maps nothing
 * until the guest touches it. */
static int populate_normal(struct kvm *kvm)
{
	for (uint64_t off = 0; off < kvm->cfg.populate_bytes; off += PHYS_PAGE_SIZE) {
		write_image_page(kvm_memslot_hva(&kvm->ram, kvm->ram.gpa + off),
				 kvm->ram.gpa + off);
		kvm_phase_mark(kvm, LIFECYCLE_COPY);
	}
	return 0;
}

/* One DATA granule at ipa from the source page src: delegate, create,
 * and on RMI_ERROR_RTT the missing tables and one retry. */
static int populate_page(struct kvm *kvm, uint64_t ipa, uint64_t src)
{
	struct kvm_vcpu *ctx = kvm->vm_ctx;
	bool v1 = kvm->cfg.policy->abi == RMI_ABI_1_0;
	uint64_t pa = kvm->ram.pa + (ipa - kvm->ram.gpa);
	uint64_t flags = kvm->cfg.populate_measured ? RMI_MEASURE_CONTENT : 0;
	uint64_t (*create)(struct rmi_host *, uint64_t, uint64_t, uint64_t, uint64_t,
			   uint64_t) = v1 ? rmi_data_create : rmi_rtt_data_map_init;

	if (realm_delegate(ctx, pa) != RMI_SUCCESS) {
		kvm_set_error("populate: cannot delegate guest RAM at %#llx",
			      (unsigned long long)pa);
		return -ENXIO;
	}
	uint64_t ret = create(&ctx->rmi, kvm->realm.rd, pa, ipa, src, flags);
	kvm_phase_mark(kvm, LIFECYCLE_DATA_CREATE);
	if (RMI_RETURN_STATUS(ret) == RMI_ERROR_RTT) {
		int level = (int)RMI_RETURN_INDEX(ret);
		if (kvm_memcache_topup(ctx, 4) ||
		    realm_create_rtt_levels(ctx, ipa, level, RTT_MAX_LEVEL))
			return -ENOMEM;
		ret = create(&ctx->rmi, kvm->realm.rd, pa, ipa, src, flags);
		kvm_phase_mark(kvm, LIFECYCLE_DATA_CREATE);
	}
	if (ret != RMI_SUCCESS) {
		realm_release_data(ctx, pa);
		kvm_set_error("populate: %s ipa %#llx: status %u index %u",
			      v1 ? "DATA_CREATE" : "RTT_DATA_MAP_INIT", (unsigned long long)ipa,
			      RMI_RETURN_STATUS(ret), RMI_RETURN_INDEX(ret));
		return -ENXIO;
	}
	return 0;
}

static int populate_realm(struct kvm *kvm)
{
	bool v1 = kvm->cfg.policy->abi == RMI_ABI_1_0;
	uint64_t src = phys_alloc(kvm->dram, 1, PHYS_PAGE_SIZE);
	uint8_t *src_va = src == PHYS_NONE ? NULL : phys_va(kvm->dram, src);
	int err = 0;

	if (!src_va) {
		kvm_set_error("populate: no source page");
		return -ENOMEM;
	}
	if (v1)
		err = realm_init_ram_ripas(kvm);
	for (uint64_t off = 0; !err && off < kvm->cfg.populate_bytes; off += PHYS_PAGE_SIZE) {
		write_image_page(src_va, kvm->ram.gpa + off);
		kvm_phase_mark(kvm, LIFECYCLE_COPY);
		err = populate_page(kvm, kvm->ram.gpa + off, src);
	}
	if (!err && !v1)
		err = realm_init_ram_ripas(kvm);
	phys_free(kvm->dram, src, 1);
	return err;
}

int kvm_vm_populate(struct kvm *kvm)
{
	if (!kvm->cfg.populate)
		return 0;
	if (kvm->cfg.populate_bytes > kvm->ram.size ||
	    kvm->cfg.populate_bytes % PHYS_PAGE_SIZE) {
		kvm_set_error("populate: %llu bytes is not a multiple of 4 KiB within the "
			      "%llu-byte memslot", (unsigned long long)kvm->cfg.populate_bytes,
			      (unsigned long long)kvm->ram.size);
		return -EINVAL;
	}
	return kvm->cfg.type == VM_REALM ? populate_realm(kvm) : populate_normal(kvm);
}
