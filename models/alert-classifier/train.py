"""Trains the alert classifier, exports it to ONNX and writes what the TypeScript side relies on.

    .tools/venv/bin/pip install -r models/requirements.txt
    .tools/venv/bin/python models/alert-classifier/train.py

The text is hashed into a fixed-width vector outside the model (text_features.py, mirrored by
lib/alerts-ml/text-features.ts); the ONNX file holds the multinomial logistic regression: input `features`
float32 [N, 4096], outputs `label` int64 [N] and `probabilities` float32 [N, 7] (CLASSES order). Writes
model.onnx, model-meta.json, fixtures.json (alerts with onnxruntime's probabilities, for the parity test)
and the metrics section of model-card.md. Seeds are fixed: the same versions give the same model.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from onnx_common import OPSET, finish_onnx, model_meta, parity, prettier, session, write_metrics_section  # noqa: E402

from data import CLASSES, LABEL_NOISE, generate  # noqa: E402
from text_features import BUCKETS, alert_text, vectorize  # noqa: E402

HERE = Path(__file__).resolve().parent
MODEL_VERSION = "1.0.0"
TRAIN_SIZE, TEST_SIZE = 12_000, 4_000
TRAIN_SEED, TEST_SEED, FIXTURE_SEED = 20260201, 20260202, 13
C = 8.0
# Default of ALERT_CLASSIFIER_MIN_CONFIDENCE (lib/config.ts): below it no playbook is chosen automatically.
MIN_CONFIDENCE = 0.6


def matrix(alerts: list[dict]) -> np.ndarray:
    return np.vstack([vectorize(alert_text(a["alertName"], a["summary"], a["labels"])) for a in alerts])


def calibration(y: np.ndarray, p: np.ndarray, bins: int = 10) -> tuple[float, list[dict]]:
    """Expected calibration error of the top-class confidence, and the reliability table."""
    confidence, predicted = p.max(axis=1), p.argmax(axis=1)
    correct = predicted == y
    ece, table = 0.0, []
    edges = np.linspace(0.0, 1.0, bins + 1)
    for lower, upper in zip(edges[:-1], edges[1:]):
        mask = (confidence > lower) & (confidence <= upper)
        if not mask.any():
            continue
        gap = abs(float(correct[mask].mean()) - float(confidence[mask].mean()))
        ece += gap * float(mask.mean())
        table.append(
            {
                "from": round(float(lower), 1),
                "to": round(float(upper), 1),
                "share": round(float(mask.mean()), 3),
                "confidence": round(float(confidence[mask].mean()), 3),
                "accuracy": round(float(correct[mask].mean()), 3),
            }
        )
    return round(ece, 4), table


def export_onnx(model: LogisticRegression) -> bytes:
    onx = convert_sklearn(
        model,
        name="dharma-alert-classifier",
        initial_types=[("features", FloatTensorType([None, BUCKETS]))],
        options={id(model): {"zipmap": False}},
        target_opset=OPSET,
    )
    return finish_onnx(
        onx,
        "Dharma alert classifier: root-cause class of an alert from its hashed text.",
        MODEL_VERSION,
        {"classes": ",".join(CLASSES), "buckets": str(BUCKETS)},
    )


def fixture_alerts(test_alerts: list[dict]) -> list[dict]:
    rng = np.random.default_rng(FIXTURE_SEED)
    picked = [test_alerts[int(i)] for i in rng.choice(len(test_alerts), size=50, replace=False)]
    corners = [
        {"alertName": "", "summary": "", "labels": {}},
        {"alertName": "KubePodOOMKilled", "summary": "", "labels": {}},
        {"alertName": "Ünïcödé ålert", "summary": "Dísk — 95 % fûll on /var/log ✓", "labels": {"ключ": "значение"}},
        {"alertName": "PostgresqlTooManyConnections", "summary": "98% of max_connections used",
         "labels": {"alertname": "PostgresqlTooManyConnections", "severity": "critical", "instance": "db:9187"}},
        {"alertName": "x", "summary": " ".join(["memory"] * 300), "labels": {"a": "b" * 500}},
    ]
    return picked + corners


def main() -> None:
    started = time.perf_counter()
    train_alerts, y_train = generate(TRAIN_SIZE, TRAIN_SEED)
    test_alerts, y_test = generate(TEST_SIZE, TEST_SEED)
    x_train, x_test = matrix(train_alerts), matrix(test_alerts)
    model = LogisticRegression(C=C, max_iter=3000).fit(x_train, y_train)
    training_seconds = round(time.perf_counter() - started, 1)

    onnx_bytes = export_onnx(model)
    (HERE / "model.onnx").write_bytes(onnx_bytes)
    ort_session = session(onnx_bytes)
    p_onnx = ort_session.run(["probabilities"], {"features": x_test})[0]
    max_diff = parity(p_onnx, model.predict_proba(x_test))

    predicted = p_onnx.argmax(axis=1)
    confident = p_onnx.max(axis=1) >= MIN_CONFIDENCE
    ece, reliability = calibration(y_test, p_onnx)
    meta = model_meta(
        name="alert-classifier",
        version=MODEL_VERSION,
        onnx_bytes=onnx_bytes,
        output="probabilities",
        specific={"classes": CLASSES, "buckets": BUCKETS},
        training_seconds=training_seconds,
        max_diff=max_diff,
        metrics={
            "accuracy": round(float(accuracy_score(y_test, predicted)), 4),
            "macro_f1": round(float(f1_score(y_test, predicted, average="macro")), 4),
            "per_class_f1": {
                c: round(float(f), 4) for c, f in zip(CLASSES, f1_score(y_test, predicted, average=None))
            },
            "expected_calibration_error": ece,
            "reliability": reliability,
            "min_confidence": MIN_CONFIDENCE,
            "coverage_at_min_confidence": round(float(confident.mean()), 4),
            "accuracy_at_min_confidence": round(float((predicted[confident] == y_test[confident]).mean()), 4),
            "label_noise": LABEL_NOISE,
            "confusion_matrix": confusion_matrix(y_test, predicted).tolist(),
        },
    )
    (HERE / "model-meta.json").write_text(json.dumps(meta, indent=2) + "\n")

    alerts = fixture_alerts(test_alerts)
    x_fix = matrix(alerts)
    p_fix = ort_session.run(["probabilities"], {"features": x_fix})[0]
    fixtures = {
        "classes": CLASSES,
        "cases": [
            {
                **alert,
                "nonZeroBuckets": {str(int(b)): float(x[b]) for b in np.flatnonzero(x)[:5]},
                "probabilities": [float(v) for v in p],
            }
            for alert, x, p in zip(alerts, x_fix, p_fix)
        ],
    }
    (HERE / "fixtures.json").write_text(json.dumps(fixtures, indent=1, ensure_ascii=False) + "\n")

    m = meta["metrics"]
    header = "| true \\ predicted | " + " | ".join(CLASSES) + " |"
    write_metrics_section(
        HERE / "model-card.md",
        [
            f"Held-out set: {TEST_SIZE} generated alerts (seed {TEST_SEED}; {LABEL_NOISE:.0%} of labels are "
            f"deliberately wrong, so about {1 - LABEL_NOISE + LABEL_NOISE / len(CLASSES):.3f} is the best "
            f"reachable accuracy). Training set: {TRAIN_SIZE} alerts (seed {TRAIN_SEED}).",
            "",
            f"- Accuracy {m['accuracy']}, macro-F1 {m['macro_f1']}.",
            "- F1 per class: " + ", ".join(f"{c} {f}" for c, f in m["per_class_f1"].items()) + ".",
            f"- Expected calibration error of the confidence (10 bins): {m['expected_calibration_error']}.",
            f"- At the default minimum confidence {MIN_CONFIDENCE}: {m['coverage_at_min_confidence']:.1%} of "
            f"alerts are classified, with accuracy {m['accuracy_at_min_confidence']}; the rest escalate.",
            "",
            "| confidence | share of alerts | mean confidence | accuracy |",
            "|---|---|---|---|",
            *[f"| {r['from']}-{r['to']} | {r['share']} | {r['confidence']} | {r['accuracy']} |" for r in reliability],
            "",
            "Confusion matrix (rows: generated label, columns: prediction):",
            "",
            header,
            "|---|" + "---|" * len(CLASSES),
            *[
                f"| {c} | " + " | ".join(str(v) for v in row) + " |"
                for c, row in zip(CLASSES, m["confusion_matrix"])
            ],
            "",
        ],
        meta,
    )
    prettier([HERE / name for name in ("model-meta.json", "fixtures.json", "model-card.md")])
    print(json.dumps({"metrics": {k: m[k] for k in ("accuracy", "macro_f1", "expected_calibration_error")},
                      "seconds": training_seconds, "bytes": len(onnx_bytes)}))


if __name__ == "__main__":
    main()
