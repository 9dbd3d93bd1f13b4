/*
 * test_plugin.c - small plugins for the loader tests, one source built
 * several ways (see local.mk):
 *   good_a, good_b   well-formed; record init/fini into `record:` file
 *   initfail         init fails with a reason
 *   badconf          config_check refuses any key but `ok`
 *   wrongabi         descriptor claims another ABI version
 *   wrongsig         descriptor has another build signature
 *   oldabi           built for ABI 1 (before on_close came for every end)
 *   oldabi2          built for ABI 2 (event payloads were raw bytes)
 *   noaccept         lists a protocol, defines no accept_inbound_stream
 *   nodesc           exports no descriptor at all
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lp2p/config.h>
#include <lp2p/plugin.h>

#ifndef PLUGIN_NAME
#error PLUGIN_NAME must be defined
#endif

struct state {
	char *record;
};

static void record(const struct state *s, const char *what)
{
	if (!s || !s->record)
		return;
	FILE *f = fopen(s->record, "a");
	if (!f)
		return;
	fprintf(f, "%s:%s\n", PLUGIN_NAME, what);
	fclose(f);
}

static int check(const lp2p_config_node *cfg, char *err, size_t errlen)
{
#ifdef BADCONF
	static const char *const keys[] = {"ok", NULL};
#else
	static const char *const keys[] = {"record", NULL};
#endif
	return lp2p_config_check_keys(cfg, keys, err, errlen);
}

static int init(lp2p_host *host, const lp2p_config_node *cfg, void **state,
                char *err, size_t errlen)
{
	(void)host;
#ifdef INITFAIL
	(void)cfg;
	(void)state;
	snprintf(err, errlen, "the test asked me to fail");
	return LP2P_EIO;
#else
	struct state *s = calloc(1, sizeof *s);
	const char *path;
	if (!s)
		return LP2P_ENOMEM;
	if (lp2p_config_get_string(cfg, "record", &path, err, errlen) == 0)
		s->record = strdup(path);
	record(s, "init");
	*state = s;
	return 0;
#endif
}

static void fini(void *state)
{
	struct state *s = state;
	record(s, "fini");
	if (s)
		free(s->record);
	free(s);
}

static const char *const protocols[] = {"/lp2p-test/" PLUGIN_NAME "/1.0.0",
                                        NULL};

#ifndef NODESC
#ifndef NOACCEPT
/* Lists a protocol, so it takes (here: refuses) its streams. */
LP2P_PLUGIN_EXPORT int accept_inbound_stream(void *state, lp2p_stream *s,
                                             const char *protocol)
{
	(void)state;
	(void)s;
	(void)protocol;
	return LP2P_ENOTSUP;
}
#endif

LP2P_PLUGIN_EXPORT const struct lp2p_plugin_descriptor
	lp2p_plugin_descriptor = {
#ifdef WRONGABI
		.abi_version = LP2P_PLUGIN_ABI + 1000,
		.struct_size = sizeof(struct lp2p_plugin_descriptor),
		.build_signature = LP2P_BUILD_SIGNATURE,
#elif defined(OLDABI)
		/* what LP2P_PLUGIN_HEADER recorded with the SDK of ABI OLDABI */
		.abi_version = OLDABI,
		.struct_size = sizeof(struct lp2p_plugin_descriptor),
		.build_signature = "lp2p-abi-" LP2P_STR_(OLDABI) "-ptr8-long8-sz8",
#elif defined(WRONGSIG)
		.abi_version = LP2P_PLUGIN_ABI,
		.struct_size = sizeof(struct lp2p_plugin_descriptor),
		.build_signature = "lp2p-abi-1-ptr4-long4-sz4",
#else
		LP2P_PLUGIN_HEADER,
#endif
		.name = PLUGIN_NAME,
		.version = "1.0",
		.description = "loader test plugin",
		.protocols = protocols,
		.config_check = check,
		.init = init,
		.fini = fini,
};
#else
/* Looks like a shared object, but is not an lp2p plugin. */
LP2P_PLUGIN_EXPORT int not_a_plugin = 1;
static void *unused[] = {(void *)check, (void *)init, (void *)fini,
                         (void *)protocols};
LP2P_PLUGIN_EXPORT void **keep_unused = unused;
#endif
