"""The 51 kelurahan of Kota Kupang, from the copy of the Kepmendagri list shipped in ``bot/data``.

Used where the database may not exist yet (configuration checks). Migration 0001 seeds the same list into the
``kelurahan`` table; a test keeps the two identical.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class KelurahanInfo:
    code: str
    name: str
    kecamatan_code: str
    kecamatan: str


@cache
def all_kelurahan() -> tuple[KelurahanInfo, ...]:
    text = resources.files("bot.domain.data").joinpath("kota_kupang_kelurahan.csv").read_text(encoding="utf-8")
    return tuple(
        KelurahanInfo(r["kode"], r["kelurahan"], r["kecamatan_kode"], r["kecamatan"])
        for r in csv.DictReader(text.splitlines())
    )


def find_kelurahan(code_or_name: str) -> KelurahanInfo | None:
    """By code (``53.71.05.1004``) or name, ignoring case and surrounding spaces."""
    wanted = code_or_name.strip().casefold()
    for k in all_kelurahan():
        if wanted in (k.code, k.name.casefold()):
            return k
    return None
