# runtime/plugin: the plugin loader (dlopen, descriptor checks, lifecycle)
libruntime_la_SOURCES += \
	runtime/plugin/loader.c runtime/plugin/loader.h
