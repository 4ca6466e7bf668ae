import { sealedKeyId, type KeyRing } from '../crypto/key-ring';
import { logger } from '../observability/logger';
import { EndpointSecretsError, sealEndpointSecrets } from './endpoint-secrets';
import { idsOfEndpointsNotSealedUnder, lockEndpointRow, toEndpoint, writeSealedColumns } from './endpoints-repo';
import { inTransaction, type Pool } from './pool';

/** Endpoints examined per query. */
const PAGE = 200;

export interface ReencryptionResult {
  /** The key every endpoint is now sealed under. */
  keyId: string;
  /** Rows that held their secrets in plaintext (written before encryption at rest), now sealed. */
  encrypted: number;
  /** Rows sealed under another key of the ring, now sealed under the current one. */
  resealed: number;
}

/** Endpoints whose secrets could not be opened with the ring: each named with the key it was sealed under. */
export class ReencryptionError extends Error {
  override readonly name = 'ReencryptionError';
  constructor(
    readonly failures: { endpointId: string; keyId: string | undefined; message: string }[],
    readonly partial: ReencryptionResult,
  ) {
    const listed = failures.slice(0, 10).map((f) => f.message);
    const more = failures.length > listed.length ? `; and ${failures.length - listed.length} more` : '';
    super(
      `${failures.length} endpoint(s) could not be re-encrypted under key "${partial.keyId}" (the ring needs every key they were sealed under): ${listed.join('; ')}${more}`,
    );
  }
}

/**
 * Seals every endpoint (deleted ones too) under the ring's current key: rows still in plaintext
 * and rows sealed under an older key. Run at every start (after migrate) and by
 * `npm run secrets -- reencrypt` after a key is added in front of the ring. One short transaction
 * per row, which is locked and checked again, so concurrent starts and API writes are safe.
 * Rows that cannot be opened are skipped and reported together in a ReencryptionError at the end.
 */
export async function reencryptEndpointSecrets(pool: Pool, ring: KeyRing): Promise<ReencryptionResult> {
  const result: ReencryptionResult = { keyId: ring.currentId, encrypted: 0, resealed: 0 };
  const failures: ReencryptionError['failures'] = [];
  let after = '';
  for (;;) {
    const ids = await idsOfEndpointsNotSealedUnder(pool, ring.currentId, after, PAGE);
    for (const id of ids) {
      try {
        const change = await reencryptOne(pool, id, ring);
        if (change) result[change] += 1;
      } catch (err) {
        const keyId = err instanceof EndpointSecretsError ? err.keyId : undefined;
        failures.push({ endpointId: id, keyId, message: (err as Error).message });
        logger.error({ err, endpointId: id, keyId }, 'endpoint secrets could not be re-encrypted');
      }
    }
    if (ids.length < PAGE) break;
    after = ids[ids.length - 1]!;
  }
  if (result.encrypted + result.resealed > 0) logger.info({ ...result }, 'endpoint secrets re-encrypted under the current key');
  if (failures.length > 0) throw new ReencryptionError(failures, result);
  return result;
}

/** Re-seals one row under the current key; which kind of change it was, or undefined when none was needed. */
async function reencryptOne(pool: Pool, id: string, ring: KeyRing): Promise<'encrypted' | 'resealed' | undefined> {
  return inTransaction(pool, async (db) => {
    const row = await lockEndpointRow(db, id);
    if (!row) return undefined; // gone since the page was read
    if (row.secrets !== null && sealedKeyIdOf(row.id, row.secrets) === ring.currentId) return undefined;
    const endpoint = toEndpoint(row, ring);
    await writeSealedColumns(db, id, sealEndpointSecrets(endpoint, ring));
    return row.secrets === null ? 'encrypted' : 'resealed';
  });
}

function sealedKeyIdOf(endpointId: string, sealed: string): string {
  try {
    return sealedKeyId(sealed);
  } catch (err) {
    throw new EndpointSecretsError(endpointId, undefined, `endpoint ${endpointId}: its secrets column is not a sealed value`, { cause: err });
  }
}
