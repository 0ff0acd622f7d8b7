"""
Meter protocols: framing, checksums, decoding and plausibility.

Nothing in this package imports Home Assistant; it is tested and usable on its own.
"""
