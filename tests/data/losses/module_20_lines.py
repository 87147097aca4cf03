import torch
import torch.nn as nn
import torch.nn.functional as F


class BetaVAE(nn.Module):
    """A beta-VAE on 28x28 images: the loss is the negative ELBO with the KL weighted by beta."""

    def loss(self, x):
        x = x.view(-1, 784)
        h = self.encoder(x)
        mu, logvar = h.chunk(2, dim=-1)
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        z = mu + eps * std
        logits = self.decoder(z)
        recon = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
        recon = recon.sum(dim=1)
        var = logvar.exp()
        kl = 0.5 * (mu.pow(2) + var - 1.0 - logvar)
        kl = kl.sum(dim=1)
        elbo_terms = recon + self.beta * kl
        loss = torch.mean(elbo_terms, dim=0)
        return loss, recon.mean(), kl.mean()
