"""The dependency rule of the layout (README "Architecture", issue 11), enforced over every import.

Layers and what each may import of ours:

- ``domain`` (``bot/domain/``): nothing but itself, the standard library and ``DOMAIN_LIBRARIES`` (phonenumbers);
- ``storage``, ``messages``: the domain;
- no Telegram (``python-telegram-bot``) in the domain, storage, messages, services or jobs;
- ``services`` (``bot/services/``): the domain and storage;
- ``jobs`` (``bot/jobs/``): services, storage, the domain and messages;
- ``handlers``: services, the domain, messages, and storage for reading (a handler never opens a transaction);
- ``runtime`` (``bot/runtime/``: app factory, scheduler, sender, config, clock): all of these;
- ``cli`` (``bot/cli/``): services, storage, messages, the domain, and the runtime and jobs only from
  ``bot.cli.run`` (the ``pem-bot`` entry point, which hands every command its configuration and clock, and
  ``pem-bot run``, ``tick``, ``backup``).

Nothing imports the runtime or the CLI (but the CLI's ``run``). No import of ours inside a function: a cycle is
broken by moving code to the right layer, not by importing late.

The walk is over the AST of every module, so function-local imports and ``if TYPE_CHECKING:`` imports count.

``LEGACY`` places a module that is not yet in its layer's package (empty since the layout move), and
``KNOWN_DEBT`` lists the violations the tree still has, so that the test fails on any *new* violation and on any
listed one that has been paid (remove it from the list). It shrinks to nothing as the redesign lands.
``python -m tests.test_layers`` prints the current violations.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("bot", "handlers", "storage", "messages")

#: The layer of a module by the start of its dotted name; the longest match wins.
PREFIXES = {
    "bot.domain": "domain",
    "bot.services": "services",
    "bot.jobs": "jobs",
    "bot.runtime": "runtime",
    "bot.cli": "cli",
    "handlers": "handlers",
    "storage": "storage",
    "messages": "messages",
}

#: The top-level packages themselves (their ``__init__``), which only hold a docstring or wire features.
PACKAGES = {"bot": "domain"}

#: Modules not yet moved to their layer's package (issue 11's layout move empties this).
LEGACY: dict[str, str] = {}

ALLOWED = {
    "domain": {"domain"},
    "storage": {"storage", "domain"},
    "messages": {"messages", "domain"},
    "services": {"services", "domain", "storage"},
    "jobs": {"jobs", "services", "storage", "domain", "messages"},
    "handlers": {"handlers", "services", "domain", "messages", "storage"},
    "runtime": {"runtime", "jobs", "services", "storage", "domain", "messages", "handlers"},
    "cli": {"cli", "services", "storage", "messages", "domain"},
}
#: Third-party libraries the domain may use: pure functions over data, no I/O, no state. phonenumbers is
#: Google's libphonenumber rules for Indonesian numbers (the developers' guide names it for phone numbers).
DOMAIN_LIBRARIES = frozenset({"phonenumbers"})
#: Layers that never talk to Telegram (the Bot API is the runtime's and the handlers' business; jobs only queue
#: outbox rows, but their runner still takes the Bot to hand to the sender: a listed debt).
NO_TELEGRAM = frozenset({"domain", "storage", "messages", "services", "jobs"})
#: The one module of the CLI that may import the runtime (and the jobs): it starts the bot, or runs its
#: scheduled work once (pem-bot tick, pem-bot backup).
CLI_RUN = "bot.cli.run"


@dataclass(frozen=True, order=True)
class Violation:
    module: str
    line: int
    kind: str  # "layer", "local", "stdlib", "transaction"
    target: str

    def key(self) -> str:
        """Stable across edits of unrelated lines: the line number is left out."""
        return f"{self.module} -> {self.target} ({self.kind})"


def layer_of(module: str) -> str | None:
    if module in PACKAGES:
        return PACKAGES[module]
    best: tuple[int, str] | None = None
    for table in (PREFIXES, LEGACY):
        for prefix, layer in table.items():
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), layer)
    return None if best is None else best[1]


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(tree: ast.AST, module: str, is_package: bool, known: set[str]):
    """(line, imported module, inside a function) for every import in the tree. ``from storage import audit``
    imports the module ``storage.audit``; ``from storage.db import Database`` the module ``storage.db``."""

    def walk(node: ast.AST, in_function: bool):
        for child in ast.iter_child_nodes(node):
            local = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield child.lineno, alias.name, in_function
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    package = module.split(".") if is_package else module.split(".")[:-1]
                    package = package[: len(package) - (child.level - 1)]
                    base = ".".join([*package, base] if base else package)
                submodules = [f"{base}.{a.name}" for a in child.names if f"{base}.{a.name}" in known]
                for target in submodules or [base]:
                    yield child.lineno, target, in_function
            yield from walk(child, local)

    yield from walk(tree, False)


def _opens_transactions(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "transaction":
            yield node.lineno


def violations(root: Path, packages: tuple[str, ...] = OURS) -> list[Violation]:
    found: set[Violation] = set()
    files = [p for pkg in packages if (root / pkg).is_dir() for p in sorted((root / pkg).rglob("*.py"))]
    known_modules = {module_name(p, root) for p in files}
    for path in files:
        module = module_name(path, root)
        layer = layer_of(module)
        if layer is None:
            found.add(Violation(module, 0, "unplaced", "?"))
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, target, local in _imports(tree, module, path.name == "__init__.py", known_modules):
            top = target.split(".")[0]
            if top not in OURS:
                if layer == "domain" and top not in sys.stdlib_module_names | DOMAIN_LIBRARIES | {"__future__"}:
                    found.add(Violation(module, line, "stdlib", top))
                elif top == "telegram" and layer in NO_TELEGRAM:
                    found.add(Violation(module, line, "telegram", top))
                continue
            if local:
                found.add(Violation(module, line, "local", target))
            target_layer = layer_of(target)
            if target_layer is None or target_layer == layer:
                continue
            allowed = ALLOWED[layer] | ({"runtime", "jobs"} if module == CLI_RUN else set())
            if target_layer not in allowed:
                found.add(Violation(module, line, "layer", target))
        if layer == "handlers":
            for line in _opens_transactions(tree):
                found.add(Violation(module, line, "transaction", "db.transaction()"))
    return sorted(found)


#: Today's violations (see the module docstring): each entry is paid by the redesign, then deleted here.
KNOWN_DEBT: frozenset[str] = frozenset({
})


def test_no_new_violation_of_the_dependency_rule_and_no_paid_debt_left_listed():
    current = {v.key() for v in violations(ROOT)}
    new = sorted(current - KNOWN_DEBT)
    paid = sorted(KNOWN_DEBT - current)
    assert new == [], "imports that break the dependency rule (README, Architecture):\n" + "\n".join(new)
    assert paid == [], "fixed violations still listed in KNOWN_DEBT, remove them:\n" + "\n".join(paid)


# --- the test of the test: a small tree that breaks each rule ---------------------------------------------------
def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for pkg_dir in {p.parent for p in tmp_path.rglob("*.py")}:
        (pkg_dir / "__init__.py").touch()
    return tmp_path


def _found(root: Path) -> set[tuple[str, str, str]]:
    return {(v.module, v.kind, v.target) for v in violations(root)}


def test_a_clean_tree_has_no_violation(tmp_path):
    root = _tree(tmp_path, {
        "bot/domain/loans.py": "import datetime\nfrom decimal import Decimal\n",
        "storage/loans.py": "from bot.domain import loans\n",
        "messages/render.py": "from bot.domain.loans import x\n",
        "bot/services/pay.py": "from storage import loans\nfrom bot.domain import loans as d\n",
        "bot/jobs/remind.py": "from bot.services import pay\nfrom messages import render\n",
        "handlers/pay.py": "from bot.services.pay import report\nfrom storage import loans\nimport telegram\n",
        "bot/runtime/app.py": "import handlers.pay\nfrom bot.jobs import remind\n",
        "bot/cli/run.py": "from bot.runtime import app\n",
        "bot/cli/loans.py": "from bot.services import pay\n",
    })
    assert _found(root) == set()


@pytest.mark.parametrize(("files", "expected"), [
    ({"bot/domain/loans.py": "from storage import db\n", "storage/db.py": ""},
     ("bot.domain.loans", "layer", "storage.db")),
    ({"bot/domain/loans.py": "import telegram\n"}, ("bot.domain.loans", "stdlib", "telegram")),
    ({"storage/loans.py": "from bot.services import pay\n", "bot/services/pay.py": ""},
     ("storage.loans", "layer", "bot.services.pay")),
    ({"bot/services/pay.py": "from handlers import common\n", "handlers/common.py": ""},
     ("bot.services.pay", "layer", "handlers.common")),
    ({"bot/services/pay.py": "from messages import render\n", "messages/render.py": ""},
     ("bot.services.pay", "layer", "messages.render")),
    ({"handlers/pay.py": "from bot.runtime import sender\n", "bot/runtime/sender.py": ""},
     ("handlers.pay", "layer", "bot.runtime.sender")),
    ({"bot/jobs/remind.py": "from bot.runtime.sender import send\n", "bot/runtime/sender.py": ""},
     ("bot.jobs.remind", "layer", "bot.runtime.sender")),
    ({"bot/cli/loans.py": "from bot.runtime import app\n", "bot/runtime/app.py": ""},
     ("bot.cli.loans", "layer", "bot.runtime.app")),
    ({"bot/runtime/app.py": "from bot.cli import main\n", "bot/cli/main.py": ""},
     ("bot.runtime.app", "layer", "bot.cli.main")),
    ({"handlers/pay.py": "async def f(db):\n    async with db.transaction() as tx:\n        pass\n"},
     ("handlers.pay", "transaction", "db.transaction()")),
    ({"handlers/pay.py": "def f():\n    from handlers import common\n", "handlers/common.py": ""},
     ("handlers.pay", "local", "handlers.common")),
    ({"handlers/pay.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot.runtime import app\n",
      "bot/runtime/app.py": ""}, ("handlers.pay", "layer", "bot.runtime.app")),
    ({"storage/loans.py": "from . import db\nfrom ..bot.services import pay\n", "storage/db.py": ""},
     ("storage.loans", "layer", "bot.services")),
    ({"handlers/stray/thing.py": "", "bot/stray.py": ""}, ("bot.stray", "unplaced", "?")),
    ({"storage/persistence.py": "from telegram.ext import BasePersistence\n"},
     ("storage.persistence", "telegram", "telegram")),
])
def test_each_rule_is_enforced(tmp_path, files, expected):
    """The checker finds a violation of each rule (so the real-tree test can fail)."""
    assert expected in _found(_tree(tmp_path, files))


if __name__ == "__main__":
    for violation in violations(ROOT):
        print(f'    "{violation.key()}",  # line {violation.line}')
