/* Topology, CPU lists, pin plans, XML export and binding. */
#define _GNU_SOURCE
#include "check.h"
#include "sys/topology.h"

#include <hwloc.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char err[256];

static int parse(const char *text, struct sys_cpulist *l)
{
	err[0] = '\0';
	return sys_cpulist_parse(text, l, err, sizeof(err));
}

static void test_cpulist_valid(void)
{
	static struct sys_cpulist l;
	CHECK(parse("0-3,6", &l) == 0);
	CHECK(l.count == 5);
	unsigned want[] = { 0, 1, 2, 3, 6 };
	for (unsigned i = 0; i < 5 && i < l.count; i++)
		CHECK(l.cpu[i] == want[i]);

	CHECK(parse("7", &l) == 0 && l.count == 1 && l.cpu[0] == 7);
	/* Order is kept: thread i gets the i-th CPU the user wrote. */
	CHECK(parse("5,2-2,0", &l) == 0 && l.count == 3);
	CHECK(l.cpu[0] == 5 && l.cpu[1] == 2 && l.cpu[2] == 0);
	CHECK(parse("65535", &l) == 0 && l.cpu[0] == 65535);
}

static void test_cpulist_invalid(void)
{
	static struct sys_cpulist l;
	const char *bad[] = { "",    ",",   "1,",    ",1",      "3-1",
			      "a",   "1-",  "-1",    "0,0",     "0-2,1",
			      "1 2", "0--1", "65536", "99999999999", "1;2",
			      "0-1025" /* more than SYS_CPULIST_MAX */ };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(bad[i], &l);
		if (rc != -1 || err[0] == '\0' || l.count != 0)
			fprintf(stderr, "accepted bad CPU list \"%s\"\n", bad[i]);
		CHECK(rc == -1);
		CHECK(err[0] != '\0');
		CHECK(l.count == 0);
	}
	CHECK(parse("3-1", &l) == -1 && strstr(err, "reversed") != NULL);
	CHECK(parse("0,0", &l) == -1 && strstr(err, "twice") != NULL);
	CHECK(sys_cpulist_parse(NULL, &l, err, sizeof(err)) == -1);
}

static void test_plan_default(struct sys_topology *topo)
{
	struct sys_topology_counts n;
	sys_topology_counts(topo, &n);
	CHECK(n.cores >= 1 && n.pus >= n.cores && n.numa_nodes >= 1);

	/* Exactly enough cores: everyone pinned, each on a different core. */
	struct sys_pin_plan *p = sys_pin_plan_compute(topo, n.cores - 1, NULL,
						      err, sizeof(err));
	CHECK(p != NULL);
	if (p) {
		CHECK(p->pinned && !p->from_user && p->threads == n.cores);
		CHECK(strcmp(p->pin[0].thread, "main") == 0);
		if (p->threads > 1)
			CHECK(strcmp(p->pin[1].thread, "vcpu0") == 0);
		for (unsigned i = 0; i < p->threads; i++) {
			CHECK(p->pin[i].pu >= 0);
			for (unsigned j = 0; j < i; j++)
				CHECK(p->pin[i].pu != p->pin[j].pu);
		}
		free(p);
	}

	/* One thread too many: nobody pinned, and the note says why. */
	p = sys_pin_plan_compute(topo, n.cores, NULL, err, sizeof(err));
	CHECK(p != NULL);
	if (p) {
		CHECK(!p->pinned && p->threads == n.cores + 1);
		CHECK(strstr(p->note, "not pinned") != NULL);
		for (unsigned i = 0; i < p->threads; i++)
			CHECK(p->pin[i].pu == -1);
		free(p);
	}
}

static void test_plan_user(struct sys_topology *topo)
{
	static struct sys_cpulist l;
	struct sys_pin_plan *p;

	/* CPU 0 is not guaranteed usable (cgroups): pick the first usable. */
	char pus[128];
	sys_topology_pu_list(topo, pus, sizeof(pus));
	CHECK(pus[0] != '\0');
	char first[16];
	snprintf(first, sizeof(first), "%u", (unsigned)atoi(pus));

	CHECK(parse(first, &l) == 0);
	p = sys_pin_plan_compute(topo, 0, &l, err, sizeof(err));
	CHECK(p != NULL);
	if (p) {
		CHECK(p->pinned && p->from_user && p->threads == 1);
		CHECK(p->pin[0].pu == atoi(pus));
		free(p);
	}

	/* One CPU for main + 1 vCPU: refused, with the count in the message. */
	err[0] = '\0';
	CHECK(sys_pin_plan_compute(topo, 1, &l, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "need one each") != NULL);

	/* A CPU that does not exist is an error naming it. */
	CHECK(parse("65535", &l) == 0);
	err[0] = '\0';
	CHECK(sys_pin_plan_compute(topo, 0, &l, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "65535") != NULL && strstr(err, "not usable") != NULL);
}

static void test_plan_json(struct sys_topology *topo)
{
	struct sys_pin_plan *p = sys_pin_plan_compute(topo, 1, NULL, err,
						      sizeof(err));
	CHECK(p != NULL);
	if (!p)
		return;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CHECK(f && sys_pin_plan_write_json(p, f) == 0);
	fclose(f);
	CHECK(strstr(buf, "\"threads\": {\"main\": ") != NULL);
	CHECK(strstr(buf, "\"vcpu0\": ") != NULL);
	CHECK(strstr(buf, p->pinned ? "\"pinned\": true" : "\"pinned\": false"));
	free(buf);
	free(p);
}

/* The exported file must load back into hwloc with the same shape. */
static void test_xml_export(struct sys_topology *topo)
{
	char dir[] = "/tmp/rmeb-topo-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char path[128];
	snprintf(path, sizeof(path), "%s/topology.xml", dir);
	CHECK(sys_topology_export_xml(topo, path, err, sizeof(err)) == 0);

	/* Results never carry the host name; hwloc's XML would. */
	char xml[1 << 16];
	FILE *f = fopen(path, "r");
	CHECK(f != NULL);
	size_t got = f ? fread(xml, 1, sizeof(xml) - 1, f) : 0;
	if (f)
		fclose(f);
	xml[got] = '\0';
	CHECK(got > 0 && strstr(xml, "<topology") != NULL);
	CHECK(strstr(xml, "HostName") == NULL);

	hwloc_topology_t back;
	CHECK(hwloc_topology_init(&back) == 0);
	CHECK(hwloc_topology_set_xml(back, path) == 0);
	CHECK(hwloc_topology_load(back) == 0);
	struct sys_topology_counts n;
	sys_topology_counts(topo, &n);
	CHECK(hwloc_get_nbobjs_by_type(back, HWLOC_OBJ_PU) == (int)n.pus);
	CHECK(hwloc_get_nbobjs_by_type(back, HWLOC_OBJ_CORE) == (int)n.cores);
	hwloc_topology_destroy(back);
	unlink(path);

	/* No such directory: an error, and no temporary left behind. */
	char bad[160];
	snprintf(bad, sizeof(bad), "%s/missing/topology.xml", dir);
	err[0] = '\0';
	CHECK(sys_topology_export_xml(topo, bad, err, sizeof(err)) == -1);
	CHECK(err[0] != '\0');
	CHECK(rmdir(dir) == 0); /* fails if anything was left in it */
	CHECK(sys_topology_export_xml(topo, "", err, sizeof(err)) == -1);
}

/* Binding either works (and we then run there) or yields a note.
 * expect_unpinned: hwloc was told (HWLOC_THISSYSTEM=0) that the topology
 * is not this machine's, so binding must degrade to the note. */
static void test_bind(struct sys_topology *topo, bool expect_unpinned)
{
	struct sys_pin_plan *p = sys_pin_plan_compute(topo, 0, NULL, err,
						      sizeof(err));
	CHECK(p != NULL && p->pinned);
	if (!p)
		return;
	char note[SYS_PIN_NOTE_LEN];
	int rc = sys_pin_bind_self(topo, p->pin[0].pu, note, sizeof(note));
	CHECK(rc == 0 || rc == 1);
	if (expect_unpinned)
		CHECK(rc == 1 && strncmp(note, "cpubind not supported", 21) == 0);
	if (rc == 0) {
		CHECK(note[0] == '\0');
		CHECK(sys_current_pu() == p->pin[0].pu);
		printf("binding works: main thread on PU %d\n", p->pin[0].pu);
	} else {
		CHECK(strncmp(note, "cpubind", 7) == 0);
		printf("binding unavailable: %s\n", note);
	}
	CHECK(sys_pin_bind_self(topo, -1, note, sizeof(note)) == 0);
	CHECK(sys_pin_bind_self(topo, 65535, note, sizeof(note)) == -1);
	CHECK(strstr(note, "does not exist") != NULL);
	free(p);
}

int main(int argc, char **argv)
{
	bool expect_unpinned = argc > 1 && strcmp(argv[1], "unpinned") == 0;
	test_cpulist_valid();
	test_cpulist_invalid();

	struct sys_topology *topo = NULL;
	CHECK(sys_topology_load(&topo, err, sizeof(err)) == 0);
	if (!topo) {
		fprintf(stderr, "topology: %s\n", err);
		return 1;
	}
	test_plan_default(topo);
	test_plan_user(topo);
	test_plan_json(topo);
	test_xml_export(topo);
	test_bind(topo, expect_unpinned);
	sys_topology_free(topo);

	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
