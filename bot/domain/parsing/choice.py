"""Typed text for a question with buttons (issue 14, item 5): people on cheap phones type what a button says.

:func:`match_choice` finds the one button a typed answer means, or None:

1. the button's whole label, ignoring case, accents, emoji, spacing and a full stop or "!" at the end
   (:func:`fold`): "ya", "YA", "Ya." for *Ya*; "sma/smk" for *SMA/SMK*;
2. an obvious synonym of yes or no for the one button that starts with yes or no: ``ya, iya, y, yes, ok,
   oke, betul, benar`` / ``tidak, tdk, gak, ga, nggak, enggak, no, n, tak, bukan`` (the no-words only on a
   yes/no question: "tidak" at the education step is not *Tidak sekolah*);
3. one alternative of a label written with "/" ("SMA" for *SMA/SMK*), when exactly one button has it.

A part of a label is not enough ("usaha" is not *Usaha sendiri*, and a borrower search typing "Maria" must
search, not pick the one "Maria Bria" shown).

Anything ambiguous matches nothing (the form then parses the text, or asks to use the buttons). Pure: no
Telegram, no templates.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

YES_WORDS = frozenset({"ya", "iya", "iyaa", "y", "yes", "ok", "oke", "okay", "betul", "benar", "setuju"})
NO_WORDS = frozenset({"tidak", "tdk", "gak", "ga", "nggak", "ngga", "enggak", "engga", "no", "n", "tak",
                      "bukan", "jangan"})
_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Text compared with a button's label: case, accents, emoji and spacing don't matter, nor a full stop or
    "!" at the end; other punctuation does ("-1" is not "1", "0,5" is not "05")."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if unicodedata.category(c)[0] in "LNZP")
    return " ".join(kept.casefold().split()).strip(" .!?")


def _first_word(label: str) -> str:
    found = _WORD.search(fold(label))
    return found.group(0) if found else ""


def _one(indexes: Sequence[int]) -> int | None:
    return indexes[0] if len(indexes) == 1 else None


def match_choice(labels: Sequence[str], text: str) -> int | None:
    """The index of the button ``text`` means among ``labels``, or None (see the module docstring)."""
    typed = fold(text)
    if not typed:
        return None
    exact = [i for i, lab in enumerate(labels) if fold(lab) == typed]
    if exact:
        return exact[0]
    firsts = [_first_word(lab) for lab in labels]
    yes = [i for i, w in enumerate(firsts) if w in YES_WORDS]
    no = [i for i, w in enumerate(firsts) if w in NO_WORDS]
    word = typed.rstrip(",")
    if word in YES_WORDS and _one(yes) is not None:
        return _one(yes)
    if word in NO_WORDS and yes and _one(no) is not None:
        return _one(no)
    alternatives = [i for i, lab in enumerate(labels) if "/" in lab
                    and typed in (fold(part) for part in lab.split("/"))]
    return _one(alternatives)
