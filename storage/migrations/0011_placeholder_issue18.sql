-- 0011: PLACEHOLDER on the issue-18 branch only. Migration numbers must run 1..N without gaps
-- (storage/migrate.py), and 0011 belongs to another branch merged alongside issue 18. DELETE THIS FILE when
-- that branch's real 0011_*.sql arrives (the migration test fails loudly on two files numbered 0011).
SELECT 1;
