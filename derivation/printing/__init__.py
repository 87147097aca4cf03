"""Printers of expressions: LaTeX (the documents), linear Unicode text, one line of PyTorch.

May import: core, laws, nodes, interpret."""
