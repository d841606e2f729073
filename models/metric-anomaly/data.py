"""Synthetic metric windows, normal and anomalous, for the metric-anomaly model.

A verification window is ~30 points of one metric after a remediation (CPU %, latency, connections,
disk use...). `generate` draws windows on random scales (level 1..1000, noise 1..15% of the level) so the
scale-free features are exercised, half with a caller baseline (the pre-incident mean/sd, itself
estimated from 30 noisy points, so not exact) and half judged against the window's own first half.

Normal windows: stationary noise (Gaussian, or AR(1) with phi up to 0.6, or Student-t with 4 degrees of
freedom for occasional outliers), optionally a gentle sinusoid of one-fifth of the noise (seasonality).
Anomalous windows (the fault is still there): a level shift of 2.5-10 sd up or down, a drift of 3-12 sd
over the window, variance 3-8x the baseline, bursts of 3-6 consecutive points at 5-15 sd, or a metric
stuck above the alert threshold. The Isolation Forest is trained on normal windows only; anomalous ones
are used only to measure it.
"""

from __future__ import annotations

import numpy as np

from series_features import series_features

WINDOW = 30
ANOMALY_KINDS = ["shift", "drift", "variance", "burst", "stuck"]


def _noise(rng: np.random.Generator, n: int) -> np.ndarray:
    kind = rng.integers(3)
    if kind == 0:
        return rng.normal(0.0, 1.0, n)
    if kind == 1:
        phi = rng.uniform(0.0, 0.6)
        e = rng.normal(0.0, np.sqrt(1 - phi * phi), n)
        out = np.empty(n)
        out[0] = rng.normal()
        for i in range(1, n):
            out[i] = phi * out[i - 1] + e[i]
        return out
    return rng.standard_t(4, n) / np.sqrt(2.0)


def window(rng: np.random.Generator, anomaly: str | None, with_baseline: bool) -> tuple[list[float], tuple | None, float | None]:
    level = float(10 ** rng.uniform(0, 3))
    sd = level * rng.uniform(0.01, 0.15)
    z = _noise(rng, WINDOW)
    if rng.random() < 0.3:
        z += 0.2 * np.sin(np.arange(WINDOW) * 2 * np.pi / rng.uniform(8, 30) + rng.uniform(0, 6.3))
    start = 0 if with_baseline else WINDOW // 2  # the judged part
    judged = np.arange(WINDOW) >= start
    threshold_k = rng.uniform(3.0, 6.0)
    if anomaly == "shift":
        z[judged] += rng.choice([-1, 1]) * rng.uniform(2.5, 10)
    elif anomaly == "drift":
        m = judged.sum()
        z[judged] += rng.choice([-1, 1]) * rng.uniform(3, 12) * np.arange(m) / m
    elif anomaly == "variance":
        z[judged] *= rng.uniform(3, 8)
    elif anomaly == "burst":
        length = int(rng.integers(3, 7))
        at = int(rng.integers(start, WINDOW - length + 1))
        z[at:at + length] += rng.choice([-1, 1]) * rng.uniform(5, 15)
    elif anomaly == "stuck":
        z[judged] = threshold_k + rng.uniform(0.5, 3) + 0.3 * z[judged]
    values = (level + sd * z).tolist()
    baseline = None
    if with_baseline:
        before = level + sd * rng.normal(0, 1, WINDOW)
        baseline = (float(before.mean()), float(before.std()))
    threshold = level + threshold_k * sd if rng.random() < 0.5 else None
    return values, baseline, threshold


def generate(n: int, seed: int, anomaly_share: float) -> tuple[list[tuple], np.ndarray, np.ndarray]:
    """`n` windows (values, baseline, threshold), their feature rows (float32) and labels (1 = anomalous)."""
    rng = np.random.default_rng(seed)
    windows, labels = [], []
    for _ in range(n):
        anomalous = rng.random() < anomaly_share
        kind = ANOMALY_KINDS[int(rng.integers(len(ANOMALY_KINDS)))] if anomalous else None
        windows.append(window(rng, kind, bool(rng.random() < 0.5)))
        labels.append(int(anomalous))
    x = np.array([series_features(*w) for w in windows], dtype=np.float32)
    return windows, x, np.array(labels, dtype=np.int64)
