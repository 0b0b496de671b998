-- Up Migration
-- A claim rewrites a delivery's two unindexed lease columns: a HOT update (no index entries)
-- only if the new version fits on the row's own page. At fillfactor 80 a page of fresh
-- deliveries had room for about a quarter of them, and 56 % of the bench's claims wrote five
-- index entries each. At 40, every claim of a fresh page fits (docs/performance.md, seventh
-- pass): 60 → 31 µs of claim statement per delivery. Applies to pages filled from now on.
ALTER TABLE deliveries SET (fillfactor = 40);

-- Down Migration
ALTER TABLE deliveries SET (fillfactor = 80);
