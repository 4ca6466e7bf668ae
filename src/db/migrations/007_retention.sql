-- Retention (src/db/retention-repo.ts) deletes, in batches, the deliveries that ended before a cutoff and then the
-- events received before it that no delivery references. Without these indexes each batch would scan the whole of
-- deliveries and events. The deliveries' index holds only ended ones (the predicate the purge queries with); the
-- events' one is an append at the end per event.
CREATE INDEX deliveries_ended_idx ON deliveries (ended_at) WHERE status <> 'pending';
CREATE INDEX events_received_idx ON events (received_at);
