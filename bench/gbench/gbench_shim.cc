// The C interface to Google Benchmark (see include/gbench/gbench.h).
// The project's only C++: everything here exists so that C code never
// touches a C++ type, never meets an exception and never hits one of the
// library's BM_CHECK aborts (we validate first and refuse with a message).

#include "gbench/gbench.h"

#include <benchmark/benchmark.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

struct gb_bench {
	std::string name;
	gb_fn fn;
	void *user;
	benchmark::internal::Benchmark *bm;
	int arity = -1;           // arguments per case; -1 until the first
	bool fixed_iterations = false;
	bool min_time = false;
	bool manual_time = false;
	bool real_time = false;
};

struct gb_state {
	benchmark::State *s;
	gb_bench *b;
	bool warned;
};

namespace {

std::vector<std::unique_ptr<gb_bench>> &registry()
{
	static std::vector<std::unique_ptr<gb_bench>> benches;
	return benches;
}

std::set<std::string> &context_keys()
{
	static std::set<std::string> keys;
	return keys;
}

// Set from benchmark threads when a run ends in error.
std::atomic<bool> any_run_failed{false};
std::atomic<size_t> runs_failed{0};
bool keep_output_on_error = false;

int refuse(const gb_bench *b, const char *what)
{
	std::fprintf(stderr, "gbench: %s: %s\n", b ? b->name.c_str() : "(null)",
		     what);
	return -1;
}

// Keys the JSON reporter writes itself for every run or in the context.
bool reserved_run_key(const char *k)
{
	static const char *const keys[] = {
		"name", "family_index", "per_family_instance_index",
		"run_name", "run_type", "repetitions", "repetition_index",
		"threads", "aggregate_name", "aggregate_unit",
		"error_occurred", "error_message", "iterations", "real_time",
		"cpu_time", "time_unit", "cpu_coefficient", "real_coefficient",
		"big_o", "rms", "items_per_second", "bytes_per_second",
		"allocs_per_iter", "max_bytes_used", "label",
	};
	for (const char *key : keys)
		if (std::strcmp(k, key) == 0)
			return true;
	return false;
}

bool reserved_context_key(const char *k)
{
	static const char *const keys[] = {
		"date", "host_name", "executable", "num_cpus", "mhz_per_cpu",
		"cpu_scaling_enabled", "caches", "load_avg",
		"library_build_type", "json_schema_version",
	};
	for (const char *key : keys)
		if (std::strcmp(k, key) == 0)
			return true;
	return false;
}

bool set_arity(gb_bench *b, int n)
{
	if (b->arity != -1 && b->arity != n) {
		char msg[96];
		std::snprintf(msg, sizeof(msg),
			      "cases with %d arguments after cases with %d", n,
			      b->arity);
		refuse(b, msg);
		return false;
	}
	b->arity = n;
	return true;
}

void run_one(gb_bench *b, benchmark::State &s)
{
	gb_state st{&s, b, false};
	b->fn(&st);
	// The library aborts when a benchmark returns before its loop ended;
	// a C function that does so is an error of that run instead.
	if (!s.error_occurred() && s.iterations() < s.max_iterations)
		s.SkipWithError("benchmark returned before gb_keep_running() "
				"returned false");
	if (s.error_occurred()) {
		any_run_failed = true;
		runs_failed++;
	}
}

// ---- strict JSON output ---------------------------------------------

void append_note(std::string &label, const std::string &note)
{
	if (!label.empty())
		label += "; ";
	label += note;
}

// Google Benchmark 1.7.1 prints NaN / Infinity for non-finite doubles,
// which no strict JSON parser accepts. Drop such counters (saying so in
// the label) and zero non-finite times (also said).
void make_finite(benchmark::BenchmarkReporter::Run &run)
{
	std::string dropped;
	for (auto it = run.counters.begin(); it != run.counters.end();) {
		if (std::isfinite(it->second.value)) {
			++it;
			continue;
		}
		dropped += dropped.empty() ? "" : ",";
		dropped += it->first;
		it = run.counters.erase(it);
	}
	if (!dropped.empty())
		append_note(run.report_label, "non-finite omitted: " + dropped);
	if (!std::isfinite(run.real_accumulated_time) ||
	    !std::isfinite(run.cpu_accumulated_time)) {
		if (!std::isfinite(run.real_accumulated_time))
			run.real_accumulated_time = 0;
		if (!std::isfinite(run.cpu_accumulated_time))
			run.cpu_accumulated_time = 0;
		append_note(run.report_label, "non-finite time written as 0");
	}
}

class StrictJsonReporter : public benchmark::JSONReporter {
public:
	void ReportRuns(const std::vector<Run> &runs) override
	{
		std::vector<Run> finite(runs);
		for (Run &run : finite)
			make_finite(run);
		JSONReporter::ReportRuns(finite);
	}
};

// ---- command line ---------------------------------------------------

// Value of --name=value (last one wins), else the library's environment
// default (BENCHMARK_NAME), else `fallback`.
std::string flag_value(const std::vector<std::string> &args, const char *name,
		       const char *env, const char *fallback)
{
	std::string prefix = std::string("--") + name + "=";
	std::string value;
	bool found = false;
	for (size_t i = 1; i < args.size(); i++) {
		if (args[i].compare(0, prefix.size(), prefix) == 0) {
			value = args[i].substr(prefix.size());
			found = true;
		}
	}
	if (found)
		return value;
	const char *e = std::getenv(env);
	return e ? e : fallback;
}

bool known_format(const std::string &f)
{
	return f == "console" || f == "json" || f == "csv";
}

// Point --benchmark_out at a temporary beside the real file.
void redirect_out(std::vector<std::string> &args, const std::string &tmp)
{
	const std::string prefix = "--benchmark_out=";
	bool replaced = false;
	for (size_t i = 1; i < args.size(); i++)
		if (args[i].compare(0, prefix.size(), prefix) == 0) {
			args[i] = prefix + tmp;
			replaced = true;
		}
	if (!replaced) // the file came from the environment
		args.push_back(prefix + tmp);
}

int run_all(int argc, char **argv)
{
	std::vector<std::string> args(argv, argv + argc);
	if (args.empty())
		args.push_back("rme-bench");
	std::string format = flag_value(args, "benchmark_format",
					"BENCHMARK_FORMAT", "console");
	std::string out_format = flag_value(args, "benchmark_out_format",
					    "BENCHMARK_OUT_FORMAT", "json");
	std::string out = flag_value(args, "benchmark_out", "BENCHMARK_OUT", "");
	if (!known_format(format) || !known_format(out_format)) {
		std::fprintf(stderr,
			     "gbench: unknown output format '%s' (console, json "
			     "or csv)\n",
			     known_format(format) ? out_format.c_str()
						  : format.c_str());
		return 2;
	}
	std::string tmp;
	if (!out.empty()) {
		tmp = out + ".tmp." + std::to_string(getpid());
		redirect_out(args, tmp);
	}

	std::vector<char *> cargv;
	for (std::string &a : args)
		cargv.push_back(&a[0]);
	cargv.push_back(nullptr);
	int cargc = static_cast<int>(args.size());
	benchmark::Initialize(&cargc, cargv.data());
	if (benchmark::ReportUnrecognizedArguments(cargc, cargv.data()))
		return 2;

	StrictJsonReporter json_display, json_file;
	benchmark::BenchmarkReporter *display =
		format == "json" ? &json_display : nullptr;
	benchmark::BenchmarkReporter *file =
		!out.empty() && out_format == "json" ? &json_file : nullptr;
	any_run_failed = false;
	runs_failed = 0;
	size_t ran = benchmark::RunSpecifiedBenchmarks(display, file);
	benchmark::Shutdown();

	int status = 0;
	if (ran == 0) {
		std::fprintf(stderr, "gbench: no benchmark ran\n");
		status = 1;
	} else if (any_run_failed) {
		std::fprintf(stderr, "gbench: a benchmark reported an error\n");
		status = 1;
	}
	if (!tmp.empty()) {
		// --benchmark_list_tests opens the file but writes nothing:
		// an empty file is not a result.
		struct stat st;
		bool empty = stat(tmp.c_str(), &st) == 0 && st.st_size == 0;
		bool keep = status == 0 || (ran > 0 && keep_output_on_error);
		if (keep && !empty &&
		    std::rename(tmp.c_str(), out.c_str()) != 0) {
			std::fprintf(stderr, "gbench: cannot write %s: %s\n",
				     out.c_str(), std::strerror(errno));
			status = 1;
		}
		if (!keep || empty)
			unlink(tmp.c_str());
	}
	return status;
}

} // namespace

// ---- registration ---------------------------------------------------

extern "C" struct gb_bench *gb_register(const char *name, gb_fn fn,
					void *user) GB_NOEXCEPT
{
	if (!name || !*name || !fn) {
		std::fprintf(stderr, "gbench: register: %s\n",
			     !fn ? "no function" : "empty name");
		return nullptr;
	}
	try {
		for (const auto &b : registry())
			if (b->name == name) {
				refuse(b.get(), "registered twice");
				return nullptr;
			}
		auto b = std::make_unique<gb_bench>();
		b->name = name;
		b->fn = fn;
		b->user = user;
		gb_bench *raw = b.get();
		b->bm = benchmark::RegisterBenchmark(
			name, [raw](benchmark::State &s) { run_one(raw, s); });
		registry().push_back(std::move(b));
		return raw;
	} catch (...) {
		std::fprintf(stderr, "gbench: register %s: out of memory\n", name);
		return nullptr;
	}
}

extern "C" int gb_arg(struct gb_bench *b, int64_t value) GB_NOEXCEPT
{
	return gb_args(b, &value, 1);
}

extern "C" int gb_args(struct gb_bench *b, const int64_t *values,
		       size_t n) GB_NOEXCEPT
{
	if (!b || !values || n == 0 || n > 64)
		return refuse(b, "args: need 1 to 64 values");
	if (!set_arity(b, static_cast<int>(n)))
		return -1;
	try {
		b->bm->Args(std::vector<int64_t>(values, values + n));
	} catch (...) {
		return refuse(b, "args: out of memory");
	}
	return 0;
}

extern "C" int gb_range(struct gb_bench *b, int64_t lo, int64_t hi) GB_NOEXCEPT
{
	if (!b || lo > hi)
		return refuse(b, "range: lo > hi");
	if (!set_arity(b, 1))
		return -1;
	try {
		b->bm->Range(lo, hi);
	} catch (...) {
		return refuse(b, "range: out of memory");
	}
	return 0;
}

extern "C" int gb_range_multiplier(struct gb_bench *b, int multiplier) GB_NOEXCEPT
{
	if (!b || multiplier < 2)
		return refuse(b, "range multiplier must be >= 2");
	b->bm->RangeMultiplier(multiplier);
	return 0;
}

extern "C" int gb_dense_range(struct gb_bench *b, int64_t lo, int64_t hi,
			      int64_t step) GB_NOEXCEPT
{
	if (!b || lo > hi || step < 1 || step > INT32_MAX)
		return refuse(b, "dense range: need lo <= hi and 1 <= step");
	if ((hi - lo) / step >= 100000)
		return refuse(b, "dense range: more than 100000 cases");
	if (!set_arity(b, 1))
		return -1;
	try {
		b->bm->DenseRange(lo, hi, static_cast<int>(step));
	} catch (...) {
		return refuse(b, "dense range: out of memory");
	}
	return 0;
}

extern "C" int gb_arg_names(struct gb_bench *b, const char *const *names,
			    size_t n) GB_NOEXCEPT
{
	if (!b || !names || n == 0)
		return refuse(b, "arg names: none given");
	for (size_t i = 0; i < n; i++)
		if (!names[i])
			return refuse(b, "arg names: NULL name");
	if (!set_arity(b, static_cast<int>(n)))
		return -1;
	try {
		b->bm->ArgNames(std::vector<std::string>(names, names + n));
	} catch (...) {
		return refuse(b, "arg names: out of memory");
	}
	return 0;
}

extern "C" int gb_unit(struct gb_bench *b, enum gb_unit unit) GB_NOEXCEPT
{
	static const benchmark::TimeUnit units[] = {
		benchmark::kNanosecond, benchmark::kMicrosecond,
		benchmark::kMillisecond, benchmark::kSecond,
	};
	if (!b || static_cast<unsigned>(unit) > GB_UNIT_S)
		return refuse(b, "unit: unknown");
	b->bm->Unit(units[unit]);
	return 0;
}

extern "C" int gb_iterations(struct gb_bench *b, int64_t n) GB_NOEXCEPT
{
	if (!b || n < 1)
		return refuse(b, "iterations must be >= 1");
	if (b->min_time)
		return refuse(b, "iterations and min time are exclusive");
	b->fixed_iterations = true;
	b->bm->Iterations(n);
	return 0;
}

extern "C" int gb_min_time(struct gb_bench *b, double seconds) GB_NOEXCEPT
{
	if (!b || !(seconds > 0) || !std::isfinite(seconds))
		return refuse(b, "min time must be a positive number of seconds");
	if (b->fixed_iterations)
		return refuse(b, "iterations and min time are exclusive");
	b->min_time = true;
	b->bm->MinTime(seconds);
	return 0;
}

extern "C" int gb_repetitions(struct gb_bench *b, int n) GB_NOEXCEPT
{
	if (!b || n < 1)
		return refuse(b, "repetitions must be >= 1");
	b->bm->Repetitions(n);
	return 0;
}

extern "C" int gb_threads(struct gb_bench *b, int n) GB_NOEXCEPT
{
	if (!b || n < 1 || n > 1024)
		return refuse(b, "threads must be 1..1024");
	try {
		b->bm->Threads(n);
	} catch (...) {
		return refuse(b, "threads: out of memory");
	}
	return 0;
}

extern "C" int gb_use_manual_time(struct gb_bench *b) GB_NOEXCEPT
{
	if (!b || b->real_time)
		return refuse(b, "manual time and real time are exclusive");
	b->manual_time = true;
	b->bm->UseManualTime();
	return 0;
}

extern "C" int gb_use_real_time(struct gb_bench *b) GB_NOEXCEPT
{
	if (!b || b->manual_time)
		return refuse(b, "manual time and real time are exclusive");
	b->real_time = true;
	b->bm->UseRealTime();
	return 0;
}

extern "C" int gb_add_context(const char *key, const char *value) GB_NOEXCEPT
{
	if (!key || !*key || !value) {
		std::fprintf(stderr, "gbench: context: empty key or no value\n");
		return -1;
	}
	if (reserved_context_key(key)) {
		std::fprintf(stderr, "gbench: context: '%s' is the library's\n",
			     key);
		return -1;
	}
	try {
		if (!context_keys().insert(key).second) {
			std::fprintf(stderr, "gbench: context: '%s' set twice\n",
				     key);
			return -1;
		}
		benchmark::AddCustomContext(key, value);
	} catch (...) {
		std::fprintf(stderr, "gbench: context: out of memory\n");
		return -1;
	}
	return 0;
}

extern "C" void gb_keep_output_on_error(bool keep) GB_NOEXCEPT
{
	keep_output_on_error = keep;
}

extern "C" size_t gb_runs_failed(void) GB_NOEXCEPT
{
	return runs_failed;
}

extern "C" int gb_run(int argc, char **argv) GB_NOEXCEPT
{
	if (argc < 0 || (argc > 0 && !argv)) {
		std::fprintf(stderr, "gbench: run: bad argument vector\n");
		return 2;
	}
	try {
		return run_all(argc, argv);
	} catch (const std::exception &e) {
		std::fprintf(stderr, "gbench: run failed: %s\n", e.what());
	} catch (...) {
		std::fprintf(stderr, "gbench: run failed\n");
	}
	return 1;
}

// ---- inside a benchmark ---------------------------------------------

extern "C" bool gb_keep_running(struct gb_state *st) GB_NOEXCEPT
{
	return st->s->KeepRunning();
}

extern "C" int64_t gb_arg_value(struct gb_state *st, size_t i) GB_NOEXCEPT
{
	if (st->b->arity < 0 || i >= static_cast<size_t>(st->b->arity)) {
		st->s->SkipWithError("gb_arg_value: argument index out of range");
		return 0;
	}
	return st->s->range(i);
}

extern "C" void *gb_user(struct gb_state *st) GB_NOEXCEPT
{
	return st->b->user;
}

extern "C" int64_t gb_iterations_done(struct gb_state *st) GB_NOEXCEPT
{
	return st->s->iterations();
}

extern "C" int gb_thread_index(struct gb_state *st) GB_NOEXCEPT
{
	return st->s->thread_index();
}

extern "C" void gb_pause_timing(struct gb_state *st) GB_NOEXCEPT
{
	st->s->PauseTiming();
}

extern "C" void gb_resume_timing(struct gb_state *st) GB_NOEXCEPT
{
	st->s->ResumeTiming();
}

extern "C" void gb_set_iteration_time(struct gb_state *st, double seconds) GB_NOEXCEPT
{
	if (!std::isfinite(seconds) || seconds < 0) {
		st->s->SkipWithError("gb_set_iteration_time: negative or "
				     "non-finite time");
		return;
	}
	st->s->SetIterationTime(seconds);
}

extern "C" void gb_set_items_processed(struct gb_state *st, int64_t items) GB_NOEXCEPT
{
	try {
		st->s->SetItemsProcessed(items);
	} catch (...) {
		st->s->SkipWithError("gb_set_items_processed: out of memory");
	}
}

extern "C" void gb_set_bytes_processed(struct gb_state *st, int64_t bytes) GB_NOEXCEPT
{
	try {
		st->s->SetBytesProcessed(bytes);
	} catch (...) {
		st->s->SkipWithError("gb_set_bytes_processed: out of memory");
	}
}

namespace {

int refuse_counter(gb_state *st, const char *name, const char *why)
{
	if (!st->warned)
		std::fprintf(stderr, "gbench: %s: counter '%s' not set: %s\n",
			     st->b->name.c_str(), name ? name : "(null)", why);
	st->warned = true;
	return -1;
}

benchmark::Counter::Flags counter_flags(unsigned flags)
{
	int f = benchmark::Counter::kDefaults;
	if (flags & GB_COUNTER_RATE)
		f |= benchmark::Counter::kIsRate;
	if (flags & GB_COUNTER_AVG_THREADS)
		f |= benchmark::Counter::kAvgThreads;
	if (flags & GB_COUNTER_ITERATION_INVARIANT)
		f |= benchmark::Counter::kIsIterationInvariant;
	if (flags & GB_COUNTER_AVG_ITERATIONS)
		f |= benchmark::Counter::kAvgIterations;
	if (flags & GB_COUNTER_INVERT)
		f |= benchmark::Counter::kInvert;
	return static_cast<benchmark::Counter::Flags>(f);
}

} // namespace

extern "C" int gb_counter(struct gb_state *st, const char *name, double value,
			  unsigned flags) GB_NOEXCEPT
{
	const unsigned known = GB_COUNTER_RATE | GB_COUNTER_AVG_THREADS |
			       GB_COUNTER_ITERATION_INVARIANT |
			       GB_COUNTER_AVG_ITERATIONS | GB_COUNTER_INVERT |
			       GB_COUNTER_BASE_1024;
	if (!name || !*name)
		return refuse_counter(st, name, "empty name");
	if (reserved_run_key(name))
		return refuse_counter(st, name, "name used by the reporter");
	if (flags & ~known)
		return refuse_counter(st, name, "unknown flags");
	if (!std::isfinite(value))
		return refuse_counter(st, name, "value is not finite");
	try {
		st->s->counters[name] = benchmark::Counter(
			value, counter_flags(flags),
			flags & GB_COUNTER_BASE_1024 ? benchmark::Counter::kIs1024
						     : benchmark::Counter::kIs1000);
	} catch (...) {
		return refuse_counter(st, name, "out of memory");
	}
	return 0;
}

extern "C" void gb_set_label(struct gb_state *st, const char *label) GB_NOEXCEPT
{
	if (!label)
		return;
	try {
		st->s->SetLabel(label);
	} catch (...) {
		st->s->SkipWithError("gb_set_label: out of memory");
	}
}

extern "C" void gb_skip_with_error(struct gb_state *st, const char *message) GB_NOEXCEPT
{
	st->s->SkipWithError(message && *message ? message : "error");
}
