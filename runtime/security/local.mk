# runtime/security
