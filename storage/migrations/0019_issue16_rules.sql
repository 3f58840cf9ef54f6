-- 0019: issue 16, the rules side.
-- * kelurahan.min_repaid_percent: the kelurahan's re-lending rule, the share (%) of what its earlier loans owe
--   that must be repaid before a new loan is disbursed. NULL: the city's PEM_RELENDING_MIN_REPAID_PERCENT.
-- * installments.fee_scheduled: the fee an instalment was scheduled with when it is not the loan's flat monthly
--   fee (a reschedule: the first new instalment carries the unpaid fees, a partly paid kept one keeps only the fee
--   paid on it). NULL: the loan's flat fee (storage/loans.py).
-- * archived_installments.paused_from: the date an archived instalment had before a pause moved it.
-- * loan_proposals.decision_note: why the lurah (or admin) rejected a reschedule or write-off proposal.

ALTER TABLE kelurahan ADD COLUMN min_repaid_percent INTEGER
    CHECK (min_repaid_percent IS NULL OR min_repaid_percent BETWEEN 0 AND 100);
ALTER TABLE installments ADD COLUMN fee_scheduled INTEGER CHECK (fee_scheduled IS NULL OR fee_scheduled >= 0);
ALTER TABLE archived_installments ADD COLUMN paused_from TEXT;
ALTER TABLE loan_proposals ADD COLUMN decision_note TEXT;
