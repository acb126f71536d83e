/*
 * cca-v14's fault hooks (cca_rmm2.c), for the policies that reuse them
 * unchanged: cca-v15 (until v15's fault path is read) and the cca-rmm2-2m
 * what-if. Private to host/kvm/policies.
 */
#ifndef KVM_POLICIES_CCA_V14_H
#define KVM_POLICIES_CCA_V14_H

#include <stdint.h>

struct kvm_vcpu;

int cca_v14_map_protected(struct kvm_vcpu *vcpu, uint64_t ipa, uint64_t pa, uint64_t size);
int cca_v14_map_unprotected(struct kvm_vcpu *vcpu, uint64_t ipa, uint64_t pa, uint64_t size);

#endif
