"""Bundles: several named cases written as one document (a book with a chapter per case, a slide deck with a
section per case), besides each case's own documents. A bundle names its chapters; a chapter whose case is not in
the catalogue is left out, so a case added later slots in by its name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .catalogue import CASES


@dataclass(frozen=True)
class Bundle:
    """A named set of cases in reading order: ``title`` heads the book and the deck, ``description`` opens the book
    (prose), ``summary`` is one line for ``kl-derive list``."""

    name: str
    title: str
    summary: str
    description: str
    chapters: tuple[str, ...]

    @property
    def cases(self) -> tuple[str, ...]:
        """The chapters' cases that exist, in the bundle's order."""
        return tuple(case for case in self.chapters if case in CASES)


BUNDLES: Mapping[str, Bundle] = MappingProxyType({
    bundle.name: bundle
    for bundle in (
        Bundle(
            "vae-lecture",
            "Variational autoencoders, derived step by step",
            "a lecture on VAEs, from the ELBO to the KL term's estimators and dynamics, as one book and one slide deck",
            "These notes derive the objective a variational autoencoder is trained with, one chapter per document of "
            "kl-derive, in the order a lecture takes them: from the evidence lower bound and its two terms to the KL "
            "divergence of the encoder's Gaussian from the standard normal prior, its form in the encoder's outputs, "
            "what a sampled estimate of it costs, and what it does to training. A result derived in one chapter is "
            "cited by its number where a later chapter uses it. Every line was derived by a named rule and checked "
            "equal to the line before it.",
            ("elbo", "reconstruction", "standard", "vae", "estimators", "dynamics"),
        ),
    )
})
