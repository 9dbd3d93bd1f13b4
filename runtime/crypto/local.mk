# runtime/crypto
