/* fuzz_yamux.c - a yamux session fed arbitrary bytes (see fuzz_mux.h) */
#include "fuzz_mux.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_mux(LP2P_MUX_YAMUX, data, size);
}
