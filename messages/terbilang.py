"""Amounts in words (*terbilang*), as Indonesian receipts print them: ``lima ratus ribu rupiah``.

The words come from ``num2words`` (its Indonesian speller), never a hand-written one. Whole rupiah only.
"""

from __future__ import annotations

from num2words import num2words


def terbilang(amount: int, lang: str = "id") -> str:
    """``500000`` → ``lima ratus ribu rupiah`` (``lang="en"``: ``five hundred thousand rupiah``)."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        raise ValueError(f"an amount is a whole number of rupiah >= 0, got {amount!r}")
    words = num2words(amount, lang="en" if lang == "en" else "id")
    return f"{' '.join(words.replace(',', '').split())} rupiah"
