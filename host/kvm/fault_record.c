/*
 * A vCPU's fault record, from the guest's exit stamp to the guest's resume
 * stamp: rec_exit is [guest exit, REC_ENTER returned], then the handler's
 * stages, then rec_enter is [REC_ENTER called, guest completed the retried
 * access]. The resume stamp is only known after the next entry returns, so
 * the run loop finishes a record at the top of the next iteration. The run
 * loop (run.c) opens and closes records, the abort handler (mmu.c) labels
 * or discards them; both sit on this file.
 */
#include <string.h>

#include "internal.h"
#include "clock/fault_log.h"
#include "results/results.h"

void kvm_fault_begin(struct kvm_vcpu *vcpu, uint64_t t_back)
{
	struct fault_in_flight *f = &vcpu->fault;
	uint64_t t_exit = vcpu->clock.exit_ts ? vcpu->clock.exit_ts(vcpu->clock.ctx) : 0;

	memset(&f->rec, 0, sizeof(f->rec));
	f->rec.vcpu = vcpu->id;
	f->calls_at_start = vcpu->rmi.calls;
	f->weight_at_start = vcpu->rmi.weight;
	f->active = true;
	if (t_exit && t_exit >= f->t_enter && t_exit <= t_back) {
		stage_timer_start_at(&f->timer, &f->rec, t_exit);
		stage_add_ticks(&f->timer, STAGE_REC_EXIT, t_exit, t_back);
	} else {
		stage_timer_start_at(&f->timer, &f->rec, t_back);
	}
}

void kvm_fault_discard(struct kvm_vcpu *vcpu)
{
	vcpu->fault.active = false;
}

void kvm_fault_set(struct kvm_vcpu *vcpu, enum fault_kind kind, uint64_t ipa, int level)
{
	vcpu->fault.rec.kind = (uint8_t)kind;
	vcpu->fault.rec.ipa = ipa;
	vcpu->fault.rec.level = (uint8_t)level;
}

/* Sampled log: exact counts and histograms of every fault; the record
 * itself goes into a reservoir (Algorithm R): the first `capacity` are
 * kept, the i-th after them replaces a uniformly chosen kept one with
 * probability capacity / i, so the log is a uniform sample of all. The
 * log is one chunk of cfg.fault_sample records (vm.c). */
static void sample_fault(struct kvm_vcpu *vcpu, const struct fault_record *rec)
{
	struct results_fault_hist *h = vcpu->sample->hist;
	struct fault_log_chunk *c = vcpu->log->head;
	uint64_t seen = h->n++;

	h->kinds[rec->kind]++;
	h->rmi_calls += rec->rmi_calls;
	histogram_record(&h->fault_ns, rec->total_ns);
	for (int s = 0; s < STAGE_COUNT; s++)
		if (rec->stage_ns[s])
			histogram_record(&h->stages[s], rec->stage_ns[s]);
	if (seen < c->capacity) {
		fault_log_append(vcpu->log, rec);
		return;
	}
	uint64_t j = stats_rng_next(&vcpu->sample->rng) % (seen + 1);
	if (j < c->capacity)
		c->records[j] = *rec;
}

/* Close the in-flight record once the entry that resumed the guest is back. */
void kvm_fault_finish(struct kvm_vcpu *vcpu, uint32_t calls_before_entry,
			 uint64_t weight_before_entry, uint64_t t_back)
{
	struct fault_in_flight *f = &vcpu->fault;
	uint64_t resume = vcpu->clock.resume_ts ? vcpu->clock.resume_ts(vcpu->clock.ctx) : 0;
	/* If the guest exited again before completing the access, the fault
	 * ends at that exit instead. */
	uint64_t end = resume >= f->t_enter && resume <= t_back ? resume : t_back;

	stage_add_ticks(&f->timer, STAGE_REC_ENTER, f->t_enter, end);
	stage_timer_stop_at(&f->timer, end);
	f->rec.rmi_calls = (uint16_t)(calls_before_entry - f->calls_at_start);
	uint64_t w = weight_before_entry - f->weight_at_start;
	f->rec.call_weight = w > UINT32_MAX ? UINT32_MAX : (uint32_t)w;
	if (vcpu->sample)
		sample_fault(vcpu, &f->rec);
	else
		fault_log_append(vcpu->log, &f->rec);
	f->active = false;
}
