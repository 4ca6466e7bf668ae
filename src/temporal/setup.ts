/**
 * `npm run temporal:setup`: registers callhook's custom search attributes
 * (`CALL_SEARCH_ATTRIBUTES`) in TEMPORAL_NAMESPACE of the cluster at TEMPORAL_ADDRESS.
 * Idempotent: adds only the missing ones and succeeds when all exist already. Fails clearly when
 * Temporal stays unreachable (it retries for about a minute: in Docker Compose the server may
 * still be starting) or when an attribute exists with another type.
 */
import { Connection, isGrpcServiceError } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { loadConfig } from '../config/config';
import { logger as rootLogger } from '../observability/logger';
import { CALL_SEARCH_ATTRIBUTES } from './search-attributes';

const logger = rootLogger.child({ component: 'temporal-setup' });

/** gRPC status codes this file tells apart. */
const GRPC = { DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6, UNAVAILABLE: 14 } as const;

/** Not retried: the cluster answered, and retrying will not change its answer. */
export class SearchAttributeConflictError extends Error {
  override readonly name = 'SearchAttributeConflictError';
}

export interface RegisterResult {
  /** Attributes this call added. */
  added: string[];
  /** Attributes that were there already, with the right type. */
  existing: string[];
}

/** `KEYWORD`, `TEXT`… for the numeric IndexedValueType the operator service returns. */
function typeName(indexedValueType: number | null | undefined): string {
  for (const name of Object.values(SearchAttributeType)) {
    if (encodeSearchAttributeIndexedValueType(name) === indexedValueType) return name;
  }
  return `unknown (${String(indexedValueType)})`;
}

async function listCustomAttributes(connection: Connection, namespace: string): Promise<Record<string, number>> {
  const response = await connection.operatorService.listSearchAttributes({ namespace });
  return (response.customAttributes ?? {}) as Record<string, number>;
}

/**
 * Makes sure every attribute of `CALL_SEARCH_ATTRIBUTES` exists in `namespace` with its type.
 * Lists what exists, adds only what is missing; a second run is a no-op. Throws
 * `SearchAttributeConflictError` if one exists with another type.
 */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<RegisterResult> {
  return register(connection, namespace, true);
}

async function register(connection: Connection, namespace: string, mayRecheck: boolean): Promise<RegisterResult> {
  const existing = await listCustomAttributes(connection, namespace);
  const result: RegisterResult = { added: [], existing: [] };
  const missing: Record<string, number> = {};
  const conflicts: string[] = [];
  for (const key of CALL_SEARCH_ATTRIBUTES) {
    const wanted = encodeSearchAttributeIndexedValueType(key.type)!;
    const current = existing[key.name];
    if (current === undefined) missing[key.name] = wanted;
    else if (current === wanted) result.existing.push(key.name);
    else conflicts.push(`${key.name} is ${typeName(current)}, callhook needs ${key.type}`);
  }
  if (conflicts.length > 0) {
    throw new SearchAttributeConflictError(
      `search attributes in namespace "${namespace}" exist with another type: ${conflicts.join('; ')}. ` +
        'Remove them (temporal operator search-attribute remove) or use another namespace.',
    );
  }
  const names = Object.keys(missing);
  if (names.length === 0) return result;

  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  } catch (err) {
    // Another process (a second setup run, a starting dev server) added them meanwhile: check once more.
    if (mayRecheck && isGrpcServiceError(err) && err.code === GRPC.ALREADY_EXISTS) return register(connection, namespace, false);
    throw err;
  }
  result.added.push(...names);
  return result;
}

export interface SetupOptions {
  address: string;
  namespace: string;
  /** How long to keep retrying while Temporal is unreachable or still starting. Default 60 s. */
  timeoutMs?: number;
  /** Pause between attempts. Default 2 s. */
  retryDelayMs?: number;
}

/** Worth another try: the server is not (yet) answering, or the namespace is not registered yet. */
function isTransient(err: unknown): boolean {
  if (err instanceof SearchAttributeConflictError) return false;
  if (isGrpcServiceError(err)) {
    return err.code === GRPC.UNAVAILABLE || err.code === GRPC.DEADLINE_EXCEEDED || err.code === GRPC.NOT_FOUND;
  }
  // Connection.connect fails with a plain Error ("Failed to connect before the deadline").
  return true;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Connects to Temporal at `address` and registers the search attributes in `namespace`,
 * retrying while the server is unreachable or still starting, for up to `timeoutMs`.
 */
export async function setupTemporal(options: SetupOptions): Promise<RegisterResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const retryDelayMs = options.retryDelayMs ?? 2_000;
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    let connection: Connection | undefined;
    try {
      const connectTimeout = Math.max(500, Math.min(5_000, deadline - Date.now()));
      connection = await Connection.connect({ address: options.address, connectTimeout });
      return await registerSearchAttributes(connection, options.namespace);
    } catch (err) {
      if (!isTransient(err)) throw err;
      const message = err instanceof Error ? err.message : String(err);
      if (Date.now() + retryDelayMs >= deadline) {
        throw new Error(
          `could not register search attributes: Temporal at ${options.address} (namespace "${options.namespace}") ` +
            `did not answer within ${Math.round(timeoutMs / 1000)} s (${attempt} attempts). Last error: ${message}`,
          { cause: err },
        );
      }
      logger.warn({ address: options.address, attempt, error: message }, 'Temporal not ready yet; retrying');
      await sleep(retryDelayMs);
    } finally {
      await connection?.close().catch((closeErr: unknown) => logger.debug({ err: closeErr }, 'closing the setup connection failed'));
    }
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.TEMPORAL_ADDRESS) {
    throw new Error(
      'temporal:setup needs TEMPORAL_ADDRESS (the Temporal frontend, host:port); ' +
        'without it callhook runs a local dev server, which needs no setup',
    );
  }
  const namespace = config.TEMPORAL_NAMESPACE;
  logger.info({ address: config.TEMPORAL_ADDRESS, namespace }, 'registering search attributes');
  const { added, existing } = await setupTemporal({ address: config.TEMPORAL_ADDRESS, namespace });
  logger.info(
    { namespace, added, existing },
    added.length > 0 ? 'search attributes registered' : 'search attributes already registered; nothing to do',
  );
}

if (require.main === module) {
  main().catch((err: unknown) => {
    logger.fatal({ err }, 'temporal setup failed');
    process.exit(1);
  });
}
