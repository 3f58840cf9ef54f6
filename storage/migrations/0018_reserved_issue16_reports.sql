-- 0018: reserved for the issue-16-reports branch (its own 0018 replaces this file when the branches are merged).
-- It changes nothing; it exists only so that 0019 applies here (storage/migrate.py refuses gaps).
SELECT 1;
