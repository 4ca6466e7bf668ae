import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** The key deliveries are signed with. */
export interface SigningKey {
  id: string;
  privateKeyPem: string;
  publicKeyPem: string;
}

/** A public key receivers may verify with: the current one, or a retired one still within its overlap. */
export interface PublishedSigningKey {
  id: string;
  publicKeyPem: string;
  status: 'current' | 'retiring';
  /** When a retiring key stops being published; absent for keys listed in configuration. */
  expiresAt?: string;
}

export interface SigningKeyRing {
  /** `configured`: the key comes from configuration and is rotated there; `generated`: kept in dataDir. */
  readonly source: 'configured' | 'generated';
  current(): SigningKey;
  publicKeys(now?: Date): PublishedSigningKey[];
  /** Generated keys only: a new current key; the old public key stays published until now + overlapMs. */
  rotate(now?: Date): SigningKey;
}

export interface SigningKeyOptions {
  /** PEM of an RSA private key (2048 bits or more); literal `\n` sequences are read as newlines. */
  privateKeyPem?: string;
  /** A file holding that PEM. */
  keyFile?: string;
  /** Public keys of keys rotated out in configuration, published as retiring. */
  previousPublicKeysPem?: string[];
  /** Where a generated key is kept when none is configured. */
  dataDir: string;
  /** How long a rotated-out key stays published. */
  overlapMs: number;
}

/** The generated current private key (mode 0600). */
export const SIGNING_KEY_FILE = 'signing-key.pem';
/** The ring beside it: the retired public keys and until when they are published. */
export const SIGNING_RING_FILE = 'signing-keys.json';

const MIN_MODULUS_BITS = 2048;

const ringFileSchema = z.object({
  version: z.literal(1),
  currentKeyId: z.string(),
  retired: z.array(z.object({ id: z.string(), publicKeyPem: z.string(), retiredAt: z.string(), expiresAt: z.string() })),
});
type RingFile = z.infer<typeof ringFileSchema>;

/** `k_` + the first 16 hex digits of the SHA-256 of the public key's SPKI DER. */
export function signingKeyId(publicKey: KeyObject | string): string {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  return `k_${createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16)}`;
}

/**
 * The RSA signing keys: the configured one (privateKeyPem or keyFile), or else, for development,
 * one generated once and kept in `<dataDir>/signing-key.pem` so it survives restarts.
 * A generated ring follows rotations made by another process sharing the dataDir.
 */
export function loadOrCreateSigningKeys(opts: SigningKeyOptions): SigningKeyRing {
  if (opts.privateKeyPem !== undefined && opts.keyFile !== undefined) throw new Error('give a signing key as PEM or as a file, not both');
  if (opts.privateKeyPem !== undefined || opts.keyFile !== undefined) {
    const pem = opts.privateKeyPem ?? fs.readFileSync(opts.keyFile ?? '', 'utf8');
    return configuredRing(toSigningKey(pem), opts.previousPublicKeysPem ?? []);
  }
  return generatedRing(opts.dataDir, opts.overlapMs);
}

function toSigningKey(pem: string): SigningKey {
  const text = pem.includes('\n') ? pem : pem.replace(/\\n/g, '\n');
  const privateKey = createPrivateKey(text);
  if (privateKey.asymmetricKeyType !== 'rsa') throw new Error(`the signing key must be RSA, not ${privateKey.asymmetricKeyType ?? 'unknown'}`);
  const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_MODULUS_BITS) throw new Error(`the signing key has ${bits} bits; at least ${MIN_MODULUS_BITS} are needed`);
  const publicKey = createPublicKey(privateKey);
  return {
    id: signingKeyId(publicKey),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function configuredRing(current: SigningKey, previousPublicKeysPem: string[]): SigningKeyRing {
  const previous = previousPublicKeysPem.map((pem) => {
    const key = createPublicKey(pem.includes('\n') ? pem : pem.replace(/\\n/g, '\n'));
    return { id: signingKeyId(key), publicKeyPem: key.export({ type: 'spki', format: 'pem' }).toString() };
  });
  return {
    source: 'configured',
    current: () => current,
    publicKeys: () => [
      { id: current.id, publicKeyPem: current.publicKeyPem, status: 'current' },
      ...previous.filter((k) => k.id !== current.id).map((k) => ({ ...k, status: 'retiring' as const })),
    ],
    rotate: () => {
      throw new Error('the signing key is configured: rotate it in the configuration');
    },
  };
}

function generatedRing(dataDir: string, overlapMs: number): SigningKeyRing {
  const keyPath = path.join(dataDir, SIGNING_KEY_FILE);
  const ringPath = path.join(dataDir, SIGNING_RING_FILE);
  fs.mkdirSync(dataDir, { recursive: true });
  createOnce(keyPath, () => generateKeyPairSync('rsa', { modulusLength: MIN_MODULUS_BITS }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());

  let stamp = '';
  let current: SigningKey;
  let retired: RingFile['retired'] = [];
  const sync = (): void => {
    const stat = fs.statSync(keyPath);
    const next = `${stat.ino}:${stat.mtimeMs}:${stat.size}`;
    if (next === stamp) return;
    current = toSigningKey(fs.readFileSync(keyPath, 'utf8'));
    retired = readRing(ringPath)?.retired ?? [];
    stamp = next;
  };
  sync();

  const publishedRetired = (now: Date) =>
    retired.filter((k) => k.id !== current.id && Date.parse(k.expiresAt) > now.getTime());

  return {
    source: 'generated',
    current: () => {
      sync();
      return current;
    },
    publicKeys: (now = new Date()) => {
      sync();
      return [
        { id: current.id, publicKeyPem: current.publicKeyPem, status: 'current' },
        ...publishedRetired(now).map((k) => ({ id: k.id, publicKeyPem: k.publicKeyPem, status: 'retiring' as const, expiresAt: k.expiresAt })),
      ];
    },
    rotate: (now = new Date()) => {
      sync();
      const old = current;
      const next = toSigningKey(generateKeyPairSync('rsa', { modulusLength: MIN_MODULUS_BITS }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
      const ring: RingFile = {
        version: 1,
        currentKeyId: next.id,
        retired: [
          ...publishedRetired(now),
          { id: old.id, publicKeyPem: old.publicKeyPem, retiredAt: now.toISOString(), expiresAt: new Date(now.getTime() + overlapMs).toISOString() },
        ],
      };
      // The ring first, then the key: a crash in between leaves the old key current and also listed, which publicKeys skips.
      writeAtomically(ringPath, `${JSON.stringify(ring, null, 2)}\n`, 0o644);
      writeAtomically(keyPath, next.privateKeyPem, 0o600);
      sync();
      return current;
    },
  };
}

function readRing(ringPath: string): RingFile | undefined {
  let text: string;
  try {
    text = fs.readFileSync(ringPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return ringFileSchema.parse(JSON.parse(text));
}

/** Creates the file with the content unless it exists; concurrent starts agree on one file, never a half-written one. */
function createOnce(file: string, content: () => string): void {
  if (fs.existsSync(file)) return;
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content(), { mode: 0o600 });
  try {
    fs.linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    fs.unlinkSync(tmp);
  }
}

function writeAtomically(file: string, content: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content, { mode });
  fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, file);
}
