"""``/tindak_lanjut`` (``/followup``): record what a trainee did after a training. A declared form
(:mod:`handlers.forms.engine`): three steps, one template each, and the ``record_outcome`` use case.

State diagram (coordinators and admins)::

    /tindak_lanjut ─► PICK [one button per attended trainee of a past training, unanswered first]
                   ─► STATUS [usaha sendiri | bekerja | masih mencari | lainnya]
                   ─► own business / employed / other: BUSINESS [text | Lewati] ─► saved, END
                   ─► still looking: saved, END
    text where buttons are expected: "use the buttons" and the buttons again; a bad business type (too short,
    no letters): a specific message and the question again.

The scheduler's 30/90-day prompts (``followup/prompt`` from :mod:`bot.jobs.events`) carry the four status
buttons ``fuq:<registration id>:<status>``; a press opens this same form with the trainee and the status
chosen (``still_looking`` is saved at once, the others go on to BUSINESS)::

    fuq:<reg>:<status> ─► (checked) ─► BUSINESS [text | Lewati] ─► saved, END   (still looking: saved, END)

Decisions: answers are appended to ``outcomes`` (a trainee can be asked at 30 and at 90 days; the latest one
counts in the digest). A prompt button is refused ("not found") unless the registration exists, is
``attended``, belongs to a training of the presser's kelurahan, the participant is not erased and the status
is one of the four: forged or foreign data never records anything. Pressing a second prompt button (or a
button of an older prompt) starts the form again for that trainee; answering twice simply appends a second
outcome, the latest one counts.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.domain.commands import CommandSpec
from bot.domain.events import BUSINESS_MAX, OUTCOMES, clean_business
from bot.domain.parsing.errors import ParseError
from bot.services.followup import record_outcome
from handlers.common import Context, Who, alongside, answer_callback, app_of, guarded
from handlers.event_access import STAFF
from handlers.feature import FeatureHandlers
from handlers.forms.engine import Form, Option, Options, Step, Turn, open_form
from messages import label
from storage import events, outcomes, participants, registrations

FOLLOWUP = CommandSpec("tindak_lanjut", "followup", STAFF)
COMMANDS = (FOLLOWUP,)
KIND = "tl"
#: the buttons of the scheduled prompt: ``fuq:<registration id>:<status>``
PROMPT_PREFIX = "fuq"


async def _candidates(turn: Turn) -> list:
    if "candidates" not in turn.cache:
        turn.cache["candidates"] = await outcomes.followup_candidates(turn.db, turn.who.kelurahan or "",
                                                                      turn.now())
    return turn.cache["candidates"]


async def _pick_options(turn: Turn) -> Options:
    return [[Option(str(i.registration_id),
                    label("followup.pick_button", turn.lang, name=i.participant_name[:30], title=i.event_title[:20]))]
            for i in await _candidates(turn)]


async def _pick_context(turn: Turn) -> dict[str, Any]:
    return {"items": await _candidates(turn)}


async def _trainee(db, registration_id: int, kelurahan: str | None) -> dict[str, Any] | None:
    """The fields a picked trainee stores, or None unless it is an attended registration of the kelurahan."""
    reg = await registrations.get_registration(db, registration_id)
    event = None if reg is None else await events.get_event(db, reg.event_id)
    if reg is None or event is None or event.kelurahan_code != kelurahan or reg.status != "attended":
        return None
    return {"registration_id": reg.id, "participant_id": reg.participant_id, "event_id": event.id,
            "name": reg.participant_name, "title": event.title}


async def _accept_pick(turn: Turn, value: str) -> dict[str, Any]:
    trainee = await _trainee(turn.db, int(value), turn.who.kelurahan)
    if trainee is None:
        raise ParseError("not_found")
    return trainee


async def _status_options(turn: Turn) -> Options:
    return [[Option(s, label(f"followup.status_{s}", turn.lang))] for s in OUTCOMES]


async def _business_context(turn: Turn) -> dict[str, Any]:
    return {"max": BUSINESS_MAX}


async def _save(turn: Turn) -> None:
    data = turn.data
    await record_outcome(turn.db, participant_id=data["participant_id"], event_id=data["event_id"],
                         status=data["status"], business_type=data["business"], recorded_by=turn.who.person_id,
                         kelurahan_code=turn.who.kelurahan, now=turn.now(), draft_of=turn.user_id)
    await turn.say("followup/saved", name=data["name"], status=data["status"], business=data["business"])


async def _finish(turn: Turn) -> None:
    turn.data.setdefault("business", None)  # still looking: no business is asked
    await _save(turn)


@guarded(FOLLOWUP)
async def prompt_pressed(update: Update, context: Context, who: Who) -> None:
    """A status button of a scheduled follow-up prompt: open the form on that trainee with that status."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _, raw, status = [*query.data.split(":"), "", ""][:3]
    db = app_of(context).db
    trainee = await _trainee(db, int(raw), who.kelurahan) if raw.isdigit() else None
    event = None if trainee is None else await events.get_event(db, trainee["event_id"])
    participant = None if trainee is None else await participants.get_participant(db, trainee["participant_id"])
    if (trainee is None or event is None or participant is None or participant.erased or status not in OUTCOMES
            or event.kind != "training" or who.kelurahan is None):
        await answer_callback(update, who, "events/not_found", alert=True)
        return None
    await alongside(query.answer())
    await open_form(FORM, update, context, who, {**trainee, "status": status})
    return None


FORM = Form(
    kind=KIND,
    command=FOLLOWUP,
    steps=(
        Step("pick", "followup/list", field="registration_id", options=_pick_options, context=_pick_context,
             accept=_accept_pick, empty="followup/none"),
        Step("status", "followup/ask_status", options=_status_options),
        Step("business", "followup/ask_business", parse=lambda text, turn: clean_business(text),
             invalid="followup/business_invalid", skip=True, context=_business_context,
             when=lambda data: data.get("status") != "still_looking"),
    ),
    finish=_finish,
    entry_points=(CallbackQueryHandler(prompt_pressed, pattern=rf"^{PROMPT_PREFIX}:"),),
)


def handlers() -> FeatureHandlers:
    return FeatureHandlers(forms=[FORM])
