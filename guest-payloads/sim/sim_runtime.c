/*
 * The sim payload runtime (payload/sim_runtime.h): pattern actions in,
 * sim_gop out, with the guest's RSI loop and timestamps.
 */
#include <stdarg.h>
#include <stdio.h>

#include <abi/rsi.h>
#include <payload/sim_runtime.h>
#include <clock/stage_clock.h>

static bool is_power_of_two(uint64_t v)
{
	return v && !(v & (v - 1));
}

static int check_layout(const struct pattern_params *p, const struct sim_guest_layout *l,
			char *err, size_t errlen)
{
	/* pattern_iter_start has checked that vcpus * size fits. */
	uint64_t needed = p->overlap ? p->size : p->size * p->vcpus;
	uint64_t ram_end = l->ram_base + l->ram_size;

	if (l->ram_base % SIM_RAM_ALIGN) {
		snprintf(err, errlen, "ram_base 0x%llx is not 2 MiB aligned",
			 (unsigned long long)l->ram_base);
		return -1;
	}
	if (ram_end < l->ram_base) {
		snprintf(err, errlen, "ram_base 0x%llx + ram_size 0x%llx overflows the IPA space",
			 (unsigned long long)l->ram_base, (unsigned long long)l->ram_size);
		return -1;
	}
	if (l->ram_size < needed) {
		snprintf(err, errlen,
			 "ram_size %llu is smaller than the %llu bytes the vCPUs' ranges need",
			 (unsigned long long)l->ram_size, (unsigned long long)needed);
		return -1;
	}
	if (!p->realm) {
		if (l->unprotected_bit) {
			snprintf(err, errlen,
				 "unprotected_bit 0x%llx given for a normal VM (it has no alias; use 0)",
				 (unsigned long long)l->unprotected_bit);
			return -1;
		}
		return 0;
	}
	if (!is_power_of_two(l->unprotected_bit)) {
		snprintf(err, errlen,
			 "unprotected_bit 0x%llx is not a single IPA bit (a realm needs its shared alias bit)",
			 (unsigned long long)l->unprotected_bit);
		return -1;
	}
	if (ram_end > l->unprotected_bit) {
		snprintf(err, errlen,
			 "unprotected_bit 0x%llx lies inside guest RAM [0x%llx, 0x%llx)",
			 (unsigned long long)l->unprotected_bit,
			 (unsigned long long)l->ram_base, (unsigned long long)ram_end);
		return -1;
	}
	return 0;
}

/* Counts a guest error; the first one's message is kept. */
static void guest_error(struct sim_payload *sp, const char *fmt, ...)
{
	va_list ap;

	if (sp->n.guest_errors++)
		return;
	va_start(ap, fmt);
	vsnprintf(sp->error, sizeof(sp->error), fmt, ap);
	va_end(ap);
}

static void gop_from_action(const struct sim_payload *sp, const struct payload_action *a,
			    struct sim_gop *op)
{
	uint64_t ipa = sp->layout.ram_base + a->offset;

	if (a->op == PAYLOAD_SET_RIPAS) {
		*op = (struct sim_gop){
			.kind = SIM_GOP_IPA_STATE_SET,
			.ipa = ipa,
			.top = ipa + a->len,
			.ripas = a->ripas == PAYLOAD_RIPAS_EMPTY ? RSI_EMPTY : RSI_RAM,
		};
		return;
	}
	if (a->shared)
		ipa |= sp->layout.unprotected_bit;
	*op = (struct sim_gop){
		.kind = a->op == PAYLOAD_READ ? SIM_GOP_READ : SIM_GOP_WRITE,
		.ipa = ipa,
		.value = a->op == PAYLOAD_WRITE ? ipa : 0,  /* recognisable in a dump */
	};
}

/* Makes sure cur holds the operation to run; false once finished. */
static bool load_current(struct sim_payload *sp)
{
	struct payload_action a;

	if (sp->finished)
		return false;
	if (sp->have_cur)
		return true;
	if (pattern_iter_next(&sp->it, &a)) {
		gop_from_action(sp, &a, &sp->cur);
		/* A populated page was mapped before the run: no fault due. */
		sp->cur_first_touch = a.first_touch &&
				      !(a.op != PAYLOAD_SET_RIPAS && !a.shared &&
					a.offset < sp->layout.premapped);
	} else {
		sp->cur = (struct sim_gop){ .kind = SIM_GOP_CPU_OFF };
		sp->cur_first_touch = false;
	}
	sp->have_cur = true;
	sp->cur_exits = 0;
	return true;
}

static void advance(struct sim_payload *sp)
{
	sp->have_cur = false;
}

static void complete_access(struct sim_payload *sp, const struct sim_gop_result *res)
{
	sp->n.accesses++;
	if (res->outcome == SIM_GOP_SEA)
		sp->n.seas++;
	else if (res->outcome != SIM_GOP_DONE)
		guest_error(sp, "access to IPA 0x%llx ended with outcome %d",
			    (unsigned long long)sp->cur.ipa, (int)res->outcome);
	if (sp->cur_first_touch) {
		sp->n.first_touches++;
		sp->n.missed_faults += sp->cur_exits == 0;
	} else {
		sp->n.unexpected_exits += sp->cur_exits > 0;
	}
	advance(sp);
}

/* The guest's RSI_IPA_STATE_SET loop: call again from next_base until the
 * whole range is done; any refusal or a stall ends it with an error. */
static void complete_ipa_state_set(struct sim_payload *sp, const struct sim_gop_result *res)
{
	struct sim_gop *op = &sp->cur;

	sp->n.rsi_calls++;
	if (res->outcome != SIM_GOP_DONE || res->rsi_status != RSI_SUCCESS) {
		guest_error(sp, "IPA_STATE_SET [0x%llx, 0x%llx) failed: outcome %d, RSI status %llu",
			    (unsigned long long)op->ipa, (unsigned long long)op->top,
			    (int)res->outcome, (unsigned long long)res->rsi_status);
	} else if (res->response == RSI_REJECT) {
		guest_error(sp, "host rejected IPA_STATE_SET [0x%llx, 0x%llx)",
			    (unsigned long long)op->ipa, (unsigned long long)op->top);
	} else if (res->next_base <= op->ipa || res->next_base > op->top) {
		guest_error(sp, "IPA_STATE_SET [0x%llx, 0x%llx) returned next_base 0x%llx (no progress or past the top)",
			    (unsigned long long)op->ipa, (unsigned long long)op->top,
			    (unsigned long long)res->next_base);
	} else if (res->next_base < op->top) {
		op->ipa = res->next_base;
		sp->n.ripas_reissues++;
		sp->cur_exits = 0;
		return;  /* same operation, the remainder of the range */
	}
	advance(sp);
}

static bool guest_peek(void *ctx, struct sim_gop *op)
{
	struct sim_payload *sp = ctx;

	if (!load_current(sp))
		return false;
	*op = sp->cur;
	return true;
}

static void guest_complete(void *ctx, const struct sim_gop_result *res)
{
	struct sim_payload *sp = ctx;

	if (!load_current(sp)) {
		guest_error(sp, "complete() reported after CPU_OFF");
		return;
	}
	if (sp->cur_exits)
		sp->resume_ts = stage_clock_now();
	sp->n.ops++;
	switch (sp->cur.kind) {
	case SIM_GOP_READ:
	case SIM_GOP_WRITE:
		complete_access(sp, res);
		break;
	case SIM_GOP_IPA_STATE_SET:
		complete_ipa_state_set(sp, res);
		break;
	case SIM_GOP_HOST_CALL:
		sp->n.rsi_calls++;
		advance(sp);
		break;
	case SIM_GOP_SYSTEM_OFF: /* never issued by this runtime */
	case SIM_GOP_CPU_OFF:
		sp->finished = true;
		advance(sp);
		break;
	}
}

static void guest_exited(void *ctx, unsigned exit_reason)
{
	struct sim_payload *sp = ctx;

	sp->exit_ts = stage_clock_now();
	if (!load_current(sp)) {
		guest_error(sp, "exited() reported after CPU_OFF");
		return;
	}
	sp->n.exits++;
	sp->cur_exits++;
	sp->last_exit_reason = exit_reason;
	/* A guest never comes back from CPU_OFF: the PSCI exit ends it. */
	if (sp->cur.kind == SIM_GOP_CPU_OFF || sp->cur.kind == SIM_GOP_SYSTEM_OFF) {
		sp->finished = true;
		advance(sp);
	}
}

static const struct sim_guest_ops sim_payload_ops = {
	.peek = guest_peek,
	.complete = guest_complete,
	.exited = guest_exited,
};

int sim_payload_init(struct sim_payload *sp, const struct pattern *pat,
		     const struct pattern_params *params,
		     const struct sim_guest_layout *layout, char *err, size_t errlen)
{
	if (!sp) {
		snprintf(err, errlen, "no sim_payload given");
		return -1;
	}
	*sp = (struct sim_payload){ 0 };
	if (!layout) {
		snprintf(err, errlen, "no guest layout given");
		return -1;
	}
	if (pattern_iter_start(&sp->it, pat, params, err, errlen))
		return -1;
	if (check_layout(params, layout, err, errlen)) {
		sp->it.pattern = NULL;
		return -1;
	}
	sp->layout = *layout;
	sp->guest = (struct sim_guest){ .ops = &sim_payload_ops, .ctx = sp };
	return 0;
}

struct sim_guest sim_payload_guest(struct sim_payload *sp)
{
	return sp->guest;
}

uint64_t sim_payload_exit_ts(const struct sim_payload *sp)
{
	return sp->exit_ts;
}

uint64_t sim_payload_resume_ts(const struct sim_payload *sp)
{
	return sp->resume_ts;
}

unsigned sim_payload_last_exit_reason(const struct sim_payload *sp)
{
	return sp->last_exit_reason;
}

const struct sim_payload_counters *sim_payload_counters(const struct sim_payload *sp)
{
	return &sp->n;
}

bool sim_payload_finished(const struct sim_payload *sp)
{
	return sp->finished;
}

const char *sim_payload_error(const struct sim_payload *sp)
{
	return sp->error;
}
