import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config/config';
import { logger } from '../observability/logger';
import { KeyRing } from './key-ring';

export interface SecretsKeysConfig {
  NODE_ENV: string;
  DATA_DIR: string;
  SECRETS_ENCRYPTION_KEYS?: string | undefined;
}

/** Where a development key ring is kept when SECRETS_ENCRYPTION_KEYS is unset (mode 0600, ring text form). */
export const GENERATED_SECRETS_KEYS_FILE = 'secrets-keys';

/**
 * The key ring endpoint secrets are sealed with: SECRETS_ENCRYPTION_KEYS when set; else, outside
 * production, a key generated once and kept in `DATA_DIR/secrets-keys` so it survives restarts (a
 * process sharing the DATA_DIR reads the same key). Logs which one, and the key ids, never a key.
 */
export function secretsKeyRingFrom(config: SecretsKeysConfig): KeyRing {
  if (config.SECRETS_ENCRYPTION_KEYS !== undefined) {
    const ring = parseRing(config.SECRETS_ENCRYPTION_KEYS, 'SECRETS_ENCRYPTION_KEYS');
    logger.info({ source: 'SECRETS_ENCRYPTION_KEYS', currentKeyId: ring.currentId, keyIds: ring.keys.map((k) => k.id) }, 'secrets key ring configured');
    return ring;
  }
  if (config.NODE_ENV === 'production') {
    throw new ConfigError(
      'invalid configuration:\n  SECRETS_ENCRYPTION_KEYS: required in production (endpoint secrets are encrypted with it); generate one with npm run secrets -- generate-key',
    );
  }
  const file = path.join(config.DATA_DIR, GENERATED_SECRETS_KEYS_FILE);
  let generated: boolean;
  try {
    fs.mkdirSync(config.DATA_DIR, { recursive: true });
    generated = createOnce(file, () => `${KeyRing.generateText(`dev-${Date.now().toString(36)}`)}\n`);
  } catch (err) {
    throw new ConfigError(`invalid configuration:\n  DATA_DIR: the generated secrets key ${file} could not be created: ${(err as Error).message}`, { cause: err });
  }
  const ring = parseRing(readRingFile(file), file);
  const mode = fs.statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) logger.warn({ file, mode: mode.toString(8) }, 'the generated secrets key file is readable by others; chmod 600 it');
  logger.info(
    { source: 'DATA_DIR', file, generated, currentKeyId: ring.currentId },
    'endpoint secrets are encrypted with a key generated in DATA_DIR (development only: set SECRETS_ENCRYPTION_KEYS in production)',
  );
  return ring;
}

function parseRing(text: string, source: string): KeyRing {
  try {
    return KeyRing.parse(text);
  } catch (err) {
    throw new ConfigError(`invalid configuration:\n  ${source}: ${(err as Error).message}`, { cause: err });
  }
}

function readRingFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`invalid configuration:\n  DATA_DIR: the generated secrets key ${file} could not be read: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Creates the file (mode 0600) with the content unless it exists; true when this call created it.
 * Concurrent starts agree on one file, never a half-written one (write aside, then hard-link).
 */
function createOnce(file: string, content: () => string): boolean {
  if (fs.existsSync(file)) return false;
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content(), { mode: 0o600 });
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return false;
  } finally {
    fs.unlinkSync(tmp);
  }
}
