"""Character error rate: how far recognised text is from the known text (benchmarks and tests)."""

from __future__ import annotations

import unicodedata


def _norm(s: str) -> str:
    return " ".join(unicodedata.normalize("NFC", s).split())


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions), O(len(a) * len(b)) time, O(len(b)) memory."""
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def character_error_rate(recognised: str, truth: str) -> float:
    """Edit distance / length of the truth, after NFC and collapsing white space (0.0 = perfect)."""
    r, t = _norm(recognised), _norm(truth)
    if not t:
        return 0.0 if not r else 1.0
    return edit_distance(r, t) / len(t)
