/**
 * How long Temporal keeps the history of a closed workflow in a namespace (its "workflow execution retention").
 * callhook sets it on the dev server it starts, to RETENTION, so Temporal keeps call payloads no longer than
 * Postgres does. A cluster's namespace is its operators' to set: `temporal operator namespace update
 * --namespace <namespace> --retention 720h`.
 */
import type { Connection } from '@temporalio/client';
import { msToTs, tsToMs } from '@temporalio/common/lib/time';
import type { Logger } from '../observability/logger';

/** The namespace's retention of closed workflows, in milliseconds (undefined: the server did not say). */
export async function namespaceRetentionMs(connection: Connection, namespace: string): Promise<number | undefined> {
  const described = await connection.workflowService.describeNamespace({ namespace });
  const ttl = described.config?.workflowExecutionRetentionTtl;
  return ttl ? tsToMs(ttl) : undefined;
}

/**
 * Sets the namespace's retention of closed workflows to `retentionMs` (whole seconds), unless it is already that.
 * Temporal refuses less than a day on a global namespace and less than an hour on a local one (the dev server's).
 */
export async function setNamespaceRetention(connection: Connection, namespace: string, retentionMs: number, logger: Logger): Promise<void> {
  const wanted = Math.round(retentionMs / 1000) * 1000;
  const current = await namespaceRetentionMs(connection, namespace);
  if (current === wanted) {
    logger.info({ namespace, retentionMs: wanted }, 'namespace retention already set');
    return;
  }
  try {
    await connection.workflowService.updateNamespace({ namespace, config: { workflowExecutionRetentionTtl: msToTs(wanted) } });
  } catch (err) {
    throw new Error(`could not set the retention of namespace "${namespace}" to ${wanted} ms: ${(err as Error).message}`, { cause: err });
  }
  logger.info({ namespace, retentionMs: wanted, previousMs: current }, 'namespace retention set');
}
