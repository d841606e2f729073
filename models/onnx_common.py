"""What the training scripts of models/alert-classifier and models/metric-anomaly share: a stable ONNX
file, the metrics section of a model card, library versions, and formatting of the generated files."""

from __future__ import annotations

import datetime
import platform
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import skl2onnx
import sklearn

ROOT = Path(__file__).resolve().parent.parent
PRETTIER = ROOT / "node_modules" / ".bin" / "prettier"


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


def write_metrics_section(card: Path, lines: list[str]) -> None:
    section = "\n".join(
        ["<!-- metrics:start (written by train.py; do not edit by hand) -->", "", *lines, "", "<!-- metrics:end -->"]
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
