# runtime/host
