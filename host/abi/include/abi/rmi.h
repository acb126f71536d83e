/*
 * RMI ABI constants and memory layouts, as the RMM specification (DEN0137)
 * defines them. Spec facts only: no behaviour lives here. Both the RMM
 * model (host/rmm) and the host fault path (host/kvm) include this file; it
 * is the shared vocabulary of the two sides of the SMC conduit.
 *
 * Two ABIs are kept apart on purpose. RMI 1.0 uses GRANULE_DELEGATE and
 * DATA_CREATE_UNKNOWN per 4 KiB granule; RMI 2.0 replaces them with range
 * commands (GRANULE_RANGE_DELEGATE, RTT_DATA_MAP, RTT_UNPROT_MAP, ...).
 * A run uses exactly one of them (enum rmi_abi).
 */
#ifndef ABI_RMI_H
#define ABI_RMI_H

#include <stdint.h>

enum rmi_abi {
	RMI_ABI_1_0 = 0,
	RMI_ABI_2_0 = 1,
};

#define RMI_ABI_VERSION(major, minor) (((uint64_t)(major) << 16) | (minor))

#define GRANULE_SHIFT 12
#define GRANULE_SIZE  (1ULL << GRANULE_SHIFT)
#define RTT_ENTRIES   512
#define RTT_MAX_LEVEL 3

/* Size mapped by one entry at an RTT level (4 KiB granule). */
static inline uint64_t rtt_level_map_size(int level)
{
	return 1ULL << (GRANULE_SHIFT + 9 * (RTT_MAX_LEVEL - level));
}

/* ---- Return status: X0 = status | (index << 8) ---- */
#define RMI_SUCCESS             0
#define RMI_ERROR_INPUT         1
#define RMI_ERROR_REALM         2
#define RMI_ERROR_REC           3
#define RMI_ERROR_RTT           4
/* RMI 2.0 additions */
#define RMI_ERROR_NOT_SUPPORTED 5
#define RMI_ERROR_DEVICE        6
#define RMI_ERROR_RTT_AUX       7
#define RMI_ERROR_PSMMU_ST      8
#define RMI_ERROR_DPT           9
#define RMI_BUSY                10
#define RMI_ERROR_GLOBAL        11
#define RMI_ERROR_TRACKING      12
#define RMI_INCOMPLETE          13
#define RMI_BLOCKED             14
#define RMI_ERROR_GPT           15
#define RMI_ERROR_GRANULE       16
#define RMI_STATUS_COUNT        17

#define RMI_RETURN(status, index) ((uint64_t)(status) | ((uint64_t)(index) << 8))
#define RMI_RETURN_STATUS(ret)    ((unsigned)((ret) & 0xff))
#define RMI_RETURN_INDEX(ret)     ((unsigned)(((ret) >> 8) & 0xff))

/* ---- Function IDs (SMC64, fast, standard service) ---- */
#define RMI_FID(off) (0xC4000150ULL + (off))

/* RMI 1.0 */
#define RMI_VERSION               RMI_FID(0x00)
#define RMI_GRANULE_DELEGATE      RMI_FID(0x01)
#define RMI_GRANULE_UNDELEGATE    RMI_FID(0x02)
#define RMI_DATA_CREATE           RMI_FID(0x03)
#define RMI_DATA_CREATE_UNKNOWN   RMI_FID(0x04)
#define RMI_DATA_DESTROY          RMI_FID(0x05)
#define RMI_REALM_ACTIVATE        RMI_FID(0x07)
#define RMI_REALM_CREATE          RMI_FID(0x08)
#define RMI_REALM_DESTROY         RMI_FID(0x09)
#define RMI_REC_CREATE            RMI_FID(0x0A)
#define RMI_REC_DESTROY           RMI_FID(0x0B)
#define RMI_REC_ENTER             RMI_FID(0x0C)
#define RMI_RTT_CREATE            RMI_FID(0x0D)
#define RMI_RTT_DESTROY           RMI_FID(0x0E)
#define RMI_RTT_MAP_UNPROTECTED   RMI_FID(0x0F)
#define RMI_RTT_READ_ENTRY        RMI_FID(0x11)
#define RMI_RTT_UNMAP_UNPROTECTED RMI_FID(0x12)
#define RMI_PSCI_COMPLETE         RMI_FID(0x14)
#define RMI_FEATURES              RMI_FID(0x15)
#define RMI_RTT_FOLD              RMI_FID(0x16)
#define RMI_REC_AUX_COUNT         RMI_FID(0x17)
#define RMI_RTT_INIT_RIPAS        RMI_FID(0x18)
#define RMI_RTT_SET_RIPAS         RMI_FID(0x19)

/*
 * RMI 2.0 range-based commands (numbering of the current TF-RMM tree).
 * In 2.0, FID 0x153 is RTT_DATA_MAP_INIT (DATA_CREATE's successor) and
 * 0x151/0x152/0x154/0x155/0x15F/0x162 are gone.
 */
#define RMI_RTT_DATA_MAP_INIT         RMI_FID(0x03)
#define RMI_GRANULE_RANGE_DELEGATE    RMI_FID(0xA1)
#define RMI_GRANULE_RANGE_UNDELEGATE  RMI_FID(0xA2)
#define RMI_RTT_DATA_MAP              RMI_FID(0xA5)
#define RMI_RTT_DATA_UNMAP            RMI_FID(0xA6)
#define RMI_RTT_UNPROT_MAP            RMI_FID(0xAB)
#define RMI_RTT_UNPROT_UNMAP          RMI_FID(0xAC)
#define RMI_REALM_TERMINATE           RMI_FID(0xB1)
#define RMI_OP_CONTINUE               RMI_FID(0xB3)

/*
 * RMI 2.0 commands the RMM model does not implement, named here so that
 * what issues them (tools/rmi_smc_driver) and what names them in results
 * (bench/report/insn_merge.c) share one number: the host's once-per-boot
 * RMM set-up, granule tracking, GPT level-1 tables, and the memory
 * transfer of the stateful operations.
 */
#define RMI_RMM_CONFIG_SET            RMI_FID(0x1E)
#define RMI_GRANULE_TRACKING_GET      RMI_FID(0x91)
#define RMI_GRANULE_TRACKING_SET      RMI_FID(0x93)
#define RMI_RMM_CONFIG_GET            RMI_FID(0x9C)
#define RMI_GPT_L1_CREATE             RMI_FID(0xA3)
#define RMI_GPT_L1_DESTROY            RMI_FID(0xA4)
#define RMI_RMM_ACTIVATE              RMI_FID(0xB2)
#define RMI_OP_MEM_DONATE             RMI_FID(0xB8)
#define RMI_OP_MEM_RECLAIM            RMI_FID(0xB9)
#define RMI_OP_CANCEL                 RMI_FID(0xBA)

/* The SMCCC range of RMI function IDs, first and last. */
#define RMI_FID_FIRST                 RMI_FID(0x000)
#define RMI_FID_LAST                  RMI_FID(0x17F)

/* ---- RmiRttEntryState (RTT_READ_ENTRY X2) ---- */
#define RMI_UNASSIGNED    0
#define RMI_ASSIGNED      1
#define RMI_TABLE         2
/* 1.0 reports unprotected entries with the same two values:
 * UNASSIGNED_NS reads as UNASSIGNED, ASSIGNED_NS as ASSIGNED. */

/* ---- RmiRipas ---- */
#define RMI_EMPTY     0
#define RMI_RAM       1
#define RMI_DESTROYED 2

/* ---- RmiRecExitReason ---- */
#define RMI_EXIT_SYNC         0
#define RMI_EXIT_IRQ          1
#define RMI_EXIT_FIQ          2
#define RMI_EXIT_PSCI         3
#define RMI_EXIT_RIPAS_CHANGE 4
#define RMI_EXIT_HOST_CALL    5
#define RMI_EXIT_SERROR       6

/* ---- RmiRecEnterFlags ---- */
#define REC_ENTRY_FLAG_EMUL_MMIO      (1ULL << 0)
#define REC_ENTRY_FLAG_INJECT_SEA     (1ULL << 1)
#define REC_ENTRY_FLAG_TRAP_WFI       (1ULL << 2)
#define REC_ENTRY_FLAG_TRAP_WFE       (1ULL << 3)
#define REC_ENTRY_FLAG_RIPAS_RESPONSE (1ULL << 4) /* 1 = REJECT */

#define RMI_HASH_SHA_256 0
#define RMI_HASH_SHA_512 1

/* ---- RmiRealmParams: one 4 KiB NS granule, offsets from the spec ---- */
struct rmi_realm_params {
	uint64_t flags;            /* 0x000 */
	uint64_t s2sz;             /* 0x008 */
	uint64_t sve_vl;           /* 0x010 */
	uint64_t num_bps;          /* 0x018 */
	uint64_t num_wps;          /* 0x020 */
	uint64_t pmu_num_ctrs;     /* 0x028 */
	uint64_t hash_algo;        /* 0x030 */
	uint8_t  pad0[0x400 - 0x038];
	uint8_t  rpv[64];          /* 0x400 */
	uint8_t  pad1[0x800 - 0x440];
	uint64_t vmid;             /* 0x800 */
	uint64_t rtt_base;         /* 0x808 */
	int64_t  rtt_level_start;  /* 0x810 */
	uint64_t rtt_num_start;    /* 0x818 */
	uint8_t  pad2[0x1000 - 0x820];
};

#define REC_CREATE_NR_GPRS 8
#define REC_PARAMS_FLAG_RUNNABLE (1ULL << 0)
#define MAX_REC_AUX_GRANULES 16

/* ---- RmiRecParams ---- */
struct rmi_rec_params {
	uint64_t flags;                       /* 0x000 */
	uint8_t  pad0[0x100 - 0x008];
	uint64_t mpidr;                       /* 0x100 */
	uint8_t  pad1[0x200 - 0x108];
	uint64_t pc;                          /* 0x200 */
	uint8_t  pad2[0x300 - 0x208];
	uint64_t gprs[REC_CREATE_NR_GPRS];    /* 0x300 */
	uint8_t  pad3[0x800 - 0x340];
	uint64_t num_aux;                     /* 0x800 */
	uint64_t aux[MAX_REC_AUX_GRANULES];   /* 0x808 */
	uint8_t  pad4[0x1000 - 0x888];
};

#define REC_RUN_NR_GPRS 31
#define REC_GIC_NUM_LRS 16

/* ---- RmiRecEntry / RmiRecExit / RmiRecRun ---- */
struct rmi_rec_entry {
	uint64_t flags;                       /* 0x000 */
	uint8_t  pad0[0x200 - 0x008];
	uint64_t gprs[REC_RUN_NR_GPRS];       /* 0x200 */
	uint8_t  pad1[0x300 - 0x2F8];
	uint64_t gicv3_hcr;                   /* 0x300 */
	uint64_t gicv3_lrs[REC_GIC_NUM_LRS];  /* 0x308 */
	uint8_t  pad2[0x800 - 0x388];
};

struct rmi_rec_exit {
	uint64_t exit_reason;                 /* 0x000 */
	uint8_t  pad0[0x100 - 0x008];
	uint64_t esr;                         /* 0x100 */
	uint64_t far;                         /* 0x108 */
	uint64_t hpfar;                       /* 0x110 */
	uint8_t  pad1[0x200 - 0x118];
	uint64_t gprs[REC_RUN_NR_GPRS];       /* 0x200 */
	uint8_t  pad2[0x300 - 0x2F8];
	uint64_t gicv3_hcr;                   /* 0x300 */
	uint64_t gicv3_lrs[REC_GIC_NUM_LRS];  /* 0x308 */
	uint64_t gicv3_misr;                  /* 0x388 */
	uint64_t gicv3_vmcr;                  /* 0x390 */
	uint8_t  pad3[0x400 - 0x398];
	uint64_t cntp_ctl;                    /* 0x400 */
	uint64_t cntp_cval;                   /* 0x408 */
	uint64_t cntv_ctl;                    /* 0x410 */
	uint64_t cntv_cval;                   /* 0x418 */
	uint8_t  pad4[0x500 - 0x420];
	uint64_t ripas_base;                  /* 0x500 */
	uint64_t ripas_top;                   /* 0x508 */
	uint64_t ripas_value;                 /* 0x510 */
	uint8_t  pad5[0x600 - 0x518];
	uint64_t imm;                         /* 0x600 */
	uint8_t  pad6[0x700 - 0x608];
	uint64_t pmu_ovf_status;              /* 0x700 */
	uint8_t  pad7[0x800 - 0x708];
};

struct rmi_rec_run {
	struct rmi_rec_entry entry;           /* 0x000 */
	struct rmi_rec_exit  exit;            /* 0x800 */
};

_Static_assert(sizeof(struct rmi_realm_params) == 0x1000, "RmiRealmParams is one granule");
_Static_assert(sizeof(struct rmi_rec_params) == 0x1000, "RmiRecParams is one granule");
_Static_assert(sizeof(struct rmi_rec_run) == 0x1000, "RmiRecRun is one granule");

/* ---- ESR fields the host decodes from a REC exit (Arm ARM) ---- */
#define ESR_EC_SHIFT     26
#define ESR_EC(esr)      (((esr) >> ESR_EC_SHIFT) & 0x3f)
#define ESR_EC_DABT_LOW  0x24
#define ESR_EC_IABT_LOW  0x20
#define ESR_EC_SYS64     0x18
#define ESR_ISV          (1ULL << 24)
#define ESR_WNR          (1ULL << 6)
#define ESR_SRT_SHIFT    16
#define ESR_FSC_MASK     0x3f
#define ESR_FSC_TRANS(l) (0x04 + (l))  /* translation fault, level l */
#define ESR_FSC_PERM(l)  (0x0c + (l))  /* permission fault, level l */

/* HPFAR_EL2.FIPA holds IPA[51:12] in bits [43:4]. */
#define HPFAR_TO_IPA(hpfar) (((hpfar) >> 4) << 12)
#define IPA_TO_HPFAR(ipa)   (((ipa) >> 12) << 4)

#endif
