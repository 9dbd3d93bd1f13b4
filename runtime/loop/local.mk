# runtime/loop: the libev wrapper (I/O and timers, the cross-thread post)
libruntime_la_SOURCES += \
	runtime/loop/loop.c runtime/loop/loop.h
