"""Feature hashing of an alert's text, the part of the classifier that runs outside ONNX.

lib/alerts-ml/text-features.ts implements the same function; fixtures.json carries texts with their
expected probabilities, so the TypeScript parity test checks both halves together. Keep them identical:

1. text = alert name, summary, then each label as "key value", joined by spaces (labels sorted by key);
2. camelCase is split ("HighMemoryUsage" -> "High Memory Usage"), the text lowercased, and tokens are the
   runs of [a-z0-9] (anything else separates tokens);
3. features: every token ("w:" + token), every pair of adjacent tokens ("b:" + a + " " + b), and every
   character trigram of every token padded with spaces ("c:" + trigram; catches "oom" in "oomkilled");
4. each feature goes to bucket FNV-1a-32(utf-8 bytes) mod BUCKETS; counts become log(1 + count), and the
   vector is scaled to unit L2 norm (all zeros when the text has no token).
"""

from __future__ import annotations

import math
import re

import numpy as np

BUCKETS = 4096
FNV_OFFSET, FNV_PRIME = 0x811C9DC5, 0x01000193


def alert_text(alert_name: str, summary: str, labels: dict[str, str]) -> str:
    parts = [alert_name, summary]
    for key in sorted(labels):
        parts.append(f"{key} {labels[key]}")
    return " ".join(parts)


def tokens(text: str) -> list[str]:
    split = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    return re.findall(r"[a-z0-9]+", split.lower())


def features(text: str) -> list[str]:
    words = tokens(text)
    result = [f"w:{w}" for w in words]
    result += [f"b:{a} {b}" for a, b in zip(words, words[1:])]
    for w in words:
        padded = f" {w} "
        result += [f"c:{padded[i:i + 3]}" for i in range(len(padded) - 2)]
    return result


def fnv1a(value: str) -> int:
    h = FNV_OFFSET
    for byte in value.encode("utf-8"):
        h = ((h ^ byte) * FNV_PRIME) & 0xFFFFFFFF
    return h


def vectorize(text: str) -> np.ndarray:
    counts: dict[int, int] = {}
    for feature in features(text):
        bucket = fnv1a(feature) % BUCKETS
        counts[bucket] = counts.get(bucket, 0) + 1
    vector = np.zeros(BUCKETS, dtype=np.float64)
    for bucket, count in counts.items():
        vector[bucket] = math.log1p(count)
    norm = math.sqrt(float(np.sum(vector * vector)))
    if norm > 0:
        vector /= norm
    return vector.astype(np.float32)
