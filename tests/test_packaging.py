"""The package data patterns of pyproject.toml ship every template, migration and data file.

setuptools expands ``package-data`` with recursive globbing; this test does the same, so a template in a new
sub-folder that a pattern misses fails here instead of in a wheel install where every message would fail."""

from __future__ import annotations

import glob
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_package_data_covers_every_non_python_file():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    package_data = config["tool"]["setuptools"]["package-data"]
    for package, patterns in package_data.items():
        base = ROOT.joinpath(*package.split("."))
        shipped = {Path(p) for pattern in patterns for p in glob.glob(pattern, root_dir=base, recursive=True)}
        present = {p.relative_to(base) for p in base.rglob("*")
                   if p.is_file() and p.suffix in {".j2", ".sql", ".csv", ".html", ".css", ".js"}}
        assert present, package
        assert present - shipped == set(), f"{package}: files the wheel would not ship"
    assert {"messages", "storage", "bot.domain", "bot.runtime.simulator"} <= set(package_data)
