/**
 * `npm run secrets -- <command>`: the keys that encrypt endpoint secrets in Postgres.
 * Compiled: `npm run secrets:prod -- <command>` (node dist/cli/secrets.js).
 *
 *   generate-key [--id <id>]   prints a new key in key-ring text form (`id:base64key`), for SECRETS_ENCRYPTION_KEYS
 *   reencrypt                  seals every endpoint under the ring's first key (after a rotation); prints how many
 *                              rows changed. Reads DATABASE_URL and SECRETS_ENCRYPTION_KEYS from the environment / .env.
 *
 * Exit codes: 0 done, 1 failed (the message says which endpoints and keys), 2 usage or configuration error.
 */
import { ConfigError, loadConfig } from '../config/config';
import { KeyRing, KeyRingError } from '../crypto/key-ring';
import { secretsKeyRingFrom } from '../crypto/secrets-key-ring-from-config';
import { migrate } from '../db/migrate';
import { createPool } from '../db/pool';
import { reencryptEndpointSecrets } from '../db/reencrypt-endpoint-secrets';

const USAGE = `usage: npm run secrets -- generate-key [--id <id>]
       npm run secrets -- reencrypt`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

function generateKey(args: string[]): void {
  let id: string | undefined;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--id') {
      id = args[(i += 1)];
      if (id === undefined) throw new UsageError('generate-key: --id needs a value');
    } else if (arg.startsWith('--id=')) id = arg.slice('--id='.length);
    else throw new UsageError(`generate-key: unexpected argument "${arg}"`);
  }
  const text = KeyRing.generateText(id);
  try {
    KeyRing.parse(text); // checks the id
  } catch (err) {
    if (err instanceof KeyRingError) throw new UsageError(`generate-key: ${err.message}`);
    throw err;
  }
  process.stdout.write(`${text}\n`);
}

async function reencrypt(args: string[]): Promise<void> {
  if (args.length > 0) throw new UsageError(`reencrypt takes no arguments (got "${args.join(' ')}")`);
  const config = loadConfig();
  if (!config.DATABASE_URL) throw new UsageError('reencrypt needs DATABASE_URL (and SECRETS_ENCRYPTION_KEYS, the new key first)');
  const ring = secretsKeyRingFrom(config);
  const pool = createPool(config.DATABASE_URL, 2);
  try {
    await migrate(pool); // a database from before encryption at rest gets its secrets column first
    const result = await reencryptEndpointSecrets(pool, ring);
    const changed = result.encrypted + result.resealed;
    process.stdout.write(
      `re-encrypted ${changed} endpoint(s) under key "${result.keyId}" (${result.encrypted} from plaintext, ${result.resealed} from older keys)\n`,
    );
  } finally {
    await pool.end();
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  if (command === 'generate-key') return generateKey(args);
  if (command === 'reencrypt') return reencrypt(args);
  throw new UsageError(command === undefined ? 'no command given' : `unknown command "${command}"`);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    if (err instanceof UsageError || err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n${err instanceof UsageError ? `${USAGE}\n` : ''}`);
      process.exit(2);
    }
    process.stderr.write(`secrets: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
