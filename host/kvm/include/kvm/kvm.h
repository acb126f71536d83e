/*
 * The simulated KVM host: VMs, vCPUs, memslots and the vCPU run loop.
 *
 * Contract: a struct kvm is one VM, normal or realm. It owns its memslots
 * (real host mmaps aliased into the modeled DRAM so page pinning does real
 * work), its vCPUs and, for a realm, the realm's RMM objects (RD, RTTs,
 * RECs) created through its SMC conduit. The realm path talks to the RMM
 * only through host/kvm/include/kvm/rmi_cmds.h. How a fault is mapped is
 * the job of the VM's policy (kvm/policy.h); everything around it (exit
 * decoding, memslot lookup, pinning, the run loop, stage marks) is here,
 * following the early CCA host series (../shared/reference).
 *
 * Threads: one host thread per vCPU calls kvm_vcpu_run(); vCPUs of one VM
 * fault concurrently under the VM's mmu_lock held for read, as KVM does;
 * RIPAS changes and teardown take it for write.
 *
 * Failure: functions return 0 or a negative errno and leave a message in
 * kvm_last_error() (per thread) for the CLI to print.
 */
#ifndef KVM_KVM_H
#define KVM_KVM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "abi/rmi.h"
#include "abi/sim_guest.h"
#include "abi/smc.h"
#include "kvm/pgtable.h"
#include "kvm/rmi_cmds.h"
#include "results/stats.h"
#include "run/vm_type.h"
#include "clock/stage.h"
#include "clock/stage_timer.h"

struct phys_mem;
struct kvm_policy;
struct kvm_pgtable;
struct fault_log;
struct kvm_phase_clock;
struct results_fault_hist;

/* A vCPU's sampled fault log (cfg.fault_sample): exact statistics of every
 * fault, the log a reservoir of them. Written only by the vCPU's thread. */
struct kvm_fault_sample {
	struct stats_rng rng;              /* results/stats.h, fixed seed */
	struct results_fault_hist *hist;   /* exact: every fault */
};


#define KVM_PAGE_4K (4096ULL)
#define KVM_PAGE_2M (2ULL << 20)
#define KVM_DEFAULT_RAM_GPA 0x80000000ULL
#define KVM_MAX_VCPUS 256
#define KVM_VM_CTX_ID  UINT32_MAX

/* Per-thread message for the last failure in this module. */
const char *kvm_last_error(void);

struct kvm_config {
	enum vm_type type;
	const struct kvm_policy *policy;
	uint64_t ram_gpa;        /* IPA of guest RAM (default 2 GiB) */
	uint64_t ram_size;       /* bytes, multiple of backing_page */
	uint64_t backing_page;   /* KVM_PAGE_4K or KVM_PAGE_2M */
	bool hugetlb;            /* 2M backing is hugetlbfs (else THP): decides
				  * whether the policy maps blocks on it
				  * (kvm_policy_map_limit); the model's host
				  * memory is THP either way */
	unsigned nr_vcpus;
	unsigned ia_bits;        /* 0: smallest that holds RAM and its alias */
	bool stage_timing;       /* false: only whole-fault times */
	bool fresh_backing;      /* true: guest RAM starts untouched, so the first
				  * fault of each host page allocates it; false
				  * (default): prefaulted, as a VMM that
				  * preallocates guest memory */
	uint64_t fault_log_capacity; /* records per vCPU (0: the default below) */
	/* Per-command weights summed into each fault record's call_weight
	 * (RMI_WEIGHT_FIDS entries by FID offset), or NULL. */
	const uint32_t *rmi_weights;
	/* 0: guest RAM is backed 1:1 by host memory. Else the bytes (a
	 * multiple of 2 MiB) of one host window aliased across all of it:
	 * a realm larger than the host runs, every access and mapping is
	 * real, contents alias (docs/sim-backend.md). */
	uint64_t ram_window;
	/* 0: every fault record is kept (fault_log_capacity of them). Else
	 * each vCPU keeps a uniform sample of this many (reservoir sampling,
	 * fixed seed) and exact counts and histograms (vcpu->sample). */
	uint64_t fault_sample;
	uint64_t seed;           /* the sample's generator (the run's --seed) */
	/* Lifecycle (kvm/lifecycle.h): populate is the run's populate phase
	 * (a realm then sets RAM's RIPAS in kvm_vm_populate(), not at
	 * creation); its first populate_bytes of RAM get initial contents,
	 * measured or not. */
	bool populate;
	uint64_t populate_bytes;
	bool populate_measured;
};

/* A memslot: guest RAM [gpa, gpa + size) backed by host memory at hva,
 * which the modeled DRAM aliases at [pa, pa + size). */
struct kvm_memslot {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
	uint64_t pa;
	uint64_t backing_page;   /* what the mapping asked for */
	uint64_t map_limit;      /* largest stage-2 mapping of a fault */
	bool thp;                /* 2 MiB backing really comes from THP */
	bool resident;           /* prefaulted: every page is in host memory,
				  * so pinning has nothing to fault in */
	size_t map_len;          /* bytes mmapped (for munmap) */
	void *map_base;
	uint64_t window;         /* host bytes behind the slot: size, or the
				  * aliased window (cfg.ram_window) */
};

/* The host address of guest RAM at gpa (inside the slot). */
static inline uint8_t *kvm_memslot_hva(const struct kvm_memslot *slot, uint64_t gpa)
{
	return slot->hva + (gpa - slot->gpa) % slot->window;
}

/* Pages the fault path may consume without allocating (kvm_mmu_memory_cache):
 * topped up before the mapping starts, outside any lock. */
#define KVM_MEMCACHE_PAGES 16
struct kvm_memcache {
	uint64_t pages[KVM_MEMCACHE_PAGES]; /* PAs of zeroed NS pages */
	unsigned nr;
};

struct realm {
	uint64_t rd;
	unsigned ia_bits;
	int rtt_level_start;
	unsigned rtt_num_start;
	uint64_t rtt_base;
	uint64_t params;         /* NS page holding RmiRealmParams */
	uint64_t vmid;
	uint64_t spare_page;     /* delegated RTT page kept for reuse, or
				  * PHYS_NONE (policy->spare_rtt_page) */
	/* Tables the fold scan folded (map IPA | level), so that an
	 * RTT_CREATE making one again counts as a re-creation
	 * (vcpu_stats.rtt_recreated). Scan folds are few: a short list under
	 * a lock, off the fault path unless a fold happened. */
	pthread_mutex_t folded_lock;
	uint64_t *folded;
	size_t n_folded, cap_folded;
};

/* The guest's clock, as the guest payload stamps it (CNTVCT on hardware). */
struct guest_clock {
	uint64_t (*exit_ts)(void *ctx);    /* when the guest left for the host */
	uint64_t (*resume_ts)(void *ctx);  /* when it completed the retried op */
	void *ctx;
};

struct vcpu_stats {
	uint64_t exits[8];       /* by RMI_EXIT_* reason (normal VM: same codes) */
	uint64_t faults;         /* stage-2 faults handled */
	uint64_t mmio;           /* aborts outside memslots */
	uint64_t ripas_changes;
	uint64_t races;          /* faults already mapped by another vCPU */
	/* The events that make multi-vCPU counts differ between runs of one
	 * seed (thread interleaving, not the pattern): */
	uint64_t rtt_create_lost; /* RTT_CREATE refused: another vCPU made the table */
	uint64_t rtt_recreated;   /* RTT_CREATE of a table the fold scan had folded */
	uint64_t spare_taken;     /* an RTT page from the realm's spare (no DELEGATE) */
	uint64_t spare_kept;      /* a freed RTT page kept as the spare (no UNDELEGATE) */
	uint64_t spare_full;      /* a freed RTT page undelegated: the spare was taken */
	uint64_t scan_folded;     /* fold scan (after a RIPAS change): tables folded */
	uint64_t scan_refused;    /* ... and left: not homogeneous, e.g. another vCPU's
				   * pages in them were still (or already) mapped */
	uint64_t host_page_ins;  /* pins that faulted host memory in */
	uint64_t errors;
};

/* The in-flight fault of a vCPU: begun at the guest's exit stamp,
 * finished when the guest is back (stamped inside the next entry). */
struct fault_in_flight {
	bool active;
	struct fault_record rec;
	struct stage_timer timer;
	uint64_t t_enter;        /* host called REC_ENTER / entered the guest */
	uint32_t calls_at_start; /* rmi.calls when the fault began */
	uint64_t weight_at_start; /* rmi.weight when the fault began */
};

struct kvm_vcpu {
	struct kvm *kvm;
	unsigned id;
	struct rmi_host rmi;
	/* realm */
	uint64_t rec;
	uint64_t run_pa;
	struct rmi_rec_run *run;
	uint64_t rec_aux[MAX_REC_AUX_GRANULES];
	unsigned nr_aux;
	/* normal VM: the guest program runs on the stage-2 "hardware" here */
	struct sim_guest guest;
	struct guest_clock clock;
	struct kvm_memcache memcache;     /* realm: NS pages for RTTs */
	struct kvm_mmu_memcache s2_mc;    /* normal VM: stage-2 table pages */
	struct fault_log *log;
	struct kvm_fault_sample *sample;  /* cfg.fault_sample: else NULL */
	struct fault_in_flight fault;
	struct vcpu_stats stats;
	bool mmio_pending;       /* emulated MMIO write to complete on entry */
	bool ripas_pending;      /* RIPAS response to give on entry */
	bool ripas_reject;
};

struct kvm {
	struct kvm_config cfg;
	struct phys_mem *dram;
	struct smc_conduit conduit;
	pthread_rwlock_t mmu_lock;
	struct kvm_memslot ram;   /* one RAM memslot; MMIO is everything else */
	struct realm realm;
	struct kvm_pgtable *pgt;  /* normal VM stage-2 */
	struct kvm_pgtable_mm_ops s2_mm_ops;
	struct kvm_pgtable_host_mem s2_mem;
	unsigned nr_vcpus;
	struct kvm_vcpu *vcpus[KVM_MAX_VCPUS];
	/* Context of VM-wide operations (creation, RIPAS init, teardown): a
	 * vCPU that never runs, so the helpers have one signature. */
	struct kvm_vcpu *vm_ctx;
	uint64_t leaked_granules;  /* the RMM refused to undelegate them */
	struct kvm_phase_clock *phase; /* bound during a timed phase (lifecycle.h) */
};

/* Create a VM: memslot, and for a realm the RD, RTT root, RIPAS of RAM
 * initialised to RAM, and activation happen in kvm_vm_finalize(). */
/* Fault log records each vCPU of a VM with RAM_SIZE bytes gets by default. */
uint64_t kvm_default_fault_log_capacity(uint64_t ram_size);
int kvm_create_vm(const struct kvm_config *cfg, struct phys_mem *dram,
		  const struct smc_conduit *conduit, struct kvm **out);
int kvm_vcpu_create(struct kvm *kvm, unsigned id, struct sim_guest guest,
		    struct guest_clock clock, struct kvm_vcpu **out);
/* Realm: create RECs for all vCPUs and REALM_ACTIVATE. Normal: no-op. */
int kvm_vm_finalize(struct kvm *kvm);
/* Run until the guest powers off (0) or an error (-errno). */
int kvm_vcpu_run(struct kvm_vcpu *vcpu);
/* Tear everything down; RMM objects are destroyed and undelegated.
 * Returns the granules the RMM refused to give back (leaked), counted
 * over the VM's life including this teardown. */
uint64_t kvm_destroy_vm(struct kvm *kvm);

/* IPA of the unprotected alias bit of a realm (0 for a normal VM). */
uint64_t kvm_unprotected_bit(const struct kvm *kvm);
bool kvm_ipa_is_protected(const struct kvm *kvm, uint64_t ipa);

/* ---- used by policies ---- */

/* Take a zeroed NS page from the vCPU's memcache (PHYS_NONE if empty). */
uint64_t kvm_memcache_take(struct kvm_vcpu *vcpu);
/* Give back a page that was not consumed. */
void kvm_memcache_return(struct kvm_vcpu *vcpu, uint64_t pa);
int kvm_memcache_topup(struct kvm_vcpu *vcpu, unsigned min);

/* Attribute the time since the previous mark to `stage` (no-op when stage
 * timing is off or no fault is in flight). */
void kvm_stage_mark(struct kvm_vcpu *vcpu, enum stage stage);

#endif
