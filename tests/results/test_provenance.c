/*
 * Provenance (host/results/provenance.h): the platform decided from fake
 * /proc and /sys trees (QEMU TCG, QEMU on KVM, FVP, an x86 VM, hardware),
 * the wall-clock plausibility check, the build-time revision, and the
 * host file a trace carries to its ingest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "results/provenance.h"

static char base[256];

static void put(const char *root, const char *rel, const char *text, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s%s", root, rel);
	/* mkdir -p of the parent */
	for (char *p = path + strlen(base) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		CHECK(mkdir(path, 0755) == 0 || errno == EEXIST);
		*p = '/';
	}
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fwrite(text, 1, len, f);
		fclose(f);
	}
}

#define PUT(root, rel, lit) put(root, rel, lit, sizeof(lit) - 1)

/* One fake machine: the files it exposes, and the platform expected. */
struct fake_file {
	const char *rel, *text;
	size_t len;
};
#define FILE_OF(rel, lit) { rel, lit, sizeof(lit) - 1 }
#define CPUINFO_ARM(impl, part) \
	FILE_OF("/proc/cpuinfo", "processor\t: 0\nCPU implementer\t: " impl "\nCPU part\t: " part "\n")

struct fake_machine {
	const char *name, *want;
	struct fake_file files[3];
};

static const struct fake_machine machines[] = {
	{ "tcg", "qemu-tcg", { FILE_OF("/proc/device-tree/compatible", "linux,dummy-virt\0"),
			       CPUINFO_ARM("0x00", "0x051") } },
	{ "qkvm", "qemu-kvm", { FILE_OF("/sys/firmware/devicetree/base/compatible",
					"linux,dummy-virt\0"),
				CPUINFO_ARM("0x41", "0xd0c") } },
	{ "fvp", "fvp", { FILE_OF("/proc/device-tree/compatible",
				  "arm,fvp-base-revc\0arm,vexpress\0"),
			  CPUINFO_ARM("0x41", "0xd0c") } },
	{ "x86vm", "vm", { FILE_OF("/proc/cpuinfo", "processor\t: 0\nmodel name\t: AMD EPYC\n"
						 "flags\t\t: fpu hypervisor\n") } },
	{ "x86tcg", "qemu-tcg", { FILE_OF("/proc/cpuinfo", "processor\t: 0\nmodel name\t: QEMU "
							   "Virtual CPU version 2.5+\nflags\t\t: fpu "
							   "hypervisor\n"),
				  FILE_OF("/sys/class/dmi/id/sys_vendor", "QEMU\n") } },
	{ "hw", "hardware", { CPUINFO_ARM("0x41", "0xd40") } },
	{ "midr", "qemu-tcg", { FILE_OF("/sys/devices/system/cpu/cpu0/regs/identification/midr_el1",
					"0x00000000000f0510\n") } },
	{ "nothing-here", "unknown", { { NULL, NULL, 0 } } },
};

static void test_platforms(void)
{
	char r[300];
	struct results_platform p;
	for (size_t m = 0; m < sizeof(machines) / sizeof(machines[0]); m++) {
		snprintf(r, sizeof(r), "%s/%s", base, machines[m].name);
		for (size_t f = 0; f < 3 && machines[m].files[f].rel; f++)
			put(r, machines[m].files[f].rel, machines[m].files[f].text,
			    machines[m].files[f].len);
		results_detect_platform(r, &p);
		if (strcmp(p.kind, machines[m].want))
			fprintf(stderr, "%s: %s, want %s\n", machines[m].name, p.kind, machines[m].want);
		CHECK(!strcmp(p.kind, machines[m].want));
	}
	snprintf(r, sizeof(r), "%s/tcg", base);
	results_detect_platform(r, &p);
	CHECK(p.emulated && strstr(p.evidence, "linux,dummy-virt") != NULL);
}

static void test_wall_clock(void)
{
	struct timespec epoch = { .tv_sec = 1 }, y2026 = { .tv_sec = 1796606400 };
	CHECK(!results_wall_clock_plausible(&epoch));
	CHECK(results_wall_clock_plausible(&y2026));
	char s[64];
	results_format_utc(&epoch, s, sizeof(s));
	CHECK(!strcmp(s, "1970-01-01T00:00:01.000Z"));
}

static void test_revision(void)
{
	const char *rev = results_git_rev();
	CHECK(rev && rev[0]);
	CHECK(results_git_dirty() >= -1 && results_git_dirty() <= 1);
	if (strcmp(rev, "unknown"))
		CHECK(strlen(rev) == 12 && strspn(rev, "0123456789abcdef") == 12);
}

static void test_host_file(void)
{
	char path[300], err[256], *host = NULL;
	snprintf(path, sizeof(path), "%s/kernel.host.json", base);
	struct timespec a = { .tv_sec = 1796606400, .tv_nsec = 5 }, b = { .tv_sec = 1796606460 }, got;
	CHECK(results_write_host_file(path, &a, &b, err, sizeof(err)) == 0);
	CHECK(results_read_host_file(path, &host, &got, err, sizeof(err)) == 0);
	CHECK(host && strstr(host, "\"platform\"") && strstr(host, "\"cpu_model\""));
	CHECK(got.tv_sec == a.tv_sec && got.tv_nsec == 5);
	free(host);
	PUT(base, "/bad.json", "{\"host\": 1}");
	snprintf(path, sizeof(path), "%s/bad.json", base);
	CHECK(results_read_host_file(path, &host, &got, err, sizeof(err)) == -1);
	CHECK(strstr(err, "not a host description") != NULL);
}

int main(void)
{
	snprintf(base, sizeof(base), "%s/rmeb-prov-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	test_platforms();
	test_wall_clock();
	test_revision();
	test_host_file();
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", base);
	return check_report("provenance");
}
