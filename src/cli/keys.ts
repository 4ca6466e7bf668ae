/**
 * `npm run keys -- <command>`: API keys in the database callhook uses (DATABASE_URL, or the
 * embedded Postgres of a running `npm start`). Compiled: `npm run keys:prod -- <command>` (node dist/cli/keys.js).
 *
 *   create --client <clientId> --name <name>   a client key: acts for that client only
 *   create --admin --name <name>               an admin key: acts for every client
 *   list [--client <clientId>] [--all]         keys without the keys themselves (--all: revoked ones too)
 *   revoke <keyId>                             the key stops working (within 5 s on running API processes)
 *
 * The key is printed once, on create; only its SHA-256 is stored. Exit codes: 0 done, 1 failed, 2 usage.
 */
import { parseArgs } from 'node:util';
import { createApiKey } from '../auth/api-keys';
import { ConfigError, loadConfig } from '../config/config';
import { listApiKeys, revokeApiKey } from '../db/api-keys-repo';
import { migrate } from '../db/migrate';
import { createPool, type Pool } from '../db/pool';
import { embeddedDatabaseUrl } from '../process/embedded-postgres';
import { apiKeyIdParams, createApiKeySchema } from '../schemas/api-key';

const USAGE = `usage: npm run keys -- create --client <clientId> --name <name>
       npm run keys -- create --admin --name <name>
       npm run keys -- list [--client <clientId>] [--all]
       npm run keys -- revoke <keyId>`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

function options(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: { client: { type: 'string' }, admin: { type: 'boolean' }, name: { type: 'string' }, all: { type: 'boolean' } },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

async function run(pool: Pool, command: string, args: string[]): Promise<void> {
  const { values, positionals } = options(args);
  switch (command) {
    case 'create': {
      if (positionals.length > 0) throw new UsageError(`create: unexpected argument "${positionals[0]}"`);
      const input = createApiKeySchema.safeParse({
        kind: values.admin ? 'admin' : 'client',
        ...(values.client !== undefined && { clientId: values.client }),
        name: values.name,
      });
      if (!input.success) throw new UsageError(`create: ${input.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}`);
      if (values.admin && values.client !== undefined) throw new UsageError('create: give --client or --admin, not both');
      const { record, key } = await createApiKey(pool, input.data);
      process.stdout.write(`${key}\n`);
      process.stderr.write(`created ${record.kind} key ${record.id} "${record.name}"${record.clientId ? ` for client ${record.clientId}` : ''}; the key above is shown only now\n`);
      return;
    }
    case 'list': {
      if (values.admin || values.name !== undefined || positionals.length > 0) throw new UsageError('list takes only --client and --all');
      for (let after: string | undefined; ; ) {
        const page = await listApiKeys(pool, {
          ...(values.client !== undefined && { clientId: values.client }),
          includeRevoked: values.all ?? false,
          limit: 200,
          ...(after !== undefined && { after }),
        });
        for (const k of page) {
          process.stdout.write(
            `${k.id}\t${k.kind}\t${k.clientId ?? '*'}\t${k.name}\t${k.keyHint}\tcreated ${k.createdAt}\tlast used ${k.lastUsedAt ?? 'never'}${k.revokedAt ? `\trevoked ${k.revokedAt}` : ''}\n`,
          );
        }
        if (page.length < 200) return;
        after = page[page.length - 1]!.id;
      }
    }
    case 'revoke': {
      const id = apiKeyIdParams.safeParse({ id: positionals[0] });
      if (!id.success || positionals.length !== 1) throw new UsageError('revoke needs one key id (key_…)');
      const revoked = await revokeApiKey(pool, id.data.id);
      if (!revoked) throw new Error(`no API key ${id.data.id}`);
      process.stderr.write(`revoked ${revoked.id} at ${revoked.revokedAt}\n`);
      return;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

async function main(): Promise<number> {
  const [command, ...args] = process.argv.slice(2);
  let pool: Pool | undefined;
  try {
    if (!command) throw new UsageError('no command given');
    const config = loadConfig();
    pool = createPool(config.DATABASE_URL ?? embeddedDatabaseUrl(config.EMBEDDED_PG_PORT), 2);
    try {
      await migrate(pool);
    } catch (err) {
      throw new Error(
        `cannot reach the database${config.DATABASE_URL ? '' : ' (no DATABASE_URL: the embedded Postgres of a running `npm start`)'}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    await run(pool, command, args);
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`keys: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await pool?.end();
  }
}

main().then((code) => process.exit(code));
