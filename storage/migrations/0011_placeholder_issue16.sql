-- 0011: PLACEHOLDER on the issue-16 branch only. Migration numbers must run 1..N without gaps
-- (storage/migrate.py), and 0011 belongs to another branch merged alongside issue 16 (this branch owns 0019
-- and 0020). DELETE THIS FILE when that branch's real 0011_*.sql arrives (the migration test fails loudly
-- on two files numbered 0011).
SELECT 1;
