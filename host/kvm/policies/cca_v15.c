/*
 * cca-v15: the Arm CCA host series v15 ("[PATCH v15 00/37] arm64: Support
 * for Arm CCA in KVM", 2026-07-15, message-id
 * 20260715142841.80544-1-<author>@arm.com; RMM v2.0-bet2, on v7.2-rc1
 * with guest_memfd in-place conversion v8), so that kvm runs on a v15
 * kernel are labelled with their own series and the sim can be set next to
 * them.
 *
 * What this policy does per fault is, for now, cca-v14's: its hooks are
 * cca-v14's, and its per-fault table (tests/kvm/test_kvm_counts.c) is the
 * v14 table. That is an assumption, not a reading: the v15 patches that
 * carry the realm fault path (22/37 "KVM: arm64: CCA: Support runtime
 * faulting of memory"), the RIPAS change (15/37 "Handle
 * RMI_EXIT_RIPAS_CHANGE") and the RTT teardown and unmaps (10/37 "Tear
 * down RTTs") could not be read here. No searchable corpus holds their
 * bodies (the kvmarm digests list their subjects only); the cca-host/v15
 * tree (d6d40e6a3103, named by the openvmm v15 port) is on a host no
 * snapshot reaches; a kernel mirror that may carry it is 6.5 GB, over the
 * snapshot limit. So whether v15 creates missing RTTs one level per
 * RMI_ERROR_RTT retry instead of all levels at once, or unmaps ranges
 * differently, is NOT checked. When the patches are at hand: change the
 * hooks here where v15 differs (README "Evaluating a host patch"), and the
 * pinned table will show what moved.
 *
 * What is known to change in v15 sits outside this model: the uAPI
 * (KVM_CAP_ARM_RMI = 251, guest_memfd private for its life, no VM-fd
 * attribute ioctl, the VMM's clean-up on a memory-fault exit), which
 * host/vmm speaks (vmm/cca.h).
 */
#include "kvm/policy.h"
#include "kvm/realm.h"
#include "cca_v14.h"

const struct kvm_policy policy_cca_v15 = {
	.name = "cca-v15",
	.series = "v15",
	.summary = "CCA host series v15 on RMM 2.0: cca-v14's calls per fault (v15's fault path not yet read)",
	.vm = VM_REALM,
	.abi = RMI_ABI_2_0,
	.block_backings = 0,
	.map_protected = cca_v14_map_protected,
	.map_unprotected = cca_v14_map_unprotected,
	.set_ripas = realm_set_ipa_state,
};
