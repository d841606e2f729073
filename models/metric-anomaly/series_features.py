"""Features of a metric window, computed outside the ONNX model.

lib/alerts-ml/series-features.ts implements the same function; fixtures.json carries raw windows with
their expected features and scores, so the TypeScript parity test checks both halves. Keep them identical.

The reference is the caller's baseline (mean and standard deviation of the metric before the incident);
without one, the first half of the window is the reference and only the second half is judged ("has the
metric settled?"). Every feature is in units of the reference's standard deviation, so one model serves
CPU percentages, latencies and connection counts alike:

    mean_z      (mean(judged) - ref_mean) / ref_sd
    last_z      (last value - ref_mean) / ref_sd
    sd_ratio    sd(judged) / ref_sd
    slope_z     least-squares slope of the judged points * their count / ref_sd (drift over the window)
    max_abs_z   max |value - ref_mean| / ref_sd over the judged points
    frac_above  share of judged points above the threshold (the caller's, else ref_mean + 3 ref_sd)

ref_sd is floored at max(1e-9, 1e-3 * |ref_mean|) so a flat reference does not divide by zero, and every
z-like feature is clipped to [-50, 50]. Standard deviations are population ones (ddof 0).
"""

from __future__ import annotations

import math

FEATURES = ["mean_z", "last_z", "sd_ratio", "slope_z", "max_abs_z", "frac_above"]
CLIP = 50.0
MIN_POINTS = 8


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _sd(values: list[float], mean: float) -> float:
    return math.sqrt(sum((v - mean) * (v - mean) for v in values) / len(values))


def _clip(value: float) -> float:
    return max(-CLIP, min(CLIP, value))


def series_features(
    values: list[float], baseline: tuple[float, float] | None = None, threshold: float | None = None
) -> list[float]:
    if baseline is None:
        half = len(values) // 2
        reference, judged = values[:half], values[half:]
        ref_mean = _mean(reference)
        ref_sd = _sd(reference, ref_mean)
    else:
        judged = values
        ref_mean, ref_sd = baseline
    ref_sd = max(ref_sd, 1e-9, 1e-3 * abs(ref_mean))
    n = len(judged)
    mean = _mean(judged)
    x_mean = (n - 1) / 2
    sxx = sum((i - x_mean) * (i - x_mean) for i in range(n))
    slope = sum((i - x_mean) * (v - mean) for i, v in enumerate(judged)) / sxx
    limit = threshold if threshold is not None else ref_mean + 3 * ref_sd
    return [
        _clip((mean - ref_mean) / ref_sd),
        _clip((judged[-1] - ref_mean) / ref_sd),
        _clip(_sd(judged, mean) / ref_sd),
        _clip(slope * n / ref_sd),
        _clip(max(abs(v - ref_mean) for v in judged) / ref_sd),
        sum(1 for v in judged if v > limit) / n,
    ]
