/* ping_cmd.h - `lp2pd ping`: ping a peer and print round-trip times */
#ifndef LP2PD_PING_CMD_H
#define LP2PD_PING_CMD_H

/* argv[0] is "ping".  Returns the exit status: 0 when the peer answered
 * at least once, 1 when it did not, 2 on a usage error. */
int lp2pd_ping_main(int argc, char **argv);

#endif
