"""bot.domain.parsing.choice: typed text for a question with buttons (issue 14, item 5)."""

from __future__ import annotations

import pytest

from bot.domain.parsing.choice import match_choice

YES_NO = ["Ya", "Tidak"]
EDUCATION = ["SD", "SMP", "SMA/SMK", "D3", "S1+", "Tidak sekolah"]


@pytest.mark.parametrize("typed", ["ya", "YA", "Ya.", "iya", "Iya!", "y", "yes", "ok", "oke", " ya "])
def test_yes_words_choose_the_yes_button(typed):
    assert match_choice(YES_NO, typed) == 0
    assert match_choice(["Ya, betul", "Ubah"], typed) == 0
    assert match_choice(["Ya, laporkan lagi", "Tidak"], typed) == 0


@pytest.mark.parametrize("typed", ["tidak", "TIDAK", "tdk", "gak", "ga", "nggak", "enggak", "no", "n", "tak"])
def test_no_words_choose_the_no_button_of_a_yes_no_question(typed):
    assert match_choice(YES_NO, typed) == 1
    assert match_choice(["Ya, laporkan lagi", "Tidak"], typed) == 1


def test_labels_in_any_case_and_one_alternative_of_a_slash_label():
    assert match_choice(EDUCATION, "sma") == 2
    assert match_choice(EDUCATION, "SMK") == 2
    assert match_choice(EDUCATION, "sma/smk") == 2
    assert match_choice(EDUCATION, "s1+") == 4
    assert match_choice(EDUCATION, "TIDAK SEKOLAH") == 5
    assert match_choice(["12", "18", "Lainnya"], "12") == 0
    assert match_choice(["0", "1", "2", "3", "Lainnya"], "1") == 1


def test_nothing_ambiguous_or_partial_matches():
    assert match_choice(EDUCATION, "tidak") is None, "not a yes/no question: 'tidak' is not 'Tidak sekolah'"
    assert match_choice(["Usaha sendiri", "Bekerja"], "usaha") is None
    assert match_choice(["Ya, batalkan", "Ya, simpan"], "ya") is None
    assert match_choice(["Maria Bria", "Yosef Bria"], "maria") is None
    assert match_choice(YES_NO, "mungkin") is None
    assert match_choice(YES_NO, "") is None
    assert match_choice(["-1", "1"], "1") == 1
