# runtime/swarm: connections, streams, dialing, the peerstore
libruntime_la_SOURCES += \
	runtime/swarm/swarm.c runtime/swarm/swarm.h runtime/swarm/buf.h \
	runtime/swarm/conn.c runtime/swarm/stream.c runtime/swarm/dial.c \
	runtime/swarm/peerstore.c runtime/swarm/peerstore.h \
	runtime/swarm/connmgr.c
