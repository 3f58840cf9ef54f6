"""What a ``pem-bot`` process imports before it answers: not the document libraries.

fpdf2 (with fontTools), openpyxl and matplotlib (with numpy) were imported at start-up by the modules that build
PDFs and XLSX files: ~1 s of the start-up (bench/startup.py missed its 2 s) and ~50 MB of every process
(bench/memory.py), whether or not anyone asked for a document. They are imported on the first document now
(messages/documents.py, messages/reports/pdf.py, messages/reports/xlsx.py). A fresh interpreter, because this
test process has long imported them for other tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
HEAVY = ("fpdf", "fontTools", "openpyxl", "matplotlib", "numpy", "PIL")


def _imported_after(statement: str) -> list[str]:
    code = f"import json, sys; {statement}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         timeout=120)
    modules = json.loads(out.stdout.splitlines()[-1])
    return sorted({m.split(".")[0] for m in modules} & set(HEAVY))


@pytest.mark.subprocess
def test_the_bot_starts_without_the_document_libraries():
    # everything `pem-bot run` imports: the CLI, the runtime and every handler
    assert _imported_after("import bot.cli.run, bot.runtime.app, handlers; handlers.all_commands()") == []


@pytest.mark.subprocess
def test_a_document_still_gets_them():
    assert "fpdf" in _imported_after("from messages.documents import _doc_class; _doc_class()")
