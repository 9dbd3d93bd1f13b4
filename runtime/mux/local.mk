# runtime/mux
