"""KL terms of other families' latents, as a model file would hold them (read by ``verify --code``, never run)."""

import torch
import torch.nn.functional as F
from torch.special import digamma


def bernoulli_logits_kl(l1, l2):
    """KL(Bernoulli(logits=l1) || Bernoulli(logits=l2)) per latent unit, summed over the units, batch mean."""
    q = torch.sigmoid(l1)
    kl = q * (F.logsigmoid(l1) - F.logsigmoid(l2)) + (1 - q) * (F.logsigmoid(-l1) - F.logsigmoid(-l2))
    return kl.sum(dim=-1).mean()


def gamma_kl(a1, b1, a2, b2):
    """KL(Gamma(a1, rate=b1) || Gamma(a2, rate=b2)), as torch.distributions computes it."""
    t1 = a2 * torch.log(b1 / b2)
    t2 = torch.lgamma(a2) - torch.lgamma(a1)
    t3 = (a1 - a2) * digamma(a1)
    t4 = (b2 - b1) * (a1 / b1)
    return t1 + t2 + t3 + t4
