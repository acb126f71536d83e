/*
 * `rme-bench rmi`: run a sequence of RMI commands against a fresh RMM model
 * and print one result line per command.
 *
 * Contract: reads a command file (one `COMMAND ARG...` per line, spec names
 * without the RMI_ prefix, input registers in spec order), checks every
 * line before running any of them (holding one line at a time: memory does
 * not grow with the file; a pipe is checked into a temporary copy), then
 * issues each command as one SMC on
 * an RMM model (host/rmm) over a fresh modeled DRAM (host/phys, NS DRAM at
 * PHYS_DEFAULT_BASE). It owns nothing after it returns: model and DRAM are
 * created and destroyed inside one call.
 *
 * Output, one line per command on `out`:
 *   <line> <COMMAND> <STATUS> [<index>] [name=value ...]
 * where STATUS is the spec name of X0's status, <index> appears for the
 * statuses that carry one (RMI_ERROR_RTT, RMI_ERROR_REALM, RMI_ERROR_RTT_AUX)
 * or whenever a non-zero index comes back, and name=value are the spec's
 * output registers, printed when the spec defines them for that result.
 * X0 == SMC_UNKNOWN (the FID does not exist in the selected ABI) prints as
 * NOT_SUPPORTED_BY_ABI.
 *
 * Failure: a malformed line (unknown command, wrong argument count, bad
 * number, unknown or repeated key) or an unreadable file is reported on
 * `err` with the file name and line number and gives status 2; nothing is
 * executed then. RMI errors are results, not failures: status 0.
 */
#ifndef BENCH_RMI_CMD_H
#define BENCH_RMI_CMD_H

#include <stdio.h>

#include "abi/rmi.h"

/* Exit statuses of the command. */
#define RMI_CMD_OK        0
#define RMI_CMD_FAILURE   1 /* the model could not be created, output failed */
#define RMI_CMD_BAD_INPUT 2 /* usage error, unreadable file, malformed line */

/* Entry point of `rme-bench rmi [--abi 1.0|2.0] FILE`; argv[0] is "rmi". */
int rmi_cmd_main(int argc, char **argv);

/* The spec name (without RMI_) of the command with FID under ABI, or NULL. */
const char *rmi_cmd_name(enum rmi_abi abi, uint64_t fid);

/* Format one SMC as a line of the runner's input, the inverse of its
 * parser: the spec name, the plain input registers in hex, and for
 * REALM_CREATE / REC_CREATE every non-zero field of `params` (the NS page
 * the call passes, read by the caller) as key=value, REC aux as a list.
 * REC_ENTER's run page is not described. Returns 0, or -1 if the FID is no
 * command of `abi` or the line does not fit `len` (buf unspecified). */
struct smc_args;
int rmi_cmd_format(enum rmi_abi abi, const struct smc_args *a, const void *params, char *buf,
		   size_t len);

/* Run the commands read from `in` (named `in_name` in messages) with the
 * given ABI; results go to `out`, diagnostics to `err`. */
int rmi_cmd_run_stream(FILE *in, const char *in_name, enum rmi_abi abi,
		       FILE *out, FILE *err);

#endif
