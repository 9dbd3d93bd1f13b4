# runtime/net: transports (net/transport.h: TCP so far) producing byte
# pipes; name resolution off the loop thread
libruntime_la_SOURCES += \
	runtime/net/transport.c runtime/net/transport.h \
	runtime/net/tcp.c runtime/net/tcp.h \
	runtime/net/tcp_transport.c runtime/net/tcp_transport.h \
	runtime/net/tcp_linger.c \
	runtime/net/resolve.c runtime/net/resolve.h
