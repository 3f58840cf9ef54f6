"""English counts take Babel's plural form; percentages take the language's decimal mark (issue 14, item 13)."""

from __future__ import annotations

import pytest

from messages import environment


@pytest.mark.parametrize(("count", "expected"), [(0, "0 borrowers"), (1, "1 borrower"), (2, "2 borrowers"),
                                                 (1000, "1.000 borrowers")])
def test_english_plural(count: int, expected: str):
    template = environment().from_string('{{ plural(n, "borrower", "borrowers") }}')
    assert template.render(lang="en", n=count) == expected


def test_indonesian_has_one_form():
    template = environment().from_string('{{ plural(n, "peminjam", "peminjam") }}')
    assert template.render(lang="id", n=1) == "1 peminjam"


@pytest.mark.parametrize(("lang", "expected"), [("id", "36,6%"), ("en", "36.6%")])
def test_percent_per_locale(lang: str, expected: str):
    assert environment().from_string("{{ r | persen }}").render(lang=lang, r=0.366) == expected


@pytest.mark.parametrize(("lang", "expected"), [("id", "Rp1.500.000"), ("en", "Rp1.500.000")])
def test_money_keeps_indonesian_grouping_in_both(lang: str, expected: str):
    assert environment().from_string("{{ a | rupiah }}").render(lang=lang, a=1_500_000) == expected
