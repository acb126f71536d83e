/*
 * A VM's life outside its faults: population of the initial contents and
 * teardown, timed by host-path stage (the lifecycle phases of `rme-bench
 * run --phases`).
 *
 * Contract: kvm_vm_populate() writes the first populate_bytes of guest RAM
 * as the VM's series does it: a normal VM's VMM copies the image into
 * guest memory (stage 2 stays empty: the first touch still faults); a
 * realm's host sets RAM's RIPAS and creates one measured (or unmeasured)
 * DATA granule per 4 KiB page through RMI (policy->abi: DATA_CREATE on
 * RMI 1.0, RTT_DATA_MAP_INIT on 2.0), creating RTTs as the RMM asks. It
 * must run after kvm_create_vm() with cfg.populate set and before
 * kvm_vm_finalize() (a realm must still be NEW). 0 or -errno with
 * kvm_last_error().
 *
 * Timing: with a phase clock bound (kvm_phase_bind), the populate and
 * teardown paths mark the end of each step with kvm_phase_mark(); the time
 * since the previous mark goes to that step's lifecycle stage. Unbound (the
 * default, and always during faults), a mark is one branch. One thread
 * (the VM context) runs these paths: the clock is not shared.
 */
#ifndef KVM_LIFECYCLE_H
#define KVM_LIFECYCLE_H

#include <stdint.h>

#define LIFECYCLE_STAGE_LIST(X)                                                 \
	X(COPY, "copy", "VMM writes the initial contents (realm: its source page)") \
	X(INIT_RIPAS, "init_ripas", "RTT_INIT_RIPAS over RAM (and RTTs it needs)") \
	X(DELEGATE, "delegate", "GRANULE_DELEGATE / RANGE_DELEGATE of a granule") \
	X(DATA_CREATE, "data_create", "DATA_CREATE / RTT_DATA_MAP_INIT: RMM copy and measure") \
	X(RTT_CREATE, "rtt_create", "RTT_CREATE of a table population or unmap needs") \
	X(UNMAP, "unmap", "DATA_DESTROY / RTT_DATA_UNMAP and the unprotected unmaps") \
	X(UNDELEGATE, "undelegate", "GRANULE_UNDELEGATE / RANGE_UNDELEGATE") \
	X(RTT_FOLD, "rtt_fold", "the fold scan that ends a private unmap")         \
	X(RTT_DESTROY, "rtt_destroy", "RTT_DESTROY of every table below the root") \
	X(REC_DESTROY, "rec_destroy", "REC_DESTROY of every vCPU")                 \
	X(REALM_DESTROY, "realm_destroy", "REALM_TERMINATE (2.0), REALM_DESTROY")  \
	X(S2_UNMAP, "s2_unmap", "normal VM: stage-2 unmap, table pages freed")      \
	X(FREE, "free", "host frees: vCPUs, logs, guest RAM unmapped")

enum lifecycle_stage {
#define LIFECYCLE_ENUM(id, name, what) LIFECYCLE_##id,
	LIFECYCLE_STAGE_LIST(LIFECYCLE_ENUM)
#undef LIFECYCLE_ENUM
	LIFECYCLE_STAGE_COUNT
};

const char *lifecycle_stage_name(enum lifecycle_stage s);
const char *lifecycle_stage_description(enum lifecycle_stage s);

/* Ticks (host/clock) per lifecycle stage since the clock was bound. */
struct kvm_phase_clock {
	uint64_t last;
	uint64_t ticks[LIFECYCLE_STAGE_COUNT];
};

struct kvm;

/* Bind (zeroing it) or, with NULL, unbind the phase clock of a VM. */
void kvm_phase_bind(struct kvm *kvm, struct kvm_phase_clock *clock);
/* The time since the previous mark is `stage`'s. No-op when unbound. */
void kvm_phase_mark(struct kvm *kvm, enum lifecycle_stage stage);

int kvm_vm_populate(struct kvm *kvm);

#endif
