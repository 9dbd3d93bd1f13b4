# runtime/upgrade: the upgrade of a byte pipe (multistream, security, muxer
# choice), without I/O
libruntime_la_SOURCES += runtime/upgrade/upgrader.h
