# runtime/config
