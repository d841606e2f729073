"""Trains the metric-anomaly Isolation Forest, exports it to ONNX and writes what TypeScript relies on.

    .tools/venv/bin/pip install -r models/requirements.txt
    .tools/venv/bin/python models/metric-anomaly/train.py

Window features are computed outside the model (series_features.py, mirrored by
lib/alerts-ml/series-features.ts); the ONNX file holds the forest: input `features` float32 [N, 6],
outputs `label` int64 [N] (1 normal, -1 anomalous) and `scores` float32 [N, 1] (scikit-learn's
decision_function: negative means anomalous). Writes model.onnx, model-meta.json, fixtures.json (raw
windows with their features and onnxruntime's scores, for the parity test) and the metrics section of
model-card.md. Seeds are fixed: the same versions give the same model.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.ensemble import IsolationForest
from sklearn.metrics import precision_score, recall_score, roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from onnx_common import OPSET, finish_onnx, model_meta, parity, prettier, session, write_metrics_section  # noqa: E402

from data import ANOMALY_KINDS, WINDOW, generate, window  # noqa: E402
from series_features import FEATURES, series_features  # noqa: E402

HERE = Path(__file__).resolve().parent
MODEL_VERSION = "1.0.0"
TRAIN_SIZE, TEST_SIZE = 20_000, 10_000
TRAIN_SEED, TEST_SEED, MODEL_SEED, FIXTURE_SEED = 20260301, 20260302, 17, 19
# Share of normal training windows the forest may call anomalous: it sets the decision offset. A window
# wrongly called normal ends a remediation that did not work, so the model errs towards "not yet normal".
CONTAMINATION = 0.03
N_ESTIMATORS, MAX_SAMPLES = 50, 128


def export_onnx(model: IsolationForest) -> bytes:
    onx = convert_sklearn(
        model,
        name="dharma-metric-anomaly",
        initial_types=[("features", FloatTensorType([None, len(FEATURES)]))],
        target_opset=OPSET,
    )
    return finish_onnx(
        onx,
        "Dharma metric anomaly: is a metric window back to normal (Isolation Forest over window features).",
        MODEL_VERSION,
        {"features": ",".join(FEATURES)},
    )


def detection_metrics(y: np.ndarray, scores: np.ndarray) -> dict:
    predicted = (scores < 0).astype(np.int64)  # 1 = anomalous
    return {
        "precision": round(float(precision_score(y, predicted)), 4),
        "recall": round(float(recall_score(y, predicted)), 4),
        "roc_auc": round(float(roc_auc_score(y, -scores)), 4),
        "false_positive_rate": round(float(predicted[y == 0].mean()), 4),
    }


def main() -> None:
    started = time.perf_counter()
    _, x_train, _ = generate(TRAIN_SIZE, TRAIN_SEED, anomaly_share=0.0)
    test_windows, x_test, y_test = generate(TEST_SIZE, TEST_SEED, anomaly_share=0.5)
    model = IsolationForest(
        n_estimators=N_ESTIMATORS, max_samples=MAX_SAMPLES, contamination=CONTAMINATION, random_state=MODEL_SEED
    ).fit(x_train)
    training_seconds = round(time.perf_counter() - started, 1)

    onnx_bytes = export_onnx(model)
    (HERE / "model.onnx").write_bytes(onnx_bytes)
    ort_session = session(onnx_bytes)
    scores = ort_session.run(["scores"], {"features": x_test})[0][:, 0]
    max_diff = parity(scores, model.decision_function(x_test))

    # Recall per anomaly kind, each measured on its own seeded set of windows of that kind.
    per_kind = {}
    for i, kind in enumerate(ANOMALY_KINDS):
        rng = np.random.default_rng(TEST_SEED + 100 + i)
        xs = np.array(
            [series_features(*window(rng, kind, bool(rng.random() < 0.5))) for _ in range(1000)], dtype=np.float32
        )
        per_kind[kind] = round(float((ort_session.run(["scores"], {"features": xs})[0][:, 0] < 0).mean()), 4)

    meta = model_meta(
        name="metric-anomaly",
        version=MODEL_VERSION,
        onnx_bytes=onnx_bytes,
        output="scores",
        specific={"features": FEATURES, "window": WINDOW},
        training_seconds=training_seconds,
        max_diff=max_diff,
        metrics={**detection_metrics(y_test, scores), "recall_per_kind": per_kind},
    )
    (HERE / "model-meta.json").write_text(json.dumps(meta, indent=2) + "\n")

    rng = np.random.default_rng(FIXTURE_SEED)
    picked = [int(i) for i in rng.choice(len(test_windows), size=60, replace=False)]
    cases = []
    fixture_x = x_test[picked]
    fixture_scores = ort_session.run(["scores"], {"features": fixture_x})[0][:, 0]
    for i, x, score in zip(picked, fixture_x, fixture_scores):
        values, baseline, threshold = test_windows[i]
        case = {"values": values, "features": [float(v) for v in x], "score": float(score)}
        if baseline is not None:
            case["baseline"] = {"mean": baseline[0], "sd": baseline[1]}
        if threshold is not None:
            case["threshold"] = threshold
        cases.append(case)
    (HERE / "fixtures.json").write_text(json.dumps({"features": FEATURES, "cases": cases}, indent=1) + "\n")

    m = meta["metrics"]
    write_metrics_section(
        HERE / "model-card.md",
        [
            f"Held-out set: {TEST_SIZE} generated windows of {WINDOW} points (seed {TEST_SEED}), half of them "
            f"anomalous. Training set: {TRAIN_SIZE} normal windows (seed {TRAIN_SEED}). Positive class: anomalous "
            "(the metric is not back to normal).",
            "",
            "| precision | recall | ROC-AUC | false positive rate (normal called anomalous) |",
            "|---|---|---|---|",
            f"| {m['precision']} | {m['recall']} | {m['roc_auc']} | {m['false_positive_rate']} |",
            "",
            "Recall per anomaly kind (1000 windows each): "
            + ", ".join(f"{k} {v}" for k, v in per_kind.items())
            + ".",
            "",
            f"- Isolation Forest: {N_ESTIMATORS} trees, {MAX_SAMPLES} samples each, contamination "
            f"{CONTAMINATION}.",
        ],
        meta,
        quantity="score",
    )
    prettier([HERE / name for name in ("model-meta.json", "fixtures.json", "model-card.md")])
    print(json.dumps({"metrics": m, "seconds": training_seconds, "bytes": len(onnx_bytes)}))


if __name__ == "__main__":
    main()
