"""messages: every template compiled once and kept (issue 12: the first replies after a start waited while Jinja
compiled what they needed, and with more than 400 templates Jinja's default cache evicted and recompiled them)."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader

import messages
from messages import LANGUAGES, environment, template_names, warming


def test_warming_compiles_every_template_of_both_languages_and_none_is_evicted():
    steps = list(warming())
    expected = [f"{lang}/{name}" for lang in LANGUAGES for name in template_names(lang)]
    assert sorted(s for s in steps if not s.endswith("/babel")) == sorted(expected)
    assert len(expected) > 400  # more than Jinja's default cache holds: the reason it must not evict
    env = environment()
    assert env.cache is not None
    cached = {name for (_, name) in env.cache}  # keys are (weakref to the loader, name)
    assert {f"{s}.j2" for s in expected} <= cached


def test_warming_starts_with_the_labels_and_commands_in_indonesian():
    steps = list(warming())
    labels = [s for s in steps if s.startswith("id/plain/labels/")]
    assert steps[: len(labels)] == labels
    assert steps[len(labels)] == "id/plain/commands"
    assert steps.index("id/babel") < steps.index("en/plain/labels/common")


def _env(templates: Path, cache: messages._BytecodeCache) -> Environment:
    return Environment(loader=FileSystemLoader(str(templates)), bytecode_cache=cache)


def test_a_cached_template_is_compiled_afresh_when_its_source_changes(tmp_path: Path):
    templates, cache_dir = tmp_path / "t", tmp_path / "cache"
    templates.mkdir()
    cache_dir.mkdir()
    (templates / "a.j2").write_text("Halo {{ name }}")
    cache = messages._BytecodeCache(str(cache_dir))
    assert _env(templates, cache).get_template("a.j2").render(name="Ana") == "Halo Ana"
    assert len(list(cache_dir.iterdir())) == 1  # the next process loads this instead of compiling
    assert _env(templates, cache).get_template("a.j2").render(name="Ana") == "Halo Ana"

    (templates / "a.j2").write_text("Selamat pagi {{ name }}")  # a new release's wording
    assert _env(templates, cache).get_template("a.j2").render(name="Ana") == "Selamat pagi Ana"


def test_code_compiled_under_other_environment_options_is_not_reused(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch):
    """Jinja's own key is the template only; autoescape is compiled into the code, so a change of the options
    (they are set in messages/__init__.py, whose digest is in the key) must not reuse the old code."""
    templates, cache_dir = tmp_path / "t", tmp_path / "cache"
    templates.mkdir()
    cache_dir.mkdir()
    (templates / "a.j2").write_text("{{ name }}")
    cache = messages._BytecodeCache(str(cache_dir))
    plain = Environment(loader=FileSystemLoader(str(templates)), bytecode_cache=cache, autoescape=False)
    assert plain.get_template("a.j2").render(name="<b>") == "<b>"

    monkeypatch.setattr(messages, "_ENVIRONMENT_DIGEST", "options changed")
    escaping = Environment(loader=FileSystemLoader(str(templates)), bytecode_cache=cache, autoescape=True)
    assert escaping.get_template("a.j2").render(name="<b>") == "&lt;b&gt;"
    assert len(list(cache_dir.iterdir())) == 2


def test_an_unusable_cache_only_costs_a_compile(tmp_path: Path):
    templates = tmp_path / "t"
    templates.mkdir()
    (templates / "a.j2").write_text("Halo {{ name }}")
    gone = messages._BytecodeCache(str(tmp_path / "no-such-dir"))  # neither readable nor writable
    assert _env(templates, gone).get_template("a.j2").render(name="Ana") == "Halo Ana"
    (tmp_path / "cache").mkdir()
    garbage = messages._BytecodeCache(str(tmp_path / "cache"))
    assert _env(templates, garbage).get_template("a.j2").render(name="Ana") == "Halo Ana"
    for entry in (tmp_path / "cache").iterdir():
        entry.write_bytes(b"not bytecode")  # a truncated or foreign file
    assert _env(templates, garbage).get_template("a.j2").render(name="Ana") == "Halo Ana"


def test_no_cache_when_jinja_refuses_the_directory(monkeypatch: pytest.MonkeyPatch):
    def refuse(self, *args, **kwargs):
        raise RuntimeError("Cannot determine safe temp directory.")  # Jinja's words for a dir another user owns

    monkeypatch.setattr(messages._BytecodeCache, "__init__", refuse)
    assert messages._bytecode_cache() is None
