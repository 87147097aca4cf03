"""``verify``: decide whether a user's formula equals KL(q || p), with a counterexample or a diagnosis when not.

May import every layer below, pairs included."""
