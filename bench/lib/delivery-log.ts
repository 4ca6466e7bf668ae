/**
 * Where a run's deliveries land, whoever delivered them (a receiver for wire and callhook, the
 * floor's no-op activity): arrival time of each delivery, and per-call order checked as they
 * come. A benchmark of a system that broke its ordering guarantee is worthless, so an order
 * violation fails the run.
 */
import { performance } from 'node:perf_hooks';
import type { DeliveryKey } from './events';

export interface Arrival {
  /** Which endpoint (or floor lane) it reached. */
  sink: number;
  id: string;
  /** performance.now() at arrival. */
  at: number;
}

export class OrderViolation extends Error {}

export class DeliveryLog {
  /** First arrival of each (sink, event). */
  readonly arrivals: Arrival[] = [];
  duplicates = 0;
  private readonly seen = new Set<string>();
  /** Per sink and call: the last seq seen. */
  private readonly lastSeq = new Map<string, number>();
  private readonly violations: string[] = [];
  private waiters: { count: number; wake: () => void }[] = [];

  get count(): number {
    return this.arrivals.length;
  }

  get lastArrivalAt(): number {
    return this.arrivals[this.arrivals.length - 1]?.at ?? NaN;
  }

  record(sink: number, key: DeliveryKey, at = performance.now()): void {
    const seenKey = `${sink}|${key.id}`;
    const laneKey = `${sink}|${key.callId}`;
    const last = this.lastSeq.get(laneKey) ?? -1;
    if (this.seen.has(seenKey)) {
      this.duplicates++;
      // At-least-once allows a repeat of an event already seen, never a jump back past a later one.
      if (key.seq !== last) this.violate(`sink ${sink}, call ${key.callId}: seq ${key.seq} again after seq ${last}`);
      return;
    }
    if (key.seq !== last + 1) this.violate(`sink ${sink}, call ${key.callId}: seq ${key.seq} arrived after seq ${last}`);
    this.seen.add(seenKey);
    this.lastSeq.set(laneKey, Math.max(last, key.seq));
    this.arrivals.push({ sink, id: key.id, at });
    this.waiters = this.waiters.filter((waiter) => (this.count >= waiter.count ? (waiter.wake(), false) : true));
  }

  /** Throws when any call's order was broken at any sink. */
  assertOrdered(): void {
    if (this.violations.length > 0) {
      throw new OrderViolation(`PER-CALL ORDER BROKEN (${this.violations.length} violations): ${this.violations.slice(0, 10).join('; ')}`);
    }
  }

  /**
   * Resolves once `count` distinct deliveries have arrived. Rejects after `timeoutMs`, or when
   * nothing new arrived for `stallMs`; fails at once on an order violation.
   */
  async waitFor(count: number, timeoutMs: number, stallMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let progress = this.count;
    let progressAt = performance.now();
    while (this.count < count) {
      this.assertOrdered();
      const now = performance.now();
      if (this.count > progress) [progress, progressAt] = [this.count, now];
      if (now > deadline || now - progressAt > stallMs) {
        throw new Error(`${this.count} of ${count} deliveries arrived (${now > deadline ? `timeout ${timeoutMs} ms` : `nothing new for ${stallMs} ms`})`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1_000);
        this.waiters.push({ count, wake: () => (clearTimeout(timer), resolve()) });
      });
    }
    this.assertOrdered();
  }

  /** Like waitFor, but never fails: resolves whether `count` arrived (false after `timeoutMs`). */
  async reached(count: number, timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (this.count < count && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    return this.count >= count;
  }

  private violate(message: string): void {
    if (this.violations.length < 100) this.violations.push(message);
  }
}
