# conf: the example configuration, installed as $(sysconfdir)/lp2pd/lp2pd.yaml
lp2pconf_DATA = conf/lp2pd.yaml
EXTRA_DIST += conf/lp2pd.yaml
