-- Issue 19: erasure of a call's data.
--
-- Per-call data keys (crypto-shredding of Temporal history): with PAYLOAD_ENCRYPTION_KEY, each call's payloads are
-- encrypted under a key of its own, 32 random bytes kept here sealed (wrapped) by the payload key ring
-- (ch1.<ringKeyId>.<data>, AAD naming the key and its call). A payload names its key by id in its metadata. Erasing
-- a call deletes its rows: its history no longer decodes anywhere. One key per call (the unique index makes a
-- concurrent get-or-create settle on one); after an erasure a new event of the call gets a new one.
CREATE TABLE call_data_keys (
  id          text PRIMARY KEY,
  call_id     text NOT NULL,
  wrapped_key text NOT NULL CHECK (wrapped_key LIKE 'ch1.%'),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX call_data_keys_call_idx ON call_data_keys (call_id);

-- An erased event keeps its id, call, client, type and times (the delivery log needs them); its payload and
-- validation errors are gone (payload NULL), its payload_hash is 'erased' (a hash of a body is not anonymous: a
-- guessable body could be confirmed). NOT VALID: existing rows are not scanned (they all have a payload).
ALTER TABLE events ALTER COLUMN payload DROP NOT NULL;
ALTER TABLE events ADD COLUMN erased_at timestamptz;
ALTER TABLE events ADD CONSTRAINT events_payload_or_erased CHECK (payload IS NOT NULL OR erased_at IS NOT NULL) NOT VALID;

-- A delivery of an erased event: its error texts and its attempts' response excerpts and errors are gone. Set on the
-- delivery row itself so an attempt that finishes after the erasure (recordAttempt, waiting on the row's lock) sees it.
ALTER TABLE deliveries ADD COLUMN erased_at timestamptz;

-- Per-client payload retention (CLIENT_PAYLOAD_RETENTION): a client's calls not yet erased, oldest event first.
CREATE INDEX events_unerased_client_idx ON events (client_id, received_at) WHERE erased_at IS NULL;
