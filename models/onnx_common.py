"""What the training scripts of models/*/ share: a stable ONNX file checked against scikit-learn, the fields
of model-meta.json, the metrics section of a model card with its provenance lines, and formatting of the
generated files."""

from __future__ import annotations

import datetime
import hashlib
import platform
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import skl2onnx
import sklearn

ROOT = Path(__file__).resolve().parent.parent
PRETTIER = ROOT / "node_modules" / ".bin" / "prettier"
# One set of opsets for every export, so the one runtime on the TypeScript side (onnxruntime-node) runs them all.
OPSET = {"": 17, "ai.onnx.ml": 3}
# scikit-learn computes in float64, onnxruntime in float32 (trees compare float32 inputs against float64
# thresholds in scikit-learn, and onnxruntime sums their leaves in float32).
SKLEARN_PARITY_TOLERANCE = 1e-5


def finish_onnx(onx: onnx.ModelProto, doc: str, version: str, metadata: dict[str, str]) -> bytes:
    onx.doc_string = doc
    onx.model_version = int(version.split(".")[0])
    for key, value in {**metadata, "version": version}.items():
        entry = onx.metadata_props.add()
        entry.key, entry.value = key, value
    # skl2onnx collects opsets in a set, whose order follows Python's string hashing: sort for a stable file.
    opsets = sorted((o.domain, o.version) for o in onx.opset_import)
    del onx.opset_import[:]
    for domain, version_ in opsets:
        onx.opset_import.add(domain=domain, version=version_)
    onnx.checker.check_model(onx)
    return onx.SerializeToString()


def session(onnx_bytes: bytes) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])


def parity(onnx_values: np.ndarray, sklearn_values: np.ndarray) -> float:
    """Largest |onnxruntime − scikit-learn| difference; stops the training if the export changed the model."""
    max_diff = float(np.max(np.abs(onnx_values - sklearn_values)))
    if max_diff > SKLEARN_PARITY_TOLERANCE:
        sys.exit(f"ONNX export disagrees with scikit-learn: max |diff| {max_diff:.2e}")
    return max_diff


def versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "skl2onnx": skl2onnx.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": ort.__version__,
    }


def today() -> str:
    return datetime.date.today().isoformat()


def model_meta(
    *,
    name: str,
    version: str,
    onnx_bytes: bytes,
    output: str,
    specific: dict[str, Any],
    training_seconds: float,
    max_diff: float,
    metrics: dict[str, Any],
) -> dict[str, Any]:
    """model-meta.json: the fields every model has (the TypeScript loader refuses a file with another sha256)
    around the model's `specific` ones (feature order, classes...), in the order of the committed files."""
    return {
        "name": name,
        "version": version,
        "sha256": hashlib.sha256(onnx_bytes).hexdigest(),
        "onnxBytes": len(onnx_bytes),
        "input": "features",
        "output": output,
        **specific,
        "trainedAt": today(),
        "trainingSeconds": training_seconds,
        "sklearnOnnxMaxDiff": max_diff,
        "metrics": metrics,
        "versions": versions(),
    }


def provenance_lines(meta: dict[str, Any], quantity: str = "") -> list[str]:
    """The last lines of every card's metrics section: what it takes to reproduce the file and to recognise it;
    `quantity` names what was compared when the output's name does not say (e.g. "score")."""
    v = meta["versions"]
    compared = f"|scikit-learn − onnxruntime| {quantity}".rstrip()
    return [
        f"- Trained {meta['trainedAt']} in {meta['trainingSeconds']} s on one core (Python {v['python']}).",
        f"- Versions: scikit-learn {v['scikit-learn']}, skl2onnx {v['skl2onnx']}, onnx {v['onnx']}, onnxruntime "
        f"{v['onnxruntime']}, numpy {v['numpy']}; opset {OPSET['']} / ai.onnx.ml {OPSET['ai.onnx.ml']}.",
        f"- model.onnx: {meta['onnxBytes']} bytes, sha256 `{meta['sha256']}`.",
        f"- Largest {compared} on the held-out set: {meta['sklearnOnnxMaxDiff']:.2e}.",
    ]


def write_metrics_section(card: Path, lines: list[str], meta: dict[str, Any], quantity: str = "") -> None:
    """Keeps the card's numbers those of the run that wrote model.onnx: replaces its metrics section with the
    model's `lines` (ending in "" to set the provenance lines apart) and the provenance lines."""
    section = "\n".join(
        [
            "<!-- metrics:start (written by train.py; do not edit by hand) -->",
            "",
            *lines,
            *provenance_lines(meta, quantity),
            "",
            "<!-- metrics:end -->",
        ]
    )
    text = card.read_text()
    updated, count = re.subn(
        r"<!-- metrics:start.*?<!-- metrics:end -->", lambda _: section, text, flags=re.DOTALL
    )
    if count != 1:
        sys.exit(f"{card}: expected exactly one metrics section, found {count}")
    card.write_text(updated)


def prettier(paths: list[Path]) -> None:
    """The repository's lint checks formatting: leave the generated files as prettier would."""
    if PRETTIER.exists():
        subprocess.run([str(PRETTIER), "--log-level", "warn", "--write", *map(str, paths)], check=True)
    else:
        print(f"{PRETTIER} not found: run `npx prettier --write` on the generated files", file=sys.stderr)
