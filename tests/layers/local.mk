# tests/layers: the layering in ARCHITECTURE.md is true of the includes
TESTS += tests/layers/check-layers.sh
EXTRA_DIST += tests/layers/check-layers.sh
