/**
 * Per-call data keys: the keys the payload codec (src/temporal/payload-codec.ts) encrypts a call's Temporal payloads
 * with, so that erasing the call (DELETE /v1/calls/:callId/content) can make its whole history unreadable by
 * deleting one row: crypto-shredding. Each key is 32 random bytes, kept in Postgres (`call_data_keys`, migration 017)
 * sealed by the payload key ring (PAYLOAD_ENCRYPTION_KEY) with an AAD naming the key and its call.
 *
 * Keys are cached in memory for a short time (5 s) and a bounded number of calls (LRU): a busy call's payloads cost
 * no query, and a key erased by another process stops working here within the TTL. An erasure in this process
 * forgets the call's key at once (`forgetCallDataKeys`), and for a grace period (15 s) seals what the erased call's
 * stopped run still writes (an activity finishing under way) under a throwaway key — unreadable, and no new key row
 * for a call whose content is gone — unless Postgres holds an event of the call not erased (a new event: new data).
 */
import { randomBytes } from 'node:crypto';
import type { Pool } from '../db/pool';
import { KeyRing, KeyRingError, sealedKeyId } from './key-ring';

/** Bytes of a data key (AES-256). */
const DATA_KEY_BYTES = 32;
/** `cdk_` and 24 hex digits: fits a key ring's key id (at most 32 characters), so a data key is a one-key ring. */
const DATA_KEY_ID = /^cdk_[0-9a-f]{24}$/;

export const DEFAULT_DATA_KEY_TTL_MS = 5_000;
export const DEFAULT_DATA_KEY_CACHE_ENTRIES = 10_000;
/** After an erasure here, how long the erased call's late payloads go under a throwaway key (an attempt's timeout and more). */
export const DEFAULT_ERASED_GRACE_MS = 15_000;

/** One call's data key, unwrapped. */
export interface CallDataKey {
  /** `cdk_…`: what a payload's metadata names. */
  id: string;
  callId: string;
  /** The payload ring's key that wraps (seals) it in Postgres. */
  ringKeyId: string;
  /** The data key as a ring of one key (id = the data key's id): AES-256-GCM, as the payload ring's own keys. */
  cipher: KeyRing;
}

export class CallDataKeyError extends Error {
  override readonly name = 'CallDataKeyError';
}

export function isDataKeyId(id: string): boolean {
  return DATA_KEY_ID.test(id);
}

const wrapAad = (id: string, callId: string) => `call-data-key:${id}:${callId}`;

/** A map with a time to live per entry and a bound on its size (the least recently used entry goes first). */
class TtlLru<K, V> {
  private readonly entries = new Map<K, { value: V; expires: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
    private readonly now: () => number,
  ) {}

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expires <= this.now()) return undefined;
    this.entries.set(key, entry); // most recently used: last
    return entry.value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expires: this.now() + this.ttlMs });
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as K);
  }

  deleteWhere(test: (value: V, key: K) => boolean): void {
    for (const [key, { value }] of this.entries) if (test(value, key)) this.entries.delete(key);
  }
}

export interface CallDataKeysOptions {
  /** How long a key read or made is used without asking Postgres again; 5 s unless given. */
  ttlMs?: number;
  /** Keys kept per cache at most; 10 000 unless given. */
  maxEntries?: number;
  /** After an erasure here, how long late payloads of the call (with no event left unerased) go under a throwaway key; 15 s unless given. */
  erasedGraceMs?: number;
  /** The clock (tests). */
  now?: () => number;
}

/** Every live store of this process, so an erasure here forgets the call's key in each (the API's codec, the worker's). */
const stores = new Set<WeakRef<CallDataKeys>>();

/** Forgets a call's data key in every store of this process (after its rows were deleted). */
export function forgetCallDataKeys(callId: string): void {
  for (const ref of stores) {
    const store = ref.deref();
    if (store) store.forget(callId);
    else stores.delete(ref);
  }
}

interface KeyRow {
  id: string;
  call_id: string;
  wrapped_key: string;
}

export class CallDataKeys {
  private readonly byCall: TtlLru<string, CallDataKey>;
  private readonly byId: TtlLru<string, CallDataKey>;
  /** Calls erased here lately: a throwaway key (named as the destroyed one) for what their stopped runs still write. */
  private readonly erased: TtlLru<string, CallDataKey>;
  /** Get-or-create under way per call: concurrent encodes of one call make one query, and one key. */
  private readonly pending = new Map<string, Promise<CallDataKey>>();
  /** Bumped by `forget`: a get-or-create that began before it does not cache what it found. */
  private epoch = 0;

  constructor(
    private readonly pool: Pool,
    private readonly ring: KeyRing,
    options: CallDataKeysOptions = {},
  ) {
    const now = options.now ?? Date.now;
    const ttl = options.ttlMs ?? DEFAULT_DATA_KEY_TTL_MS;
    const max = options.maxEntries ?? DEFAULT_DATA_KEY_CACHE_ENTRIES;
    this.byCall = new TtlLru(ttl, max, now);
    this.byId = new TtlLru(ttl, max, now);
    this.erased = new TtlLru(options.erasedGraceMs ?? DEFAULT_ERASED_GRACE_MS, max, now);
    stores.add(new WeakRef(this));
  }

  /** The call's data key: the one Postgres holds, or a new one (race-safe: concurrent callers, in any process, get the same). */
  async forCall(callId: string): Promise<CallDataKey> {
    const cached = this.byCall.get(callId);
    if (cached) return cached;
    const under = this.pending.get(callId);
    if (under) return under;
    const pending: Promise<CallDataKey> = this.liveOrErased(callId).finally(() => {
      if (this.pending.get(callId) === pending) this.pending.delete(callId);
    });
    this.pending.set(callId, pending);
    return pending;
  }

  /** The data keys of these ids that still exist (an erased call's are missing from the map). */
  async byIds(ids: readonly string[]): Promise<Map<string, CallDataKey>> {
    const found = new Map<string, CallDataKey>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const cached = this.byId.get(id);
      if (cached) found.set(id, cached);
      else if (isDataKeyId(id)) missing.push(id);
    }
    if (missing.length === 0) return found;
    const epoch = this.epoch;
    const { rows } = await this.pool.query<KeyRow>({
      name: 'call-data-keys-by-id',
      text: 'SELECT id, call_id, wrapped_key FROM call_data_keys WHERE id = ANY ($1::text[])',
      values: [missing],
    });
    for (const row of rows) {
      const key = this.unwrap(row);
      if (epoch === this.epoch) this.byId.set(key.id, key);
      found.set(key.id, key);
    }
    return found;
  }

  /** Drops the call's key from the caches (its rows were deleted: an erasure). */
  forget(callId: string): void {
    this.epoch += 1;
    const destroyed = this.byCall.get(callId);
    const earlier = this.erased.get(callId); // forgotten again (an erasure's second pass): the same throwaway key
    const id = destroyed?.id ?? earlier?.id ?? `cdk_${randomBytes(12).toString('hex')}`;
    this.erased.set(callId, earlier && earlier.id === id ? earlier : { id, callId, ringKeyId: this.ring.currentId, cipher: new KeyRing([{ id, key: randomBytes(DATA_KEY_BYTES) }]) });
    this.pending.delete(callId);
    this.byCall.deleteWhere((_value, key) => key === callId);
    this.byId.deleteWhere((key) => key.callId === callId);
  }

  /** The call's key; for a call erased here lately with no event left unerased, the throwaway one (nothing is made). */
  private async liveOrErased(callId: string): Promise<CallDataKey> {
    const throwaway = this.erased.get(callId);
    if (throwaway) {
      const { rows } = await this.pool.query<{ live: boolean }>({
        name: 'call-data-key-live-events',
        text: 'SELECT EXISTS (SELECT 1 FROM events WHERE call_id = $1 AND erased_at IS NULL) OR NOT EXISTS (SELECT 1 FROM events WHERE call_id = $1) AS live',
        values: [callId],
      });
      if (!rows[0]?.live) return throwaway;
      this.erased.deleteWhere((_value, key) => key === callId);
    }
    return this.getOrCreate(callId);
  }

  private async getOrCreate(callId: string): Promise<CallDataKey> {
    const epoch = this.epoch;
    const remember = (key: CallDataKey) => {
      if (epoch === this.epoch) {
        this.byCall.set(callId, key);
        this.byId.set(key.id, key);
      }
      return key;
    };
    // A few turns at most: a turn fails only if another process made the key between our read and our insert
    // (the next read finds it), or an erasure deleted it between our insert's conflict and our read.
    for (let turn = 0; turn < 5; turn++) {
      const { rows } = await this.pool.query<KeyRow>({
        name: 'call-data-key-of-call',
        text: 'SELECT id, call_id, wrapped_key FROM call_data_keys WHERE call_id = $1',
        values: [callId],
      });
      if (rows[0]) return remember(this.unwrap(rows[0]));
      const id = `cdk_${randomBytes(12).toString('hex')}`;
      const secret = randomBytes(DATA_KEY_BYTES);
      const wrapped = this.ring.seal(secret.toString('base64'), wrapAad(id, callId));
      const inserted = await this.pool.query({
        name: 'call-data-key-insert',
        text: 'INSERT INTO call_data_keys (id, call_id, wrapped_key) VALUES ($1, $2, $3) ON CONFLICT (call_id) DO NOTHING',
        values: [id, callId, wrapped],
      });
      if (inserted.rowCount === 1) return remember({ id, callId, ringKeyId: this.ring.currentId, cipher: new KeyRing([{ id, key: secret }]) });
    }
    throw new CallDataKeyError(`could not read or make the data key of call ${callId}: it was created and erased concurrently, again and again`);
  }

  private unwrap(row: KeyRow): CallDataKey {
    let ringKeyId: string;
    let secret: Buffer;
    try {
      ringKeyId = sealedKeyId(row.wrapped_key);
      secret = Buffer.from(this.ring.open(row.wrapped_key, wrapAad(row.id, row.call_id)), 'base64');
    } catch (err) {
      const why = err instanceof KeyRingError ? err.message : String(err);
      throw new CallDataKeyError(`the data key ${row.id} of call ${row.call_id} cannot be unwrapped with PAYLOAD_ENCRYPTION_KEY: ${why}`, { cause: err });
    }
    if (secret.length !== DATA_KEY_BYTES) throw new CallDataKeyError(`the data key ${row.id} of call ${row.call_id} is not ${DATA_KEY_BYTES} bytes`);
    return { id: row.id, callId: row.call_id, ringKeyId, cipher: new KeyRing([{ id: row.id, key: secret }]) };
  }
}

/** Data keys re-wrapped per query. */
const REWRAP_PAGE = 500;

export interface RewrapResult {
  /** The payload ring's current key: every data key that could be opened is wrapped under it now. */
  keyId: string;
  rewrapped: number;
  /** Keys the ring cannot open (their ring key was removed): named, never shown. They stay as they are. */
  failures: { id: string; callId: string; message: string }[];
}

/**
 * Re-wraps every call's data key wrapped under an older key of the payload ring with its current key, so that after a
 * rotation (a new key put in front of PAYLOAD_ENCRYPTION_KEY) the old key can be dropped from the ring once this has
 * run. The data keys themselves do not change: payloads already in Temporal history still decode, and erasing a call
 * still destroys its one key. Run at every API start (after migrate). Each row is updated only if it is still as
 * read (a concurrent erasure or re-wrap wins); a key that cannot be opened is reported, not changed.
 */
export async function rewrapCallDataKeys(pool: Pool, ring: KeyRing): Promise<RewrapResult> {
  const result: RewrapResult = { keyId: ring.currentId, rewrapped: 0, failures: [] };
  let after = '';
  for (;;) {
    const { rows } = await pool.query<KeyRow>({
      name: 'call-data-keys-to-rewrap',
      text: `SELECT id, call_id, wrapped_key FROM call_data_keys WHERE split_part(wrapped_key, '.', 2) <> $1 AND id > $2 ORDER BY id LIMIT $3`,
      values: [ring.currentId, after, REWRAP_PAGE],
    });
    for (const row of rows) {
      let rewrapped: string;
      try {
        const aad = wrapAad(row.id, row.call_id);
        rewrapped = ring.seal(ring.open(row.wrapped_key, aad), aad);
      } catch (err) {
        result.failures.push({ id: row.id, callId: row.call_id, message: err instanceof KeyRingError ? err.message : String(err) });
        continue;
      }
      const updated = await pool.query({
        name: 'call-data-key-rewrap',
        text: 'UPDATE call_data_keys SET wrapped_key = $3 WHERE id = $1 AND wrapped_key = $2',
        values: [row.id, row.wrapped_key, rewrapped],
      });
      result.rewrapped += updated.rowCount ?? 0;
    }
    if (rows.length < REWRAP_PAGE) return result;
    after = rows[rows.length - 1]!.id;
  }
}
