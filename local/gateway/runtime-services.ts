/**
 * The stateful services policies use: the internal cache (cache-*-value) with TTLs, and the
 * counters of rate-limit-by-key. In memory, per gateway process, like one APIM unit.
 */
import type { TypedValue } from "./expressions.js";

export class ValueCache {
  private readonly entries = new Map<string, { value: TypedValue; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  store(key: string, value: TypedValue, durationSeconds: number): void {
    this.entries.set(key, { value, expiresAt: this.now() + durationSeconds * 1000 });
  }

  lookup(key: string): TypedValue | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  remove(key: string): void {
    this.entries.delete(key);
  }

  /** Drops everything: simulates APIM's cache losing entries (eviction). */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Counts one call (when `increment`) for `key` in a fixed window of `periodSeconds`. Returns
   * whether the call is allowed, the remaining calls and the seconds until the window renews.
   */
  hit(scope: string, key: string, calls: number, periodSeconds: number, increment: number): { allowed: boolean; remaining: number; retryAfter: number } {
    const id = `${scope}\u0000${key}`;
    const now = this.now();
    let w = this.windows.get(id);
    if (!w || now - w.start >= periodSeconds * 1000) {
      w = { start: now, count: 0 };
      this.windows.set(id, w);
    }
    const retryAfter = Math.max(1, Math.ceil((w.start + periodSeconds * 1000 - now) / 1000));
    if (w.count >= calls) return { allowed: false, remaining: 0, retryAfter };
    w.count += increment;
    return { allowed: true, remaining: Math.max(0, calls - w.count), retryAfter };
  }
}
