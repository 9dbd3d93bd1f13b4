/* key_cmd.h - lp2pd --gen-key and --print-id */
#ifndef LP2PD_KEY_CMD_H
#define LP2PD_KEY_CMD_H

/* Write a new private key to path (mode 0600, never over an existing
 * file) and print its peer id.  Returns the exit status. */
int lp2pd_gen_key(const char *path, const char *type);

/* Print the peer id of the configuration's key file (cfg_path NULL: the
 * built-in configuration).  Returns the exit status. */
int lp2pd_print_id(const char *cfg_path);

#endif
