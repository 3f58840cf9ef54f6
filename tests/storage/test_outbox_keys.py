"""The dedupe-key formats of storage.outbox_keys are frozen: messages already queued in production databases
carry them, and the clean-up and erasure queries must still find those."""

from __future__ import annotations

from storage import outbox_keys


def test_the_key_formats_of_messages_already_queued_do_not_change():
    assert (outbox_keys.EVENT_REMINDER_KIND, outbox_keys.event_reminder_key(42)) == ("event_reminder", "evrem:42")
    assert (outbox_keys.FOLLOWUP_PROMPT_KIND, outbox_keys.followup_prompt_key(42, 30, 7)) == (
        "followup_prompt", "fu:42:30:7")
    assert outbox_keys.followup_prompt_prefix(42) == "fu:42:"
    assert (outbox_keys.LOAN_REMINDER_KIND, outbox_keys.loan_reminder_key(5, -3)) == ("reminder", "rem:5:-3")


def test_a_followup_prompt_key_reads_back_as_registration_and_milestone():
    assert outbox_keys.parse_followup_prompt_key(outbox_keys.followup_prompt_key(42, 90, 7)) == (42, 90)
    for other in ("evrem:42", "fu:x:30:7", "fu:42", "fu:42:", "rem:42:30", "notice:fu:42:30"):
        assert outbox_keys.parse_followup_prompt_key(other) is None, other


def test_a_cancellation_notice_key_names_both_registrations_and_no_other():
    key = outbox_keys.unregistered_notice_key(5, 12, 3)
    assert key == "notice:unreg:reg:5:reg:12:to:3"
    assert outbox_keys.registration_mark(5) in key and outbox_keys.registration_mark(12) in key
    assert outbox_keys.registration_mark(50) not in key and outbox_keys.registration_mark(1) not in key
    assert outbox_keys.unregistered_notice_key(5, None, 3) == "notice:unreg:reg:5:reg:0:to:3"  # nobody moved up
