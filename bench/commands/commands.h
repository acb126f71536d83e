/*
 * The rme-bench subcommands; each takes its own argv (argv[0] is the
 * subcommand name) and returns the process exit status:
 * 0 success, 1 the work failed, 2 bad usage or input.
 */
#ifndef BENCH_COMMANDS_H
#define BENCH_COMMANDS_H

int cmd_run(int argc, char **argv);
int cmd_list(int argc, char **argv);
int rmi_cmd_main(int argc, char **argv);
int cmd_gbench(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_insn(int argc, char **argv);

#endif
