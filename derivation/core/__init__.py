"""The bottom layer: errors, display forms, the Rule/Step/Derivation data and the loop that applies a plan.

Imports nothing else of the package."""
