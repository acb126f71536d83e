#!/bin/sh
# `rme-bench trace` exit codes and messages without a kernel: ingest of a
# hand-written trace into a results directory, and the error paths.
# Usage: cli_test.sh RME_BENCH FIXTURES_DIR WORK_DIR
set -u
bin=$1 fix=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
fails=0
expect() { # STATUS WHAT CMD...: run CMD, want exit STATUS
	want=$1 what=$2
	shift 2
	"$@" >"$work/out" 2>"$work/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL $what: exit $got, want $want"; cat "$work/err"; fails=$((fails + 1))
	else
		echo "ok   $what"
	fi
}
expect 0 "ingest a normal-VM trace" "$bin" trace ingest --pattern seq --out "$work/normal" \
	"$fix/normal_1vcpu.trace"
grep -q '"faults": 3' "$work/normal/summary.json" || { echo "FAIL: 3 faults"; fails=$((fails + 1)); }
grep -q '"source": "real-vm"' "$work/normal/meta.json" || { echo "FAIL: source"; fails=$((fails + 1)); }
expect 0 "ingest with nanosecond timestamps" "$bin" trace ingest --pattern seq \
	--raw "$fix/normal_1vcpu.raw" --out "$work/normal-ns" "$fix/normal_1vcpu.trace"
grep -q '"resolution_ns": 1,' "$work/normal-ns/meta.json" || { echo "FAIL: ns resolution"; fails=$((fails + 1)); }
expect 2 "ingest with a raw file of another trace" "$bin" trace ingest --raw "$fix/normal_1vcpu.raw" \
	--out "$work/x" "$fix/realm.trace"
expect 2 "ingest with a raw file that is not one" "$bin" trace ingest --raw "$fix/realm.trace" \
	--out "$work/x" "$fix/normal_1vcpu.trace"
mkdir -p "$work/guest"
printf 'run,vcpu,ipa,kind\n0,0,0x80000000,normal\n0,0,0x90000000,normal\n' >"$work/guest/faults.csv"
expect 0 "ingest keeping the guest's pages" "$bin" trace ingest --match-guest "$work/guest" \
	--out "$work/matched" "$fix/normal_1vcpu.trace"
grep -q '"faults": 1,' "$work/matched/summary.json" &&
	grep -q '"kernel_faults_outside_guest_touches": 2' "$work/matched/summary.json" &&
	grep -q '"guest_touches_without_kernel_fault": 1' "$work/matched/summary.json" ||
	{ echo "FAIL: --match-guest counts"; fails=$((fails + 1)); }
expect 2 "--match-guest without faults.csv" "$bin" trace ingest --match-guest "$work/none" \
	--out "$work/x" "$fix/normal_1vcpu.trace"
expect 0 "ingest a realm trace" "$bin" trace ingest --vm realm --policy cca-v1 --abi 1.0 --out "$work/realm" "$fix/realm.trace"
grep -q '"rtt_fold"' "$work/realm/summary.json" || { echo "FAIL: rtt_fold stage"; fails=$((fails + 1)); }
# A real realm trace (CCA host series v14 on TF-RMM): RMI calls counted
# from the SMC site probes under the sim's names, and --match-guest keeping
# the unprotected fault the kernel reports at the alias IPA (bit 32 set)
# for a page the guest names by its GPA.
mkdir -p "$work/rguest"
printf 'run,vcpu,ipa,kind\n0,0,0x42000000,protected\n0,0,0x42001000,protected\n0,0,0x42204000,unprotected\n' \
	>"$work/rguest/faults.csv"
expect 0 "ingest a CCA v14 realm trace" "$bin" trace ingest --vm realm --policy cca-rmm2 \
	--match-guest "$work/rguest" \
	--out "$work/rv14" "$fix/realm_v14.trace"
grep -q '"faults": 3,' "$work/rv14/summary.json" &&
	grep -q '"kernel_faults_outside_guest_touches": 2' "$work/rv14/summary.json" &&
	grep -q '"guest_touches_without_kernel_fault": 0' "$work/rv14/summary.json" &&
	grep -q '"RMI_GRANULE_RANGE_DELEGATE"' "$work/rv14/summary.json" &&
	grep -q '"RMI_RTT_UNPROT_MAP"' "$work/rv14/summary.json" ||
	{ echo "FAIL: realm v14 RMI counts / alias match"; fails=$((fails + 1)); }
# By-command counts cover the kept faults only (sum = rmi_calls); the
# dropped faults' calls and the calls in exits that are no fault (the
# synthetic spans of realm_v14_other_spans.trace) under keys of their own.
cat "$fix/realm_v14.trace" "$fix/realm_v14_other_spans.trace" >"$work/other.trace"
expect 0 "ingest with calls outside faults" "$bin" trace ingest --vm realm --policy cca-rmm2 \
	--match-guest "$work/rguest" --out "$work/rother" "$work/other.trace"
python3 - "$work/rother/summary.json" <<'PY' || { echo "FAIL: counts outside faults"; fails=$((fails + 1)); }
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
x = run["extra"]
assert sum(run["counts"].values()) == run["rmi_calls"], (run["counts"], run["rmi_calls"])
assert x["rmi_calls_outside_faults"] == 2, x
assert x["outside_faults.RMI_RTT_DATA_UNMAP"] == 1, x
assert x["outside_faults.RMI_GRANULE_RANGE_UNDELEGATE"] == 1, x
assert x["rmi_calls_outside_guest_touches"] == sum(
    v for k, v in x.items() if k.startswith("outside_guest_touches.")) > 0, x
PY
# Names that pair: a realm's policy is given or taken from the guest's
# results, never invented; the measured host comes with the trace.
expect 2 "realm ingest without a policy" "$bin" trace ingest --vm realm --out "$work/x" \
	"$fix/realm_v14.trace"
grep -q -- "--policy" "$work/err" || { echo "FAIL: policy message"; fails=$((fails + 1)); }
"$bin" run --vm realm --policy cca-rmm2 --abi 2.0 --pattern seq --size 64K --vcpus 1 \
	--out "$work/simguest" >/dev/null 2>&1 || { echo "FAIL: sim run"; fails=$((fails + 1)); }
cp "$work/rguest/faults.csv" "$work/simguest/faults.csv"
mkdir -p "$work/rec"
cp "$fix/realm_v14.trace" "$work/rec/kernel.trace"
cat >"$work/rec/kernel.host.json" <<'HOST'
{"host": {"cpu_model": "arm implementer 0x00 part 0x051", "machine": "aarch64",
  "platform": {"kind": "qemu-tcg", "emulated": true, "evidence": "test"}},
 "start_time": "2026-12-07T01:20:00.000Z", "end_time": "2026-12-07T01:21:00.000Z",
 "start_unix_ns": 1796606400000000000, "end_unix_ns": 1796606460000000000,
 "start_time_plausible": true}
HOST
expect 0 "realm ingest labelled from the guest" "$bin" trace ingest --vm realm \
	--match-guest "$work/simguest" --out "$work/labelled" "$work/rec/kernel.trace"
python3 - "$work/labelled/meta.json" "$work/simguest/summary.json" <<'PY' || { echo "FAIL: labels / measured host"; fails=$((fails + 1)); }
import json, sys
m = json.load(open(sys.argv[1]))
guest = json.load(open(sys.argv[2]))["runs"][0]
assert m["policy"] == guest["policy"] and m["abi"] == guest["abi"] == "2.0", (m, guest)
assert m["host"]["platform"]["kind"] == "qemu-tcg", m["host"]
assert m["start_time"].startswith("2026-12-07T01:20:00"), m["start_time"]
assert m["extra"]["ingested_on"]["host"]["cpu_model"], m["extra"]
PY
expect 2 "ingest of text that is not a trace" "$bin" trace ingest --out "$work/x" "$fix/../cli_test.sh"
grep -q "not in the kernel's trace format" "$work/err" || { echo "FAIL: message"; fails=$((fails + 1)); }
expect 2 "ingest of a missing file" "$bin" trace ingest --out "$work/x" "$work/absent"
expect 2 "ingest without --out" "$bin" trace ingest "$fix/normal_1vcpu.trace"
expect 2 "bad --vm" "$bin" trace check --vm banana
grep -q -- "--vm" "$work/err" || { echo "FAIL: --vm message"; fails=$((fails + 1)); }
expect 2 "--buffer-kb too small" "$bin" trace record --buffer-kb 10 --out "$work/r" -- true
expect 2 "unknown subcommand" "$bin" trace frobnicate
expect 2 "record without a command" "$bin" trace record --out "$work/r"
RMEB_TRACEFS="$work/no-tracefs" expect 1 "check without tracefs" "$bin" trace check
grep -q "no tracefs at" "$work/err" || { echo "FAIL: tracefs message"; fails=$((fails + 1)); }
RMEB_TRACEFS="$work/no-tracefs" expect 1 "record without tracefs" "$bin" trace record --out "$work/r" -- true
[ ! -e "$work/r" ] || { echo "FAIL: record left $work/r"; fails=$((fails + 1)); }
echo "$fails failed"
[ "$fails" -eq 0 ]
