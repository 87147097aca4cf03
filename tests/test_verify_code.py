"""``verify --code``: whole loss functions as people write them (issue 14).

Each row of :data:`LOSSES` is a loss function in one of the usual styles (PyTorch functions and modules, Keras,
NumPy, JAX), the options it is verified with, the expected verdict and the words of the expected slip (or of what
it equals). The reader never executes the code: it parses it with ``ast`` and interprets a whitelist.
"""

from __future__ import annotations

import builtins
import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derivation.api import verify_code
from derivation.cli import run
from derivation.core.errors import ParseError, UsageError
from derivation.interpret.code import read_function

DATA = Path(__file__).parent / "data" / "losses"

PYTORCH_EXAMPLE = '''
import torch
from torch.nn import functional as F


def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction='sum')
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD
'''

PYTORCH_VAE = '''
class VanillaVAE(BaseVAE):
    def loss_function(self, *args, **kwargs) -> dict:
        raise NotImplementedError


class BetaVAE(BaseVAE):
    def loss_function(self, recons, input, mu, log_var, **kwargs):
        kld_weight = kwargs['M_N']  # Account for the minibatch samples from the dataset
        recons_loss = F.mse_loss(recons, input)
        kld_loss = torch.mean(-0.5 * torch.sum(1 + log_var - mu ** 2 - log_var.exp(), dim = 1), dim = 0)
        loss = recons_loss + kld_weight * kld_loss
        return {'loss': loss, 'Reconstruction_Loss': recons_loss.detach(), 'KLD': kld_loss.detach()}
'''

KERAS = '''
def vae_loss(x, x_decoded_mean):
    xent_loss = original_dim * metrics.binary_crossentropy(x, x_decoded_mean)
    kl_loss = - 0.5 * K.sum(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)
    return K.mean(xent_loss + kl_loss)
'''

JAX = '''
def loss_fn(params, x, key):
    mean, logstd = model.encode(params, x)
    std = jnp.exp(logstd)
    z = mean + std * jax.random.normal(key, mean.shape)
    logits = model.decode(params, z)
    rec = optax.sigmoid_binary_cross_entropy(logits, x).sum(axis=-1)
    kl = 0.5 * jnp.sum(std ** 2 + mean ** 2 - 1 - 2 * logstd, axis=-1)
    return jnp.mean(rec + kl)
'''

MODULE = '''
class VAE(nn.Module):
    def __init__(self, beta=4.0):
        super().__init__()
        self.beta = beta

    def forward(self, x):
        mu, logvar = self.encoder(x).chunk(2, dim=-1)
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        z = mu + eps * std
        x_hat = self.decoder(z)
        recon = F.mse_loss(x_hat, x, reduction='sum') / x.size(0)
        kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / x.size(0)
        return recon + self.beta * kld, recon, kld
'''

SAMPLING_MISMATCH = '''
class VAE(nn.Module):
    def training_loss(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        eps = torch.randn_like(mu)
        z = mu + eps * torch.exp(logvar)
        recon_x = self.decode(z)
        BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction='sum')
        KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return BCE + KLD
'''

LOG_STD_SQUARE = '''
import numpy as np


def kl_divergence(mu, log_std):
    """KL(N(mu, exp(log_std)^2) || N(0, 1)), summed over the latent axis."""
    return np.sum(0.5 * (np.exp(log_std) + mu ** 2 - 1) - log_std, axis=1)
'''


#: (id, source, options, holds, words in the verdict)
LOSSES: list[tuple[str, str, dict, bool | None, str]] = [
    # ---- true
    ("pytorch-example", PYTORCH_EXAMPLE, {}, True, "is the batch sum of KL(q || p) per example"),
    ("pytorch-example-loss", PYTORCH_EXAMPLE, {"loss": True}, True, "the batch sum of KL(q || p) per example"),
    ("batch-mean", '''
def kl_loss(mu, log_var):
    kld = torch.mean(-0.5 * torch.sum(1 + log_var - mu ** 2 - log_var.exp(), dim=1), dim=0)
    return kld
''', {}, True, "is the batch mean of KL(q || p) per example"),
    ("per-example", '''
def kl(mu, logvar):
    return -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(dim=-1)
''', {}, True, "is KL(q || p) per example"),
    ("keepdim", '''
def kl(mu, logvar):
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - torch.exp(logvar), dim=1, keepdim=True)
    return kl.mean()
''', {}, True, "the batch mean"),
    ("std-param", '''
def kl(mu, sigma):
    per_example = torch.sum(0.5 * (sigma ** 2 + mu ** 2 - 1) - torch.log(sigma), dim=1)
    return per_example.mean()
''', {}, True, "'sigma' as a standard deviation"),
    ("var-param", '''
def kl(mu, var):
    return 0.5 * torch.sum(var + mu.pow(2) - 1 - torch.log(var), -1).mean()
''', {}, True, "'var' as a variance"),
    ("keras-example", KERAS, {"loss": True}, True, "the batch mean"),
    ("keras-train-step", '''
def compute_kl(z_mean, z_log_var):
    kl_loss = -0.5 * (1 + z_log_var - tf.square(z_mean) - tf.exp(z_log_var))
    kl_loss = tf.reduce_mean(tf.reduce_sum(kl_loss, axis=1))
    return kl_loss
''', {}, True, "the batch mean"),
    ("jax-sampling-logstd", JAX, {}, True, "the sampling line reads it the same way (line 5)"),
    ("jax-logvar", '''
def kl_divergence(mean, logvar):
    return jnp.mean(-0.5 * jnp.sum(1.0 + logvar - jnp.square(mean) - jnp.exp(logvar), axis=-1))
''', {}, True, "the batch mean"),
    ("numpy-mean-of-sums", '''
def kl(mu, logvar):
    per_dim = 0.5 * (np.exp(logvar) + mu ** 2 - 1.0 - logvar)
    per_example = per_dim.sum(axis=1)
    return per_example.mean()
''', {}, True, "the batch mean"),
    ("module-beta", MODULE, {}, True, "KL weighted by beta"),
    ("module-beta-loss", MODULE, {"loss": True}, True, "KL weighted by beta (line 15"),
    ("augassign", '''
def loss_function(x_hat, x, mu, logvar):
    loss = F.binary_cross_entropy(x_hat, x, reduction='sum')
    kld = 1 + logvar - mu.pow(2) - logvar.exp()
    kld = torch.sum(kld)
    kld *= -0.5
    loss += kld
    return loss
''', {"loss": True}, True, "the batch sum"),
    ("literal-weight", '''
def loss_function(recons, x, mu, log_var):
    recons_loss = F.mse_loss(recons, x, reduction='sum') / x.shape[0]
    kld_loss = torch.mean(-0.5 * torch.sum(1 + log_var - mu ** 2 - log_var.exp(), dim=1), dim=0)
    return recons_loss + 0.00025 * kld_loss
''', {"loss": True}, True, "KL weighted by the constant 0.00025"),
    ("q-params", '''
def kl(m, s):
    return (-0.5 * (1 + s - m ** 2 - torch.exp(s))).sum(-1).mean()
''', {"q_params": "m,s:logvar"}, True, "the batch mean"),
    ("q-spec", '''
def kl(m, w):
    return torch.sum(-w + 0.5 * (torch.exp(2 * w) + m ** 2 - 1), dim=1)
''', {"q": "DiagNormal(m, log_scale=w, dim=d)"}, True, "'w' as a log-std, as --q-params says"),
    ("latent-first", '''
def kl(mu, logvar):
    return (-0.5 * (1 + logvar - mu ** 2 - logvar.exp())).sum(dim=0).mean()
''', {"latent_dim": 0}, True, "the batch mean"),
    ("torch-pow-and-sum-function", '''
def kl(mu, logvar):
    var = logvar.exp()
    return torch.sum(0.5 * (torch.pow(mu, 2) + var - 1 - logvar), dim=-1)
''', {}, True, "KL(q || p) per example"),
    ("softplus-std", '''
class VAE(nn.Module):
    def loss(self, x):
        mu, h = self.encoder(x).chunk(2, dim=-1)
        std = F.softplus(h)
        z = mu + std * torch.randn_like(std)
        rec = F.binary_cross_entropy_with_logits(self.decoder(z), x, reduction='sum')
        kl = torch.sum(0.5 * (std ** 2 + mu ** 2 - 1) - torch.log(std))
        return rec + kl
''', {"q_params": "mu,h"}, True, "with the standard deviation log(exp(h) + 1) of the sampling line"),
    # ---- false
    ("mean-over-latent", '''
def kl_loss(mu, logvar):
    return -0.5 * torch.mean(1 + logvar - mu.pow(2) - logvar.exp())
''', {}, False, "a mean over the latent axis: KL/d"),
    ("keras-mean-over-latent", '''
def vae_loss(x, x_decoded_mean):
    xent_loss = metrics.binary_crossentropy(x, x_decoded_mean)
    kl_loss = - 0.5 * K.mean(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)
    return xent_loss + kl_loss
''', {}, False, "a mean over the latent axis: KL/d"),
    ("pixel-count", '''
def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784))
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    KLD /= 784
    return BCE + KLD
''', {}, False, "divided by 784: the pixel count (line 5: KLD /= 784)"),
    ("data-size", '''
def loss_function(recon_x, x, mu, logvar):
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1)
    return kld.mean() / x.size(1)
''', {}, False, "divided by the data's size D: the pixel count"),
    ("sign-flipped", '''
def kl(mu, logvar):
    return 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=-1)
''', {}, False, "the sign is flipped: it is -KL"),
    ("jax-sign-flipped", '''
def kl_divergence(mean, logvar):
    return jnp.mean(0.5 * jnp.sum(1 + logvar - mean ** 2 - jnp.exp(logvar), axis=-1))
''', {}, False, "the sign is flipped"),
    ("reported-kl-sign", PYTORCH_VAE.replace("'KLD': kld_loss.detach()", "'KLD': -kld_loss.detach()"),
     {"function": "BetaVAE.loss_function"}, False,
     "the reported 'KLD': the sign is flipped"),
    ("pytorch-vae-kld-weight-one-term", PYTORCH_VAE, {"loss": True, "function": "BetaVAE.loss_function"}, False,
     "the minibatch weight M_N (M/N) multiplies the KL only"),
    ("pytorch-vae-recon-mean", PYTORCH_VAE, {"loss": True, "function": "BetaVAE.loss_function"}, False,
     "the reconstruction is a mean over the data's D entries (pixels)"),
    ("sampling-exp-logvar", SAMPLING_MISMATCH, {}, False,
     "the sampling reads 'logvar' as a log-std but the KL reads it as a log-variance (line 6: z = mu + eps * "
     "torch.exp(logvar); line 9: KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()))"),
    ("sampling-logvar-kl-logstd", '''
def elbo_loss(self, x):
    mu, logvar = self.encoder(x)
    std = torch.exp(0.5 * logvar)
    z = mu + std * torch.randn_like(std)
    rec = F.binary_cross_entropy_with_logits(self.decoder(z), x, reduction='none').sum(-1)
    kl = -0.5 * torch.sum(1 + 2 * logvar - mu ** 2 - torch.exp(2 * logvar), dim=-1)
    return (rec + kl).mean()
''', {}, False, "the sampling reads 'logvar' as a log-variance but the KL reads it as a log-std"),
    ("softplus-std-kl-as-logvar", '''
def loss(self, x):
    mu, h = self.encoder(x).chunk(2, dim=-1)
    std = F.softplus(h)
    z = mu + std * torch.randn_like(std)
    return -0.5 * torch.sum(1 + h - mu ** 2 - torch.exp(h))
''', {"q_params": "mu,h"}, False, "the sampling reads 'h' as the argument of another function for the standard "
     "deviation but the KL reads it as a log-variance"),
    ("exp-logstd-not-squared", LOG_STD_SQUARE, {}, False, "exp(log_std) where its square exp(2*log_std)"),
    ("log-sigma-not-squared", '''
def kl(mu, sigma):
    return 0.5 * torch.sum(sigma ** 2 + mu ** 2 - 1 - torch.log(sigma), dim=1)
''', {}, False, "log(sigma) where log(sigma**2) belongs"),
    ("missing-half", '''
def kl(mu, logvar):
    return -torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
''', {}, False, "twice the KL: a factor 1/2 is missing"),
    ("recon-weighted-only", '''
def loss_function(x_hat, x, mu, logvar, alpha):
    recon = F.mse_loss(x_hat, x, reduction='sum')
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return alpha * recon + kld
''', {"loss": True}, False, "the reconstruction is weighted by alpha and the KL is not"),
    ("recon-batch-mean-kl-batch-sum", '''
def loss_function(x_hat, x, mu, logvar):
    recon = F.binary_cross_entropy(x_hat, x, reduction='sum') / x.size(0)
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return recon + kld
''', {"loss": True}, False, "the reconstruction is a batch mean but the KL is a batch sum"),
    ("logsumexp-not-a-sum", '''
def kl(mu, logvar):
    per_dim = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp())
    return torch.logsumexp(per_dim, dim=-1).mean()
''', {}, False, "a logsumexp is not a sum of per-coordinate terms (line 4"),
    # ---- a sigmoid gate that cancels: the per-coordinate term (sigmoid is a claim's function too) is proved
    ("sigmoid-cancels", '''
def kl(mu, logvar):
    gate = torch.sigmoid(mu)
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1) * gate.sum(1) / gate.sum(1)
    return kl.mean()
''', {}, True, "the batch mean of KL(q || p) per example"),
    ("keras-recon-mean-over-pixels", KERAS.replace("original_dim * ", ""), {"loss": True}, False,
     "the reconstruction is a mean over the data's D entries"),
]


@pytest.mark.parametrize(("source", "options", "holds", "words"), [row[1:] for row in LOSSES],
                         ids=[row[0] for row in LOSSES])
def test_loss_table(source, options, holds, words):
    verdict = verify_code(source, **options)
    text = verdict.describe()
    assert verdict.holds is holds, text
    assert words in text, text
    if holds:
        assert not verdict.slips and "symbolic proof" in verdict.method, text
    elif holds is False:
        assert verdict.slips, text
    else:
        assert not verdict.slips and verdict.exit_code == 3, text


def test_the_table_is_large_enough():
    assert len(LOSSES) >= 30
    assert sum(1 for row in LOSSES if row[3] is True) >= 10 and sum(1 for row in LOSSES if row[3] is False) >= 10


def test_what_the_code_computes_is_stated():
    verdict = verify_code(LOSSES[2][1])
    assert verdict.computes == ("per example, a sum over the latent axis", "over the batch, a mean")
    mean = verify_code('def kl(mu, logvar):\n    return -0.5 * torch.mean(1 + logvar - mu.pow(2) - logvar.exp())\n')
    assert mean.computes == ("per example, a mean over the latent axis", "over the batch, a mean")
    assert [s.what for s in mean.slips] == ["a mean over the latent axis: KL/d"]


def test_a_sampling_mismatch_quotes_both_lines():
    verdict = verify_code(SAMPLING_MISMATCH)
    (slip,) = verdict.slips
    assert [n for n, _ in slip.lines] == [6, 9]
    assert slip.lines[0][1] == "z = mu + eps * torch.exp(logvar)"


def test_the_weight_of_a_module_is_reported_not_failed():
    verdict = verify_code(MODULE, loss=True)
    assert verdict.holds is True
    assert verdict.weights == ("KL weighted by beta (line 15: return recon + self.beta * kld, recon, kld)",)
    assert verdict.equals == "the batch mean of KL(q || p) per example, weighted (beta)"


# ----------------------------------------------------------------------------------------------------
# The command line
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "code"), [("pytorch_example.py", 0), ("mean_over_latent.py", 1),
                                            ("keras_vae.py", 0), ("sampling_mismatch.py", 1)])
def test_cli_exit_codes(name, code, capsys):
    assert run(["verify", "--code", str(DATA / name)]) == code
    out = capsys.readouterr().out
    assert out.startswith("holds" if code == 0 else "does not hold")


def test_cli_function_name_and_json(capsys):
    assert run(["verify", "--code", f"{DATA / 'pytorch_vae.py'}:VanillaVAE.loss_function", "--loss", "--json"]) == 1
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["holds"] is False and verdict["status"] == "does not hold"
    assert verdict["function"] == "loss_function" and verdict["term"] == "'loss'"
    slips = [s["slip"] for s in verdict["slips"]]
    assert any("M/N" in s for s in slips), slips
    assert verdict["computes"] == ["per example, a sum over the latent axis", "over the batch, a mean"]
    assert verdict["kernel"]["holds"] is True


def test_cli_a_claim_of_several_lines_is_a_function_body(capsys):
    claim = "kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1)\nkl.mean()"
    assert run(["verify", "--claim", claim]) == 0
    assert "the batch mean of KL(q || p) per example" in capsys.readouterr().out


@pytest.mark.parametrize(("source", "message"), [
    ("def loss(mu, logvar):\n    import os\n    return mu\n", "line 2, column 5: import is not allowed"),
    ("def loss(mu, logvar):\n    os.system('rm -rf /')\n    return mu\n", "line 2, column 5: an expression"),
    ("def loss(mu, logvar):\n    return eval('mu')\n", "line 2, column 12: unknown function 'eval'"),
    ("def loss(mu, logvar):\n    return mu.__class__\n", "line 2, column 12: attribute '__class__'"),
    ("def loss(mu, logvar):\n    if mu:\n        return mu\n", "line 2, column 5: if is not allowed"),
    ("def loss(mu, logvar):\n    return (lambda: mu)()\n", "line 2, column 12: only named functions"),
    ("def loss(mu, logvar):\n    return mu[0]\n", "line 2, column 12: subscripts"),
    ("def loss(mu, logvar):\n    return torch.load('x.pt')\n", "unknown function 'torch.load'"),
    ("def loss(mu, logvar)\n    return mu\n", "line 1"),
    ("x = 1\n", "name the function"),
])
def test_refused_code_is_one_line_exit_2(source, message, tmp_path, capsys):
    path = tmp_path / "loss.py"
    path.write_text(source)
    assert run(["verify", "--code", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("kl-derive: error: code: "), err
    assert message in err, err


def test_cli_bad_files_and_options(tmp_path, capsys):
    assert run(["verify", "--code", str(tmp_path / "missing.py")]) == 2
    assert "cannot read" in capsys.readouterr().err
    (tmp_path / "bin.py").write_bytes(b"\xff\xfe")
    assert run(["verify", "--code", str(tmp_path / "bin.py")]) == 2
    assert "not UTF-8" in capsys.readouterr().err
    assert run(["verify", "--code", str(DATA / "pytorch_example.py"), "--latent-dim", "3"]) == 2
    assert "--latent-dim" in capsys.readouterr().err
    assert run(["verify", "--code", str(DATA / "pytorch_example.py"), "--p", "Normal(1, 2)"]) == 2
    assert "standard normal" in capsys.readouterr().err
    assert run(["verify", "--q", "Normal(mu, sigma)"]) == 2
    assert "missing option --p" in capsys.readouterr().err


def test_an_unknown_scale_name_asks_for_its_kind():
    with pytest.raises(UsageError, match=r"--q-params mu,h:KIND"):
        verify_code("def kl(mu, h):\n    return torch.sum(h + mu ** 2)\n", q_params="mu,h")


# ----------------------------------------------------------------------------------------------------
# Nothing is ever executed
# ----------------------------------------------------------------------------------------------------


def test_nothing_is_executed(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("exec/eval called")

    target = tmp_path / "pwned"
    source = f"def loss(mu, logvar):\n    x = open({str(target)!r}, 'w')\n    return mu\n"
    with monkeypatch.context() as patched:  # the reader calls neither (SymPy's lambdify, later, does)
        patched.setattr(builtins, "exec", refuse)
        patched.setattr(builtins, "eval", refuse)
        with pytest.raises(ParseError, match="unknown function 'open'"):
            read_function(source)
        read_function(PYTORCH_EXAMPLE)
    with pytest.raises(ParseError, match="unknown function 'open'"):
        verify_code(source)
    assert not target.exists()


_TOKENS = ["mu", "logvar", "x", "torch.", "np.", "sum(", "mean(", ".exp()", "(", ")", "+", "-", "*", "/", "**",
           "0.5", "1", "dim=1", ",", "=", "\n    ", "return ", "__import__", "lambda", "[0]", "import os", ":", "if ",
           "self.", "F.softplus(", "torch.logsumexp(", "keepdim=True", "'sum'", "@", "kl", " "]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_TOKENS), max_size=30), st.text(max_size=30))
def test_random_code_gives_a_verdict_or_one_line_error(tokens, junk):
    source = "def loss(mu, logvar, x):\n    " + "".join(tokens) + junk
    try:
        verdict = verify_code(source)
    except UsageError as error:
        assert "\n" not in str(error)
        return
    assert verdict.holds in (True, False, None)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_random_files_never_raise_anything_else(text):
    try:
        read_function(text)
    except ParseError as error:
        assert "\n" not in str(error)


def test_a_20_line_module_is_decided_quickly():
    """The bench target (bench/run.py verify-code, <= 2.5x the import floor) in-process: well under a second."""
    source = (DATA / "module_20_lines.py").read_text()
    assert len(source.splitlines()) >= 20
    verify_code(source, loss=True)  # NumPy imported, SymPy warmed
    start = time.perf_counter()
    verdict = verify_code(source, loss=True)
    assert verdict.holds is True, verdict.describe()
    assert time.perf_counter() - start < 1.5


def _readme_examples() -> list[tuple[str, str, int]]:
    """(arguments, printed verdict, exit code) of each ``$ kl-derive verify --code`` block of the README."""
    text = (Path(__file__).parent.parent / "README.md").read_text()
    section = text.split("### Check your VAE loss", 1)[1].split("\n### ", 1)[0]
    found = []
    for block in section.split("```console\n")[1:]:
        body = block.split("```", 1)[0]
        command, *output, status = body.rstrip("\n").splitlines()
        found.append((command.removeprefix("$ kl-derive "), "\n".join(output) + "\n",
                      int(status.removeprefix("(exit ").rstrip(")"))))
    return found


def test_the_readme_shows_three_real_verdicts(capsys, monkeypatch):
    examples = _readme_examples()
    assert len(examples) == 3 and {code for _, _, code in examples} == {0, 1}
    monkeypatch.chdir(Path(__file__).parent.parent)
    for arguments, printed, code in examples:
        assert run(arguments.split()) == code
        assert capsys.readouterr().out == printed


def test_a_formula_over_several_lines_is_still_a_formula(capsys):
    args = ["verify", "--q", "Normal(mu, logvar=lv)", "--p", "Normal(0, 1)", "--claim"]
    assert run([*args, "-0.5 * (1 + lv\n - mu**2 - exp(lv))"]) == 0
    assert capsys.readouterr().out.startswith("holds: the claim equals KL(q || p)")
    definition = "def kl(mu, logvar):\n    return -0.5 * torch.sum(1 + logvar - mu**2 - logvar.exp(), -1)\n"
    assert run(["verify", "--claim", definition]) == 0
    assert capsys.readouterr().out.startswith("holds: return value of kl is KL(q || p) per example")


# ----------------------------------------------------------------------------------------------------
# Other families' KL code (issue 14): a KL between two laws given by their parameters, decided entry by entry
# ----------------------------------------------------------------------------------------------------

BERNOULLI = ("Bernoulli(p1)", "Bernoulli(p2)")
BERNOULLI_LOGITS = ("Bernoulli(logits=l1)", "Bernoulli(logits=l2)")
LAPLACE = ("Laplace(m1, b1)", "Laplace(m2, b2)")
GAMMA = ("Gamma(a1, rate=b1)", "Gamma(a2, rate=b2)")
EXPONENTIAL = ("Exponential(l1)", "Exponential(l2)")

#: (id, source, (q, p), holds, words of the verdict or the slip)
FAMILY_LOSSES = [
    ("bernoulli-probs-torch", '''
def bernoulli_kl(p1, p2):
    return p1 * torch.log(p1 / p2) + (1 - p1) * torch.log((1 - p1) / (1 - p2))
''', BERNOULLI, True, "KL(q || p) of each pair of entries"),
    ("bernoulli-probs-numpy-log1p", '''
def kl_bernoulli(p1, p2):
    pos = p1 * (np.log(p1) - np.log(p2))
    neg = (1 - p1) * (np.log1p(-p1) - np.log1p(-p2))
    return pos + neg
''', BERNOULLI, True, "KL(q || p) of each pair of entries"),
    ("bernoulli-probs-xlogy", '''
def kl(p1, p2):
    return special.xlogy(p1, p1 / p2) + special.xlogy(1 - p1, (1 - p1) / (1 - p2))
''', BERNOULLI, True, "KL(q || p)"),
    ("bernoulli-probs-reversed", '''
def bernoulli_kl(p1, p2):
    return p2 * torch.log(p2 / p1) + (1 - p2) * torch.log((1 - p2) / (1 - p1))
''', BERNOULLI, False, "the claim is KL(p || q), not KL(q || p): the direction is reversed"),
    ("bernoulli-probs-read-as-logits", '''
def bernoulli_kl(p1, p2):
    q = torch.sigmoid(p1)
    return q * (p1 - p2) + F.softplus(p2) - F.softplus(p1)
''', BERNOULLI, False, "p1 is used as a logit (log-odds) but the spec makes it the probability"),
    ("bernoulli-logits-softplus", '''
def bernoulli_kl_logits(l1, l2):
    q = torch.sigmoid(l1)
    return q * (l1 - l2) + F.softplus(l2) - F.softplus(l1)
''', BERNOULLI_LOGITS, True, "KL(q || p) of each pair of entries"),
    ("bernoulli-logits-logsigmoid-latent-sum", '''
def kl_term(l1, l2):
    q = torch.sigmoid(l1)
    kl = q * (F.logsigmoid(l1) - F.logsigmoid(l2)) + (1 - q) * (F.logsigmoid(-l1) - F.logsigmoid(-l2))
    return kl.sum(dim=-1).mean()
''', BERNOULLI_LOGITS, True, "reduced without a slip"),
    ("bernoulli-logits-jax-mean-over-latent", '''
def kl_term(l1, l2):
    q = jax.nn.sigmoid(l1)
    kl = q * (jax.nn.log_sigmoid(l1) - jax.nn.log_sigmoid(l2))
    kl += (1 - q) * (jax.nn.log_sigmoid(-l1) - jax.nn.log_sigmoid(-l2))
    return jnp.mean(kl, axis=-1)
''', BERNOULLI_LOGITS, False, "a mean over the latent axis: KL/d"),
    ("bernoulli-logits-softplus-swapped", '''
def bernoulli_kl_logits(l1, l2):
    return torch.sigmoid(l1) * (l1 - l2) + F.softplus(l1) - F.softplus(l2)
''', BERNOULLI_LOGITS, False, "claim - KL(q || p) = 2*log(exp(l1) + 1) - 2*log(exp(l2) + 1), which is not 0"),
    ("laplace-torch", '''
def laplace_kl(m1, b1, m2, b2):
    gap = torch.abs(m1 - m2)
    return torch.log(b2 / b1) + gap / b2 + b1 / b2 * torch.exp(-gap / b1) - 1
''', LAPLACE, True, "KL(q || p) of each pair of entries"),
    ("laplace-missing-minus-one", '''
def laplace_kl(m1, b1, m2, b2):
    gap = np.abs(m1 - m2)
    return np.log(b2 / b1) + gap / b2 + b1 / b2 * np.exp(-gap / b1)
''', LAPLACE, False, "the claim differs from KL(q || p) by the constant 1"),
    ("gamma-jax", '''
def gamma_kl(a1, b1, a2, b2):
    t1 = (a1 - a2) * digamma(a1) - gammaln(a1) + gammaln(a2)
    t2 = a2 * (jnp.log(b1) - jnp.log(b2))
    return t1 + t2 + a1 * (b2 - b1) / b1
''', GAMMA, True, "KL(q || p) of each pair of entries"),
    ("gamma-torch-rate-read-as-scale", '''
def gamma_kl(a1, b1, a2, b2):
    return ((a1 - a2) * torch.digamma(a1) - torch.lgamma(a1) + torch.lgamma(a2)
            + a2 * torch.log(b2 / b1) + a1 * (b1 / b2 - 1))
''', GAMMA, False, "b1 is used as a scale but the spec makes it the rate"),
    ("exponential-numpy", '''
def exp_kl(l1, l2):
    return np.log(l1) - np.log(l2) + l2 / l1 - 1
''', EXPONENTIAL, True, "KL(q || p) of each pair of entries"),
    ("exponential-sign-flipped", '''
def exp_kl(l1, l2):
    kl = torch.log(l1 / l2) + l2 / l1 - 1
    return -kl
''', EXPONENTIAL, False, "the sign is flipped"),
]


@pytest.mark.parametrize(("source", "specs", "holds", "words"), [row[1:] for row in FAMILY_LOSSES],
                         ids=[row[0] for row in FAMILY_LOSSES])
def test_family_loss_table(source, specs, holds, words):
    verdict = verify_code(source, q=specs[0], p=specs[1])
    text = verdict.describe()
    assert verdict.holds is holds, text
    assert words in text, text
    if holds:
        assert not verdict.slips and "symbolic proof" in verdict.method, text
    else:
        assert verdict.slips and verdict.exit_code == 1, text


def test_the_family_table_has_true_and_false_rows_of_every_family():
    assert len(FAMILY_LOSSES) >= 8
    for specs in (BERNOULLI, BERNOULLI_LOGITS, LAPLACE, GAMMA, EXPONENTIAL):
        assert {row[3] for row in FAMILY_LOSSES if row[2] == specs} == {True, False}


def test_a_family_slip_names_the_line_and_its_counterexample():
    verdict = verify_code(FAMILY_LOSSES[3][1], q=BERNOULLI[0], p=BERNOULLI[1])
    (slip,) = verdict.slips
    assert slip.lines == ((3, "return p2 * torch.log(p2 / p1) + (1 - p2) * torch.log((1 - p2) / (1 - p1))"),)
    assert verdict.notes[0].startswith("counterexample: at p1 = ")
    assert verdict.computes == ("per entry: the KL of one pair of parameters",)
    assert verdict.headline() == "does not hold: return value of bernoulli_kl is not KL(q || p) entry by entry"


def test_cli_family_code_json(tmp_path, capsys):
    path = tmp_path / "kl.py"
    path.write_text(FAMILY_LOSSES[12][1])
    assert run(["verify", "--code", f"{path}:gamma_kl", "--q", GAMMA[0], "--p", GAMMA[1], "--json"]) == 1
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["holds"] is False and verdict["function"] == "gamma_kl"
    assert verdict["slips"][0]["slip"].startswith("per entry: b1 is used as a scale but the spec makes it the rate")
    assert verdict["kernel"]["counterexample"]["point"].keys() == {"a1", "b1", "a2", "b2"}
    path.write_text(FAMILY_LOSSES[11][1])
    assert run(["verify", "--code", str(path), "--q", GAMMA[0], "--p", GAMMA[1], "--json"]) == 0
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["holds"] is True and verdict["kernel"]["holds"] is True and verdict["slips"] == []


def test_cli_family_claim_of_several_lines(capsys):
    body = "q = torch.sigmoid(l1)\nq * (l1 - l2) + F.softplus(l2) - F.softplus(l1)"
    assert run(["verify", "--q", BERNOULLI_LOGITS[0], "--p", BERNOULLI_LOGITS[1], "--claim", body]) == 0
    assert capsys.readouterr().out.startswith("holds: return value of claim is KL(q || p)")


@pytest.mark.parametrize(("source", "message"), [
    ("def kl(p1, p2):\n    return x * torch.log(p1 / p2)\n", "code: line 2: 'x' is none of the parameters of q and p "
     "(p1, p2)"),
    ("def kl(p1, p2):\n    return torch.logsumexp(p1, -1)\n", "a logsumexp of KL terms is not a KL"),
    ("def kl(p1, p2):\n    import os\n    return p1\n", "line 2, column 5: import is not allowed"),
])
def test_family_code_refusals_are_one_line(source, message, tmp_path, capsys):
    path = tmp_path / "kl.py"
    path.write_text(source)
    assert run(["verify", "--code", str(path), "--q", BERNOULLI[0], "--p", BERNOULLI[1]]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("kl-derive: error: ") and message in err, err
    assert run(["verify", "--code", str(path), "--q", BERNOULLI[0]]) == 2
    assert "needs --p" in capsys.readouterr().err


def test_a_family_verify_is_quick():
    """Each family verify well inside the bench's 2.5x the import floor (in-process: the work after imports)."""
    for _, source, specs, _, _ in FAMILY_LOSSES:
        start = time.perf_counter()
        verify_code(source, q=specs[0], p=specs[1])
        assert time.perf_counter() - start < 3.0, source


_FAMILY_TOKENS = ["l1", "l2", "torch.", "F.", "sigmoid(", "logsigmoid(", "softplus(", "lgamma(", "digamma(",
                  "special.xlogy(", ".sum(-1)", ".mean()", "(", ")", "+", "-", "*", "/", "**", "1", "0.5", ",", "=",
                  "\n    ", "return ", "q", "beta", "x", "import os", "[0]", " "]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_FAMILY_TOKENS), max_size=25))
def test_random_family_code_gives_a_verdict_or_one_line_error(tokens):
    source = "def kl(l1, l2):\n    return " + "".join(tokens)
    try:
        verdict = verify_code(source, q=BERNOULLI_LOGITS[0], p=BERNOULLI_LOGITS[1])
    except UsageError as error:
        assert "\n" not in str(error)
        return
    assert verdict.holds in (True, False, None) and verdict.exit_code in (0, 1, 3)


GUMBEL_TORCH = '''
def gumbel_kl(loc1, scale1, loc2, scale2):
    euler = {constant}
    ct1 = scale1 / scale2
    ct2 = loc2 / scale2
    ct3 = loc1 / scale2
    t1 = -torch.log(ct1) - ct2 + ct3
    t2 = ct1 * euler
    t3 = torch.exp(ct2 + torch.lgamma(1 + ct1) - ct3)
    return t1 + t2 + t3 - (1 + euler)
'''


def test_a_constant_assigned_once_and_used_twice_is_read_at_double_precision():
    """torch's Gumbel formula names Euler's constant once, as a double, and uses it twice: it holds, the literal
    read as the constant it rounds (every place it is written)."""
    verdict = verify_code(GUMBEL_TORCH.format(constant="0.5772156649015329"), q="Gumbel(loc1, scale1)",
                          p="Gumbel(loc2, scale2)")
    assert verdict.holds is True and not verdict.slips, verdict.describe()
    assert "the float literal 0.5772156649015329 is EulerGamma rounded to double precision" in verdict.method


def test_a_truncated_constant_is_refuted_with_a_difference_that_is_not_printed_as_0():
    """Ten digits of Euler's constant are not the constant at double precision; the difference is printed at
    its size (it was evaluated at 6 digits, where it cancelled to 0: "claim - KL(q || p) = 0, which is not 0")."""
    verdict = verify_code(GUMBEL_TORCH.format(constant="0.5772156649"), q="Gumbel(loc1, scale1)",
                          p="Gumbel(loc2, scale2)")
    assert verdict.holds is False
    assert verdict.slips[0].what == ("per entry: claim - KL(q || p) = -1.53286e-12*scale1/scale2 + 1.53286e-12, "
                                     "which is not 0")
