import type { CallEvent } from '../schemas/call-event';
import {
  ARRAY_INDEX_SEGMENT,
  classifyCondition,
  isFieldOperator,
  isJsonObject,
  type EndpointFilter,
  type FieldOperator,
} from '../schemas/endpoint-filter';

/**
 * Evaluates an endpoint's content filter against an event: `matchesFilter` for delivery,
 * `explainFilterMatch` for the test-filter endpoint, which says why. The language and its
 * semantics (paths, missing values, null, each operator) are defined in
 * src/schemas/endpoint-filter.ts; in short:
 * - a filter object is the AND of its entries (`{}` matches every event); `$and`/`$or` of filters,
 *   `$not` of a filter;
 * - a path that leads nowhere is missing: `$eq`/`$in` are false for it except that null matches
 *   missing; `$neq`/`$nin` are exactly their negations (so true for missing unless null is the
 *   operand / among the operands); `$gt`..`$lte` and `$startsWith` are false; `$exists` says which.
 *
 * Pure and deterministic: no I/O, no clock. Both functions take a filter `endpointFilterSchema`
 * accepted; on a construct it would refuse (an unknown operator, `$and` not an array, ...) they
 * throw a `TypeError`, rather than guess whether to deliver.
 */

/** The event as a filter sees it: paths start at one of these keys. */
export interface FilterableEvent {
  readonly id: string;
  readonly eventType: string;
  readonly occurredAt: string;
  /** body.data.callId */
  readonly callId: string;
  /** body.data.clientId */
  readonly clientId: string;
  readonly body: {
    readonly data: CallEvent['body']['data'];
    readonly errors: CallEvent['body']['errors'];
  };
}

/** The object a filter is evaluated against; `targetEndpointId` (internal) is left out. */
export function filterableEvent(event: CallEvent): FilterableEvent {
  return {
    id: event.id,
    eventType: event.eventType,
    occurredAt: event.occurredAt,
    callId: event.body.data.callId,
    clientId: event.body.data.clientId,
    body: { data: event.body.data, errors: event.body.errors },
  };
}

/** A path's value: found, or missing. */
type Lookup = { readonly found: true; readonly value: unknown } | { readonly found: false };
const MISSING: Lookup = { found: false };

/** Walks a dotted path from the event: own keys of objects, canonical indexes of arrays. */
function lookup(event: FilterableEvent, path: string): Lookup {
  let current: unknown = event;
  for (const segment of path.split('.')) {
    if (Array.isArray(current)) {
      if (!ARRAY_INDEX_SEGMENT.test(segment)) return MISSING;
      const index = Number(segment);
      if (index >= current.length) return MISSING;
      current = current[index];
    } else if (isJsonObject(current)) {
      if (!Object.hasOwn(current, segment)) return MISSING;
      current = current[segment];
    } else {
      return MISSING;
    }
  }
  return current === undefined ? MISSING : { found: true, value: current };
}

/** Deep equality of JSON values; object keys whose value is undefined count as absent (as in JSON). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item: unknown, i) => jsonEqual(item, b[i]));
  if (isJsonObject(a)) {
    if (!isJsonObject(b)) return false;
    const keysOf = (o: { readonly [key: string]: unknown }) => Object.keys(o).filter((key) => o[key] !== undefined);
    const aKeys = keysOf(a);
    const bKeys = keysOf(b);
    return aKeys.length === bKeys.length && aKeys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]));
  }
  return false;
}

/** `$eq`: equal, or null against missing. */
const equalsOperand = (found: Lookup, operand: unknown): boolean => (found.found ? jsonEqual(found.value, operand) : operand === null);

const inList = (found: Lookup, operand: unknown, operator: string): boolean => {
  if (!Array.isArray(operand)) throw new TypeError(`${operator} takes an array`);
  return operand.some((item: unknown) => equalsOperand(found, item));
};

/** `$gt` and its kin: same-type numbers or strings only (strings by UTF-16 code units). */
function compare(found: Lookup, operator: '$gt' | '$gte' | '$lt' | '$lte', operand: unknown): boolean {
  if (typeof operand !== 'number' && typeof operand !== 'string') throw new TypeError(`${operator} takes a number or a string`);
  if (!found.found) return false;
  const { value } = found;
  if (typeof value === 'number' && typeof operand === 'number') return order(operator, value, operand);
  if (typeof value === 'string' && typeof operand === 'string') return order(operator, value, operand);
  return false;
}

function order<T extends number | string>(operator: '$gt' | '$gte' | '$lt' | '$lte', value: T, operand: T): boolean {
  switch (operator) {
    case '$gt':
      return value > operand;
    case '$gte':
      return value >= operand;
    case '$lt':
      return value < operand;
    case '$lte':
      return value <= operand;
  }
}

/** Whether one operator holds for a path's value. */
function testOperator(operator: FieldOperator, operand: unknown, found: Lookup): boolean {
  switch (operator) {
    case '$eq':
      return equalsOperand(found, operand);
    case '$neq':
      return !equalsOperand(found, operand);
    case '$in':
      return inList(found, operand, operator);
    case '$nin':
      return !inList(found, operand, operator);
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return compare(found, operator, operand);
    case '$exists':
      if (typeof operand !== 'boolean') throw new TypeError('$exists takes true or false');
      return found.found === operand;
    case '$startsWith':
      if (typeof operand !== 'string') throw new TypeError('$startsWith takes a string');
      return found.found && typeof found.value === 'string' && found.value.startsWith(operand);
  }
}

/** One path's condition as (operator, operand) pairs: a literal is one `$eq`. */
function conditions(path: string, condition: unknown): [FieldOperator, unknown][] {
  const kind = classifyCondition(condition);
  if (kind === 'literal') return [['$eq', condition]];
  if (kind === 'mixed' || !isJsonObject(condition)) throw new TypeError(`the condition on "${path}" mixes operators and plain keys`);
  return Object.entries(condition).map(([operator, operand]): [FieldOperator, unknown] => {
    if (!isFieldOperator(operator)) throw new TypeError(`unknown operator "${operator}" on "${path}"`);
    return [operator, operand];
  });
}

function subFilters(key: string, entry: unknown): readonly { readonly [key: string]: unknown }[] {
  if (!Array.isArray(entry) || entry.length === 0) throw new TypeError(`${key} takes a non-empty array of filters`);
  return entry.map((item: unknown) => {
    if (!isJsonObject(item)) throw new TypeError(`${key} takes filters (objects)`);
    return item;
  });
}

function notFilter(entry: unknown): { readonly [key: string]: unknown } {
  if (!isJsonObject(entry)) throw new TypeError('$not takes a filter (an object)');
  return entry;
}

function matches(filter: { readonly [key: string]: unknown }, event: FilterableEvent): boolean {
  return Object.entries(filter).every(([key, entry]) => {
    if (key === '$and') return subFilters(key, entry).every((sub) => matches(sub, event));
    if (key === '$or') return subFilters(key, entry).some((sub) => matches(sub, event));
    if (key === '$not') return !matches(notFilter(entry), event);
    if (key.startsWith('$')) throw new TypeError(`unknown operator "${key}"`);
    const found = lookup(event, key);
    return conditions(key, entry).every(([operator, operand]) => testOperator(operator, operand, found));
  });
}

/** Whether the event matches the filter (see the module's doc and src/schemas/endpoint-filter.ts). */
export function matchesFilter(filter: EndpointFilter, event: FilterableEvent): boolean {
  return matches(filter, event);
}

/** The outcome of a filter on an event, and why. */
export interface FilterExplanation {
  matched: boolean;
  /**
   * Facts that decide the outcome, one per condition: when matched, those that held (for `$or`,
   * the filters that held); when not, those that failed (for `$or`, every filter's). Facts under
   * a `$not` start with "$not: " and state the inner condition's outcome.
   */
  reasons: string[];
}

const MAX_RENDERED = 80;
/** A value for a person: its JSON, cut at MAX_RENDERED characters. */
function render(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > MAX_RENDERED ? `${json.slice(0, MAX_RENDERED - 1)}…` : json;
}

const kindOf = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;

const SYMBOLS = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' } as const;

/** The fact behind one operator's outcome, e.g. `body.data.callStatus is "COMPLETED", not in ["FAILED","NO_ANSWER"]`. */
function describe(path: string, operator: FieldOperator, operand: unknown, found: Lookup, held: boolean): string {
  const is = found.found ? `${path} is ${render(found.value)}` : `${path} is missing`;
  const equal = equalsOperand(found, operand);
  switch (operator) {
    case '$eq':
    case '$neq':
      return equal ? (found.found ? is : `${is}, which null matches`) : `${is}, not ${render(operand)}`;
    case '$in':
    case '$nin': {
      const within = held === (operator === '$in');
      return within ? `${is}, in ${render(operand)}` : `${is}, not in ${render(operand)}`;
    }
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte': {
      const symbol = SYMBOLS[operator];
      if (found.found && typeof found.value !== typeof operand) return `${is}, ${kindOf(found.value)}, not comparable with ${kindOf(operand)} ${render(operand)}`;
      return held ? `${is}, ${symbol} ${render(operand)}` : `${is}, not ${symbol} ${render(operand)}`;
    }
    case '$exists':
      return found.found ? `${path} exists` : is;
    case '$startsWith':
      if (found.found && typeof found.value !== 'string') return `${is}, not a string starting with ${render(operand)}`;
      return held ? `${is}, starts with ${render(operand)}` : found.found ? `${is}, does not start with ${render(operand)}` : `${is}, not a string starting with ${render(operand)}`;
  }
}

function explain(filter: { readonly [key: string]: unknown }, event: FilterableEvent): FilterExplanation {
  const entries = Object.entries(filter);
  if (entries.length === 0) return { matched: true, reasons: ['an empty filter matches every event'] };
  const outcomes: FilterExplanation[] = entries.flatMap(([key, entry]): FilterExplanation[] => {
    if (key === '$and') return [explainAll(subFilters(key, entry).map((sub) => explain(sub, event)))];
    if (key === '$or') {
      const subs = subFilters(key, entry).map((sub) => explain(sub, event));
      const held = subs.filter((sub) => sub.matched);
      return [held.length > 0 ? { matched: true, reasons: held.flatMap((sub) => sub.reasons) } : { matched: false, reasons: subs.flatMap((sub) => sub.reasons) }];
    }
    if (key === '$not') {
      const inner = explain(notFilter(entry), event);
      return [{ matched: !inner.matched, reasons: inner.reasons.map((reason) => `$not: ${reason}`) }];
    }
    if (key.startsWith('$')) throw new TypeError(`unknown operator "${key}"`);
    const found = lookup(event, key);
    return conditions(key, entry).map(([operator, operand]) => {
      const held = testOperator(operator, operand, found);
      return { matched: held, reasons: [describe(key, operator, operand, found, held)] };
    });
  });
  return explainAll(outcomes);
}

/** AND of outcomes: when it holds, every reason; when not, the failing ones'. */
function explainAll(outcomes: FilterExplanation[]): FilterExplanation {
  const failed = outcomes.filter((outcome) => !outcome.matched);
  return failed.length > 0 ? { matched: false, reasons: failed.flatMap((outcome) => outcome.reasons) } : { matched: true, reasons: outcomes.flatMap((outcome) => outcome.reasons) };
}

/**
 * Whether the event matches, with the facts that decide it, e.g. for
 * `{"body.data.callStatus": {"$in": ["FAILED","NO_ANSWER"]}}` on a completed call:
 * `{ matched: false, reasons: ['body.data.callStatus is "COMPLETED", not in ["FAILED","NO_ANSWER"]'] }`.
 * `matched` is always `matchesFilter(filter, event)`.
 */
export function explainFilterMatch(filter: EndpointFilter, event: FilterableEvent): FilterExplanation {
  return explain(filter, event);
}
