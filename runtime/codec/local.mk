# runtime/codec
