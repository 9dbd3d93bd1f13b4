# runtime/host: the host object tying config, loop, swarm and plugins
libruntime_la_SOURCES += \
	runtime/host/host.c runtime/host/host.h \
	runtime/host/timer.c runtime/host/protocols.c runtime/host/events.c \
	runtime/host/bootstrap.c
