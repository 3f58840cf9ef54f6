"""The bot's forms: every form is declared and run by the engine in :mod:`handlers.forms.engine` (see
docs/forms.md); its draft is a row of the ``form_drafts`` table (:mod:`storage.drafts`). Drafts left unfinished
expire after a day (:func:`bot.jobs.drafts.expire_stale_forms`, run by the scheduler's minute tick).
"""
