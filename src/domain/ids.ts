import { createHash, randomUUID } from 'node:crypto';

/** Opaque, prefixed ids: the prefix says what an id names (ep_, evt_, dlv_, pl_: a portal link). */
export function newId(prefix: 'ep' | 'evt' | 'pl'): string {
  return `${prefix}_${randomUUID().replaceAll('-', '')}`;
}

/**
 * A delivery is one event sent to one endpoint. Its id is derived from both, so planning
 * the same event twice (an activity retry) yields the same deliveries, never new ones.
 * Planning computes the same in SQL (db/lanes-repo.ts); the test-event route relies on both agreeing.
 */
export function deliveryId(eventId: string, endpointId: string): string {
  const digest = createHash('sha256').update(`${eventId}\n${endpointId}`).digest('hex');
  return `dlv_${digest.slice(0, 32)}`;
}
