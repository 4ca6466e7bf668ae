/**
 * Encryption of call payloads in Temporal history (PAYLOAD_ENCRYPTION_KEY): a payload codec that
 * every Temporal client and worker of callhook uses, and the codec endpoint (/codec) serves to the
 * Temporal Web UI and CLI. Each payload — metadata and data — is serialized as a protobuf and
 * sealed with AES-256-GCM; the key id travels in the metadata. Search attributes are not payloads a
 * codec sees: they stay readable (and filterable) in the Web UI.
 *
 * A call's payloads (the SDK says whose a payload is: its serialization context names the workflow, or
 * the workflow of an activity) are sealed under the call's own data key (src/crypto/call-data-keys.ts),
 * named in the metadata (`encryption-data-key-id`, beside the ring key that wraps it): erasing the call
 * deletes that key, and its history no longer decodes anywhere (crypto-shredding). Payloads of no call
 * (callhook's own workflows, the codec endpoint's encode, a codec without Postgres) are sealed under the
 * key ring's current key, as before; a ring that still holds an older key reads what it encrypted.
 * Decoding needs no context: the metadata says which key.
 */
import { METADATA_ENCODING_KEY, type DataConverter, type Payload, type PayloadCodec, type SerializationContext } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { Config } from '../config/config';
import type { Pool } from '../db/pool';
import { CallDataKeyError, CallDataKeys, rewrapCallDataKeys, type CallDataKey } from '../crypto/call-data-keys';
import { KeyRing } from '../crypto/key-ring';
import type { Logger } from '../observability/logger';
import { isCallWorkflowId } from './system-workflow-ids';

/** The `encoding` of an encrypted payload (the name Temporal's samples use). */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata naming the key a payload was encrypted under: a ring key (for a call's payload: the ring key that wraps its data key). */
export const KEY_ID_METADATA = 'encryption-key-id';
/** Metadata naming the call data key a call's payload was encrypted under (`cdk_…`); absent from ring-encrypted payloads. */
export const DATA_KEY_ID_METADATA = 'encryption-data-key-id';
/** Additional authenticated data of every payload: a payload's bytes cannot pass for another kind of sealed value. */
const PAYLOAD_AAD = 'temporal-payload';
/** …and of a call's payloads: bound to the data key its metadata names. */
const callPayloadAad = (dataKeyId: string) => `${PAYLOAD_AAD}:${dataKeyId}`;

export class PayloadCodecError extends Error {
  override readonly name = 'PayloadCodecError';
}

export class EncryptionCodec implements PayloadCodec {
  /**
   * `keys`: the payload key ring. `callKeys`: where calls' data keys are kept (Postgres); without it every payload is
   * sealed under the ring and a call's payload (sealed under its data key elsewhere) does not decode here.
   */
  constructor(
    private readonly keys: KeyRing,
    private readonly callKeys?: CallDataKeys,
  ) {}

  /** Seals each payload: under its call's data key when `context` names a call's workflow, else under the ring. */
  async encode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    const callId = this.callKeys && payloads.length > 0 ? callIdOf(context) : undefined;
    if (callId === undefined) return payloads.map((payload) => this.sealUnderRing(payload));
    let dataKey: CallDataKey;
    try {
      dataKey = await this.callKeys!.forCall(callId);
    } catch (err) {
      if (!(err instanceof CallDataKeyError)) throw err;
      throw new PayloadCodecError(`the payloads of call ${callId} could not be encrypted: ${err.message}`, { cause: err });
    }
    return payloads.map((payload) => {
      const { data } = dataKey.cipher.encrypt(serialize(payload), callPayloadAad(dataKey.id));
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING, 'utf8'),
          [KEY_ID_METADATA]: Buffer.from(dataKey.ringKeyId, 'utf8'),
          [DATA_KEY_ID_METADATA]: Buffer.from(dataKey.id, 'utf8'),
        },
        data,
      };
    });
  }

  /**
   * Decrypts encrypted payloads, each under the key its metadata names (a call's data key, read from Postgres once
   * for the batch; or a ring key); any other payload (written before encryption was on) passes unchanged.
   */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    const dataKeyIds = [...new Set(payloads.filter(isEncrypted).map(dataKeyIdOf).filter((id): id is string => id !== undefined))];
    let dataKeys = new Map<string, CallDataKey>();
    if (dataKeyIds.length > 0 && this.callKeys) {
      try {
        dataKeys = await this.callKeys.byIds(dataKeyIds);
      } catch (err) {
        if (!(err instanceof CallDataKeyError)) throw err;
        throw new PayloadCodecError(`the payloads could not be decrypted: ${err.message}`, { cause: err });
      }
    }
    return payloads.map((payload, index) => {
      if (!isEncrypted(payload)) return payload;
      const which = `payload ${index + 1} of ${payloads.length}`;
      const dataKeyId = dataKeyIdOf(payload);
      return dataKeyId === undefined ? this.decryptUnderRing(payload, which) : this.decryptUnderDataKey(payload, which, dataKeyId, dataKeys.get(dataKeyId));
    });
  }

  private sealUnderRing(payload: Payload): Payload {
    const { keyId, data } = this.keys.encrypt(serialize(payload), PAYLOAD_AAD);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING, 'utf8'),
        [KEY_ID_METADATA]: Buffer.from(keyId, 'utf8'),
      },
      data,
    };
  }

  private decryptUnderDataKey(payload: Payload, which: string, dataKeyId: string, dataKey: CallDataKey | undefined): Payload {
    if (!this.callKeys) {
      throw new PayloadCodecError(`${which} is encrypted under a call's data key ("${dataKeyId}"), and this codec has no database to read call keys from`);
    }
    if (!dataKey) {
      throw new PayloadCodecError(`${which} is encrypted under the call data key "${dataKeyId}", which no longer exists: the call's content was erased`);
    }
    let plaintext: Buffer;
    try {
      plaintext = dataKey.cipher.decrypt({ keyId: dataKey.id, data: Buffer.from(payload.data ?? new Uint8Array()) }, callPayloadAad(dataKey.id));
    } catch (err) {
      throw new PayloadCodecError(`${which} could not be decrypted: ${(err as Error).message}`, { cause: err });
    }
    return deserialize(plaintext, which, `the data key "${dataKeyId}" of call ${dataKey.callId}`);
  }

  private decryptUnderRing(payload: Payload, which: string): Payload {
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
    return deserialize(plaintext, which, `key "${keyId}"`);
  }
}

function serialize(payload: Payload): Buffer {
  return Buffer.from(temporal.api.common.v1.Payload.encode(payload).finish());
}

function deserialize(plaintext: Buffer, which: string, key: string): Payload {
  try {
    return temporal.api.common.v1.Payload.decode(plaintext);
  } catch (err) {
    // Authenticated bytes that are no Payload: written by something other than this codec.
    throw new PayloadCodecError(`${which} decrypted under ${key} but is not a serialized payload: ${(err as Error).message}`, { cause: err });
  }
}

function isEncrypted(payload: Payload): boolean {
  const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
  return encoding !== undefined && encoding !== null && Buffer.from(encoding).toString('utf8') === ENCRYPTED_ENCODING;
}

function dataKeyIdOf(payload: Payload): string | undefined {
  const bytes = payload.metadata?.[DATA_KEY_ID_METADATA];
  return bytes === undefined || bytes === null ? undefined : Buffer.from(bytes).toString('utf8');
}

/** The call a payload belongs to: the workflow its context names (an activity's: the workflow that scheduled it), if that is a call's. */
function callIdOf(context: SerializationContext | undefined): string | undefined {
  const workflowId = context?.workflowId;
  return workflowId !== undefined && isCallWorkflowId(workflowId) ? workflowId : undefined;
}

/** One store of call keys per pool and ring: the codecs of one process (its client's, its worker's, /codec's) share a cache. */
const callKeyStores = new WeakMap<Pool, Map<string, CallDataKeys>>();

function callKeysFor(pool: Pool, ringText: string): CallDataKeys {
  let byRing = callKeyStores.get(pool);
  if (!byRing) callKeyStores.set(pool, (byRing = new Map()));
  let store = byRing.get(ringText);
  if (!store) byRing.set(ringText, (store = new CallDataKeys(pool, KeyRing.parse(ringText))));
  return store;
}

/**
 * The codec of a configured process, or undefined when PAYLOAD_ENCRYPTION_KEY is not set. `pool`: where calls' data
 * keys are kept (every process gives its own); null: the codec seals everything under the ring and cannot read
 * a call's payloads.
 */
export function payloadCodecFrom(config: Pick<Config, 'PAYLOAD_ENCRYPTION_KEY'>, pool: Pool | null): EncryptionCodec | undefined {
  const text = config.PAYLOAD_ENCRYPTION_KEY;
  if (text === undefined) return undefined;
  return new EncryptionCodec(KeyRing.parse(text), pool ? callKeysFor(pool, text) : undefined);
}

/** The data converter of every Temporal client and worker of a configured process; undefined: the SDK's default. */
export function dataConverterFrom(config: Pick<Config, 'PAYLOAD_ENCRYPTION_KEY'>, pool: Pool | null): DataConverter | undefined {
  const codec = payloadCodecFrom(config, pool);
  return codec && { payloadCodecs: [codec] };
}

/**
 * At start (API processes): the calls' data keys wrapped under an older key of PAYLOAD_ENCRYPTION_KEY, re-wrapped
 * under its current one (`rewrapCallDataKeys`), so a rotated-out key can be removed from the ring afterwards.
 * Logs what it did; keys the ring cannot open are logged (by id) and left as they are. Nothing without the variable.
 */
export async function rewrapCallDataKeysFrom(config: Pick<Config, 'PAYLOAD_ENCRYPTION_KEY'>, pool: Pool, log: Logger): Promise<void> {
  if (config.PAYLOAD_ENCRYPTION_KEY === undefined) return;
  const result = await rewrapCallDataKeys(pool, KeyRing.parse(config.PAYLOAD_ENCRYPTION_KEY));
  if (result.rewrapped > 0) log.info({ keyId: result.keyId, rewrapped: result.rewrapped }, 'calls\' data keys re-wrapped under the current payload key');
  if (result.failures.length > 0) {
    log.error(
      { keyId: result.keyId, failures: result.failures.length, first: result.failures.slice(0, 5) },
      "calls' data keys that PAYLOAD_ENCRYPTION_KEY cannot open (a key they were wrapped under was removed from the ring): those calls' payloads do not decode",
    );
  }
}
