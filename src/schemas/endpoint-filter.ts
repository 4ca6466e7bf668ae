import { z } from 'zod';

/**
 * The content-filter language of endpoints: what a filter may say, checked at write time. An
 * endpoint with a filter receives only the events that match it (src/filters/evaluate-filter.ts
 * evaluates one). The shape is MongoDB's, as Hookdeck Outpost's:
 *
 *     { "body.data.callStatus": { "$in": ["FAILED", "NO_ANSWER"] } }
 *
 * ## What a filter is
 * A filter is a JSON object whose entries must all hold (an implicit AND; `{}` holds for every
 * event). An entry is one of:
 * - `"<path>": <literal>`: shorthand for `"<path>": { "$eq": <literal> }`;
 * - `"<path>": { "<operator>": <operand>, ... }`: every operator must hold (AND);
 * - `"$and": [<filter>, ...]`: every filter holds (at least one filter);
 * - `"$or": [<filter>, ...]`: at least one filter holds (at least one filter);
 * - `"$not": <filter>`: the filter does not hold.
 *
 * A path's value is an operator object when it is an object with at least one key and every key
 * starts with `$`; any other value (a string, number, boolean, null, array, an object with no key
 * starting with `$`, `{}`) is a literal. An object mixing both kinds of key is refused; to compare
 * with an object whose keys start with `$`, write `{ "$eq": { ... } }` (an operand is always a
 * literal).
 *
 * ## Paths
 * A path is dot-separated segments, walked from the event as a filter sees it:
 * `{ id, eventType, occurredAt, callId, clientId, body: { data, errors } }` (callId and clientId
 * are those of body.data). Its first segment must be one of those top-level keys. A segment is an
 * object's own key, or, on an array, an index written as a decimal without leading zeros
 * (`body.errors.0.code`). A path leads nowhere ("is missing") where a segment names no key of an
 * object, an index past the end of an array (or not written as one), or steps into a string,
 * number, boolean or null; a value that is `undefined` is missing too (as in its JSON). There is no
 * implicit walk over arrays: `body.errors.code` is missing, and `$eq` compares a whole array.
 * Keys that contain a dot cannot be reached.
 *
 * ## Operators (on the path's value; "missing" as above)
 * - `$eq: v`: the value equals v (deep JSON equality: same type; numbers by value; strings by
 *   code units; arrays element by element in order; objects with the same keys, in any order,
 *   and equal values). Missing: false, except that `$eq: null` holds when the path is missing
 *   (null matches missing, as in MongoDB).
 * - `$neq: v`: exactly `not $eq: v`. So true when missing, except for `$neq: null`, which holds
 *   only for a present, non-null value.
 * - `$in: [v, ...]`: the value equals (as $eq) one of 1 to 100 literals; a null among them matches
 *   missing. `$nin` is exactly `not $in` (true when missing unless null is in the list).
 * - `$gt`, `$gte`, `$lt`, `$lte: v`, v a number or a string: compares a value of the same type
 *   only, numbers numerically, strings by UTF-16 code units (ISO 8601 instants written alike, e.g.
 *   both in UTC with `Z`, compare as times). A value of another type (including null) or missing:
 *   false.
 * - `$exists: true`: the path is present (null is present); `$exists: false`: it is missing.
 * - `$startsWith: s`: the value is a string that starts with s (`""` matches every string).
 * `$and`, `$or` and `$not` apply to filters, not to a path's value.
 *
 * ## Limits
 * A filter nests at most {@link MAX_FILTER_DEPTH} filters deep (the top-level one is 1; each
 * element of `$and`/`$or` and the operand of `$not` is one deeper), a literal at most
 * {@link MAX_LITERAL_DEPTH} arrays or objects deep; it has at most {@link MAX_FILTER_NODES} nodes
 * (a node is a filter object or a condition: one operator on one path, a shorthand literal being
 * one `$eq`); its JSON is at most {@link MAX_FILTER_BYTES} bytes (UTF-8); a path is at most
 * {@link MAX_PATH_LENGTH} characters. Values must be JSON: no `undefined`, NaN or Infinity.
 *
 * Every problem is reported as an issue whose path names the bad entry: the filter key, then
 * the operator, then the index (`["body.data.callStatus", "$inn"]`, `["$or", 0, "callId", "$in", 3]`),
 * so that inside an object schema it reads `filter.<...>`.
 *
 * This module has no dependency but zod and no I/O, like the other schemas the workflow bundle
 * may load.
 */

export const MAX_FILTER_DEPTH = 10;
export const MAX_LITERAL_DEPTH = 10;
export const MAX_FILTER_NODES = 200;
export const MAX_FILTER_BYTES = 8192;
export const MAX_PATH_LENGTH = 256;
export const MAX_IN_VALUES = 100;

/** The top-level keys of the event as a filter sees it (src/filters/evaluate-filter.ts `FilterableEvent`). */
export const FILTER_PATH_ROOTS = ['id', 'eventType', 'occurredAt', 'callId', 'clientId', 'body'] as const;
export const FIELD_OPERATORS = ['$eq', '$neq', '$in', '$nin', '$gt', '$gte', '$lt', '$lte', '$exists', '$startsWith'] as const;
export const LOGICAL_OPERATORS = ['$and', '$or', '$not'] as const;

export type FieldOperator = (typeof FIELD_OPERATORS)[number];
export type LogicalOperator = (typeof LOGICAL_OPERATORS)[number];

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** The operand of `$gt`, `$gte`, `$lt`, `$lte`. */
export type ComparableLiteral = number | string;

/** The operators on one path's value: all of them must hold. */
export interface FieldOperators {
  readonly $eq?: JsonValue;
  readonly $neq?: JsonValue;
  readonly $in?: readonly JsonValue[];
  readonly $nin?: readonly JsonValue[];
  readonly $gt?: ComparableLiteral;
  readonly $gte?: ComparableLiteral;
  readonly $lt?: ComparableLiteral;
  readonly $lte?: ComparableLiteral;
  readonly $exists?: boolean;
  readonly $startsWith?: string;
}

/**
 * The value of a filter entry: for a path, a literal or {@link FieldOperators}; for `$and`/`$or`,
 * filters; for `$not`, a filter. The type cannot tell which key takes which; the schema does.
 */
export type FilterEntryValue = JsonValue | FieldOperators | readonly EndpointFilter[] | EndpointFilter;

/** A filter as `endpointFilterSchema` accepts it (see the module's doc for its meaning). */
export interface EndpointFilter {
  readonly [pathOrLogicalOperator: string]: FilterEntryValue;
}

/** One problem of a filter: `path` within the filter (keys, then operators, then indexes). */
export interface FilterProblem {
  path: (string | number)[];
  message: string;
}

const FIELD_OPERATOR_SET: ReadonlySet<string> = new Set(FIELD_OPERATORS);
const LOGICAL_OPERATOR_SET: ReadonlySet<string> = new Set(LOGICAL_OPERATORS);
const ROOT_SET: ReadonlySet<string> = new Set(FILTER_PATH_ROOTS);

export const isFieldOperator = (key: string): key is FieldOperator => FIELD_OPERATOR_SET.has(key);
export const isLogicalOperator = (key: string): key is LogicalOperator => LOGICAL_OPERATOR_SET.has(key);

/** A non-null, non-array object: what JSON calls an object. */
export function isJsonObject(value: unknown): value is { readonly [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How a path's value reads: operators (every key starts with `$`, at least one key), a literal (no key does), or both (refused). */
export function classifyCondition(value: unknown): 'operators' | 'literal' | 'mixed' {
  if (!isJsonObject(value)) return 'literal';
  const keys = Object.keys(value);
  const dollars = keys.filter((key) => key.startsWith('$')).length;
  if (dollars === 0) return 'literal';
  return dollars === keys.length ? 'operators' : 'mixed';
}

/** An array index segment: a decimal without leading zeros. */
export const ARRAY_INDEX_SEGMENT = /^(?:0|[1-9][0-9]*)$/;

/** What is wrong with a path, or undefined. */
export function pathProblem(path: string): string | undefined {
  if (path === '') return 'a path must not be empty';
  if (path.length > MAX_PATH_LENGTH) return `path is ${path.length} characters long; at most ${MAX_PATH_LENGTH}`;
  const segments = path.split('.');
  if (segments.some((segment) => segment === '')) return `path "${path}" has an empty segment (two dots, or a dot at an end)`;
  if (!ROOT_SET.has(segments[0] ?? '')) return `path "${path}" must start with one of ${FILTER_PATH_ROOTS.join(', ')}`;
  return undefined;
}

/** UTF-8 length of a string, without Buffer or TextEncoder (the module may load in a workflow sandbox). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether a key or string anywhere in the value holds half a surrogate pair: not Unicode, and Postgres's jsonb refuses it. */
function hasLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') return LONE_SURROGATE.test(value);
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some(hasLoneSurrogate);
  return Object.entries(value).some(([key, item]) => LONE_SURROGATE.test(key) || hasLoneSurrogate(item));
}

const typeName = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;

/** What is wrong with a literal (it must be JSON, nested at most MAX_LITERAL_DEPTH deep), or undefined. */
function literalProblem(value: unknown, depth = 0): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${value} is not a JSON number`;
  if (typeof value !== 'object') return `${typeof value} is not a JSON value`;
  if (depth >= MAX_LITERAL_DEPTH) return `a literal nests at most ${MAX_LITERAL_DEPTH} arrays or objects deep`;
  const proto: unknown = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return 'is not a JSON value (not a plain object)';
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    const problem = literalProblem(item, depth + 1);
    if (problem) return problem;
  }
  return undefined;
}

const FIELD_OPERATOR_LIST = FIELD_OPERATORS.join(', ');

/** What is wrong with one operator's operand, reported at `at` (the operator's own path). */
function operandProblems(operator: FieldOperator, operand: unknown, at: (string | number)[]): FilterProblem[] {
  const one = (message: string, path = at): FilterProblem[] => [{ path, message }];
  switch (operator) {
    case '$eq':
    case '$neq': {
      const problem = literalProblem(operand);
      return problem ? one(problem) : [];
    }
    case '$in':
    case '$nin': {
      if (!Array.isArray(operand) || operand.length === 0 || operand.length > MAX_IN_VALUES) {
        return one(`${operator} takes a non-empty array of at most ${MAX_IN_VALUES} values; got ${Array.isArray(operand) ? `${operand.length} values` : typeName(operand)}`);
      }
      return operand.flatMap((item: unknown, i) => {
        const problem = literalProblem(item);
        return problem ? one(problem, [...at, i]) : [];
      });
    }
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return (typeof operand === 'number' && Number.isFinite(operand)) || typeof operand === 'string'
        ? []
        : one(`${operator} takes a number or a string; got ${typeName(operand)}`);
    case '$exists':
      return typeof operand === 'boolean' ? [] : one(`$exists takes true or false; got ${typeName(operand)}`);
    case '$startsWith':
      return typeof operand === 'string' ? [] : one(`$startsWith takes a string; got ${typeName(operand)}`);
  }
}

/**
 * Every problem of a value as a filter, in document order; none for a valid filter. Checks the
 * size first (an oversized filter gets that one problem), then walks it.
 */
export function findFilterProblems(value: unknown): FilterProblem[] {
  if (!isJsonObject(value)) {
    return [{ path: [], message: `a filter is an object of conditions, such as {"eventType": "OUTBOUND_CALL_ERROR"}; got ${typeName(value)}` }];
  }
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    return [{ path: [], message: `a filter must be JSON (${error instanceof Error ? error.message : String(error)})` }];
  }
  if (hasLoneSurrogate(value)) return [{ path: [], message: 'a filter\'s keys and strings must be well-formed Unicode (no lone surrogate such as \\ud800)' }];
  const bytes = utf8Length(json);
  if (bytes > MAX_FILTER_BYTES) return [{ path: [], message: `a filter is at most ${MAX_FILTER_BYTES} bytes as JSON; this one is ${bytes}` }];

  const problems: FilterProblem[] = [];
  let nodes = 0;
  const walk = (filter: { readonly [key: string]: unknown }, at: (string | number)[], depth: number): void => {
    if (depth > MAX_FILTER_DEPTH) {
      problems.push({ path: at, message: `filters nest at most ${MAX_FILTER_DEPTH} deep` });
      return;
    }
    nodes += 1;
    for (const [key, entry] of Object.entries(filter)) {
      const here = [...at, key];
      if (key === '$and' || key === '$or') {
        if (!Array.isArray(entry) || entry.length === 0) {
          problems.push({ path: here, message: `${key} takes a non-empty array of filters; got ${Array.isArray(entry) ? 'an empty array' : typeName(entry)}` });
          continue;
        }
        entry.forEach((item: unknown, i) => {
          if (isJsonObject(item)) walk(item, [...here, i], depth + 1);
          else problems.push({ path: [...here, i], message: `${key} takes filters (objects); got ${typeName(item)}` });
        });
      } else if (key === '$not') {
        if (isJsonObject(entry)) walk(entry, here, depth + 1);
        else problems.push({ path: here, message: `$not takes a filter (an object); got ${typeName(entry)}` });
      } else if (key.startsWith('$')) {
        problems.push({
          path: here,
          message: isFieldOperator(key)
            ? `${key} applies to a path's value: write {"<path>": {"${key}": ...}}`
            : `unknown operator "${key}"; a filter's keys are paths or one of ${LOGICAL_OPERATORS.join(', ')}`,
        });
      } else {
        const problem = pathProblem(key);
        if (problem) {
          problems.push({ path: here, message: problem });
          continue;
        }
        conditionProblems(key, entry, here);
      }
    }
  };
  const conditionProblems = (path: string, condition: unknown, here: (string | number)[]): void => {
    const kind = classifyCondition(condition);
    if (kind === 'literal') {
      nodes += 1;
      const problem = literalProblem(condition);
      if (problem) problems.push({ path: here, message: problem });
      return;
    }
    if (kind === 'mixed' || !isJsonObject(condition)) {
      problems.push({ path: here, message: `mixes operators and plain keys; to compare with an object, write {"$eq": {...}}` });
      return;
    }
    for (const [operator, operand] of Object.entries(condition)) {
      nodes += 1;
      if (isFieldOperator(operator)) problems.push(...operandProblems(operator, operand, [...here, operator]));
      else if (isLogicalOperator(operator)) {
        problems.push({ path: [...here, operator], message: `${operator} applies to filters, not to a path's value: write {"${operator}": ...} around {"${path}": ...}` });
      } else problems.push({ path: [...here, operator], message: `unknown operator "${operator}"; use one of ${FIELD_OPERATOR_LIST}` });
    }
  };
  walk(value, [], 1);
  if (nodes > MAX_FILTER_NODES) {
    problems.unshift({ path: [], message: `a filter has at most ${MAX_FILTER_NODES} nodes (filter objects and conditions); this one has ${nodes}` });
  }
  return problems;
}

/** Whether a value is a filter `endpointFilterSchema` accepts. */
export function isEndpointFilter(value: unknown): value is EndpointFilter {
  return findFilterProblems(value).length === 0;
}

const DESCRIPTION =
  'A content filter (MongoDB style): an object whose entries must all hold. An entry is "<path>": <literal> (equality), ' +
  '"<path>": {"<operator>": <operand>, ...} with operators $eq, $neq, $in, $nin, $gt, $gte, $lt, $lte, $exists, $startsWith, ' +
  'or "$and": [filters], "$or": [filters], "$not": filter. A path is dotted, from one of id, eventType, occurredAt, callId, ' +
  'clientId, body (e.g. body.data.callStatus, body.errors.0.code). Example: {"body.data.callStatus": {"$in": ["FAILED", "NO_ANSWER"]}}. ' +
  `At most ${MAX_FILTER_DEPTH} deep, ${MAX_FILTER_NODES} nodes, ${MAX_FILTER_BYTES} bytes.`;

/**
 * A filter: any value, checked by {@link findFilterProblems} (one issue per problem, at its
 * path). Built on `z.unknown()` rather than `z.record()` so that the filter is checked as sent
 * (a record would drop a `__proto__` key unseen) and returned as is. Its JSON Schema is
 * `{ type: "object", description }`: the language is explained, not spelled out.
 */
export const endpointFilterSchema = z
  .unknown()
  .superRefine((value, ctx) => {
    for (const { path, message } of findFilterProblems(value)) ctx.addIssue({ code: 'custom', path, message, input: value, continue: false });
  })
  // Narrows the type; it adds no issue of its own, as it runs only when the check above found none.
  .refine(isEndpointFilter)
  .meta({ type: 'object', description: DESCRIPTION });
