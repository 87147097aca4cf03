"""Unevaluated SymPy nodes: densities (of any law), expectations, the KL divergence; vectors and coordinate families.

May import: core, laws."""
