"""Categorical KL terms as model files write them (read by ``verify --code``, never run): a Gumbel-softmax VAE's KL
against the uniform prior, KL between two categorical heads, in probabilities and in logits; some with slips."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import torch
import torch.nn.functional as F
from scipy.special import xlogy


def kl_probs(t, u):
    """KL(Categorical(t) || Categorical(u)) per example, summed over the categories, batch mean."""
    return (t * (t.log() - u.log())).sum(-1).mean()


def kl_ratio(t, u):
    """The same, as one logarithm of a ratio."""
    return torch.sum(t * torch.log(t / u), dim=-1)


def kl_div_sum(t, u):
    """F.kl_div(input, target): the input is p's log-probabilities, the target q's probabilities."""
    return F.kl_div(u.log(), t, reduction="sum")


def kl_div_swapped(t, u):
    """Slip: F.kl_div's arguments in the order of KL(q || p), which computes KL(p || q)."""
    return F.kl_div(t.log(), u, reduction="sum")


def kl_div_probabilities(t, u):
    """Slip: F.kl_div given probabilities where it expects log-probabilities."""
    return F.kl_div(u, t, reduction="batchmean")


def kl_div_mean(t, u):
    """Slip: reduction='mean' averages over the categories too (torch warns: use 'batchmean')."""
    return F.kl_div(u.log(), t, reduction="mean")


def kl_logits(a, b):
    """KL(Categorical(logits=a) || Categorical(logits=b)) in the log-softmax form."""
    q = F.softmax(a, dim=-1)
    log_q = F.log_softmax(a, dim=-1)
    log_p = F.log_softmax(b, dim=-1)
    kl = torch.sum(q * (log_q - log_p), dim=-1)
    return kl.mean()


def kl_logits_logsumexp(a, b):
    """The same with the log-sum-exp of each set of logits."""
    q = torch.softmax(a, dim=-1)
    return (q * (a - b)).sum(-1) - torch.logsumexp(a, dim=-1) + torch.logsumexp(b, dim=-1)


def kl_logits_unnormalised(a, b):
    """Slip: the logits used as log-probabilities (no log-sum-exp)."""
    q = torch.softmax(a, dim=-1)
    return torch.sum(q * (a - b), dim=-1)


def gumbel_softmax_kl(logits, K):
    """A Gumbel-softmax VAE's KL against the uniform prior over K categories."""
    q_y = F.softmax(logits, dim=-1)
    log_ratio = torch.log(q_y) - math.log(1.0 / K)
    return torch.sum(q_y * log_ratio, dim=-1).mean()


def gumbel_softmax_kl_slip(logits, K):
    """Slip: the uniform prior's log-probability written 1/K instead of log(1/K)."""
    q_y = F.softmax(logits, dim=-1)
    return torch.sum(q_y * (torch.log(q_y) - 1.0 / K), dim=-1).mean()


def kl_numpy(t, u):
    """NumPy style, xlogy for the zero probabilities."""
    return np.sum(xlogy(t, t) - xlogy(t, u), axis=-1)


def kl_jax_logits(a, b):
    """JAX style, in logits."""
    log_q = jax.nn.log_softmax(a, axis=-1)
    log_p = jax.nn.log_softmax(b, axis=-1)
    return jnp.sum(jnp.exp(log_q) * (log_q - log_p), axis=-1).mean()


def kl_sign_flipped(t, u):
    """Slip: the sign flipped (the cross-entropy minus the entropy written backwards)."""
    return (t * (u.log() - t.log())).sum(-1)
