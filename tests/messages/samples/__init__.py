"""Sample contexts for every template, one module per feature (``SAMPLES: dict[template name, context]``).

A template without a sample makes ``tests/messages/test_templates.py`` fail, so a new template always comes
with one. Use the worst realistic case (long names, many rows) so the 4096-character check means something.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any


def all_samples() -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for name, ctx in module.SAMPLES.items():
            if name in merged:
                raise AssertionError(f"sample for {name} defined twice")
            merged[name] = ctx
    return merged
