"""Meter simulators used by tests and scripts/develop (no Home Assistant imports)."""
