"""The seed models: architecture, value range, one real training epoch each, and WGAN-GP's penalty."""
from __future__ import annotations

import csv
import math

import mindspore as ms
import numpy as np
import pytest
from mindspore import ops
from helpers import fit, onednn_convolutions, quick_cfg, small_cfg

from mindgan.losses import WassersteinGP, create_loss
from mindgan.models import create_model, list_models

# model -> (value range, G parameters, D parameters) of its recipe: the counts are the tutorials' own layers,
# e.g. convgan's equal Keras's model.summary() of the conv-GAN lab (1,164,289 / 40,705), dcgan's the DCGAN
# tutorial's 64x64 nets (3,576,704 / 2,765,568). A newly registered model fails until it is listed here.
FACTS = {"gan": ((-1, 1), 1_510_032, 533_505),
         "minimal": ((-1, 1), 227_344, 201_217),
         "dcgan": ((-1, 1), 3_576_704, 2_765_568),
         "convgan": ((0, 1), 1_164_289, 40_705),
         "cgan": ((-1, 1), 1_511_412, 539_237),
         "wgan_gp": ((-1, 1), 347_072, 36_513)}  # its CPU recipe: ngf = ndf = 32


def count(cell) -> int:
    return sum(p.size for p in cell.trainable_params())


def run_g_d(gan, n=6):
    rng = np.random.default_rng(0)
    z = ms.Tensor(rng.standard_normal((n, *gan.latent_shape)).astype(np.float32))
    y = ms.Tensor(rng.integers(0, 10, n).astype(np.int32))
    gan.generator.set_train(False)
    gan.discriminator.set_train(False)
    if gan.conditional:
        x = gan.generator(z, y)
        return x.asnumpy(), gan.discriminator(x, y).asnumpy()
    x = gan.generator(z)
    return x.asnumpy(), gan.discriminator(x).asnumpy()


@pytest.mark.parametrize("name", list_models())
def test_shapes_range_and_size(name):
    assert name in FACTS, f"{name}: add its recipe's value range and parameter counts to FACTS"
    value_range, g_params, d_params = FACTS[name]
    cfg = quick_cfg(model=name)
    gan = create_model(cfg)
    x, d = run_g_d(gan)
    assert x.shape == (6, cfg["channels"], cfg["image_size"], cfg["image_size"]) and d.shape == (6, 1)
    lo, hi = value_range
    assert lo <= x.min() and x.max() <= hi and x.std() > 0
    assert gan.value_range == ("sigmoid" if lo == 0 else "tanh")
    assert (count(gan.generator), count(gan.discriminator)) == (g_params, d_params)
    if cfg["loss"] == "bce":
        assert ((0 <= d) & (d <= 1)).all()
    else:  # a critic: an unbounded score, no Sigmoid
        assert "Sigmoid" not in str(gan.discriminator)


def test_recipes_hold_the_tutorials_values():
    from mindgan import config

    m = config.load("minimal")
    assert (m["grid_rows"], m["grid_cols"], m["batch_size"], m["epochs"]) == (1, 16, 64, 10)
    c = config.load("convgan")
    assert (c["batch_size"], c["epochs"], c["lr_g"], c["beta1"], c["grid_rows"], c["grid_cols"]) == \
        (256, 100, 2e-4, 0.5, 10, 10)
    assert c["d_accuracy_samples"] == 100
    g = config.load("cgan")
    assert (g["batch_size"], g["beta1"], g["beta2"], g["grid_rows"], g["grid_cols"]) == (64, 0.5, 0.999, 10, 10)
    t = config.load(path=config.CONFIG_DIR / "cgan_mnist_tutorial.yaml")  # the tutorial's exact recipe
    sampling = ("epochs", "ema", "truncation")
    assert (t["epochs"], t["ema"], t["truncation"]) == (200, 0.0, 0.0)
    assert g["ema"] > 0 and g["truncation"] == 2.0  # the default samples from the average, truncated codes
    assert {k: v for k, v in t.items() if k not in sampling} == \
        {k: v for k, v in g.items() if k not in sampling}  # and trains as the tutorial does
    w = config.load(path=config.CONFIG_DIR / "wgan_gp_mnist_paper.yaml")  # the paper's Algorithm 1
    assert (w["loss"], w["gp_weight"], w["n_critic"], w["lr_d"], w["beta1"], w["beta2"]) == \
        ("wgan_gp", 10.0, 5, 1e-4, 0.0, 0.9)
    cpu = config.load("wgan_gp")  # the default: what changes for a CPU, and nothing that makes it WGAN-GP
    assert (cpu["loss"], cpu["gp_weight"], cpu["n_critic"], cpu["model_args"]) == \
        ("wgan_gp", 10.0, 1, {"ngf": 32, "ndf": 32})
    assert cpu["lr_d"] == 2 * cpu["lr_g"]  # one critic step per G step: the critic learns at twice G's rate


def test_cgan_batchnorm_eps_is_the_tutorials_0_8():
    from mindspore import nn

    gan = create_model(quick_cfg(model="cgan"))
    norms = [c for _, c in gan.generator.cells_and_names() if isinstance(c, nn.BatchNorm1d)]
    norms += [c for _, c in gan.discriminator.cells_and_names() if isinstance(c, nn.BatchNorm1d)]
    assert len(norms) == 4 and all(abs(n.bn_train.epsilon - 0.8) < 1e-6 for n in norms)


def test_cgan_output_depends_on_the_label():
    gan = create_model(quick_cfg(model="cgan"))
    gan.generator.set_train(False)
    z = ms.Tensor(np.random.default_rng(0).standard_normal((2, 100)).astype(np.float32))
    a = gan.generator(z, ms.Tensor(np.array([3, 3], np.int32))).asnumpy()
    b = gan.generator(z, ms.Tensor(np.array([3, 8], np.int32))).asnumpy()
    assert np.allclose(a[0], b[0]) and not np.allclose(a[1], b[1])


def test_wgan_gp_critic_is_size_generic():
    gan = create_model(quick_cfg(model="wgan_gp", image_size=64, channels=3,
                                 model_args={"ngf": 8, "ndf": 8}))
    x, d = run_g_d(gan, n=2)
    assert x.shape == (2, 3, 64, 64) and d.shape == (2, 1)


@pytest.mark.parametrize("bias", [False, True])
def test_whole_map_conv_is_the_convolution_it_replaces(bias):
    """blocks.WholeMapConv (the wgan_gp critic's last layer, a matrix product) against the nn.Conv2d it stands
    for, built under the same seed: the same parameters (names, shapes, initial values), and the same
    outputs and gradients (to the input, which the penalty and G's step use, and to the weights) up to the
    order of the sums."""
    from mindspore import nn
    from mindgan.models.blocks import WholeMapConv
    from mindspore.common.initializer import Normal

    ms.set_seed(3)
    conv = nn.Conv2d(6, 2, 5, 1, "valid", weight_init=Normal(0.02), has_bias=bias)
    ms.set_seed(3)
    mat = WholeMapConv(6, 2, 5, weight_init=Normal(0.02), has_bias=bias)
    params = lambda cell: {p.name: p.asnumpy() for p in cell.trainable_params()}
    pc, pm = params(conv), params(mat)
    assert pc.keys() == pm.keys() == ({"weight", "bias"} if bias else {"weight"})
    assert all(np.array_equal(pc[k], pm[k]) for k in pc) and pc["weight"].std() > 0
    if bias:
        mat.bias.set_data(ms.Tensor(np.array([0.3, -0.2], np.float32)))  # a bias that matters in the outputs
        conv.bias.set_data(mat.bias.value())
    x = ms.Tensor(np.random.default_rng(0).standard_normal((3, 6, 5, 5)).astype(np.float32))
    outs = [cell(x).asnumpy() for cell in (conv, mat)]
    assert outs[0].shape == outs[1].shape == (3, 2, 1, 1) and np.abs(outs[0]).max() > 0.05
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-5, atol=1e-6)
    dx_c, dw_c = ms.grad(lambda t: (conv(t) ** 2).sum(), 0, conv.trainable_params())(x)
    dx_m, dw_m = ms.grad(lambda t: (mat(t) ** 2).sum(), 0, mat.trainable_params())(x)
    for a, b in zip([dx_c, *dw_c], [dx_m, *dw_m]):
        np.testing.assert_allclose(b.asnumpy(), a.asnumpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.subprocess
def test_wgan_gp_step_runs_no_onednn_reference_kernel(tmp_path):
    """One critic step with its penalty and one G step of the wgan_gp recipe's nets: every convolution pass
    in a jit kernel. Its last layer as an nn.Conv2d (64 to 1 channel over the 7x7 map) ran in `ref:any`,
    61% of the step. oneDNN names each kernel it runs (ONEDNN_VERBOSE): no clock."""
    probe = ("import numpy as np, mindgan\n"
             "from mindgan import config\n"
             "from mindgan.training.loop import Trainer\n"
             "cfg = config.load(model='wgan_gp', overrides={'gp_every': 1, 'batch_size': 4})\n"
             "t = Trainer(cfg, 'run', progress=False, hooks=[])\n"
             "rng = np.random.default_rng(0)\n"
             "b = {'image': rng.uniform(-1, 1, (4, 1, 28, 28)).astype(np.float32),\n"
             "     'latent_code': rng.standard_normal((4, 100)).astype(np.float32),\n"
             "     'label': np.zeros(4, np.int32)}\n"
             "print(t.schedule.run([b], 0))\n")
    convs = onednn_convolutions(probe, tmp_path)
    passes = {p for _, p in convs}  # forward_training, backward_data, backward_weights: the whole step ran
    assert {"forward_training", "backward_data", "backward_weights"} <= passes, passes
    assert not [k for k, _ in convs if "ref" in k], convs


# --- one training epoch per model on tiny data, through the one trainer -------------------------
@pytest.mark.trains
@pytest.mark.parametrize("name", list_models())
def test_one_epoch_trains(name, tiny_mnist, tmp_path):
    steps = 5 if name == "wgan_gp" else 2  # wgan_gp at the paper's n_critic: 5 critic steps, then one G step
    over = {"n_critic": 5} if name == "wgan_gp" else {}
    _, summary = fit(small_cfg(name, data=str(tiny_mnist), max_steps=steps, **over), tmp_path)
    assert summary["step"] == steps
    with open(tmp_path / "losses.csv") as f:
        rows = list(csv.DictReader(f))
    loss_d = [float(r["loss_d"]) for r in rows]
    loss_g = [float(r["loss_g"]) for r in rows if not math.isnan(float(r["loss_g"]))]
    assert len(loss_d) == steps and all(map(math.isfinite, loss_d))
    assert len(loss_g) == 1 if name == "wgan_gp" else len(loss_g) == steps
    assert all(map(math.isfinite, loss_g))
    assert (tmp_path / "images" / "epoch_0001.png").is_file()
    if name == "convgan":  # the tutorial's evaluation, every epoch
        with open(tmp_path / "metrics.csv") as f:
            (row,) = list(csv.DictReader(f))
        assert 0 <= float(row["d_acc_real"]) <= 1 and 0 <= float(row["d_acc_fake"]) <= 1


def test_d_accuracy_refuses_a_critic_and_gp_every_leaves_a_loss_without_penalty(tmp_path):
    from mindgan.errors import MindganError
    from mindgan.training import Trainer

    with pytest.raises(MindganError, match="bce"):
        Trainer(quick_cfg(model="wgan_gp", d_accuracy_samples=10, model_args={"ngf": 8, "ndf": 8}), tmp_path)
    hinge = Trainer(quick_cfg(model="wgan_gp", loss="hinge", gp_every=4, model_args={"ngf": 8, "ndf": 8}), tmp_path)
    assert hinge.schedule.gp_every == 1  # no penalty to space out: every step's pattern is the same


# --- WGAN-GP: the penalty is computed, second-order, through jit -------------------------------
def small_critic(gp_weight=10.0):
    cfg = quick_cfg(model="wgan_gp", gp_weight=gp_weight, model_args={"ngf": 8, "ndf": 8})
    gan = create_model(cfg)
    critic = gan.discriminator

    def d_apply(x, y):  # the trainer's unconditional d_apply
        return critic(x)

    return cfg, critic, d_apply


def images(seed, n=4):
    return ms.Tensor(np.random.default_rng(seed).uniform(-1, 1, (n, 1, 28, 28)).astype(np.float32))


def test_gradient_penalty_is_nonzero_and_finite_in_jit():
    cfg, critic, d_apply = small_critic()
    loss = create_loss(cfg)
    assert isinstance(loss, WassersteinGP)

    @ms.jit
    def gp(real, fake, u):
        return loss.gradient_penalty(d_apply, real, fake, None, u)

    n = images(0).shape[0]
    values = [float(gp(images(0), images(1), ms.Tensor(np.random.default_rng(s).random(n, np.float32))).asnumpy())
              for s in (0, 0, 1)]
    assert all(math.isfinite(v) and v > 1e-3 for v in values)
    assert values[0] == values[1] != values[2]  # the alphas are the input's: same u, same penalty


def critic_grads(loss, critic, d_apply, real, fake):
    """The trainer's construction: jit(value_and_grad(d_loss) w.r.t. the critic's weights)."""
    u = ms.Tensor(np.random.default_rng(0).random(real.shape[0], np.float32))

    def d_forward(r, f):
        return loss.d_loss(d_apply, r, f, None, u)

    value, grads = ms.jit(ms.value_and_grad(d_forward, None, critic.trainable_params()))(real, fake)
    return float(value.asnumpy()), [g.asnumpy() for g in grads]


def test_gradient_penalty_changes_the_critics_gradient():
    cfg, critic, d_apply = small_critic()
    real, fake = images(0), images(1)
    _, with_gp = critic_grads(WassersteinGP(cfg), critic, d_apply, real, fake)
    _, without = critic_grads(WassersteinGP({**cfg, "gp_weight": 0.0}), critic, d_apply, real, fake)
    diff = max(np.abs(a - b).max() for a, b in zip(with_gp, without))
    assert diff > 1e-3 * max(np.abs(a).max() for a in without)


def test_gradient_penalty_gradient_matches_finite_differences():
    """With fake == real the Wasserstein term cancels: every bit of the critic's gradient is the
    penalty's second-order gradient. A skipped or detached penalty gives zero here; a wrong one
    disagrees with the finite-difference slope of the loss."""
    cfg, critic, d_apply = small_critic()
    loss = WassersteinGP(cfg)
    real = images(0)
    value, grads = critic_grads(loss, critic, d_apply, real, real)
    norm = math.sqrt(sum(float((g ** 2).sum()) for g in grads))
    assert value > 1e-3 and norm > 1e-3
    # slope along the gradient direction v = g/|g| must be |g|
    params = critic.trainable_params()
    start = [p.asnumpy().copy() for p in params]

    u = ms.Tensor(np.random.default_rng(0).random(real.shape[0], np.float32))

    @ms.jit
    def forward(r):
        return loss.d_loss(d_apply, r, r, None, u)

    def loss_at(t):
        for p, p0, g in zip(params, start, grads):
            # ops.assign, not set_data: a compiled graph keeps reading the old tensor after set_data
            ops.assign(p, ms.Tensor(p0 + t * g / norm))
        return float(forward(real).asnumpy())

    t = 1e-2
    slope = (loss_at(t) - loss_at(-t)) / (2 * t)
    loss_at(0.0)
    assert slope == pytest.approx(norm, rel=0.05)


@pytest.mark.trains
@pytest.mark.parametrize("name", ["minimal", "wgan_gp"])
def test_resume_restores_nets_and_optimiser_state(name, tiny_mnist, tmp_path):
    """nn.Adam (minimal) and, for beta1 = 0, mint.optim.Adam (wgan_gp): everything comes back exactly,
    and the nets come back as nets (MindSpore's load_param_into_net on an optimiser once filled the
    weights with their Adam moments)."""
    from mindgan import checkpoint
    from mindgan.training import Trainer

    cfg = quick_cfg(model=name, data=str(tiny_mnist), max_steps=5,
                    **({"model_args": {"ngf": 8, "ndf": 8}, "n_critic": 5, "beta1": 0.0} if name == "wgan_gp" else {}))
    trainer, summary = fit(cfg, tmp_path)
    mint = name == "wgan_gp"
    assert type(trainer.state.opt_d).__module__.startswith("mindspore.mint.optim") == mint
    ckpt = summary["checkpoint"]
    saved = {k: v.asnumpy() for k, v in checkpoint.load_params(ckpt).items()}
    if mint:
        assert any(k.startswith("optim_d.exp_avg.") for k in saved)
        assert saved["optim_d.state_step"].item() == 5 and saved["optim_g.state_step"].item() == 1
    again = Trainer(cfg, tmp_path, progress=False)
    again.resume()
    mine = {p.name: p.asnumpy() for p in again.state.get_parameters()}
    assert set(mine) == set(saved)
    assert [k for k in saved if not np.array_equal(mine[k], saved[k])] == []


def test_leaky_relu_has_mindspores_values_and_gradients_exactly():
    """blocks.LeakyReLU (two ReLUs, the fast CPU form) is nn.LeakyReLU to the bit, forward and backward."""
    from mindspore import nn
    from mindgan.models.blocks import LeakyReLU

    x = ms.Tensor(np.random.default_rng(0).standard_normal((64, 8, 5, 5)).astype(np.float32))
    w = ms.Tensor(np.random.default_rng(1).standard_normal((64, 8, 5, 5)).astype(np.float32))
    ours, theirs = LeakyReLU(0.2), nn.LeakyReLU(0.2)
    assert np.array_equal(ours(x).asnumpy(), theirs(x).asnumpy())
    def weighted_sum(act):
        def f(t):
            return (act(t) * w).sum()
        return f

    grads = [ms.jit(ms.grad(weighted_sum(act)))(x).asnumpy() for act in (ours, theirs)]
    assert np.array_equal(*grads)
    assert np.array_equal(LeakyReLU(0.3)(x).asnumpy(), nn.LeakyReLU(0.3)(x).asnumpy())
