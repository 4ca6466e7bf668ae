/**
 * The W3C Trace Context `traceparent` value (version 00) an event carries from the API request that
 * accepted it to its deliveries: `00-<trace id: 32 hex>-<parent span id: 16 hex>-<flags: 2 hex>`. Parsed
 * here, without the OpenTelemetry SDK, because the call workflow reads it too (it must stay deterministic).
 */
import { z } from 'zod';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ALL_ZERO = /^0+$/;

export interface TraceParent {
  traceId: string;
  spanId: string;
  /** Bit 0: sampled. */
  traceFlags: number;
}

/** The parts of a valid `traceparent`, or null (malformed, or an all-zero id, which the spec makes invalid). */
export function parseTraceparent(text: string | null | undefined): TraceParent | null {
  const match = text ? TRACEPARENT.exec(text) : null;
  if (!match || ALL_ZERO.test(match[1]!) || ALL_ZERO.test(match[2]!)) return null;
  return { traceId: match[1]!, spanId: match[2]!, traceFlags: parseInt(match[3]!, 16) };
}

export function formatTraceparent(parent: TraceParent): string {
  return `00-${parent.traceId}-${parent.spanId}-${(parent.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** A `traceparent` as the workflow's messages carry it. */
export const traceparentSchema = z.string().refine((text) => parseTraceparent(text) !== null, 'must be a W3C traceparent: 00-<32 hex>-<16 hex>-<2 hex>');
