-- Up Migration
-- A claim writes only the delivery's lease (lease_owner, lease_until, updated_at: no index
-- covers them). With room left on each page PostgreSQL makes that a HOT update: no new entry in
-- any of the table's five indexes. Packed pages (fillfactor 100) forced a full new tuple and
-- five index insertions per claimed delivery (issue 11). New pages only; old ones fill as before.
ALTER TABLE deliveries SET (fillfactor = 80);

-- Down Migration
ALTER TABLE deliveries RESET (fillfactor);
