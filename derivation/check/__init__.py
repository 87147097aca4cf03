"""The checker: each step equal to the line before, symbolically or at random points (quadrature by the law).

May import: core, laws, nodes, interpret, printing."""
