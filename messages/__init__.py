"""Every sentence a user sees, as Jinja2 templates per language, and the one :func:`render` function.

Layout: ``messages/templates/<lang>/<name>.j2``, ``lang`` in ``id`` (first) and ``en``.

- Templates are rendered with ``StrictUndefined`` (a missing key is an error, never an empty hole),
  ``trim_blocks`` and ``lstrip_blocks``.
- Chat messages use Telegram's HTML parse mode, so they are autoescaped. Templates under ``plain/``
  (button labels, command descriptions, CLI output, file headers) are plain text and not escaped.
- Short labels live in dicts per language and feature, ``plain/labels/<feature>.j2`` (``common.j2`` for shared
  ones); :func:`label` looks one up by ``"feature.key"`` (or ``"key"`` for common).
- Command descriptions are in ``plain/commands.j2``.
- Globals: ``label(key)`` (a label in the template's language), ``describe(command)``,
  ``days_between(start, end)`` and ``plural(n, one, other)`` (``1 borrower`` / ``2 borrowers``, Babel's plural
  rule of the language; for English templates).
- The sender adds ``sent_on`` (the WITA date it sends on) to what it renders, so wording such as "due in 3 days"
  is right even when a message waited (quiet hours, an outage).
- Compiled templates stay compiled: the environment never evicts one (Jinja's default keeps 400, and there are
  more than 700), compiled code is kept in Jinja's per-user bytecode cache on disk (the next process loads
  instead of compiling), and :func:`warming` compiles them all, one per step, so the runtime can do it at start-up
  instead of the first users' replies waiting for it (issue 12, docs/performance.md).
- Filters: ``rupiah`` (``Rp1.500.000`` in both languages: the en_ID locale keeps Indonesian grouping, so an
  amount reads the same whichever language a borrower picks), ``tanggal`` (``28 November 2026``),
  ``waktu`` (date and time in WITA),
  ``mask_nik``, ``mask_phone``, ``phone``, ``angka`` (grouped number), ``persen`` (``12,5%``; in English
  ``12.5%``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from importlib import metadata
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent, get_group_symbol
from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined, pass_context
from jinja2.bccache import Bucket

from bot.domain.parsing.errors import PhoneError
from bot.domain.parsing.nik import mask_nik
from bot.domain.parsing.phone import mask_phone
from messages.split import MAX_CAPTION_LENGTH as MAX_CAPTION_LENGTH
from messages.split import MAX_MESSAGE_LENGTH as MAX_MESSAGE_LENGTH
from messages.split import shorten as shorten
from messages.split import split_message as split_message

log = logging.getLogger(__name__)

LANGUAGES = ("id", "en")
TEMPLATE_DIR = Path(__file__).parent / "templates"

#: Parsed once: Babel re-parses a locale given as a string on every call (half the cost of a date).
_BABEL_LOCALE = {"id": Locale.parse("id_ID"), "en": Locale.parse("en_ID")}
#: Percentages follow the language's own decimal mark (id 36,6%; en 36.6%): en_ID writes a decimal comma, which
#: is right for Rupiah grouping (kept the same in both languages) but reads wrong in an English "PAR30: 36,6%".
_PERCENT_LOCALE = {"id": _BABEL_LOCALE["id"], "en": Locale.parse("en")}


def _lang(ctx) -> str:
    return ctx.get("lang", "id")


@cache
def _group_symbol(lang: str) -> str:
    return get_group_symbol(_BABEL_LOCALE[lang])


@pass_context
def _rupiah(ctx, amount: int | Decimal | None) -> str:
    if amount is None:
        return "-"
    sign = "-" if amount < 0 else ""
    # Babel's "#,##0" for id_ID/en_ID is plain 3-digit grouping with the locale's group symbol; formatting it
    # directly is ~20x faster than format_decimal, which was a tenth of a /bayar update (bench/handlers.py).
    return f"{sign}Rp{abs(int(amount)):,}".replace(",", _group_symbol(_lang(ctx)))


@pass_context
def _angka(ctx, value: int | float | Decimal) -> str:
    return format_decimal(value, locale=_BABEL_LOCALE[_lang(ctx)])


@pass_context
def _persen(ctx, ratio: float | Decimal | None, digits: int = 1) -> str:
    if ratio is None:
        return "-"
    fmt = "#,##0" + ("." + "#" * digits if digits else "") + "%"
    return format_percent(ratio, format=fmt, locale=_PERCENT_LOCALE[_lang(ctx)])


@pass_context
def _plural_global(ctx, count: int, one: str, other: str) -> str:
    """``plural(n, "borrower", "borrowers")``: the count and the word in the form the language's plural rule
    (Babel, CLDR) picks: "1 borrower", "2 borrowers". Indonesian has one form, so its templates need none."""
    lang = _lang(ctx)
    word = one if _BABEL_LOCALE[lang].plural_form(abs(count)) == "one" else other
    return f"{format_decimal(count, locale=_BABEL_LOCALE[lang])} {word}"


@pass_context
def _tanggal(ctx, value: date | datetime | str | None, fmt: str = "d MMMM y") -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        # 'YYYY-MM-DD' is a calendar date; a longer text is a stored UTC timestamp ('YYYY-MM-DD HH:MM:SS').
        value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value[:19]).replace(
            tzinfo=UTC)
    if isinstance(value, datetime):
        tz = ctx.get("tz")
        if value.tzinfo is not None and tz is not None:
            value = value.astimezone(tz)  # the WITA calendar day, not the UTC one
        value = value.date()
    return _format_date(value, fmt, _lang(ctx))


@lru_cache(maxsize=2048)
def _format_date(value: date, fmt: str, lang: str) -> str:
    """Dates repeat (today, due dates, disbursement days), and a formatted date never changes."""
    return format_date(value, format=fmt, locale=_BABEL_LOCALE[lang])


@pass_context
def _waktu(ctx, value: datetime | None, fmt: str = "d MMMM y, HH.mm") -> str:
    """An aware datetime in the context's ``tz`` (WITA by default), with the zone's short name."""
    if value is None:
        return "-"
    tz = ctx.get("tz")
    if tz is not None:
        value = value.astimezone(tz)
    suffix = " WITA" if value.utcoffset() is not None and value.utcoffset().total_seconds() == 8 * 3600 else ""
    return format_datetime(value, format=fmt, locale=_BABEL_LOCALE[_lang(ctx)]) + suffix


def _mask_nik(nik: str | None) -> str:
    return "-" if not nik else mask_nik(nik)


def _mask_phone(phone: str | None) -> str:
    if not phone:
        return "-"
    try:
        return mask_phone(phone)
    except PhoneError:
        return "•" * len(phone)


def _phone(phone: str | None) -> str:
    """E.164 ``+6281234567890`` shown nationally as ``0812-3456-7890``."""
    if not phone:
        return "-"
    if phone.startswith("+62"):
        digits = "0" + phone[3:]
        return "-".join(filter(None, (digits[:4], digits[4:8], digits[8:])))
    return phone


@pass_context
def _label_global(ctx, key: str, **params: object) -> str:
    return label(key, _lang(ctx), **params)


@pass_context
def _describe_global(ctx, command: str) -> str:
    return render("plain/commands", _lang(ctx), command=command)


def _as_date(value: date | str) -> date:
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _days_between(start: date | str, end: date | str) -> int:
    """Whole days from ``start`` to ``end`` (dates or ISO text); negative when ``end`` is earlier."""
    return (_as_date(end) - _as_date(start)).days


class _BytecodeCache(FileSystemBytecodeCache):
    """Jinja's cache of compiled templates in a per-user directory of the temp dir (mode 0700, checked by
    Jinja); an entry is keyed by the template's path and checked against its source, so an edited template
    is compiled afresh. The cache only saves time: when it cannot be read or written (a full or read-only
    disk), the template is compiled as if it were not there.

    Jinja keys an entry by the template alone, but the environment's options (autoescape, trim_blocks, the
    line syntax) are compiled into the code too: the key here also holds a digest of this module's source, where
    those options are set, so changing them (or upgrading Jinja) never reuses code compiled under the old ones."""

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return hashlib.sha1(f"{_ENVIRONMENT_DIGEST}|{super().get_cache_key(name, filename)}".encode()).hexdigest()

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except OSError:
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError as exc:
            log.debug("compiled template not cached: %s", exc)


#: What the compiled code depends on besides the template: this module (the options) and Jinja's version.
_ENVIRONMENT_DIGEST = hashlib.sha1(Path(__file__).read_bytes() + metadata.version("jinja2").encode()).hexdigest()


def _bytecode_cache() -> _BytecodeCache | None:
    try:
        return _BytecodeCache()
    except (OSError, RuntimeError) as exc:  # no usable temp dir, or one another user owns (Jinja refuses it)
        log.info("templates will be compiled in every process: %s", exc)
        return None


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        undefined=StrictUndefined,
        autoescape=lambda name: name is None or "/plain/" not in name,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,
        cache_size=-1,  # never evict: a few MB for every template compiled once (docs/performance.md)
        bytecode_cache=_bytecode_cache(),
    )
    env.filters.update(
        rupiah=_rupiah,
        angka=_angka,
        persen=_persen,
        tanggal=_tanggal,
        waktu=_waktu,
        mask_nik=_mask_nik,
        mask_phone=_mask_phone,
        phone=_phone,
    )
    env.globals.update(label=_label_global, describe=_describe_global, days_between=_days_between,
                       plural=_plural_global)
    return env


def warming() -> Iterator[str]:
    """Compile every template, one per step (a generator: the runtime yields to the event loop between steps,
    so replies are never held up by more than one template). Button labels and command descriptions first,
    Indonesian before English: what the first replies after a restart need soonest. Each step yields the
    template's name; a template already compiled costs a dict lookup."""
    env = environment()
    for lang in LANGUAGES:
        names = template_names(lang)
        for name in sorted(names, key=lambda n: (not n.startswith("plain/labels/"), n != "plain/commands", n)):
            env.get_template(f"{lang}/{name}.j2")
            yield f"{lang}/{name}"
        # Babel loads a locale's data on first use; a date formatted now spares the first reply that does it.
        format_date(date(2000, 1, 1), format="d MMMM y", locale=_BABEL_LOCALE[lang])
        yield f"{lang}/babel"


def normalise_language(lang: str | None) -> str:
    return lang if lang in LANGUAGES else "id"


def render(name: str, lang: str, /, **ctx: object) -> str:
    """Render ``templates/<lang>/<name>.j2`` with ``ctx``; ``lang`` is also visible to filters."""
    lang = normalise_language(lang)
    template = environment().get_template(f"{lang}/{name}.j2")
    return template.render(lang=lang, **ctx).strip()


def render_parts(name: str, lang: str, /, **ctx: object) -> list[str]:
    """:func:`render`, as the messages Telegram takes: one, or several when the text is over 4,096 characters
    (:func:`messages.split.split_message`: cut between paragraphs or lines, tags closed and reopened)."""
    return split_message(render(name, lang, **ctx))


def _label_file(key: str) -> tuple[str, str]:
    namespace, dot, rest = key.partition(".")
    return (f"plain/labels/{namespace}", rest) if dot else ("plain/labels/common", key)


def label(key: str, lang: str, /, **params: object) -> str:
    """A short plain-text label (a button). ``"yes"`` comes from ``plain/labels/common.j2``; a namespaced key
    ``"pay.confirm"`` from ``plain/labels/pay.j2``. ``{name}`` placeholders are filled from ``params``."""
    text = _label_text(key, normalise_language(lang))
    return text.format(**params) if params else text


@lru_cache(maxsize=4096)
def _label_text(key: str, lang: str) -> str:
    """Labels are static per language (``plain/labels/*.j2`` are dicts), so each is rendered once."""
    template, inner = _label_file(key)
    return render(template, lang, key=inner)


def label_keys(lang: str) -> list[str]:
    """Every label key of a language, namespaced like :func:`label` takes them."""
    keys = []
    for path in sorted((TEMPLATE_DIR / lang / "plain" / "labels").glob("*.j2")):
        prefix = "" if path.stem == "common" else f"{path.stem}."
        keys += [prefix + k for k in render(f"plain/labels/{path.stem}", lang, key="__keys__").split(",")]
    return keys


def command_keys(lang: str) -> list[str]:
    return render("plain/commands", lang, command="__keys__").split(",")


def template_names(lang: str) -> list[str]:
    base = TEMPLATE_DIR / lang
    return sorted(str(p.relative_to(base).with_suffix("")) for p in base.rglob("*.j2"))


def rupiah(amount: int, lang: str, /) -> str:
    """``Rp1.500.000``: the ``rupiah`` filter, for values that go into a label's ``{placeholder}``."""
    return _rupiah({"lang": normalise_language(lang)}, amount)


def tanggal(day: date, lang: str, /, fmt: str = "d MMM y") -> str:
    """A date like the ``tanggal`` filter (short month by default: ``28 Nov 2026``), for labels."""
    return _tanggal({"lang": normalise_language(lang)}, day, fmt)
