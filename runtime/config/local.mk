# runtime/config: the YAML configuration (libyaml), parsed once into a tree
libruntime_la_SOURCES += \
	runtime/config/tree.c runtime/config/tree.h \
	runtime/config/node.c \
	runtime/config/config.c runtime/config/config.h \
	runtime/config/default.c
