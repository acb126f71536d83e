#include "pgt_test.h"

int pgt_test_failures;

static int count_table_visitor(const struct kvm_pgtable_visit_ctx *ctx,
			       enum kvm_pgtable_walk_flags visit)
{
	(void)visit;
	(*(long *)ctx->arg)++;
	return 0;
}

long pgt_count_live_tables(struct kvm_pgtable *pgt)
{
	long n = 0;
	const struct kvm_pgtable_walker walker = {
		.cb = count_table_visitor, .arg = &n,
		.flags = KVM_PGTABLE_WALK_TABLE_PRE,
	};

	if (kvm_pgtable_walk(pgt, 0, 1ULL << pgt->ia_bits, &walker))
		return -1;
	return n;
}

int pgt_expect_mapped(struct kvm_pgtable *pgt, uint64_t ipa, uint64_t pa,
		      enum kvm_pgtable_prot prot)
{
	uint64_t got = 0;
	int level = -1;
	bool perm = false;
	int ret;

	ret = kvm_pgtable_hw_translate(pgt, ipa, false, &got, &level, &perm);
	if ((prot & KVM_PGTABLE_PROT_R) && (ret || got != pa)) {
		fprintf(stderr, "read of ipa %#llx: ret %d pa %#llx (want %#llx) level %d perm %d\n",
			(unsigned long long)ipa, ret, (unsigned long long)got,
			(unsigned long long)pa, level, perm);
		return -1;
	}
	ret = kvm_pgtable_hw_translate(pgt, ipa, true, &got, &level, &perm);
	if ((prot & KVM_PGTABLE_PROT_W) && (ret || got != pa)) {
		fprintf(stderr, "write of ipa %#llx: ret %d pa %#llx (want %#llx)\n",
			(unsigned long long)ipa, ret, (unsigned long long)got,
			(unsigned long long)pa);
		return -1;
	}
	if (!(prot & KVM_PGTABLE_PROT_W) && (ret != -EFAULT || !perm)) {
		fprintf(stderr, "write of read-only ipa %#llx: ret %d perm %d\n",
			(unsigned long long)ipa, ret, perm);
		return -1;
	}
	return 0;
}

int pgt_expect_unmapped(struct kvm_pgtable *pgt, uint64_t ipa)
{
	uint64_t got;
	int level;
	bool perm = true;
	int ret = kvm_pgtable_hw_translate(pgt, ipa, false, &got, &level, &perm);

	if (ret != -EFAULT || perm) {
		fprintf(stderr, "ipa %#llx should fault (translation): ret %d perm %d\n",
			(unsigned long long)ipa, ret, perm);
		return -1;
	}
	return 0;
}
