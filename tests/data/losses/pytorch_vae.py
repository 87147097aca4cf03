import torch
from torch.nn import functional as F


class BetaVAE:
    def loss_function(self, *args, **kwargs) -> dict:
        recons = args[0]
        return recons

    def sample(self, num_samples, current_device):
        return num_samples


class BetaVAE2:
    pass


class VanillaVAE:
    def loss_function(self, recons, input, mu, log_var, **kwargs) -> dict:
        kld_weight = kwargs['M_N']  # Account for the minibatch samples from the dataset
        recons_loss = F.mse_loss(recons, input)

        kld_loss = torch.mean(-0.5 * torch.sum(1 + log_var - mu ** 2 - log_var.exp(), dim = 1), dim = 0)

        loss = recons_loss + kld_weight * kld_loss
        return {'loss': loss, 'Reconstruction_Loss': recons_loss.detach(), 'KLD': -kld_loss.detach()}
