"""The whitelist parser of everything a user types: specs, claims (Python, NumPy, PyTorch, LaTeX), names.

May import: core."""
