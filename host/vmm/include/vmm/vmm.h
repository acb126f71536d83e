/*
 * The real backend (`rme-bench run --backend kvm`): a small KVM VMM for
 * arm64 that boots the aarch64 payload image (guest-payloads/aarch64) as a
 * normal VM or a realm, lets it run one pattern per vCPU and turns what
 * the guest measured into the same fault records and counts as the sim.
 *
 * Contract: one configuration per vmm_run() call, the same struct
 * run_config / run_result as the sim harness (host/run/include/run/run.h),
 * a fresh VM every time. What the records hold on this backend:
 *   - one record per first touch the guest timed (CNTVCT_EL0 around the
 *     access): total_ns is the guest-observed fault latency, all of it in
 *     `unattributed` (the VMM cannot see inside the kernel; the
 *     tracefs ingestion, host/tracefs, can split it into stages);
 *   - kind normal (normal VM), protected / unprotected (realm access
 *     through the alias), ripas_change (one RSI_IPA_STATE_SET call);
 *   - level 3 for 4K backing, 2 for 2M: the mapping size the backing
 *     allows, not read back from the stage-2 tables;
 *   - missed_faults / unexpected_exits are 0: stage-2 faults are handled
 *     in the kernel and never reach this VMM.
 * Counts: VMM_KVM_RUN (KVM_RUN calls), VMM_EXIT_MMIO, VMM_EXIT_SYSTEM_EVENT,
 * VMM_EXIT_MEMORY_FAULT, VMM_EXIT_INTR, VMM_EXIT_HANDLING_NS (nanoseconds
 * the VMM spent between a KVM_RUN return and the next entry, all vCPUs),
 * GUEST_RSI_IPA_STATE_SET and GUEST_RSI_REISSUES.
 *
 * Calls: host/clock (fault records), host/results (results), host/sys (pinning),
 * guest-payloads (pattern registry, boot_abi.h). The KVM code compiles on
 * every host; vmm_host_check() refuses anything but arm64 with /dev/kvm.
 *
 * Failure classes: vmm_validate() and vmm_host_check() are the "usage /
 * environment" errors (rme-bench exits 2 before writing anything);
 * vmm_run() returns -1 with res->error for failed work (exit 1). Every
 * message names the argument or the missing capability.
 */
#ifndef VMM_VMM_H
#define VMM_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rmeb_guest/boot_abi.h>

#include "run/run.h"
#include "results/results.h"
#include "vmm/cca.h"

enum vmm_backing {
	VMM_BACKING_DEFAULT,  /* from the page: 4K anonymous, 2M THP */
	VMM_BACKING_ANON,     /* anonymous memory, THP disabled (MADV_NOHUGEPAGE) */
	VMM_BACKING_THP,      /* anonymous, 2 MiB aligned, MADV_HUGEPAGE */
	VMM_BACKING_HUGETLB,  /* MAP_HUGETLB 2 MiB pages (needs reserved hugepages) */
};

struct vmm_config {
	const char *payload;      /* image file, or NULL: vmm_payload_find() */
	enum vmm_backing backing;
	unsigned timeout_s;       /* 0: derived from the memory the run touches */
	bool echo_console;        /* copy the guest console to stderr as it comes */
	const char *kvm_path;     /* NULL: "/dev/kvm" */
	/* The CCA host series realms speak (vmm/cca.h): set from
	 * vmm_cca_detect() by the caller, or VMM_CCA_NONE to detect it when a
	 * realm is set up. Names the series in meta.json's kvm_uapi. */
	enum vmm_cca_series cca_series;
};

/* Guest memory of one run (IPAs), computed from the configuration. */
struct vmm_layout {
	uint64_t data_ipa, data_size;        /* pattern memory (2 MiB multiple) */
	uint64_t results_ipa, results_size;  /* results + samples (2 MiB multiple) */
	uint64_t samples_per_vcpu;
	uint64_t expected_first_touches;     /* all vCPUs, from pattern_count */
	uint64_t ram_end;                    /* first IPA above all RAM */
	unsigned ipa_bits;                   /* what KVM_CREATE_VM must ask for */
};

#define VMM_MAX_VCPUS RMEB_GUEST_MAX_VCPUS
#define VMM_MAX_IMAGE (RMEB_GUEST_BOOT_SIZE - RMEB_GUEST_IMAGE_OFFSET - (1ULL << 20))

/* Checks the run's parameters for this backend (vCPU count, size, page,
 * backing, pattern, pinning). 0, or -1 with a message naming the option. */
/* What a KVM_RUN return means: an exit to handle (its kvm_run), run
 * again (interrupted), or a failure. A memory-fault exit (a realm's
 * private/shared conversion) returns -1 with EFAULT and is an exit. */
enum vmm_run_outcome { VMM_RUN_EXIT, VMM_RUN_AGAIN, VMM_RUN_FAILED };
enum vmm_run_outcome vmm_run_outcome(int ret, int err, uint32_t exit_reason);

/* The registers the VMM sets on vCPU 0 before the first KVM_RUN (the
 * others start powered off until PSCI CPU_ON). */
struct vmm_boot_reg {
	const char *name;
	uint64_t id;      /* KVM_SET_ONE_REG id */
	uint64_t value;
};
#define VMM_MAX_BOOT_REGS 3
size_t vmm_boot_regs(enum vm_type vm, struct vmm_boot_reg *out);

/* What the host kernel maps per stage-2 fault of this VM: 0 (the whole
 * backing page) or 4 KiB (realms under the CCA series). The guest's
 * expected faults follow it (pattern_params.map_page). */
uint64_t vmm_kernel_map_page(const struct run_config *cfg);

int vmm_validate(const struct run_config *cfg, const struct vmm_config *vc, char *err,
		 size_t len);

/* Guest memory map and the IPA width it needs. 0, or -1 with err. */
int vmm_layout_compute(const struct run_config *cfg, struct vmm_layout *l, char *err,
		       size_t len);

/* The parameter page the guest reads at RMEB_GUEST_PARAMS_IPA. */
void vmm_params_fill(const struct run_config *cfg, const struct vmm_layout *l,
		     struct rmeb_guest_params *p);

/* Is this an aarch64 payload image that fits the boot slot? 0 or -1. */
int vmm_image_check(const uint8_t *img, size_t len, char *err, size_t errlen);

/* The payload image path: `option` if given (it must exist), else the
 * first of <exe dir>/rmeb-guest.img, <exe dir>/../guest-payloads/aarch64/
 * rmeb-guest.img (a build tree), <exe dir>/../share/rme-bench/
 * rmeb-guest.img (an install) that exists. 0, or -1 with err. */
int vmm_payload_find(const char *option, char *out, size_t out_len, char *err, size_t errlen);

/*
 * Turns the guest's result area (the bytes of the result slot, as the
 * host sees them) into res: fault records, guest counters, total_ns.
 * Rejects a result area that is not complete and consistent (a vCPU that
 * never wrote its result, a guest error, more samples than capacity,
 * samples outside the data slot). 0, or -1 with res->error.
 */
int vmm_collect(const struct run_config *cfg, const struct vmm_layout *l,
		const void *results, size_t results_len, struct run_result *res);

/*
 * Can this host run the configuration? Architecture, /dev/kvm, KVM API
 * version, IPA size, PSCI 0.2, and for a realm a CCA host series it
 * speaks (v14 or v15, with guest_memfd and what the series needs); memory
 * available for the guest. 0, or -1 with err.
 */
int vmm_host_check(const struct run_config *cfg, const struct vmm_config *vc, char *err,
		   size_t len);

/*
 * Which CCA host series this kernel speaks for the configuration's realm
 * (its IPA width): asks /dev/kvm, and a throwaway realm VM when the
 * capabilities do not settle v14 (vmm/cca.h decides). 0 with *out, or -1
 * with err naming what the kernel answered (a refusal: exit 2).
 */
int vmm_cca_detect(const struct run_config *cfg, const struct vmm_config *vc,
		   enum vmm_cca_series *out, char *err, size_t len);

/* Run one configuration in a fresh VM. 0, or -1 with res->error. */
int vmm_run(const struct run_config *cfg, const struct vmm_config *vc,
	    struct run_result *res);

/* meta.json keys of a kvm run: the uAPI series, the guest clock, notes. */
int vmm_meta_extras(struct results_writer *w, const struct vmm_config *vc, char *err,
		    size_t len);

#endif
