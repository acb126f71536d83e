/*
 * Realm lifecycle and the RTT helpers every realm policy shares.
 *
 * Contract: builds a realm through RMI calls only (RD and RTT root
 * delegation, REALM_CREATE, RIPAS of RAM initialised, RECs, activation)
 * and tears it down again, leaving every granule it delegated undelegated
 * (a granule the RMM refuses to give back is reported, never reused).
 * realm_create_rtt_levels() is the kernel's helper of the same name: the
 * fault path calls it on RMI_ERROR_RTT to build the missing tables.
 */
#ifndef KVM_REALM_H
#define KVM_REALM_H

#include <stdint.h>

#include "kvm/kvm.h"

/* Stage-2 geometry for an IPA width: start level and concatenated tables. */
void realm_rtt_geometry(unsigned ia_bits, int *level_start, unsigned *num_start);

/* Delegate / undelegate one granule with the VM's ABI. */
uint64_t realm_delegate(struct kvm_vcpu *vcpu, uint64_t pa);
uint64_t realm_undelegate(struct kvm_vcpu *vcpu, uint64_t pa);

/* A delegated page for a new RTT: the realm's spare if the policy keeps
 * one and it is there, else a memcache page delegated now. PHYS_NONE if
 * the memcache is empty or the delegation fails. */
uint64_t realm_alloc_rtt(struct kvm_vcpu *vcpu);
/* An RTT page the host no longer needs: kept as the spare (policies with
 * spare_rtt_page, when the realm has none), else undelegated and freed. */
void realm_free_rtt(struct kvm_vcpu *vcpu, uint64_t pa);

/* Create the RTTs covering ipa from `level` + 1 down to `max_level`, each
 * on a page from realm_alloc_rtt(). An RTT that exists already (another
 * vCPU created it in the meantime) is fine: its page goes back through
 * realm_free_rtt(). Marks STAGE_RTT_CREATE. */
int realm_create_rtt_levels(struct kvm_vcpu *vcpu, uint64_t ipa, int level,
			    int max_level);

/* Fold the level-3 RTT under the 2 MiB block at ipa into a block entry and
 * reclaim its page (realm_free_rtt). Marks STAGE_RTT_FOLD. */
int realm_fold_rtt(struct kvm_vcpu *vcpu, uint64_t ipa);

/* Give a delegated granule back to the host (undelegate, free). On failure
 * the granule is leaked on purpose, as the kernel does. */
void realm_free_delegated(struct kvm_vcpu *vcpu, uint64_t pa);

/* Give a guest RAM granule back to the NS world after its DATA was
 * destroyed (or never created): undelegate only, the page stays in the
 * memslot. A granule the RMM keeps is counted as leaked. */
void realm_release_data(struct kvm_vcpu *vcpu, uint64_t pa);

/* Undelegate guest RAM granules [pa, pa + bytes): one GRANULE_UNDELEGATE
 * each on RMI 1.0, GRANULE_RANGE_UNDELEGATE over the range on 2.0. What
 * the RMM keeps is counted as leaked. */
void realm_release_data_range(struct kvm_vcpu *vcpu, uint64_t pa, uint64_t bytes);

/* Destroy the protected data mapped in [base, top) and undelegate it,
 * unfolding blocks that straddle the range (RIPAS -> EMPTY, teardown,
 * error paths), then fold the tables left homogeneous
 * (realm_fold_rtt_level from the level below the root), as both series do.
 * DATA_DESTROY per granule on RMI 1.0, RTT_DATA_UNMAP on 2.0. */
int realm_unmap_protected_range(struct kvm_vcpu *vcpu, uint64_t base, uint64_t top);

/* The kernel's realm_fold_rtt_level(): try RTT_FOLD on every RTT at
 * `level` covering [start, end), recursing deeper where a table has live
 * children, so tables an unmap left homogeneous give their page back.
 * Returns how many could not be folded (>= 0) or -errno. */
int realm_fold_rtt_level(struct kvm_vcpu *vcpu, int level, uint64_t start, uint64_t end);

/* The kernel's realm_set_ipa_state(): RTT_SET_RIPAS over [start, end),
 * creating tables (or unfolding blocks) down to the level the range needs
 * where the RMM stops; then, for EMPTY, unmap what was changed and fold
 * tables left empty. *reached: how far RIPAS was changed. 0 or -errno. */
int realm_set_ipa_state(struct kvm_vcpu *vcpu, uint64_t start, uint64_t end,
			unsigned ripas, uint64_t *reached);

/* Mark RAM's RIPAS as RAM before activation, creating RTT levels as the
 * RMM asks (the kernel's realm_init_ipa_state). At creation, or in the
 * populate phase when the run has one (cfg.populate). */
int realm_init_ram_ripas(struct kvm *kvm);

int realm_create(struct kvm *kvm);
int realm_create_rec(struct kvm *kvm, struct kvm_vcpu *vcpu);
int realm_activate(struct kvm *kvm);
void realm_destroy(struct kvm *kvm);

#endif
