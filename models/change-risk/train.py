"""Trains the change-risk classifier, exports it to ONNX and writes what the TypeScript side relies on.

    .tools/venv/bin/pip install -r models/requirements.txt
    .tools/venv/bin/python models/change-risk/train.py

Writes, next to this file: model.onnx (input `features` float32 [N, 17], outputs `label` and
`probabilities` [N, 2] as plain tensors), model-meta.json (version, feature order, metrics, versions),
fixtures.json (feature vectors with onnxruntime's predictions, for the TypeScript parity test) and the
metrics section of model-card.md. Seeds are fixed: the same versions give the same model, byte for byte.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, brier_score_loss, log_loss, roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from onnx_common import OPSET, finish_onnx, model_meta, parity, prettier, session, write_metrics_section  # noqa: E402

from data import FEATURES, generate, oracle_probability  # noqa: E402

HERE = Path(__file__).resolve().parent
MODEL_VERSION = "1.0.0"
TRAIN_SIZE, TEST_SIZE = 30_000, 10_000
TRAIN_SEED, TEST_SEED, MODEL_SEED, FIXTURE_SEED = 20260101, 20260102, 7, 11
# Defaults of RISK_MEDIUM_THRESHOLD and RISK_HIGH_THRESHOLD (lib/config.ts), reported per level.
LEVELS = [("low", 0.0), ("medium", 0.10), ("high", 0.35)]


def metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    return {
        "auc": round(float(roc_auc_score(y, p)), 4),
        "brier": round(float(brier_score_loss(y, p)), 4),
        "log_loss": round(float(log_loss(y, p)), 4),
        "accuracy_at_0_5": round(float(accuracy_score(y, p >= 0.5)), 4),
    }


def level_metrics(y: np.ndarray, p: np.ndarray) -> list[dict]:
    bounds = [lower for _, lower in LEVELS[1:]] + [np.inf]
    result = []
    for (name, lower), upper in zip(LEVELS, bounds):
        mask = (p >= lower) & (p < upper)
        result.append(
            {
                "level": name,
                "from": lower,
                "share": round(float(mask.mean()), 3),
                "incident_rate": round(float(y[mask].mean()), 3) if mask.any() else None,
            }
        )
    return result


def export_onnx(model: GradientBoostingClassifier) -> bytes:
    onx = convert_sklearn(
        model,
        name="dharma-change-risk",
        initial_types=[("features", FloatTensorType([None, len(FEATURES)]))],
        options={id(model): {"zipmap": False}},
        target_opset=OPSET,
    )
    return finish_onnx(
        onx,
        "Dharma change-risk: probability that a Terraform change causes an incident.",
        MODEL_VERSION,
        {"features": ",".join(FEATURES)},
    )


def ort_probabilities(ort_session: ort.InferenceSession, x: np.ndarray) -> np.ndarray:
    _, probabilities = ort_session.run(["label", "probabilities"], {"features": x.astype(np.float32)})
    return probabilities[:, 1]


def fixture_rows(x_test: np.ndarray) -> np.ndarray:
    """Held-out rows plus corners the random draw rarely reaches (empty plan, huge destructive change...)."""
    rng = np.random.default_rng(FIXTURE_SEED)
    picked = x_test[rng.choice(x_test.shape[0], size=60, replace=False)]
    corners = []
    for env in range(3):
        onehot = [1.0 if i == env else 0.0 for i in range(3)]
        corners.append([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, *onehot, 12, 0, 0.0, 0])
        corners.append([1, 0, 0, 0, 0, 0, 0, 0, 0, 1, *onehot, 10, 0, 0.0, 2])
        corners.append([0, 2, 3, 1, 4, 0, 0, 1, 1, 0, *onehot, 23, 1, 0.5, 12])
        corners.append([150, 20, 40, 30, 60, 40, 60, 30, 30, 20, *onehot, 3, 1, 1.0, 30])
    return np.vstack([picked, np.array(corners, dtype=np.float32)]).astype(np.float32)


def write_model_card_metrics(meta: dict) -> None:
    m = meta["metrics"]
    rows = [
        "| model | AUC | Brier | log loss | accuracy @ 0.5 |",
        "|---|---|---|---|---|",
    ]
    for label, key in [
        ("gradient boosting (this model, ONNX)", "model"),
        ("logistic regression baseline", "logistic_baseline"),
        ("ground-truth formula without noise (ceiling)", "oracle"),
        ("constant base rate (floor)", "base_rate"),
    ]:
        r = m[key]
        rows.append(f"| {label} | {r['auc']} | {r['brier']} | {r['log_loss']} | {r['accuracy_at_0_5']} |")
    write_metrics_section(
        HERE / "model-card.md",
        [
            f"Held-out set: {TEST_SIZE} generated changes (seed {TEST_SEED}), incident rate "
            f"{m['test_incident_rate']}. Training set: {TRAIN_SIZE} changes (seed {TRAIN_SEED}).",
            "",
            *rows,
            "",
            "| level (default thresholds) | from score | share of held-out changes | incident rate |",
            "|---|---|---|---|",
            *[
                f"| {r['level']} | {r['from']} | {r['share']} | {r['incident_rate']} |"
                for r in m["levels"]
            ],
            "",
        ],
        meta,
    )


def main() -> None:
    started = time.perf_counter()
    x_train, y_train = generate(TRAIN_SIZE, TRAIN_SEED)
    x_test, y_test = generate(TEST_SIZE, TEST_SEED)

    model = GradientBoostingClassifier(
        n_estimators=150, max_depth=3, learning_rate=0.08, subsample=0.8, random_state=MODEL_SEED
    )
    model.fit(x_train, y_train)
    baseline = LogisticRegression(max_iter=2000).fit(x_train, y_train)
    training_seconds = round(time.perf_counter() - started, 1)

    onnx_bytes = export_onnx(model)
    (HERE / "model.onnx").write_bytes(onnx_bytes)
    ort_session = session(onnx_bytes)

    p_onnx = ort_probabilities(ort_session, x_test)
    max_diff = parity(p_onnx, model.predict_proba(x_test)[:, 1])

    rate = float(y_train.mean())
    meta = model_meta(
        name="change-risk",
        version=MODEL_VERSION,
        onnx_bytes=onnx_bytes,
        output="probabilities",
        specific={"features": FEATURES},
        training_seconds=training_seconds,
        max_diff=max_diff,
        metrics={
            "test_incident_rate": round(float(y_test.mean()), 4),
            "model": metrics(y_test, p_onnx),
            "levels": level_metrics(y_test, p_onnx),
            "logistic_baseline": metrics(y_test, baseline.predict_proba(x_test)[:, 1]),
            "oracle": metrics(y_test, oracle_probability(x_test)),
            "base_rate": metrics(y_test, np.full(y_test.shape, rate)),
        },
    )
    (HERE / "model-meta.json").write_text(json.dumps(meta, indent=2) + "\n")

    rows = fixture_rows(x_test)
    fixtures = {
        "features": FEATURES,
        "cases": [
            {"features": [float(v) for v in row], "probability": float(p)}
            for row, p in zip(rows, ort_probabilities(ort_session, rows))
        ],
    }
    (HERE / "fixtures.json").write_text(json.dumps(fixtures, indent=1) + "\n")
    write_model_card_metrics(meta)
    prettier([HERE / name for name in ("model-meta.json", "fixtures.json", "model-card.md")])
    print(json.dumps({"metrics": meta["metrics"], "seconds": training_seconds, "bytes": len(onnx_bytes)}))


if __name__ == "__main__":
    main()
