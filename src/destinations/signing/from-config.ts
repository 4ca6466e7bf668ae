import { createPublicKey } from 'node:crypto';
import { ConfigError } from '../../config/config';
import { loadOrCreateSigningKeys, type SigningKeyRing } from './signing-keys';

export interface SigningKeysConfig {
  DATA_DIR: string;
  SIGNING_KEY_PEM?: string | undefined;
  SIGNING_KEY_FILE?: string | undefined;
  SIGNING_KEY_PREVIOUS_PUBLIC_PEM?: string | undefined;
  SIGNING_KEY_OVERLAP: number;
}

const PUBLIC_KEY_PEM = /-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g;

/**
 * The RSA key ring a process signs rsa deliveries with: SIGNING_KEY_PEM or SIGNING_KEY_FILE when
 * given, else a key generated once and kept in DATA_DIR. One ring per process, shared by the API
 * (which publishes the public keys) and the worker (which signs). A bad key fails with a
 * ConfigError naming the variable.
 */
export function signingKeysFrom(config: SigningKeysConfig): SigningKeyRing {
  const configured = config.SIGNING_KEY_PEM !== undefined || config.SIGNING_KEY_FILE !== undefined;
  const previous = previousPublicKeys(config.SIGNING_KEY_PREVIOUS_PUBLIC_PEM, configured);
  const source = config.SIGNING_KEY_PEM !== undefined ? 'SIGNING_KEY_PEM' : config.SIGNING_KEY_FILE !== undefined ? 'SIGNING_KEY_FILE' : 'DATA_DIR';
  try {
    return loadOrCreateSigningKeys({
      ...(config.SIGNING_KEY_PEM !== undefined && { privateKeyPem: config.SIGNING_KEY_PEM }),
      ...(config.SIGNING_KEY_FILE !== undefined && { keyFile: config.SIGNING_KEY_FILE }),
      previousPublicKeysPem: previous,
      dataDir: config.DATA_DIR,
      overlapMs: config.SIGNING_KEY_OVERLAP,
    });
  } catch (err) {
    const what = source === 'DATA_DIR' ? 'the generated signing key could not be created or read' : 'not a usable RSA private key';
    throw new ConfigError(`invalid configuration:\n  ${source}: ${what}: ${(err as Error).message}`, { cause: err });
  }
}

function previousPublicKeys(text: string | undefined, configured: boolean): string[] {
  if (text === undefined) return [];
  const fail = (why: string) => new ConfigError(`invalid configuration:\n  SIGNING_KEY_PREVIOUS_PUBLIC_PEM: ${why}`);
  if (!configured) throw fail('applies only with SIGNING_KEY_PEM or SIGNING_KEY_FILE (a generated key is rotated by POST /v1/signing-keys/rotate)');
  const pems = text.replace(/\\n/g, '\n').match(PUBLIC_KEY_PEM) ?? [];
  if (pems.length === 0) throw fail('holds no "-----BEGIN PUBLIC KEY-----" block');
  for (const pem of pems) {
    try {
      createPublicKey(pem);
    } catch (err) {
      throw fail(`a key is not a valid public key: ${(err as Error).message}`);
    }
  }
  return pems;
}
