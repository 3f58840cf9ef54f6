"""Read models: the queries behind the digests and the scheduled jobs, one module per subject.

They read across aggregates (loans and repayments, events and registrations, the outbox) and write nothing;
the aggregates themselves are the repositories one level up (``storage.events``, ``storage.loans`` …).

- :mod:`storage.reports.digest`: the loan figures of the daily digest (portfolio, collection, arrears) and who
  receives it;
- :mod:`storage.reports.events`: the Karang Taruna part of the digest, the event reminders and follow-up
  prompts to plan, and the queued ones that went stale;
- :mod:`storage.reports.lifecycle`: rescheduled loans, the written-off total and the recoveries (issue 16);
- :mod:`storage.reports.reminders`: the repayment reminders and treasurer escalations to plan, and the queued
  reminders that went stale.

The clean-up queries find queued outbox messages by the kinds and dedupe keys of :mod:`storage.outbox_keys`,
the same definitions the jobs queue them with.
"""
