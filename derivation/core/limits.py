"""Limits the engine keeps to, shared by every layer."""

#: The largest dimension a derivation is written out at (its cost grows linearly with it).
MAX_DIM = 10_000
