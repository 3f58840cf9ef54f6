"""Reading a loan import file (``.csv`` or ``.xlsx``) for ``pem-bot import-loans``: the file I/O in front of the
pure checks of :mod:`bot.domain.loan_import` (which turns the cells into a :class:`Table` and checks rows)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from bot.domain.loan_import import ImportFileError, Table, make_table


def read_table(path: Path) -> Table:
    """Read a ``.csv`` or ``.xlsx`` file into a :class:`Table` (raises :class:`ImportFileError`)."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            text = path.read_text(encoding="utf-8-sig")
            sample = text[:4096]
            delimiter = ";" if sample.count(";") > sample.count(",") else ","
            return make_table(csv.reader(io.StringIO(text), delimiter=delimiter))
        if suffix in (".xlsx", ".xlsm"):
            from openpyxl import load_workbook  # here, not at start-up of every pem-bot command

            workbook = load_workbook(path, read_only=True, data_only=True)
            try:
                return make_table(list(workbook.worksheets[0].iter_rows(values_only=True)))
            finally:
                workbook.close()
    except ImportFileError:
        raise
    except (OSError, UnicodeDecodeError, ValueError, KeyError, IndexError) as exc:
        raise ImportFileError("unreadable", path=str(path), reason=str(exc) or type(exc).__name__) from exc
    raise ImportFileError("extension", path=str(path), suffix=suffix or "-")
