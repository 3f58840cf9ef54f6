"""The form engine: a form is *declared* (its steps, their parsers and buttons, one template per step, and the
use case it calls at the end); this module runs every declared form the same way.

A :class:`Form` is a list of :class:`Step` s. A step asks one question (its template) and takes its answer from
a button (:attr:`Step.options`), from typed text (:attr:`Step.parse`), or both; :attr:`Step.skip` adds a
*Lewati* button that answers ``None``. :attr:`Step.accept` turns an answer into the fields it stores (for
example a picked registration into its name and event), or refuses it. The next step asked is always the first
declared step that applies (:attr:`Step.when`) and has no answer yet; when none is left, :attr:`Form.finish`
runs: it calls the service and renders the result. Nothing else decides the order, so adding a step is one
declaration and one template per language.

The engine (:class:`Dispatcher`) handles, for every declared form alike:

- **buttons** ``<kind>:<form id>:<step>[:<value>]`` (and ``<kind>:<form id>:skip``), checked against the user's
  draft: a press from an older message (another form id, no open form) only gets the "button expired" notice;
  a value that the current step does not offer (forged callback data) records nothing and asks again;
- **typed text**: a button's label (any case; yes/no synonyms such as *iya*, *tdk*, *gak*; one alternative of
  an "A/B" label: :mod:`bot.domain.parsing.choice`) counts as tapping it; else it is parsed by the step's
  parser, whose typed error (:class:`bot.domain.parsing.errors.ParseError`) picks
  the message (:attr:`Step.invalid` gets ``code`` and the error's ``params``) and
  asks the same question again. **Typing a button's label counts as tapping it.** Text where only buttons are
  offered gets "please use the buttons" and the buttons again;
- **other input** (a sticker, a photo where text is expected): "please answer with text" and the question again;
  a step declared with ``photo=True`` is answered by a photo (its ``file_id``) instead;
- **/batal** (``/cancel``): the draft is deleted, nothing is saved;
- **one form at a time**: starting a form replaces whatever form the user had open (the one draft row per user
  is overwritten).

Drafts live in the ``form_drafts`` table (:mod:`storage.drafts`), one per user, written at every step in one
statement; the use case that finishes a form deletes the draft in the transaction that stores its result
(``draft_of=`` on the service), so a half-finished form survives a restart, and a finished one can't be
confirmed twice. Drafts older than a day are deleted by the minute tick
(:func:`bot.jobs.drafts.expire_stale_forms`).

How it sits in PTB: :meth:`Dispatcher.register` adds the dispatcher's handlers in group ``-1``, before
everything else, which stop the update (``ApplicationHandlerStop``) only when it belonged to the user's open
form, and each form's entry points (a ``CommandHandler`` for its command, and its :attr:`Form.entry_points`) as
plain handlers in the default group; there is no ``ConversationHandler`` and no PTB persistence.
"""

from __future__ import annotations

import inspect
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.domain.commands import CommandSpec
from bot.domain.parsing.choice import fold, match_choice
from bot.domain.parsing.dates import parse_date_ex
from bot.domain.parsing.errors import DateError, ParseError
from bot.domain.roles import Role
from handlers.common import Context, Who, alongside, answer_callback, app_of, guarded, identify, keyboard, send
from messages import label
from storage import drafts
from storage.drafts import Draft

if TYPE_CHECKING:
    from bot.domain.settings import Settings
    from storage.db import Database

log = logging.getLogger(__name__)

#: The group of the dispatcher's handlers: before the forms' entry points and every feature's handlers.
GROUP = -1
#: Reserved button action: answer the current step with ``None`` (see :attr:`Step.skip`).
SKIP = "skip"
#: Telegram's limit for callback data.
MAX_CALLBACK_DATA = 64


class Ended(Exception):
    """Raised by a step's functions (or :attr:`Form.check`) to end the form here: ``template`` is said, the draft
    is deleted, nothing is stored (the age is outside the event's limits, consent was refused)."""

    def __init__(self, template: str, /, **ctx: Any) -> None:
        super().__init__(template)
        self.template = template
        self.ctx = ctx


#: In the dict :attr:`Step.accept` returns: delete this field from the draft (e.g. "Perbaiki NIK").
UNSET: Any = object()


@dataclass(frozen=True)
class Option:
    """One button of a step: the stored ``value`` (part of the callback data) and its rendered ``label``."""

    value: str
    label: str


Options = list[list[Option]]


@dataclass
class Turn:
    """One update inside a form: what a step's functions get."""

    update: Update
    context: Context
    who: Who
    form: Form
    draft: Draft
    #: per-update memo for the steps' functions (e.g. a list that both the buttons and the question show)
    cache: dict[str, Any] = field(default_factory=dict)
    #: what was understood, said once the answer is accepted (see :meth:`echo`)
    echoes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def data(self) -> dict[str, Any]:
        return self.draft.data

    @property
    def lang(self) -> str:
        return self.who.lang

    @property
    def db(self) -> Database:
        return app_of(self.context).db

    @property
    def settings(self) -> Settings:
        return app_of(self.context).settings

    @property
    def user_id(self) -> int:
        return self.draft.telegram_user_id

    def now(self) -> datetime:
        """The current time (UTC), from the application's clock."""
        return app_of(self.context).now()

    def today(self) -> date:
        """Today in the bot's time zone (WITA)."""
        return app_of(self.context).today()

    def echo(self, template: str, /, **ctx: Any) -> None:
        """From a parser: show back what was understood (an amount in words, "jumat" as a date) once the answer
        is accepted, before the next question, so a misread never goes unnoticed."""
        self.echoes.append((template, ctx))

    async def advance(self) -> None:
        """Ask the next unanswered step (or show the summary, or finish): for ``finish`` functions that found a
        stale answer (cleared it, said why) and must ask it again."""
        await _advance(self)

    def callback(self, action: str, value: object = "") -> str:
        """Callback data of a button of this form: ``<kind>:<form id>:<action>[:<value>]``."""
        text = f"{self.form.kind}:{self.draft.form_id}:{action}" + (f":{value}" if value != "" else "")
        if len(text.encode()) > MAX_CALLBACK_DATA:
            raise ValueError(f"callback data over {MAX_CALLBACK_DATA} bytes: {text!r}")
        return text

    async def say(self, template: str, /, *, reply_markup: Any = None, **ctx: object) -> None:
        await send(self.update, self.context, self.who, template, reply_markup=reply_markup, **ctx)


async def _no_context(turn: Turn) -> dict[str, Any]:
    return {}


def _always(data: dict[str, Any]) -> bool:
    return True


@dataclass(frozen=True)
class Step:
    """One question of a form.

    - ``name``: the step's name, its button action and, by default, the field its answer is stored in;
    - ``template``: the question (one template per step; it gets the draft's data, ``context``'s values, and
      ``empty`` when the step was just refused);
    - ``options``: the buttons, as rows of :class:`Option` (also what typed text is matched against);
    - ``parse``: how typed text becomes an answer; it raises a typed error with a ``code`` for bad input, and
      calls :meth:`Turn.echo` when the answer should be shown back (it was in words, or inferred);
    - ``invalid``: the template for a refused answer (gets ``code`` and the error's params);
    - ``skip``: offer *Lewati*, which answers ``None`` (a function of the draft's data when it depends on it);
    - ``accept``: the fields an answer stores (default ``{field: answer}``); it may refuse the answer by raising
      :class:`~bot.domain.parsing.errors.ParseError` (the question is then asked again, after ``invalid`` if set);
    - ``when``: whether the step applies to the draft's data (default: always);
    - ``context``: extra values for the template;
    - ``empty``: when ``options`` offers nothing and there is no parser, this template is said and the form ends
      (e.g. "nobody to follow up").
    """

    name: str
    template: str
    options: Callable[[Turn], Awaitable[Options]] | None = None
    parse: Callable[[str, Turn], Any] | None = None
    invalid: str | None = None
    skip: bool | Callable[[dict[str, Any]], bool] = False
    accept: Callable[[Turn, Any], Awaitable[dict[str, Any]]] | None = None
    when: Callable[[dict[str, Any]], bool] = _always
    context: Callable[[Turn], Awaitable[dict[str, Any]]] = _no_context
    empty: str | None = None
    field: str | None = None
    #: the button action of its options (default: the step's name)
    action: str | None = None
    #: the escape hatch for a step no widget fits (a paged check-list): ``show(turn, edit)`` draws it (edit: in
    #: place of the pressed message) and ``press(turn, action, value)`` takes every button of the form while the
    #: step is open; it returns True when the step is answered (e.g. Simpan), False to draw it again.
    show: Callable[[Turn, bool], Awaitable[None]] | None = None
    press: Callable[[Turn, str, str], Awaitable[bool]] | None = None
    #: a photo answers the step (with its largest size's ``file_id``); text that is not a button's label, a
    #: sticker or a file gets ``invalid`` (code ``not_photo``; default "please answer with text") and the
    #: question again
    photo: bool = False

    @property
    def key(self) -> str:
        return self.field or self.name

    @property
    def verb(self) -> str:
        return self.action or self.name

    def skippable(self, data: dict[str, Any]) -> bool:
        return self.skip(data) if callable(self.skip) else self.skip


#: Button actions of the summary.
EDIT, CONFIRM, CANCEL = "edit", "confirm", "cancel"
#: The draft's step while the summary is shown.
SUMMARY_STEP = "summary"


@dataclass(frozen=True)
class Summary:
    """What the form shows once every step is answered: everything on one message, one edit button per field
    and *Konfirmasi*. An edit button clears that field (and the fields in ``clears``, e.g. editing the date also
    clears the time that depended on it) and asks it again; once nothing is missing the summary comes back.
    ``edits`` are ``(field, label key)`` pairs; ``context`` gives the template's values."""

    template: str
    edits: Sequence[tuple[str, str]]
    context: Callable[[Turn], Awaitable[dict[str, Any]]] = _no_context
    clears: Mapping[str, Sequence[str]] = field(default_factory=dict)
    confirm_label: str = "confirm"
    #: edit buttons per row
    per_row: int = 1
    #: a Batal button next to Konfirmasi (the same as /batal)
    cancel: bool = False

    def options(self, lang: str) -> Options:
        edits = [Option(f"{EDIT}:{name}", label(key, lang)) for name, key in self.edits]
        last = [Option(CONFIRM, label(self.confirm_label, lang))]
        if self.cancel:
            last.append(Option(CANCEL, label("cancel", lang)))
        return [edits[i:i + self.per_row] for i in range(0, len(edits), self.per_row)] + [last]


@dataclass(frozen=True)
class Form:
    """A declared form: ``kind`` is its callback-data prefix (unique), ``command`` opens it and checks roles,
    ``steps`` in order, and ``finish`` the use case at the end (it must delete the draft in its transaction,
    see :func:`storage.drafts.delete`, and say the outcome)."""

    kind: str
    #: the command that opens it (its roles are checked at every answer); None for a form only opened by a
    #: button (an entry point), whose ``roles`` are checked instead
    command: CommandSpec | None
    steps: Sequence[Step]
    finish: Callable[[Turn], Awaitable[None]]
    #: shown before ``finish`` when set: ``finish`` then runs on its Konfirmasi button. A function of the draft's
    #: data when the summary depends on it (a new participant's details, or an existing one's)
    summary: Summary | Callable[[dict[str, Any]], Summary] | None = None
    #: run before every question and the summary; raises :class:`Ended` when the form can't go on (the event
    #: closed meanwhile)
    check: Callable[[Turn], Awaitable[None]] | None = None
    #: extra entry points (buttons of other messages that open this form), wired by the feature itself
    entry_points: Sequence[BaseHandler] = field(default_factory=tuple)
    #: who may answer, when there is no ``command``
    roles: frozenset[Role] | None = None

    @property
    def allowed(self) -> frozenset[Role] | None:
        return self.roles if self.command is None else self.command.roles

    def step(self, name: str) -> Step | None:
        return next((s for s in self.steps if s.name == name), None)

    def summary_for(self, data: dict[str, Any]) -> Summary | None:
        return self.summary(data) if callable(self.summary) else self.summary

    def next_step(self, data: dict[str, Any]) -> Step | None:
        return next((s for s in self.steps if s.when(data) and s.key not in data), None)


def _checks_roles_itself(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Marks a dispatcher callback as role-checked (tests/handlers/test_roles.py): it acts only on the user's own
    open draft, in a private chat, after :meth:`Dispatcher._guard` checked the form's roles."""
    fn.pem_guarded = True  # type: ignore[attr-defined]
    return fn


def _fold(text: str) -> str:
    """Text compared with a button's label (:func:`bot.domain.parsing.choice.fold`)."""
    return fold(text)


def _typed_option(options: Options, text: str) -> Option | None:
    """The button typed text means: its label in any case, an obvious yes/no synonym or one alternative of an
    "A/B" label, when unambiguous (:func:`bot.domain.parsing.choice.match_choice`)."""
    flat = [o for row in options for o in row]
    index = match_choice([o.label for o in flat], text)
    return None if index is None else flat[index]


class Dispatcher:
    """Runs the declared forms. ``handlers()`` are added in :data:`GROUP`, ``entry_points()`` in the default group
    (see the module docstring)."""

    def __init__(self, forms: Sequence[Form]) -> None:
        kinds = [f.kind for f in forms]
        if len(kinds) != len(set(kinds)):
            raise RuntimeError(f"two declared forms share a kind: {kinds}")
        self.forms = {f.kind: f for f in forms}
        self._own_entry_points: list[BaseHandler] = []

    # --- wiring ------------------------------------------------------------------------------------------------
    def entry_points(self) -> list[BaseHandler]:
        if not self._own_entry_points:
            for form in self.forms.values():
                if form.command is not None:
                    self._own_entry_points.append(
                        CommandHandler(list(form.command.names), guarded(form.command)(self._opener(form))))
                self._own_entry_points.extend(form.entry_points)
        return list(self._own_entry_points)

    def register(self, application: Application) -> None:
        """Add the dispatcher's handlers (group :data:`GROUP`) and the forms' entry points (default group: a
        feature's handlers that come after them match other commands and buttons)."""
        application.add_handlers(self.handlers(), group=GROUP)
        application.add_handlers(self.entry_points())

    def handlers(self) -> list[BaseHandler]:
        other = ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL
        kinds = "|".join(sorted(self.forms))
        return [
            CallbackQueryHandler(self._pressed, pattern=rf"^(?:{kinds}):"),
            MessageHandler(filters.TEXT & ~filters.COMMAND, self._typed),
            MessageHandler(other, self._other),
            CommandHandler(["batal", "cancel"], self._cancel),
        ]

    def _opener(self, form: Form) -> Callable[[Update, Context, Who], Awaitable[None]]:
        async def open_form(update: Update, context: Context, who: Who) -> None:
            await self.open(form, update, context, who)

        return open_form

    # --- opening and asking ------------------------------------------------------------------------------------
    async def open(self, form: Form, update: Update, context: Context, who: Who,
                   data: dict[str, Any] | None = None) -> None:
        await open_form(form, update, context, who, data)

    async def _advance(self, turn: Turn) -> None:
        await _ended_or(turn, _advance(turn))

    async def _ask(self, turn: Turn, step: Step) -> bool:
        try:
            return await _ask(turn, step)
        except Ended as ended:  # a step's options or context found the form can't go on
            await _end(turn, ended)
            return False

    # --- answers -----------------------------------------------------------------------------------------------
    async def _turn(self, update: Update, context: Context) -> Turn | None:
        """The user's open declared form, or None (the update is then left to the other handlers). Forms are
        filled in private chats only: what a user writes in a group is never taken as an answer."""
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None or chat.type != ChatType.PRIVATE:
            return None
        draft = await drafts.get(app_of(context).db.latest, user.id)  # committed by this user's previous update
        if draft is None or draft.kind not in self.forms:
            return None
        form = self.forms[draft.kind]
        who = await identify(update, context)
        return Turn(update, context, who, form, draft)

    async def _guard(self, turn: Turn) -> bool:
        """The form's role check on every answer (a role removed meanwhile ends the form)."""
        roles = turn.form.allowed
        person = turn.who.person
        if person is not None and person.active and (roles is None or person.has_any(roles)):
            return True
        await drafts.delete(turn.db, turn.user_id)
        if turn.update.callback_query is not None:
            await answer_callback(turn.update, turn.who, "errors/not_allowed", alert=True)
        else:
            await turn.say("errors/not_allowed")
        return False

    async def _answer(self, turn: Turn, step: Step, value: Any) -> None:
        try:
            stored = {step.key: value} if step.accept is None else await step.accept(turn, value)
        except ParseError as refused:
            await self._refuse(turn, step, refused.code, {"error": type(refused).__name__, **refused.params})
            return
        except Ended as ended:
            await _end(turn, ended)
            return
        for key, item in stored.items():
            if item is UNSET:
                turn.data.pop(key, None)
            else:
                turn.data[key] = item
        for template, ctx in turn.echoes:
            await turn.say(template, **ctx)
        turn.echoes.clear()
        await _ended_or(turn, _advance(turn))

    async def _refuse(self, turn: Turn, step: Step, code: str, params: dict[str, Any]) -> None:
        turn.echoes.clear()
        await _ended_or(turn, self._refusal(turn, step, code, params))

    async def _refusal(self, turn: Turn, step: Step, code: str, params: dict[str, Any]) -> None:
        if step.invalid is not None:
            await turn.say(step.invalid, code=code, **{**turn.data, **await step.context(turn), **params})
        await _ask(turn, step)

    @_checks_roles_itself
    async def _pressed(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        kind, form_id, action, value = [*query.data.split(":", 3), "", ""][:4]
        turn = await self._turn(update, context)
        if turn is None or turn.draft.kind != kind or turn.draft.form_id != form_id:
            who = turn.who if turn is not None else await identify(update, context)
            await answer_callback(update, who, "errors/stale_button")
            raise ApplicationHandlerStop
        if not await self._guard(turn):
            raise ApplicationHandlerStop
        await alongside(query.answer())  # alongside the reply, not before it (issue 12)
        if turn.draft.step == SUMMARY_STEP and turn.form.summary is not None:
            await _ended_or(turn, _summary_choice(turn, action if not value else f"{action}:{value}"))
            raise ApplicationHandlerStop
        step = turn.form.step(turn.draft.step)
        if step is None:  # the form's declaration changed under a stored draft: ask what is next
            await self._advance(turn)
            raise ApplicationHandlerStop
        if step.press is not None:
            if await step.press(turn, action, value):
                await self._answer(turn, step, True)
            else:
                await _draw(turn, step, edit=True)
                await drafts.save(turn.db, turn.draft, turn.now())
        elif action == SKIP and step.skippable(turn.data):
            await self._answer(turn, step, None)
        elif action == step.verb and step.options is not None:
            offered = {o.value for row in await step.options(turn) for o in row}
            if value in offered:
                await self._answer(turn, step, value)
            else:  # a forged value, or one no longer offered: record nothing, ask again
                await self._ask(turn, step)
        else:  # a button of an earlier step of this form: ask the current question again
            await self._ask(turn, step)
        raise ApplicationHandlerStop

    @_checks_roles_itself
    async def _typed(self, update: Update, context: Context) -> None:
        turn = await self._turn(update, context)
        if turn is None:
            return
        if not await self._guard(turn):
            raise ApplicationHandlerStop
        step = turn.form.step(turn.draft.step)
        assert update.message is not None
        text = update.message.text or ""
        summary = turn.form.summary_for(turn.data)
        if turn.draft.step == SUMMARY_STEP and summary is not None:
            match = _typed_option(summary.options(turn.lang), text)
            if match is not None:
                await _ended_or(turn, _summary_choice(turn, match.value))
            else:
                await turn.say("common/use_buttons")
                await _ended_or(turn, _show_summary(turn))
            raise ApplicationHandlerStop
        if step is None:
            await self._advance(turn)
            raise ApplicationHandlerStop
        if step.options is not None:  # typing a button's label (or an obvious synonym) counts as tapping it
            match = _typed_option(await step.options(turn), text)
            if match is not None:
                await self._answer(turn, step, match.value)
                raise ApplicationHandlerStop
        if step.skippable(turn.data) and _fold(text) == _fold(label("skip", turn.lang)):
            await self._answer(turn, step, None)
            raise ApplicationHandlerStop
        if step.parse is None and step.photo:  # text where a photo is expected
            if step.invalid is not None:
                await self._refuse(turn, step, "not_photo", {})
            else:
                await turn.say("errors/not_text")
                await self._ask(turn, step)
            raise ApplicationHandlerStop
        if step.parse is None:
            await turn.say("common/use_buttons")
            await self._ask(turn, step)
            raise ApplicationHandlerStop
        try:
            value = step.parse(text, turn)
            if inspect.isawaitable(value):  # a parser that looks something up (a borrower search)
                value = await value
        except ParseError as exc:
            await self._refuse(turn, step, exc.code, {"error": type(exc).__name__, **exc.params})
            raise ApplicationHandlerStop from None
        except Ended as ended:
            await _end(turn, ended)
            raise ApplicationHandlerStop from None
        await self._answer(turn, step, value)
        raise ApplicationHandlerStop

    @_checks_roles_itself
    async def _other(self, update: Update, context: Context) -> None:
        turn = await self._turn(update, context)
        if turn is None:
            return
        if not await self._guard(turn):
            raise ApplicationHandlerStop
        step = turn.form.step(turn.draft.step)
        assert update.message is not None
        if step is not None and step.photo and update.message.photo:
            await self._answer(turn, step, max(update.message.photo, key=lambda p: p.width * p.height).file_id)
            raise ApplicationHandlerStop
        if step is not None and step.photo and step.invalid is not None:
            await self._refuse(turn, step, "not_photo", {})
            raise ApplicationHandlerStop
        await turn.say("errors/not_text")
        if step is not None:
            await self._ask(turn, step)
        elif turn.draft.step == SUMMARY_STEP and turn.form.summary is not None:
            await _ended_or(turn, _show_summary(turn))
        raise ApplicationHandlerStop

    @_checks_roles_itself
    async def _cancel(self, update: Update, context: Context) -> None:
        turn = await self._turn(update, context)
        if turn is None:
            return  # no form open: /batal goes on to the fallback ("nothing to cancel")
        await drafts.delete(turn.db, turn.user_id)
        await turn.say("common/cancelled")
        raise ApplicationHandlerStop


async def open_form(form: Form, update: Update, context: Context, who: Who,
                    data: dict[str, Any] | None = None) -> None:
    """Start ``form`` for the user (replacing any open form), with ``data`` already answered, and ask its first
    unanswered step (or finish at once when nothing is left to ask). For entry points that are buttons of
    other messages (a scheduled prompt) and have checked what they pass in."""
    user = update.effective_user
    assert user is not None
    draft = Draft(telegram_user_id=user.id, kind=form.kind, form_id=secrets.token_hex(3), step="",
                  started_at=app_of(context).now(), data=dict(data or {}))
    turn = Turn(update, context, who, form, draft)
    await _ended_or(turn, _advance(turn))


async def _end(turn: Turn, ended: Ended) -> None:
    await drafts.delete(turn.db, turn.user_id)
    await turn.say(ended.template, **ended.ctx)


async def _ended_or(turn: Turn, work: Awaitable[None]) -> None:
    """Run ``work``; an :class:`Ended` it raises ends the form."""
    try:
        await work
    except Ended as ended:
        await _end(turn, ended)


async def _advance(turn: Turn) -> None:
    """Ask the next unanswered step and store the draft; with nothing left, show the summary or finish. Raises
    :class:`Ended` when the form's check says it can't go on."""
    if turn.form.check is not None:
        await turn.form.check(turn)
    step = turn.form.next_step(turn.data)
    if step is None and turn.form.summary is not None:
        turn.draft.step = SUMMARY_STEP
        await _show_summary(turn)
        await drafts.save(turn.db, turn.draft, turn.now())
        return
    if step is None:
        await turn.form.finish(turn)
        return
    turn.draft.step = step.name
    if await _ask(turn, step):
        await drafts.save(turn.db, turn.draft, turn.now())


async def _draw(turn: Turn, step: Step, *, edit: bool) -> None:
    assert step.show is not None
    await step.show(turn, edit)


async def _ask(turn: Turn, step: Step) -> bool:
    """Send the step's question with its buttons; False when the step has nothing to offer and so ended the
    form (its ``empty`` template)."""
    if step.show is not None:
        await _draw(turn, step, edit=False)
        return True
    options = await step.options(turn) if step.options is not None else []
    if step.empty is not None and step.parse is None and not any(options):
        await drafts.delete(turn.db, turn.user_id)
        await turn.say(step.empty)
        return False
    rows = [[(o.label, turn.callback(step.verb, o.value)) for o in row] for row in options if row]
    if step.skippable(turn.data):
        rows.append([(label("skip", turn.lang), turn.callback(SKIP))])
    markup = keyboard(rows) if rows else None
    await turn.say(step.template, reply_markup=markup, **{**turn.data, **await step.context(turn)})
    return True


async def _show_summary(turn: Turn) -> None:
    summary = turn.form.summary_for(turn.data)
    assert summary is not None
    rows = [[(o.label, turn.callback(*o.value.split(":", 1))) for o in row] for row in summary.options(turn.lang)]
    await turn.say(summary.template, reply_markup=keyboard(rows), **await summary.context(turn))


async def _summary_choice(turn: Turn, choice: str) -> None:
    """An edit button (``edit:<field>``) or Konfirmasi on the summary; anything else shows it again."""
    summary = turn.form.summary_for(turn.data)
    assert summary is not None
    action, _, name = choice.partition(":")
    if action == CONFIRM and not name:
        await turn.form.finish(turn)
    elif action == CANCEL and not name and summary.cancel:
        await drafts.delete(turn.db, turn.user_id)
        await turn.say("common/cancelled")
    elif action == EDIT and name in {n for n, _ in summary.edits}:
        for key in (name, *summary.clears.get(name, ())):
            turn.data.pop(key, None)
        await _advance(turn)
    else:
        await _show_summary(turn)


def read_date(turn: Turn, text: str, /, *, prefer: Literal["past", "future"] = "past", code_prefix: str | None = None,
              **params: Any) -> date:
    """A date typed at a step, relative to ``turn.today()``. A day of the month, a weekday or "2 hari lalu" is
    shown back (:meth:`Turn.echo`). A refused date raises its :class:`DateError` as it is, or, with
    ``code_prefix`` or ``params``, a :class:`ParseError` whose code is prefixed (``date_``) and whose params
    gain ``params``, for the step's ``invalid`` template."""
    try:
        day, inferred = parse_date_ex(text, turn.today(), prefer=prefer)
    except DateError as exc:
        if code_prefix is None and not params:
            raise
        raise ParseError((code_prefix or "") + exc.code, **{**exc.params, **params}) from exc
    if inferred:
        turn.echo("common/read_as", day=day)
    return day
