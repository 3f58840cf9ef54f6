"""bot/services imports the domain, storage and the standard library only (issue 11's layer rule, until
tests/test_layers.py checks every layer)."""

from __future__ import annotations

import ast
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[3] / "bot" / "services"
#: the outer layers and the runtime (the clock, the configuration: a use case takes ``now`` as an argument)
FORBIDDEN = ("telegram", "handlers", "messages", "bot.runtime", "bot.cli", "bot.jobs")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_services_import_no_outer_layer():
    files = sorted(SERVICES.glob("*.py"))
    assert files
    bad = {f.name: sorted(n for n in _imports(f) if any(n == x or n.startswith(x + ".") for x in FORBIDDEN))
           for f in files}
    assert {name: found for name, found in bad.items() if found} == {}


def test_services_write_no_sql():
    for path in SERVICES.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for word in ("SELECT ", "INSERT ", "UPDATE ", "DELETE "):
            assert word not in text, f"{path.name}: SQL belongs in storage/"
