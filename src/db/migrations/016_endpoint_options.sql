-- Issue 18: what receivers ask for beyond authentication. Secret parts (secret header values, the
-- mutual-TLS private key, the OAuth client secret) are sealed in the secrets column with the rest.
ALTER TABLE endpoints
  ADD COLUMN headers jsonb NOT NULL DEFAULT '[]',
  ADD COLUMN filter  jsonb,
  ADD COLUMN retry   jsonb,
  ADD COLUMN tls     jsonb;
