"""Everything that touches SQLite lives in this package.

- :mod:`storage.db` owns the single aiosqlite connection of the process (WAL, foreign keys, busy timeout,
  serialised access) and the transaction helper.
- :mod:`storage.migrate` applies the numbered ``migrations/NNNN_*.sql`` files through ``PRAGMA user_version``.
- One repository module per aggregate (``people``, ``invites``, ``audit``, ``kelurahan``, ``loans``,
  ``repayments``, ``events``, ``participants``, ``registrations``, ``outcomes``, ``outbox``, ``drafts`` …) holds raw
  SQL with named parameters and returns frozen dataclasses.
- :mod:`storage.reports` holds the read models that span aggregates (the digests, the jobs' planning and their
  stale-message clean-up) and write nothing.
- :mod:`storage.outbox_keys` defines the kinds and dedupe-key formats of the jobs' outbox messages, once, for the
  jobs that queue them and the queries that find them again.
- :mod:`storage.codec` is the JSON codec of what is stored as JSON text (drafts, outbox contexts).
- :mod:`storage.crypto` seals NIKs and phone numbers (AES-GCM) and hashes them for look-ups (HMAC) with the data
  key (``PEM_DATA_KEY``), which repositories reach as ``q.key``; :mod:`storage.identity` is the data step that
  :func:`storage.migrate.migrate` runs after the migrations (the key check, sealing what is left in clear) and
  the key's rotation (docs/personal-data.md).

No SQL is written anywhere else in the project.
"""
