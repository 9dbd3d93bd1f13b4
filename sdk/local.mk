# sdk: the public headers, pkg-config file and the out-of-tree plugin template
lp2pincludedir = $(includedir)/lp2p
lp2pinclude_HEADERS = \
	sdk/include/lp2p/common.h \
	sdk/include/lp2p/config.h \
	sdk/include/lp2p/host.h \
	sdk/include/lp2p/plugin.h \
	sdk/include/lp2p/log.h \
	sdk/include/lp2p/varint.h \
	sdk/include/lp2p/multibase.h \
	sdk/include/lp2p/multihash.h \
	sdk/include/lp2p/protobuf.h \
	sdk/include/lp2p/peer_id.h \
	sdk/include/lp2p/multiaddr.h \
	sdk/include/lp2p/crypto.h \
	sdk/include/lp2p/swarm.h \
	sdk/include/lp2p/peerstore.h \
	sdk/include/lp2p/resource.h \
	sdk/include/lp2p/message.h \
	sdk/include/lp2p/request.h \
	sdk/include/lp2p/events.h \
	sdk/include/lp2p/service.h
nodist_lp2pinclude_HEADERS = sdk/include/lp2p/version.h

pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = sdk/lp2p.pc

EXTRA_DIST += sdk/template/hello.c sdk/template/Makefile \
	sdk/template/check-installed.sh
