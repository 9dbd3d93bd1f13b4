/*
 * fuzz_mss.c - multistream-select fed arbitrary bytes.  The first byte
 * picks the role (even: listener, odd: dialer) and the chunk size of the
 * input; output is drained between calls.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "multistream/mss.h"

static bool select_some(void *ud, const char *proto, size_t len)
{
	(void)ud;
	if (strlen(proto) != len)
		abort();
	return strcmp(proto, "/noise") == 0 || strncmp(proto, "/ok", 3) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const protos[] = {"/tls/1.0.0", "/noise", "/ok"};
	if (size < 1)
		return 0;
	struct lp2p_mss *m;
	int rc = (data[0] & 1) ? lp2p_mss_dialer_new(&m, protos, 3)
	                       : lp2p_mss_listener_new(&m, select_some, NULL,
	                                               1 + (data[0] >> 4));
	if (rc != 0)
		return 0;
	size_t chunk = 1 + ((data[0] >> 1) & 7) * 37;
	size_t pos = 1;
	while (pos < size) {
		const uint8_t *out;
		lp2p_mss_out_ack(m, lp2p_mss_out_peek(m, &out));
		size_t n = size - pos < chunk ? size - pos : chunk;
		ssize_t c = lp2p_mss_recv(m, data + pos, n);
		if (c < 0 || (size_t)c > n)
			break;
		if (c == 0 && lp2p_mss_result(m, NULL, NULL) == 0)
			break;
		pos += (size_t)c;
	}
	const char *proto;
	if (lp2p_mss_result(m, &proto, NULL) == 0 && strlen(proto) == 0)
		abort();
	lp2p_mss_free(m);
	return 0;
}
