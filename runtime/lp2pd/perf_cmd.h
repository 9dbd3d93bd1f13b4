/* perf_cmd.h - `lp2pd perf`, the /perf/1.0.0 client (see perf_cmd.c) */
#ifndef LP2PD_PERF_CMD_H
#define LP2PD_PERF_CMD_H

/* argv[0] is "perf"; returns the exit status. */
int lp2pd_perf_main(int argc, char **argv);

#endif
