/**
 * Token buckets, one per key: `rate` tokens a second, holding at most two seconds' worth (a burst
 * of twice the rate, at least one request). In-process: each API process limits on its own.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Takes a token for `key`; returns 0 when one was there, else the ms until one will be. */
  take(key: string, ratePerSecond: number): number {
    const capacity = Math.max(1, ratePerSecond * 2);
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * ratePerSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) / ratePerSecond) * 1000);
  }
}
