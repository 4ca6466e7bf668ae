/**
 * The process-wide key ring that seals endpoint secrets in Postgres (SECRETS_ENCRYPTION_KEYS). Each
 * entry point configures it once at start (`configureSecretsKeyRing(secretsKeyRingFrom(config))`),
 * before the pool is used; the endpoints repository reads it on every endpoint it writes or reads.
 */
import type { KeyRing } from './key-ring';

let configured: KeyRing | undefined;

export class SecretsKeyRingNotConfiguredError extends Error {
  override readonly name = 'SecretsKeyRingNotConfiguredError';
}

export function configureSecretsKeyRing(ring: KeyRing): void {
  configured = ring;
}

/** The configured ring; throws when the process never configured one (a missing call at start). */
export function secretsKeyRing(): KeyRing {
  if (!configured) {
    throw new SecretsKeyRingNotConfiguredError(
      'the secrets key ring is not configured: call configureSecretsKeyRing(secretsKeyRingFrom(config)) at start, before endpoints are read or written',
    );
  }
  return configured;
}
