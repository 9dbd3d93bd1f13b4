# runtime/net
