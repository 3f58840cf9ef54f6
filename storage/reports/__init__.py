"""Read models: the queries behind the digests and the scheduled jobs, one module per subject.

They read across aggregates (loans and repayments, events and registrations, the outbox) and write nothing;
the aggregates themselves are the repositories one level up (``storage.events``, ``storage.loans`` …).

- :mod:`storage.reports.events`: the Karang Taruna part of the digest, the event reminders and follow-ups to
  plan, and the queued ones that went stale.
"""
