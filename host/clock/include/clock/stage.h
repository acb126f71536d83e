/*
 * Stages of a stage-2 fault and the per-fault record.
 *
 * Contract: names the stages every backend reports (DESIGN.md "Stages"),
 * and defines the fixed-size record one fault produces. A fault's record
 * holds the time spent in each stage that occurred (0 if none), summed when
 * a stage occurs more than once (e.g. two RTT levels created).
 * `unattributed` is computed at the end: total minus the named stages.
 */
#ifndef CLOCK_STAGE_H
#define CLOCK_STAGE_H

#include <stdint.h>

#define STAGE_LIST(X)                                                         \
	X(REC_EXIT, "rec_exit", "guest abort -> host handler has the exit")    \
	X(EXIT_DECODE, "exit_decode", "decode exit reason and ESR class")      \
	X(ABORT_DISPATCH, "abort_dispatch", "guest abort handler entry, IPA split") \
	X(MEMSLOT_LOOKUP, "memslot_lookup", "find the memslot and HVA of the IPA") \
	X(PAGE_PIN, "page_pin", "fault in and pin the host page (4K or 2M)")  \
	X(RTT_CREATE, "rtt_create", "delegate RTT pages and RMI_RTT_CREATE")   \
	X(GRANULE_DELEGATE, "granule_delegate", "GRANULE_DELEGATE / RANGE_DELEGATE of data") \
	X(DATA_CREATE, "data_create", "DATA_CREATE_UNKNOWN / RTT_DATA_MAP")     \
	X(UNPROT_MAP, "unprot_map", "RTT_MAP_UNPROTECTED / RTT_UNPROT_MAP")      \
	X(RTT_FOLD, "rtt_fold", "RMI_RTT_FOLD into a block")                   \
	X(SET_RIPAS, "set_ripas", "RIPAS change: RTT_SET_RIPAS loop and unmaps") \
	X(S2_MAP, "s2_map", "normal VM: kvm_pgtable stage-2 map or relax")     \
	X(REC_ENTER, "rec_enter", "host re-enters -> guest access retried")    \
	X(UNATTRIBUTED, "unattributed", "total minus the named stages")

enum stage {
#define STAGE_ENUM(id, name, what) STAGE_##id,
	STAGE_LIST(STAGE_ENUM)
#undef STAGE_ENUM
	STAGE_COUNT
};

const char *stage_name(enum stage s);
const char *stage_description(enum stage s);
/* STAGE_COUNT if the name is unknown. */
enum stage stage_from_name(const char *name);

/* What kind of exit a fault record describes. */
enum fault_kind {
	FAULT_PROTECTED,    /* realm: protected IPA data abort */
	FAULT_UNPROTECTED,  /* realm: unprotected (shared) IPA data abort */
	FAULT_RIPAS_CHANGE, /* realm: RIPAS_CHANGE exit */
	FAULT_NORMAL,       /* normal VM: stage-2 translation fault */
	FAULT_PERM,         /* normal VM: stage-2 permission fault */
	FAULT_KIND_COUNT
};

const char *fault_kind_name(enum fault_kind k);
/* FAULT_KIND_COUNT if the name is unknown. */
enum fault_kind fault_kind_from_name(const char *name);

struct fault_record {
	uint64_t ipa;
	uint64_t total_ns;
	uint32_t stage_ns[STAGE_COUNT];
	uint32_t vcpu;
	uint8_t kind;       /* enum fault_kind */
	uint8_t level;      /* mapping level: 3 = 4 KiB, 2 = 2 MiB */
	uint16_t rmi_calls; /* RMI calls the host made for this fault */
	/* The sum over those calls of a per-command weight the harness set
	 * (--profile: the RMM's instructions per command); 0 without one.
	 * Fits the record's tail padding: the record does not grow. */
	uint32_t call_weight;
};

#endif
