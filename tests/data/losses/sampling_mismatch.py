import torch
import torch.nn as nn
import torch.nn.functional as F


class VAE(nn.Module):
    def training_loss(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        eps = torch.randn_like(mu)
        z = mu + eps * torch.exp(logvar)
        recon_x = self.decode(z)
        BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction='sum')
        KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return BCE + KLD
