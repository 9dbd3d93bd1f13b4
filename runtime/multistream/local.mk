# runtime/multistream
