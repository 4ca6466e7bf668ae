-- API keys: a client key acts for one client_id, an admin key for every client. Only a SHA-256 of
-- the key is kept (keys are 32 random bytes: a fast hash is enough); the hint is its last 4 characters.
CREATE TABLE api_keys (
  id           text PRIMARY KEY,
  kind         text NOT NULL CHECK (kind IN ('client', 'admin')),
  client_id    text,
  name         text NOT NULL,
  key_hash     bytea NOT NULL UNIQUE,
  key_hint     text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz,
  CHECK ((kind = 'client') = (client_id IS NOT NULL))
);
CREATE INDEX api_keys_client_idx ON api_keys (client_id, id);
