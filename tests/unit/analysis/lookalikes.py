"""Synthetic runs shaped like common real logs the corpus cannot train cheaply: LLM pretraining, small-batch
fine-tuning, Keras epoch logs, PPO, a GAN, a diffusion model, warm restarts. Each is healthy by construction; they
guard the detectors' generality (zero warnings) across scales, lengths, noise levels and key conventions.
"""

from __future__ import annotations

import numpy as np

from runwise.domain.model import MetricSeries, Run, RunInfo


def _run(name: str, cols: dict[str, tuple[np.ndarray, np.ndarray]]) -> Run:
    series = {k: MetricSeries(k, s, v) for k, (s, v) in cols.items()}
    last = max(int(s[-1]) for s, _ in cols.values())
    return Run(RunInfo(id=name, name=name, source="memory", last_step=last), series=series)


def _ar_noise(rng: np.random.Generator, n: int, rho: float = 0.6) -> np.ndarray:
    """Correlated noise, as batch losses of consecutive steps share the model's state."""
    e = rng.normal(0, 1, n)
    out = np.empty(n)
    acc = 0.0
    for i in range(n):
        acc = rho * acc + e[i]
        out[i] = acc
    return out * np.sqrt(1 - rho**2)


def llm_pretraining(seed: int = 0, n: int = 20_000, every: int = 5) -> Run:
    """Loss 10.8 → ~2.4 over 100k steps logged every 5, warmup+cosine lr, grad norm with init transient."""
    rng = np.random.default_rng(seed)
    steps = np.arange(n) * every
    t = steps.astype(float)
    loss = 1.9 + 8.9 / (1 + t / 300) ** 0.55
    loss = loss * (1 + 0.012 * _ar_noise(rng, n)) + rng.gumbel(0, 0.004, n)
    warm = 2000
    lr = np.where(
        t < warm, 3e-4 * (t + every) / warm, 3e-5 + 2.7e-4 * 0.5 * (1 + np.cos(np.pi * (t - warm) / (t[-1] - warm)))
    )
    gn = (0.25 + 8 * np.exp(-t / 400) + 0.15 * t / t[-1]) * np.exp(rng.normal(0, 0.25, n))
    gn[rng.random(n) < 0.002] *= 4  # occasional hard batches
    tps = 1.2e5 * (1 + 0.02 * rng.normal(0, 1, n))
    tps[: n // 200] *= np.linspace(0.3, 1, n // 200)  # compile / warm caches
    vs = steps[:: 1000 // every]
    val = 1.95 + 8.9 / (1 + vs / 300) ** 0.55 + rng.normal(0, 0.004, vs.size)
    return _run(
        "llm",
        {
            "train/loss": (steps, loss),
            "train/lr": (steps, lr),
            "train/grad_norm": (steps, gn),
            "perf/tokens_per_sec": (steps, tps),
            "val/loss": (vs, val),
            "train/ppl": (steps, np.exp(loss)),
        },
    )


def fine_tune(seed: int = 0, n: int = 300) -> Run:
    """300 steps of small-batch fine-tuning: very noisy batch loss, warmup+linear lr, eval every 50 steps."""
    rng = np.random.default_rng(seed)
    steps = np.arange(1, n + 1)
    level = 0.45 + 0.9 * np.exp(-steps / 60)
    loss = level * rng.lognormal(0, 0.35, n)
    lr = np.where(steps <= 30, 2e-5 * steps / 30, 2e-5 * (n - steps) / (n - 30))
    gn = 3 + 6 * rng.lognormal(0, 0.5, n)
    vs = np.arange(50, n + 1, 50)
    val = 0.5 + 0.9 * np.exp(-vs / 60) + rng.normal(0, 0.01, vs.size)
    return _run(
        "ft",
        {
            "loss": (steps, loss),
            "learning_rate": (steps, lr),
            "grad_norm": (steps, gn),
            "eval_loss": (vs, val),
            "epoch": (steps, steps / 100),
        },
    )


def keras_epochs(seed: int = 0, epochs: int = 20) -> Run:
    """A Keras History: 20 epochs of loss, accuracy, val_loss, val_accuracy, lr under ReduceLROnPlateau."""
    rng = np.random.default_rng(seed)
    e = np.arange(epochs)
    loss = 0.25 + 1.6 * np.exp(-e / 3) + rng.normal(0, 0.01, epochs)
    val = 0.32 + 1.5 * np.exp(-e / 3) + rng.normal(0, 0.015, epochs)
    acc = 0.93 - 0.6 * np.exp(-e / 3) + rng.normal(0, 0.004, epochs)
    vacc = 0.90 - 0.6 * np.exp(-e / 3) + rng.normal(0, 0.006, epochs)
    lr = np.where(e < 12, 1e-3, np.where(e < 17, 1e-4, 1e-5))
    return _run(
        "keras",
        {
            "loss": (e, loss),
            "accuracy": (e, acc),
            "val_loss": (e, val),
            "val_accuracy": (e, vacc),
            "lr": (e, lr),
        },
    )


def ppo(seed: int = 0, n: int = 2000) -> Run:
    """CleanRL-style PPO: noisy rising return, value loss that grows with returns, policy loss around zero."""
    rng = np.random.default_rng(seed)
    steps = np.arange(n) * 2048
    prog = np.arange(n) / n
    ret = 500 * (1 - np.exp(-3 * prog)) + rng.normal(0, 60, n)
    value_loss = (5 + 400 * prog) * rng.lognormal(0, 0.6, n)
    policy_loss = rng.normal(-0.01, 0.02, n)
    entropy = 1.4 - 0.8 * prog + rng.normal(0, 0.03, n)
    lr = 2.5e-4 * (1 - prog)
    sps = 2400 * (1 + 0.08 * rng.normal(0, 1, n))
    return _run(
        "ppo",
        {
            "charts/episodic_return": (steps, ret),
            "losses/value_loss": (steps, value_loss),
            "losses/policy_loss": (steps, policy_loss),
            "losses/entropy": (steps, entropy),
            "losses/approx_kl": (steps, np.abs(rng.normal(0.01, 0.005, n))),
            "charts/learning_rate": (steps, lr),
            "charts/SPS": (steps, sps),
        },
    )


def gan(seed: int = 0, n: int = 3000) -> Run:
    """A GAN: generator and discriminator losses that oscillate against each other, never converge."""
    rng = np.random.default_rng(seed)
    steps = np.arange(n)
    phase = np.sin(steps / 80)
    d_loss = 0.6 + 0.15 * phase + rng.normal(0, 0.1, n)
    g_loss = 1.8 - 0.4 * phase + 0.3 * steps / n + rng.normal(0, 0.3, n)
    return _run("gan", {"loss_D": (steps, np.abs(d_loss)), "loss_G": (steps, np.abs(g_loss))})


def diffusion(seed: int = 0, n: int = 50_000) -> Run:
    """Diffusion training: noise-prediction MSE falls fast, then creeps down under heavy per-batch noise."""
    rng = np.random.default_rng(seed)
    steps = np.arange(n) * 10
    level = 0.035 + 0.9 * np.exp(-steps / 800) + 0.012 * np.exp(-steps / 150_000)
    loss = level * rng.lognormal(0, 0.45, n)
    lr = np.full(n, 1e-4)
    return _run("diffusion", {"train/loss": (steps, loss), "lr": (steps, lr)})


def warm_restarts(seed: int = 0, n: int = 3000) -> Run:
    """SGDR: cosine with warm restarts every 750 steps; the loss jumps up after each restart, by design."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    phase = (t % 750) / 750
    lr = 1e-4 + 0.1 * 0.5 * (1 + np.cos(np.pi * phase))
    loss = (0.3 + 1.5 * np.exp(-t / 500) + 0.25 * (1 - phase) ** 3 * (t >= 750)) * (1 + 0.05 * rng.normal(0, 1, n))
    return _run("sgdr", {"train/loss": (t, loss), "lr": (t, lr)})


ALL = {
    "llm": llm_pretraining,
    "fine_tune": fine_tune,
    "keras": keras_epochs,
    "ppo": ppo,
    "gan": gan,
    "diffusion": diffusion,
    "warm_restarts": warm_restarts,
}
