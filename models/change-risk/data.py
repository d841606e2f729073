"""Synthetic change-risk data: plans, their context, and whether they caused an incident.

Dharma has no incident history of its own yet, so the training data is generated. It is synthetic but
principled: feature distributions resemble what a platform team deploys (mostly small changes in business
hours, few deletes, production changed less often), and the label is drawn from a documented ground-truth
risk formula (`true_logit`) plus noise that stands for everything a plan does not show. The model can
therefore only be as good as the formula lets it be; `oracle_probability` gives that ceiling, and the
model card reports both. Replace `generate` with real deployment outcomes once Dharma has them.
"""

from __future__ import annotations

import numpy as np

# The model's input, in order. lib/risk/features.ts builds the same vector; a test keeps them equal.
FEATURES = [
    "creates",
    "updates",
    "deletes",
    "replaces",
    "kind_database",
    "kind_network",
    "kind_compute",
    "kind_storage",
    "kind_iam",
    "kind_other",
    "env_dev",
    "env_staging",
    "env_production",
    "hour_utc",
    "weekend",
    "recent_failure_rate",
    "deployments_7d",
]

ACTIONS = ["creates", "updates", "deletes", "replaces"]
KINDS = ["database", "network", "compute", "storage", "iam", "other"]
ENVIRONMENTS = ["dev", "staging", "production"]

# Ground truth (log-odds of an incident). Deletes and replaces hurt more than creates, stateful and
# security-relevant kinds more than compute, production more than dev, destructive changes in production
# most; off-hours and weekend changes have fewer eyes on them; a stack that failed recently tends to fail
# again; high churn adds risk. Logarithms: the tenth database change adds less than the first.
INTERCEPT = -5.0
ACTION_WEIGHTS = {"creates": 0.15, "updates": 0.25, "deletes": 0.55, "replaces": 0.70}
KIND_WEIGHTS = {"database": 0.45, "network": 0.30, "compute": 0.08, "storage": 0.20, "iam": 0.35, "other": 0.0}
ENV_WEIGHTS = {"dev": -0.9, "staging": 0.0, "production": 0.8}
PRODUCTION_DESTRUCTIVE_WEIGHT = 0.4
OFF_HOURS_WEIGHT = 0.5  # before 07:00 or from 19:00 UTC
WEEKEND_WEIGHT = 0.6
FAILURE_RATE_WEIGHT = 2.5
CHURN_WEIGHT = 0.25
NOISE_SD = 0.35  # unobserved factors: author experience, test coverage, ...


def _column(x: np.ndarray, name: str) -> np.ndarray:
    return x[:, FEATURES.index(name)].astype(np.float64)


def true_logit(x: np.ndarray) -> np.ndarray:
    """Log-odds of an incident for each row of `x` (columns in FEATURES order), before noise."""
    z = np.full(x.shape[0], INTERCEPT)
    for name, weight in ACTION_WEIGHTS.items():
        z += weight * np.log1p(_column(x, name))
    for kind, weight in KIND_WEIGHTS.items():
        z += weight * np.log1p(_column(x, f"kind_{kind}"))
    for env, weight in ENV_WEIGHTS.items():
        z += weight * _column(x, f"env_{env}")
    destructive = _column(x, "deletes") + _column(x, "replaces")
    z += PRODUCTION_DESTRUCTIVE_WEIGHT * _column(x, "env_production") * np.log1p(destructive)
    hour = _column(x, "hour_utc")
    z += OFF_HOURS_WEIGHT * ((hour < 7) | (hour >= 19))
    z += WEEKEND_WEIGHT * _column(x, "weekend")
    z += FAILURE_RATE_WEIGHT * _column(x, "recent_failure_rate")
    z += CHURN_WEIGHT * np.log1p(_column(x, "deployments_7d"))
    return z


def oracle_probability(x: np.ndarray) -> np.ndarray:
    """The best prediction possible from the features: the ground truth without the unobserved noise."""
    return 1.0 / (1.0 + np.exp(-true_logit(x)))


def _plan_sizes(rng: np.random.Generator, n: int) -> np.ndarray:
    # Mostly small changes, some medium, a few large (new environments, big refactors).
    bucket = rng.choice(3, size=n, p=[0.70, 0.25, 0.05])
    small = rng.integers(1, 6, size=n)
    medium = rng.integers(6, 31, size=n)
    large = rng.integers(31, 201, size=n)
    return np.choose(bucket, [small, medium, large])


def _split(rng: np.random.Generator, totals: np.ndarray, alpha: list[float]) -> np.ndarray:
    shares = rng.dirichlet(alpha, size=totals.shape[0])
    return np.array([rng.multinomial(t, s) for t, s in zip(totals, shares)])


def generate(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` feature rows (float32, FEATURES order) and their incident labels (0/1), reproducible from `seed`."""
    rng = np.random.default_rng(seed)
    totals = _plan_sizes(rng, n)
    actions = _split(rng, totals, [3.0, 2.0, 0.6, 0.4])
    kinds = _split(rng, totals, [0.5, 1.0, 1.0, 0.7, 0.5, 1.0])

    env = rng.choice(3, size=n, p=[0.45, 0.30, 0.25])
    env_onehot = np.eye(3)[env]

    in_business_hours = rng.random(n) < 0.8
    hour = np.where(in_business_hours, rng.integers(8, 18, size=n), rng.integers(0, 24, size=n))
    weekend = (rng.random(n) < 0.12).astype(np.float64)

    # Failure rate over the stack's last ten runs; one stack in ten is new and has none.
    stack_failure_p = rng.beta(1.2, 8.0, size=n)
    failure_rate = rng.binomial(10, stack_failure_p) / 10.0
    failure_rate[rng.random(n) < 0.1] = 0.0
    deployments = rng.poisson(np.array([8.0, 5.0, 3.0])[env])

    x = np.column_stack(
        [actions, kinds, env_onehot, hour, weekend, failure_rate, deployments]
    ).astype(np.float32)
    noisy_logit = true_logit(x) + rng.normal(0.0, NOISE_SD, size=n)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-noisy_logit))).astype(np.int64)
    return x, y
