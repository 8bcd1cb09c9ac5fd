"""Every string a clerk sees in the demo walk is Vietnamese: no English word outside names and codes.

The demo walk (`scanstation gui --demo --screenshots`) runs in-process; at each of its screenshots the
window's visible strings are collected (labels, buttons, fields, lists, tables, combo boxes, preview
captions, message bar, status lights). A word counts as Vietnamese when it has Vietnamese letters or
appears in the Vietnamese translations; names and codes (digits, dots, all capitals, the sample
dossier's names, key names) are allowed.
"""

import re
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from scanstation.resources import resource
from scanstation.ui.i18n import I18N_DIR

pytestmark = pytest.mark.timeout(900)

KEYS = {"ctrl", "alt", "shift", "enter", "esc", "del", "ins", "tab", "f1", "up", "down", "left", "right"}
# names, not words: the demo CA's name as its certificate spells it
NAMES = {"scanstation", "root"}


def _ascii_words(text: str) -> list[str]:
    text = re.sub(r"<[^>]+>", " ", text)                       # rich text markup
    text = re.sub(r"\b[a-z]+://\S+", " ", text)                # addresses are codes
    words = re.findall(r"[^\W_]+(?:[.\-_/:@][^\W_]+)*", text)
    return [w for w in words if all(ord(ch) < 128 for ch in w)]


def _is_code(word: str) -> bool:
    return (any(ch.isdigit() for ch in word) or any(ch in word for ch in ".-_/:@")
            or (word.isupper() and len(word) >= 2) or word.lower() in KEYS)


def _vietnamese_vocabulary() -> set[str]:
    words: set[str] = set(NAMES)
    for m in ET.parse(I18N_DIR / "scanstation_vi.ts").getroot().iter("translation"):
        for w in _ascii_words(m.text or ""):
            words.add(w.lower())
    sample = Path(resource("demo", "dossier.json")).read_text("utf-8")
    for w in _ascii_words(sample):
        words.add(w.lower())
    return words


def test_the_demo_walk_shows_no_english(make_window, qtbot, tmp_path):
    from scanstation.ui.walkthrough import Walkthrough

    w = make_window(demo=True, language="vi")
    walk = Walkthrough(w, tmp_path / "shots", quit_when_done=False)
    walk.start()
    qtbot.waitUntil(lambda: walk.done, timeout=600_000)
    assert not walk.problems, walk.problems
    assert len(walk.texts) >= 10
    vocab = _vietnamese_vocabulary()
    english = []
    for shot, texts in walk.texts.items():
        for text in texts:
            for word in _ascii_words(unicodedata.normalize("NFC", text)):
                if len(word) > 1 and not _is_code(word) and word.lower() not in vocab:
                    english.append((shot, word, text[:120]))
    assert english == [], "\n".join(map(str, english))
    # settings are labelled in plain words: a technical key (sync.chunk_kb) only in a tooltip
    from scanstation.config import OPTIONS

    keys_shown = [(shot, t) for shot, texts in walk.texts.items() for t in texts if t.strip() in OPTIONS]
    assert keys_shown == []
