"""``/tindak_lanjut`` (``/followup``): record what a trainee did after a training.

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

from enum import StrEnum

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot import clock
from bot.commands import CommandSpec
from bot.events import BUSINESS_MAX, OUTCOMES, EventFormError, clean_business
from handlers.common import Context, Who, answer_callback, app_of, button, guarded, keyboard, send
from handlers.events import STAFF
from handlers.feature import FeatureHandlers
from handlers.forms import current_form, data, end_form, new_form, pattern, read_button
from messages import label
from storage import audit, events

FOLLOWUP = CommandSpec("tindak_lanjut", "followup", STAFF)
COMMANDS = (FOLLOWUP,)
KIND = "tl"
#: the buttons of the scheduled prompt: ``fuq:<registration id>:<status>``
PROMPT_PREFIX = "fuq"


class S(StrEnum):
    PICK = "tl.pick"
    STATUS = "tl.status"
    BUSINESS = "tl.business"


async def ask(update: Update, context: Context, who: Who, form: dict) -> str | int:
    lang = who.lang
    if "registration_id" not in form:
        items = await events.followup_candidates(app_of(context).db, who.kelurahan or "", clock.utcnow())
        if not items:
            end_form(context)
            await send(update, context, who, "followup/none")
            return ConversationHandler.END
        rows = [[(label("followup.pick_button", lang, name=i.participant_name[:30], title=i.event_title[:20]),
                  data(KIND, form, "pick", i.registration_id))] for i in items]
        await send(update, context, who, "followup/list", items=items, reply_markup=keyboard(rows))
        return S.PICK
    if "status" not in form:
        rows = [[button(f"followup.status_{s}", lang, data(KIND, form, "status", s))] for s in OUTCOMES]
        await send(update, context, who, "followup/ask_status", name=form["name"], title=form["title"],
                   reply_markup=keyboard(rows))
        return S.STATUS
    markup = keyboard([[button("skip", lang, data(KIND, form, "skip"))]])
    await send(update, context, who, "followup/ask_business", name=form["name"], status=form["status"],
               reply_markup=markup)
    return S.BUSINESS


@guarded(FOLLOWUP)
async def begin(update: Update, context: Context, who: Who) -> str | int:
    return await ask(update, context, who, new_form(context, KIND))


@guarded(FOLLOWUP)
async def pressed(update: Update, context: Context, who: Who) -> str | int | None:
    got = await read_button(update, context, who, KIND)
    if got is None:
        return None
    form, action, value = got
    if action == "pick" and value.isdigit() and "registration_id" not in form:
        reg = await events.get_registration(app_of(context).db, int(value))
        event = None if reg is None else await events.get_event(app_of(context).db, reg.event_id)
        if reg is not None and event is not None and event.kelurahan_code == who.kelurahan \
                and reg.status == "attended":
            form.update(registration_id=reg.id, participant_id=reg.participant_id, event_id=event.id,
                        name=reg.participant_name, title=event.title)
    elif action == "status" and value in OUTCOMES and "registration_id" in form and "status" not in form:
        form["status"] = value
        if value == "still_looking":
            return await save(update, context, who, form, None)
    elif action == "skip" and "status" in form:
        return await save(update, context, who, form, None)
    return await ask(update, context, who, form)


@guarded(FOLLOWUP)
async def prompt_pressed(update: Update, context: Context, who: Who) -> str | int | None:
    """A status button of a scheduled follow-up prompt: open the form on that trainee with that status."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _, raw, status = [*query.data.split(":"), "", ""][:3]
    db = app_of(context).db
    reg = await events.get_registration(db, int(raw)) if raw.isdigit() else None
    event = None if reg is None else await events.get_event(db, reg.event_id)
    participant = None if reg is None else await events.get_participant(db, reg.participant_id)
    if (reg is None or event is None or participant is None or participant.erased or status not in OUTCOMES
            or reg.status != "attended" or event.kind != "training" or who.kelurahan is None
            or event.kelurahan_code != who.kelurahan):
        await answer_callback(update, who, "events/not_found", alert=True)
        return None
    await query.answer()
    form = new_form(context, KIND, registration_id=reg.id, participant_id=reg.participant_id, event_id=event.id,
                    name=reg.participant_name, title=event.title, status=status)
    if status == "still_looking":
        return await save(update, context, who, form, None)
    return await ask(update, context, who, form)


@guarded(FOLLOWUP)
async def typed(update: Update, context: Context, who: Who) -> str | int:
    form = current_form(context, KIND)
    if form is None:
        return await begin.__wrapped__(update, context, who)
    assert update.message is not None
    if "status" not in form:
        await send(update, context, who, "common/use_buttons")
        return await ask(update, context, who, form)
    try:
        business = clean_business(update.message.text or "")
    except EventFormError:
        await send(update, context, who, "followup/business_invalid", max=BUSINESS_MAX)
        return await ask(update, context, who, form)
    return await save(update, context, who, form, business)


async def save(update: Update, context: Context, who: Who, form: dict, business: str | None) -> int:
    async with app_of(context).db.transaction() as tx:
        outcome = await events.record_outcome(tx, participant_id=form["participant_id"], event_id=form["event_id"],
                                              status=form["status"], business_type=business,
                                              recorded_by=who.person_id, now=clock.utcnow())
        await audit.record(tx, "outcome.recorded", actor_person_id=who.person_id, entity="outcome",
                           entity_id=outcome.id, kelurahan_code=who.kelurahan,
                           details={"event_id": form["event_id"], "participant_id": form["participant_id"],
                                    "status": form["status"]})
    end_form(context)
    await send(update, context, who, "followup/saved", name=form["name"], status=form["status"], business=business)
    return ConversationHandler.END


@guarded(FOLLOWUP)
async def not_text(update: Update, context: Context, who: Who) -> str | int | None:
    form = current_form(context, KIND)
    if form is None:
        return None
    await send(update, context, who, "errors/not_text")
    return await ask(update, context, who, form)


def handlers() -> FeatureHandlers:
    text = filters.TEXT & ~filters.COMMAND
    other = ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL
    return FeatureHandlers(
        form_entry_points=[CommandHandler(list(FOLLOWUP.names), begin),
                           CallbackQueryHandler(prompt_pressed, pattern=rf"^{PROMPT_PREFIX}:")],
        form_states={
            state: [MessageHandler(text, typed), CallbackQueryHandler(pressed, pattern=pattern(KIND)),
                    MessageHandler(other, not_text)]
            for state in S
        },
    )
