import { ConfigError, type Config } from '../../config/config';
import { countActiveApiKeys } from '../../db/api-keys-repo';
import type { Queryable } from '../../db/pool';
import { logger } from '../../observability/logger';
import type { AppDeps } from '../app';

type AuthConfig = Pick<Config, 'AUTH' | 'NODE_ENV' | 'ADMIN_API_KEYS' | 'API_KEYS' | 'RATE_LIMIT_CLIENT_KEY' | 'RATE_LIMIT_ADMIN_KEY'>;

/**
 * Decides at start whether the API checks keys. AUTH=off: open (said in the log). Otherwise keys
 * are checked when AUTH=on, in production, or when any key exists (configured or in Postgres);
 * then at least one key must exist, or the process refuses to start. Development with no key
 * at all stays open.
 */
export async function resolveAuth(config: AuthConfig, db: Queryable): Promise<NonNullable<AppDeps['auth']>> {
  if (config.API_KEYS.length > 0) logger.warn('API_KEYS is the old name of ADMIN_API_KEYS: its keys act as admin keys; rename it');
  const adminKeys = [...config.ADMIN_API_KEYS, ...config.API_KEYS];
  if (config.AUTH === 'off') {
    logger.warn({ nodeEnv: config.NODE_ENV }, 'AUTH=off: the API is open, every request acts as an admin; keep it on a private network');
    return { mode: 'off' };
  }
  const storedKeys = await countActiveApiKeys(db);
  const required = config.AUTH === 'on' || config.NODE_ENV === 'production';
  if (adminKeys.length === 0 && storedKeys === 0) {
    if (required) {
      throw new ConfigError(
        `invalid configuration:\n  AUTH: ${config.AUTH === 'on' ? 'AUTH=on' : 'NODE_ENV=production'} needs an API key and none is configured: ` +
          'set ADMIN_API_KEYS, or create one with `npm run keys -- create --admin --name ops`; AUTH=off runs the API open on purpose',
      );
    }
    logger.info('no API key configured: the API is open (development); create a key to turn authentication on');
    return { mode: 'off' };
  }
  logger.info({ configuredAdminKeys: adminKeys.length, storedKeys }, 'API keys required');
  return { mode: 'on', adminKeys, rateLimits: { client: config.RATE_LIMIT_CLIENT_KEY, admin: config.RATE_LIMIT_ADMIN_KEY } };
}
