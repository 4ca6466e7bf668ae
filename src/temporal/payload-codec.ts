/**
 * Encryption of call payloads in Temporal history (PAYLOAD_ENCRYPTION_KEY): a payload codec that
 * every Temporal client and worker of callhook uses, and the codec endpoint (/codec) serves to the
 * Temporal Web UI and CLI. Each payload — metadata and data — is serialized as a protobuf and
 * sealed with AES-256-GCM under the key ring's current key; the key id travels in the metadata,
 * so a ring that still holds an older key reads the payloads it encrypted. Search attributes are
 * not payloads a codec sees: they stay readable (and filterable) in the Web UI.
 */
import { METADATA_ENCODING_KEY, type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { Config } from '../config';
import { KeyRing } from '../crypto/key-ring';

/** The `encoding` of an encrypted payload (the name Temporal's samples use). */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata naming the key a payload was encrypted under. */
export const KEY_ID_METADATA = 'encryption-key-id';
/** Additional authenticated data of every payload: a payload's bytes cannot pass for another kind of sealed value. */
const PAYLOAD_AAD = 'temporal-payload';

export class PayloadCodecError extends Error {
  override readonly name = 'PayloadCodecError';
}

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keys: KeyRing) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const plaintext = Buffer.from(temporal.api.common.v1.Payload.encode(payload).finish());
      const { keyId, data } = this.keys.encrypt(plaintext, PAYLOAD_AAD);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING, 'utf8'),
          [KEY_ID_METADATA]: Buffer.from(keyId, 'utf8'),
        },
        data,
      };
    });
  }

  /** Decrypts encrypted payloads; any other payload (written before encryption was on) passes unchanged. */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload, index) => (isEncrypted(payload) ? this.decrypt(payload, `payload ${index + 1} of ${payloads.length}`) : payload));
  }

  private decrypt(payload: Payload, which: string): Payload {
    const keyIdBytes = payload.metadata?.[KEY_ID_METADATA];
    if (!keyIdBytes) throw new PayloadCodecError(`${which} is encrypted but has no ${KEY_ID_METADATA} metadata`);
    const keyId = Buffer.from(keyIdBytes).toString('utf8');
    if (!this.keys.has(keyId)) {
      throw new PayloadCodecError(
        `${which} is encrypted under key "${keyId}", which PAYLOAD_ENCRYPTION_KEY does not hold (it has ${this.keys.keys.map((k) => k.id).join(', ')})`,
      );
    }
    let plaintext: Buffer;
    try {
      plaintext = this.keys.decrypt({ keyId, data: Buffer.from(payload.data ?? new Uint8Array()) }, PAYLOAD_AAD);
    } catch (err) {
      throw new PayloadCodecError(`${which} could not be decrypted: ${(err as Error).message}`, { cause: err });
    }
    try {
      return temporal.api.common.v1.Payload.decode(plaintext);
    } catch (err) {
      // Authenticated bytes that are no Payload: written by something other than this codec.
      throw new PayloadCodecError(`${which} decrypted under key "${keyId}" but is not a serialized payload: ${(err as Error).message}`, { cause: err });
    }
  }
}

function isEncrypted(payload: Payload): boolean {
  const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
  return encoding !== undefined && encoding !== null && Buffer.from(encoding).toString('utf8') === ENCRYPTED_ENCODING;
}

/** The codec of a configured process, or undefined when PAYLOAD_ENCRYPTION_KEY is not set. */
export function payloadCodecFrom(config: Pick<Config, 'PAYLOAD_ENCRYPTION_KEY'>): EncryptionCodec | undefined {
  return config.PAYLOAD_ENCRYPTION_KEY === undefined ? undefined : new EncryptionCodec(KeyRing.parse(config.PAYLOAD_ENCRYPTION_KEY));
}

/** The data converter of every Temporal client and worker of a configured process; undefined: the SDK's default. */
export function dataConverterFrom(config: Pick<Config, 'PAYLOAD_ENCRYPTION_KEY'>): DataConverter | undefined {
  const codec = payloadCodecFrom(config);
  return codec && { payloadCodecs: [codec] };
}
