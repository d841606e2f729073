"""Python side of bench/ml-inference.ts: the alert classifier and metric-anomaly models on their fixtures,
one row per run, one thread, features computed beforehand (only onnxruntime is timed).

    .tools/venv/bin/python models/bench_alert_models.py <iterations>

Prints one JSON line: {"alert-classifier": {...}, "metric-anomaly": {...}, "onnxruntime": version}, each
with p50_ms, p99_ms, mean_ms and per_second.
"""

import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "alert-classifier"))
from onnx_common import session  # noqa: E402
from text_features import alert_text, vectorize  # noqa: E402


def measure(sess: ort.InferenceSession, output: str, rows: list[np.ndarray], iterations: int) -> dict:
    for row in rows * 10:  # warm-up
        sess.run([output], {"features": row})
    latencies = []
    started = time.perf_counter()
    for i in range(iterations):
        t0 = time.perf_counter()
        sess.run([output], {"features": rows[i % len(rows)]})
        latencies.append((time.perf_counter() - t0) * 1000)
    elapsed = time.perf_counter() - started
    latencies.sort()
    rank = lambda p: latencies[min(len(latencies), max(1, math.ceil(p / 100 * len(latencies)))) - 1]
    return {
        "p50_ms": rank(50),
        "p99_ms": rank(99),
        "mean_ms": sum(latencies) / len(latencies),
        "per_second": iterations / elapsed,
    }


def main() -> None:
    iterations = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    classifier = json.loads((HERE / "alert-classifier" / "fixtures.json").read_text())["cases"]
    anomaly = json.loads((HERE / "metric-anomaly" / "fixtures.json").read_text())["cases"]
    text_rows = [vectorize(alert_text(c["alertName"], c["summary"], c["labels"]))[None, :] for c in classifier]
    series_rows = [np.array([c["features"]], dtype=np.float32) for c in anomaly]
    result = {
        "alert-classifier": measure(
            session((HERE / "alert-classifier" / "model.onnx").read_bytes()), "probabilities", text_rows, iterations
        ),
        "metric-anomaly": measure(
            session((HERE / "metric-anomaly" / "model.onnx").read_bytes()), "scores", series_rows, iterations
        ),
        "onnxruntime": ort.__version__,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
