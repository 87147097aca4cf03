"""The named cases: preset settings, plans (tuples of rules), routes and the prose sections after the chain.

May import every layer below: core, laws, nodes, interpret, printing, check, settings, rules."""
