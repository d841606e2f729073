"""Python side of bench/risk-inference.ts: the same model and fixtures, one row per run, one thread.

    .tools/venv/bin/python models/change-risk/bench_inference.py <iterations>

Prints one JSON line: {"p50_ms", "p99_ms", "mean_ms", "per_second", "onnxruntime"}.
"""

import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

HERE = Path(__file__).resolve().parent


def main() -> None:
    iterations = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(HERE / "model.onnx"), options, providers=["CPUExecutionProvider"])
    cases = json.loads((HERE / "fixtures.json").read_text())["cases"]
    rows = [np.array([c["features"]], dtype=np.float32) for c in cases]
    for row in rows * 10:  # warm-up
        session.run(["probabilities"], {"features": row})
    latencies = []
    started = time.perf_counter()
    for i in range(iterations):
        t0 = time.perf_counter()
        session.run(["probabilities"], {"features": rows[i % len(rows)]})
        latencies.append((time.perf_counter() - t0) * 1000)
    elapsed = time.perf_counter() - started
    latencies.sort()
    rank = lambda p: latencies[min(len(latencies), max(1, math.ceil(p / 100 * len(latencies)))) - 1]
    print(
        json.dumps(
            {
                "p50_ms": rank(50),
                "p99_ms": rank(99),
                "mean_ms": sum(latencies) / len(latencies),
                "per_second": iterations / elapsed,
                "onnxruntime": ort.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
