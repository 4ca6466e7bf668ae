-- The reconciler (src/db/reconcile-repo.ts) looks, every minute, for deliveries that finally failed recently without
-- their failure notice. deliveries_ended_idx (007) holds every ended delivery, the succeeded ones too: a scan of the
-- last hour's failures would read the hour's successes with them. This one holds only failed deliveries (few, in the
-- usual run of things), so that scan reads the failures alone.
CREATE INDEX deliveries_failed_ended_idx ON deliveries (ended_at) WHERE status = 'failed';
