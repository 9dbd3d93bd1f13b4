/*
 * identify_reader.h - collect the length-delimited Identify messages of one
 * stream as its bytes arrive, in pieces of any size.
 *
 * Each message is <unsigned varint length><body>, split by the SDK's
 * reader (lp2p_msg_reader), which refuses a length over IDENTIFY_MAX_MSG
 * before it allocates anything; the bodies are kept one after the other
 * (the decoded message points into them), at most IDENTIFY_MAX_MSG in all
 * and IDENTIFY_MAX_MESSAGES of them.
 */
#ifndef LP2P_IDENTIFY_READER_H
#define LP2P_IDENTIFY_READER_H

#include <lp2p/message.h>

#include "identify/identify_msg.h"

struct identify_reader {
	lp2p_msg_reader *mr; /* the framing (lp2p/message.h), made at need */
	uint8_t *buf; /* the bodies, one after the other */
	size_t len;   /* bytes in buf */
	size_t starts[IDENTIFY_MAX_MESSAGES + 1];
	size_t nmsgs; /* complete messages */
	int err;      /* sticky */
};

void identify_reader_init(struct identify_reader *r);
void identify_reader_free(struct identify_reader *r);

/*
 * Take data[0..len).  Returns 0, or (sticky) LP2P_ERANGE for a message or
 * stream over the bound, LP2P_ELIMIT for too many messages, LP2P_EPROTO
 * for a malformed length, LP2P_ENOMEM.
 */
int identify_reader_feed(struct identify_reader *r, const uint8_t *data,
                         size_t len);

/*
 * The stream ended: decode every complete message, merged, into m (views
 * into the reader's buffer, valid until identify_reader_free()).  Errors:
 * the sticky error, LP2P_ETRUNC (it ended inside a message), LP2P_ENOTFOUND
 * (no message at all), identify_msg_decode() errors.
 */
int identify_reader_finish(struct identify_reader *r, struct identify_msg *m);

#endif
