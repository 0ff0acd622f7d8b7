"""Linky TIC meters: push coordinator and entity catalogue."""
