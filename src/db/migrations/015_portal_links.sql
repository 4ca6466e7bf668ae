-- Portal links: the Webhooks page opened as one client, with no API key (a signed token in the link).
CREATE TABLE portal_links (
  id            text PRIMARY KEY,
  client_id     text NOT NULL,
  capabilities  text NOT NULL CHECK (capabilities IN ('read', 'manage')),
  theme         jsonb,
  created_by    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  revoked_at    timestamptz
);
CREATE INDEX portal_links_live_idx ON portal_links (client_id, expires_at) WHERE revoked_at IS NULL;
