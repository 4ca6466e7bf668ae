/**
 * API keys: random, shown once, stored as a SHA-256 (32 random bytes need no slow hash). A client
 * key acts for one client; an admin key for every client. The API and `npm run keys` both create
 * keys through here.
 */
import { createHash, randomBytes } from 'node:crypto';
import { insertApiKey, type ApiKeyKind, type ApiKeyRecord } from '../db/api-keys-repo';
import type { Queryable } from '../db/pool';

const KEY_PREFIX = 'chk_';

export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** The last 4 characters: a tenth of a generated key, enough to tell keys apart in a list. */
export function apiKeyHint(key: string): string {
  return `${KEY_PREFIX}…${key.slice(-4)}`;
}

export interface NewApiKey {
  kind: ApiKeyKind;
  /** Required for a client key, absent for an admin key. */
  clientId?: string | undefined;
  name: string;
}

/** Creates a key; the returned `key` is the only copy there will ever be. */
export async function createApiKey(db: Queryable, input: NewApiKey): Promise<{ record: ApiKeyRecord; key: string }> {
  if ((input.kind === 'client') !== (input.clientId !== undefined)) {
    throw new Error(`a ${input.kind} key ${input.kind === 'client' ? 'needs' : 'takes no'} clientId`);
  }
  const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const record = await insertApiKey(db, {
    id: `key_${randomBytes(12).toString('hex')}`,
    kind: input.kind,
    clientId: input.clientId ?? null,
    name: input.name,
    keyHash: hashApiKey(key),
    keyHint: apiKeyHint(key),
  });
  return { record, key };
}
