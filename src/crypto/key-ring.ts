/**
 * AES-256-GCM with a ring of keys that have ids: the first key encrypts, every key decrypts, so a
 * key can be rotated (add a new first key, re-encrypt, then drop the old one). Used for endpoint
 * secrets at rest (SECRETS_ENCRYPTION_KEYS) and Temporal payloads (PAYLOAD_ENCRYPTION_KEY).
 *
 * Text form of a ring: `id:base64key[,id:base64key…]`, each key 32 random bytes
 * (`npm run secrets -- generate-key` prints one).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
/** Prefix of a sealed string: format version, so a later format can be told apart. */
const SEALED_PREFIX = 'ch1';

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

/** Bytes encrypted under one key: iv (12 bytes), ciphertext, GCM tag (16 bytes), in that order. */
export interface Encrypted {
  keyId: string;
  data: Buffer;
}

export class KeyRingError extends Error {
  override readonly name = 'KeyRingError';
}

export class KeyRing {
  private readonly byId: ReadonlyMap<string, Buffer>;

  constructor(readonly keys: readonly EncryptionKey[]) {
    if (keys.length === 0) throw new KeyRingError('a key ring needs at least one key');
    const byId = new Map<string, Buffer>();
    for (const { id, key } of keys) {
      if (!KEY_ID.test(id)) throw new KeyRingError(`key id "${id}" must be 1 to 32 of A-Z a-z 0-9 _ -`);
      if (key.length !== KEY_BYTES) throw new KeyRingError(`key "${id}" must be ${KEY_BYTES} bytes (it is ${key.length})`);
      if (byId.has(id)) throw new KeyRingError(`key id "${id}" appears twice`);
      byId.set(id, key);
    }
    this.byId = byId;
  }

  /** Parses `id:base64key[,id:base64key…]`; the message names what is wrong, never a key. */
  static parse(text: string): KeyRing {
    const entries = text.split(',').map((entry) => entry.trim()).filter(Boolean);
    return new KeyRing(
      entries.map((entry) => {
        const colon = entry.indexOf(':');
        if (colon <= 0) throw new KeyRingError('each key must be given as id:base64key');
        const id = entry.slice(0, colon);
        const encoded = entry.slice(colon + 1);
        if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded)) throw new KeyRingError(`key "${id}" is not base64`);
        return { id, key: Buffer.from(encoded, 'base64') };
      }),
    );
  }

  /** A new random key in the ring's text form. */
  static generateText(id = `k${Date.now().toString(36)}`): string {
    return `${id}:${randomBytes(KEY_BYTES).toString('base64')}`;
  }

  /** The id of the key that encrypts. */
  get currentId(): string {
    return this.keys[0]!.id;
  }

  has(keyId: string): boolean {
    return this.byId.has(keyId);
  }

  /** Encrypts under the current key; `aad` (e.g. the row and field) must be given again to decrypt. */
  encrypt(plaintext: Buffer, aad: string): Encrypted {
    const { id, key } = this.keys[0]!;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return { keyId: id, data: Buffer.concat([iv, body, cipher.getAuthTag()]) };
  }

  /** Decrypts; fails (naming the key id and context, never the content) on an unknown key, a wrong aad or tampering. */
  decrypt(encrypted: Encrypted, aad: string): Buffer {
    const key = this.byId.get(encrypted.keyId);
    if (!key) throw new KeyRingError(`no key "${encrypted.keyId}" in the ring (it has ${[...this.byId.keys()].join(', ')})`);
    if (encrypted.data.length < IV_BYTES + TAG_BYTES) throw new KeyRingError(`ciphertext for ${aad} is truncated`);
    const iv = encrypted.data.subarray(0, IV_BYTES);
    const tag = encrypted.data.subarray(encrypted.data.length - TAG_BYTES);
    const body = encrypted.data.subarray(IV_BYTES, encrypted.data.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      // GCM's only failure here: the tag does not match (wrong key, wrong aad, or altered bytes).
      throw new KeyRingError(`ciphertext for ${aad} does not authenticate under key "${encrypted.keyId}"`);
    }
  }

  /** A string sealed for storage: `ch1.<keyId>.<base64url>`. */
  seal(plaintext: string, aad: string): string {
    const { keyId, data } = this.encrypt(Buffer.from(plaintext, 'utf8'), aad);
    return `${SEALED_PREFIX}.${keyId}.${data.toString('base64url')}`;
  }

  /** The plaintext of a sealed string. */
  open(sealed: string, aad: string): string {
    return this.decrypt(parseSealed(sealed), aad).toString('utf8');
  }
}

/** The key id a sealed string was encrypted under (for re-encryption after a rotation). */
export function sealedKeyId(sealed: string): string {
  return parseSealed(sealed).keyId;
}

function parseSealed(sealed: string): Encrypted {
  const [prefix, keyId, data, ...rest] = sealed.split('.');
  if (prefix !== SEALED_PREFIX || !keyId || data === undefined || rest.length > 0) {
    throw new KeyRingError('not a sealed value (expected ch1.<keyId>.<data>)');
  }
  return { keyId, data: Buffer.from(data, 'base64url') };
}
