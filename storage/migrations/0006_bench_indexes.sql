-- 0006: an index found by the query benchmarks (bench/queries.py, docs/performance.md).
-- Without ANALYZE statistics SQLite answered "repayments verified in [start, end)" (the digest's "kemarin"
-- figure) from repayments_status (status = 'verified': nearly every row) instead of the partial index
-- repayments_verified_at: 790 ms instead of 0.8 ms on the synthetic city. With both columns in one index the
-- planner takes the range.
CREATE INDEX repayments_status_verified_at ON repayments (status, verified_at);
