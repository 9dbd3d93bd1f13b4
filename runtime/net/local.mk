# runtime/net: transports (TCP; name resolution off the loop thread)
libruntime_la_SOURCES += \
	runtime/net/tcp.c runtime/net/tcp.h \
	runtime/net/resolve.c runtime/net/resolve.h
