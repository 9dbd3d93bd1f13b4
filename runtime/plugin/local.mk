# runtime/plugin
