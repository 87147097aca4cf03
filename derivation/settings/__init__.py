"""Settings: the densities and symbols of a derivation (univariate pair, multivariate pair), and the notation.

May import: core, laws, nodes, interpret, printing, check."""
