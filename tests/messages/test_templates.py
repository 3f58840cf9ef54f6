"""Every template renders in both languages with its sample context, within Telegram's 4096 characters, and
both languages have the same templates, labels and command descriptions."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from jinja2 import UndefinedError

from messages import LANGUAGES, MAX_MESSAGE_LENGTH, command_keys, label, label_keys, render, template_names
from tests.messages.samples import all_samples

SAMPLES = all_samples()
WITA = ZoneInfo("Asia/Makassar")


def test_both_languages_have_the_same_templates():
    assert template_names("id") == template_names("en")


def test_every_template_has_a_sample_and_every_sample_a_template():
    names = set(template_names("id"))
    assert names - SAMPLES.keys() == set(), "templates without a sample in tests/messages/samples/"
    assert SAMPLES.keys() - names == set(), "samples for templates that do not exist"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", template_names("id"))
def test_template_renders_with_sample(name: str, lang: str):
    text = render(name, lang, tz=WITA, **SAMPLES[name])
    assert text.strip(), f"{lang}/{name} rendered empty"
    assert len(text) <= MAX_MESSAGE_LENGTH


@pytest.mark.parametrize("lang", LANGUAGES)
def test_missing_key_is_an_error_not_a_hole(lang: str):
    with pytest.raises(UndefinedError):
        render("invites/ask_phone", lang)


def test_labels_and_commands_match_across_languages():
    assert label_keys("id") == label_keys("en")
    assert command_keys("id") == command_keys("en")
    for lang in LANGUAGES:
        for key in label_keys(lang):
            assert label(key, lang).strip()
            assert len(label(key, lang).encode()) <= 64 * 4  # a button text stays short
        for command in command_keys(lang):
            assert 3 <= len(render("plain/commands", lang, command=command)) <= 256


def test_html_is_escaped_in_chat_messages_but_not_in_plain_templates():
    assert "Maria &lt;Bria&gt;" in render("onboarding/welcome", "id", name="Maria <Bria>", roles=[], commands=[])
    assert render("plain/cli/error", "id", code="no_kelurahan", value="<x>").count("<x>") == 1


@pytest.mark.parametrize(
    ("lang", "expected_money", "expected_date"),
    [("id", "Rp1.500.000", "28 November 2026"), ("en", "Rp1.500.000", "28 November 2026")],
)
def test_money_and_date_filters(lang: str, expected_money: str, expected_date: str):
    from messages import environment

    env = environment()
    template = env.from_string("{{ amount | rupiah }}|{{ day | tanggal }}|{{ moment | waktu }}")
    out = template.render(lang=lang, amount=1_500_000, day=date(2026, 11, 28), tz=WITA,
                          moment=datetime(2026, 11, 28, 0, 5, tzinfo=ZoneInfo("UTC")))
    money, day, moment = out.split("|")
    assert money == expected_money
    assert day == expected_date
    assert moment.endswith("08.05 WITA")


def test_indonesian_month_names():
    from messages import environment

    months = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
              "November", "Desember"]
    tmpl = environment().from_string("{{ d | tanggal }}")
    for month, name in enumerate(months, start=1):
        assert tmpl.render(lang="id", d=date(2026, month, 1)) == f"1 {name} 2026"


def test_tanggal_uses_the_wita_day_of_a_timestamp():
    from messages import environment

    late_utc = datetime(2026, 12, 4, 23, 30, tzinfo=ZoneInfo("UTC"))  # 07:30 WITA on 5 December
    tmpl = environment().from_string("{{ v | tanggal }}")
    assert tmpl.render(lang="id", tz=WITA, v=late_utc) == "5 Desember 2026"
    assert tmpl.render(lang="id", tz=WITA, v="2026-12-04 23:30:00") == "5 Desember 2026"
    assert tmpl.render(lang="id", tz=WITA, v="2026-12-04") == "4 Desember 2026"
