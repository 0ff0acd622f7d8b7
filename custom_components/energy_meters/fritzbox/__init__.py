"""The FRITZ!Box kind: one entry per box, its smart-home devices behind it."""
