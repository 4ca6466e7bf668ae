-- Endpoint secrets encrypted at rest (AES-256-GCM under SECRETS_ENCRYPTION_KEYS, see src/db/endpoint-secrets.ts).
-- `secrets` holds one sealed JSON, `ch1.<keyId>.<data>`, of the bearer token, the hmac secrets (current and
-- previous), the hmac-hex secret and, for slack and teams, the url; its AAD names the endpoint. `auth` keeps the
-- rest (type, header, the secrets' dates) and a slack/teams `url` only a redacted form (origin and a hint).
-- SQL cannot encrypt: rows from before this migration keep `secrets` NULL and their plaintext until the start-up
-- re-encryption (reencryptEndpointSecrets) seals them.
ALTER TABLE endpoints
  ADD COLUMN secrets text CONSTRAINT endpoints_secrets_sealed CHECK (secrets LIKE 'ch1.%');
COMMENT ON COLUMN endpoints.secrets IS 'sealed endpoint secrets (ch1.<keyId>.<data>); NULL: not yet encrypted (plaintext in auth/url)';
