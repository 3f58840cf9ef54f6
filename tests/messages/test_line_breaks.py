"""A block tag at the end of a line of text eats that line's break (``trim_blocks``), gluing two lines of a chat
message together ("…0812-3456-7899)Pokok: …", issue 14, item 9). A template that means the break writes ``+%}``."""

from __future__ import annotations

from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from messages import LANGUAGES, TEMPLATE_DIR, render
from tests.messages.samples import all_samples


def _glued_lines(lang: str) -> list[str]:
    found = []
    for path in sorted((TEMPLATE_DIR / lang).rglob("*.j2")):
        if "plain" in path.relative_to(TEMPLATE_DIR).parts:
            continue
        lines = path.read_text(encoding="utf-8").split("\n")
        for number, (line, following) in enumerate(pairwise(lines), start=1):
            text = line.strip()
            ends_in_block = text.endswith("%}") and not text.endswith("+%}") and not text.endswith("-%}")
            if ends_in_block and not text.startswith("{%") and following.strip() \
                    and not following.strip().startswith(("{% end", "{% else", "{% elif")):
                found.append(f"{path.relative_to(TEMPLATE_DIR)}:{number}")
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_line_of_text_ends_in_a_block_tag_that_eats_its_break(lang: str):
    assert _glued_lines(lang) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_new_loan_summary_keeps_the_borrower_and_the_principal_apart(lang: str):
    sample = dict(all_samples()["new_loan/summary"])
    sample["form"] = {**sample["form"], "existing": False}
    text = render("new_loan/summary", lang, tz=ZoneInfo("Asia/Makassar"), **sample)
    borrower_line = text.split("\n")[1]
    assert borrower_line.endswith(")"), borrower_line
    assert text.split("\n")[2].startswith(("Pokok:", "Principal:"))
