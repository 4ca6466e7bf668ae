/**
 * Content filters of endpoints: the language (src/schemas/endpoint-filter.ts) and its evaluation
 * (src/filters/evaluate-filter.ts). Examples for each operator, missing paths, null, arrays and
 * type mismatches; the schema's refusals, each named by its issue path; then property tests
 * against a reference model written here, deliberately naively and otherwise (a normalised tree,
 * paths looked up with reduce, equality by canonical JSON), on random filters and events over a
 * small vocabulary.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import { explainFilterMatch, filterableEvent, matchesFilter, type FilterableEvent } from '../src/filters/evaluate-filter';
import type { CallEvent } from '../src/schemas/call-event';
import {
  endpointFilterSchema,
  MAX_FILTER_BYTES,
  MAX_FILTER_DEPTH,
  MAX_FILTER_NODES,
  type EndpointFilter,
  type FilterEntryValue,
  type JsonValue,
} from '../src/schemas/endpoint-filter';

const callEvent = (data: Record<string, unknown> = {}, errors: CallEvent['body']['errors'] = []): CallEvent => ({
  id: 'evt_1',
  eventType: 'OUTBOUND_CALL_ERROR',
  occurredAt: '2026-12-06T10:00:00.000Z',
  body: { data: { callId: 'call_1', clientId: 'client_1', ...data }, errors },
  targetEndpointId: 'ep_internal',
});

/** An event with a bit of everything: a status, a number, null, an array, an object, errors. */
const EVENT = filterableEvent(
  callEvent(
    { callStatus: 'FAILED', attempts: 3, flag: null, tags: ['vip', 'retry'], meta: { a: 1, b: [1, 2] }, dottedKey: { 'x.y': 1 }, gone: undefined },
    [{ code: 'SIP_486', message: 'busy here', phase: 'dial' }],
  ),
);
const on = (filter: EndpointFilter, event: FilterableEvent = EVENT) => matchesFilter(filter, event);

describe('the event a filter sees', () => {
  test('id, eventType, occurredAt, callId and clientId (from body.data), body.data and body.errors; not targetEndpointId', () => {
    assert.deepEqual(Object.keys(EVENT).sort(), ['body', 'callId', 'clientId', 'eventType', 'id', 'occurredAt']);
    assert.equal(EVENT.callId, 'call_1');
    assert.equal(EVENT.clientId, 'client_1');
    assert.equal(on({ callId: 'call_1', clientId: 'client_1', id: 'evt_1', occurredAt: '2026-12-06T10:00:00.000Z' }), true);
    assert.equal(on({ 'body.data.callId': 'call_1', 'body.errors.0.code': 'SIP_486' }), true);
  });
});

describe('the issue\'s example: {"body.data.callStatus": {"$in": ["FAILED", "NO_ANSWER"]}}', () => {
  const filter: EndpointFilter = { 'body.data.callStatus': { $in: ['FAILED', 'NO_ANSWER'] } };
  const withStatus = (callStatus?: string) => filterableEvent(callEvent(callStatus === undefined ? {} : { callStatus }));

  test('the schema accepts it, as it is', () => {
    const parsed = endpointFilterSchema.safeParse(filter);
    assert.equal(parsed.success, true);
    assert.equal(parsed.data, filter);
  });
  test('FAILED and NO_ANSWER match; COMPLETED and no status do not', () => {
    assert.equal(on(filter, withStatus('FAILED')), true);
    assert.equal(on(filter, withStatus('NO_ANSWER')), true);
    assert.equal(on(filter, withStatus('COMPLETED')), false);
    assert.equal(on(filter, withStatus()), false);
  });
  test('explained', () => {
    assert.deepEqual(explainFilterMatch(filter, withStatus('COMPLETED')), {
      matched: false,
      reasons: ['body.data.callStatus is "COMPLETED", not in ["FAILED","NO_ANSWER"]'],
    });
    assert.deepEqual(explainFilterMatch(filter, withStatus('FAILED')), { matched: true, reasons: ['body.data.callStatus is "FAILED", in ["FAILED","NO_ANSWER"]'] });
    assert.deepEqual(explainFilterMatch(filter, withStatus()), { matched: false, reasons: ['body.data.callStatus is missing, not in ["FAILED","NO_ANSWER"]'] });
  });
});

describe('paths', () => {
  test('a numeric segment indexes an array; past the end, or not written canonically, is missing', () => {
    assert.equal(on({ 'body.errors.0.code': 'SIP_486' }), true);
    assert.equal(on({ 'body.data.tags.1': 'retry' }), true);
    assert.equal(on({ 'body.errors.1.code': { $exists: true } }), false);
    assert.equal(on({ 'body.errors.00.code': { $exists: true } }), false);
    assert.equal(on({ 'body.errors.-1.code': { $exists: true } }), false);
    assert.equal(on({ 'body.data.tags.2': { $exists: false } }), true);
  });
  test('no implicit walk over arrays, no array or prototype properties, no stepping into a string', () => {
    assert.equal(on({ 'body.errors.code': { $exists: true } }), false);
    assert.equal(on({ 'body.errors.length': { $exists: true } }), false);
    assert.equal(on({ 'body.data.constructor': { $exists: true } }), false);
    assert.equal(on({ 'body.data.toString': { $exists: true } }), false);
    assert.equal(on({ 'eventType.length': { $exists: true } }), false);
    assert.equal(on({ 'body.data.callStatus.0': { $exists: true } }), false);
    assert.equal(on({ 'body.data.flag.x': { $exists: true } }), false);
  });
  test('a key containing a dot cannot be reached; a key whose value is undefined is missing', () => {
    assert.equal(on({ 'body.data.dottedKey.x.y': { $exists: true } }), false);
    assert.equal(on({ 'body.data.gone': { $exists: true } }), false);
    assert.equal(on({ 'body.data.gone': null }), true);
    const data = { callId: 'call_1', clientId: 'client_1', callStatus: 'FAILED', attempts: 3, flag: null, tags: ['vip', 'retry'], meta: { a: 1, b: [1, 2] }, dottedKey: { 'x.y': 1 } };
    assert.equal(on({ 'body.data': data }), true, 'compared as its JSON, without gone');
    assert.equal(on({ 'body.data': { ...data, gone: null } }), false);
  });
  test('a path may end at an object or an array, compared whole', () => {
    assert.equal(on({ 'body.data.meta': { b: [1, 2], a: 1 } }), true);
    assert.equal(on({ 'body.errors': [{ code: 'SIP_486', message: 'busy here', phase: 'dial' }] }), true);
  });
});

describe('$eq and $neq', () => {
  test('shorthand and $eq: strings, numbers, booleans by value and type', () => {
    assert.equal(on({ eventType: 'OUTBOUND_CALL_ERROR' }), true);
    assert.equal(on({ eventType: { $eq: 'OUTBOUND_CALL_ERROR' } }), true);
    assert.equal(on({ eventType: 'OUTBOUND_CALL_ERRO' }), false);
    assert.equal(on({ 'body.data.attempts': 3 }), true);
    assert.equal(on({ 'body.data.attempts': 3.0 }), true);
    assert.equal(on({ 'body.data.attempts': '3' }), false);
    assert.equal(on({ 'body.data.attempts': true }), false);
  });
  test('deep equality: arrays in order, objects in any key order, never an array for an object', () => {
    assert.equal(on({ 'body.data.tags': ['vip', 'retry'] }), true);
    assert.equal(on({ 'body.data.tags': ['retry', 'vip'] }), false);
    assert.equal(on({ 'body.data.tags': ['vip'] }), false);
    assert.equal(on({ 'body.data.tags': 'vip' }), false, 'no MongoDB-style element match');
    assert.equal(on({ 'body.data.meta': { $eq: { b: [1, 2], a: 1 } } }), true);
    assert.equal(on({ 'body.data.meta': { $eq: { a: 1 } } }), false);
    assert.equal(on({ 'body.data.meta': { a: 1, b: [1, 2], c: null } }), false);
    assert.equal(on({ 'body.data.meta.b': { 0: 1, 1: 2 } }), false);
    assert.equal(on({ 'body.data.meta': {} }), false);
  });
  test('null matches null and missing (as MongoDB); other values never match missing', () => {
    assert.equal(on({ 'body.data.flag': null }), true);
    assert.equal(on({ 'body.data.nothing': null }), true);
    assert.equal(on({ 'body.data.nothing': { $eq: null } }), true);
    assert.equal(on({ 'body.data.attempts': null }), false);
    assert.equal(on({ 'body.data.nothing': 'x' }), false);
    assert.equal(on({ 'body.data.nothing': { $eq: false } }), false);
    assert.equal(on({ 'body.data.nothing': { $eq: [] } }), false);
  });
  test('$neq is not $eq: true when missing, except $neq null', () => {
    assert.equal(on({ eventType: { $neq: 'OTHER' } }), true);
    assert.equal(on({ eventType: { $neq: 'OUTBOUND_CALL_ERROR' } }), false);
    assert.equal(on({ 'body.data.nothing': { $neq: 'x' } }), true);
    assert.equal(on({ 'body.data.nothing': { $neq: null } }), false);
    assert.equal(on({ 'body.data.flag': { $neq: null } }), false);
    assert.equal(on({ 'body.data.attempts': { $neq: null } }), true);
    assert.equal(on({ 'body.data.attempts': { $neq: '3' } }), true);
    assert.equal(on({ 'body.data.tags': { $neq: ['vip', 'retry'] } }), false);
  });
});

describe('$in and $nin', () => {
  test('membership by deep equality', () => {
    assert.equal(on({ 'body.data.callStatus': { $in: ['NO_ANSWER', 'FAILED'] } }), true);
    assert.equal(on({ 'body.data.attempts': { $in: ['3', 4] } }), false);
    assert.equal(on({ 'body.data.meta': { $in: [1, { b: [1, 2], a: 1 }] } }), true);
    assert.equal(on({ 'body.data.tags': { $in: ['vip', 'retry'] } }), false, 'the array is compared whole, not its elements');
    assert.equal(on({ 'body.data.tags': { $in: [['vip', 'retry']] } }), true);
  });
  test('missing: $in false and $nin true, unless null is listed', () => {
    assert.equal(on({ 'body.data.nothing': { $in: ['FAILED'] } }), false);
    assert.equal(on({ 'body.data.nothing': { $nin: ['FAILED'] } }), true);
    assert.equal(on({ 'body.data.nothing': { $in: ['FAILED', null] } }), true);
    assert.equal(on({ 'body.data.nothing': { $nin: ['FAILED', null] } }), false);
    assert.equal(on({ 'body.data.flag': { $in: [null] } }), true);
  });
  test('$nin', () => {
    assert.equal(on({ 'body.data.callStatus': { $nin: ['COMPLETED', 'BUSY'] } }), true);
    assert.equal(on({ 'body.data.callStatus': { $nin: ['FAILED'] } }), false);
    assert.equal(on({ 'body.data.attempts': { $nin: ['3'] } }), true);
  });
});

describe('$gt, $gte, $lt, $lte', () => {
  test('numbers', () => {
    assert.equal(on({ 'body.data.attempts': { $gt: 2 } }), true);
    assert.equal(on({ 'body.data.attempts': { $gt: 3 } }), false);
    assert.equal(on({ 'body.data.attempts': { $gte: 3 } }), true);
    assert.equal(on({ 'body.data.attempts': { $lt: 3 } }), false);
    assert.equal(on({ 'body.data.attempts': { $lte: 3 } }), true);
    assert.equal(on({ 'body.data.attempts': { $lt: 3.5, $gt: -1 } }), true, 'several operators on one path: all of them');
    assert.equal(on({ 'body.data.attempts': { $gt: 0, $lt: 3 } }), false);
  });
  test('strings by code units: ISO instants in UTC compare as times', () => {
    assert.equal(on({ occurredAt: { $gte: '2026-12-06T00:00:00.000Z', $lt: '2026-12-07T00:00:00.000Z' } }), true);
    assert.equal(on({ occurredAt: { $gt: '2026-12-06T10:00:00.001Z' } }), false);
    assert.equal(on({ eventType: { $gt: 'OUTBOUND' } }), true);
    assert.equal(on({ eventType: { $lt: 'a' } }), true, 'upper case sorts before lower case');
  });
  test('another type, null or missing: false either way', () => {
    assert.equal(on({ 'body.data.attempts': { $gt: '1' } }), false);
    assert.equal(on({ 'body.data.attempts': { $lt: '9' } }), false);
    assert.equal(on({ eventType: { $gt: 0 } }), false);
    assert.equal(on({ eventType: { $lt: 0 } }), false);
    assert.equal(on({ 'body.data.flag': { $gte: 0 } }), false);
    assert.equal(on({ 'body.data.flag': { $lte: 0 } }), false);
    assert.equal(on({ 'body.data.tags': { $gt: 'a' } }), false);
    assert.equal(on({ 'body.data.nothing': { $gt: 0 } }), false);
    assert.equal(on({ 'body.data.nothing': { $lte: 'z' } }), false);
  });
});

describe('$exists and $startsWith', () => {
  test('$exists: present, null included; missing', () => {
    assert.equal(on({ 'body.data.callStatus': { $exists: true } }), true);
    assert.equal(on({ 'body.data.flag': { $exists: true } }), true);
    assert.equal(on({ 'body.data.flag': { $exists: false } }), false);
    assert.equal(on({ 'body.data.nothing': { $exists: false } }), true);
    assert.equal(on({ 'body.data.nothing': { $exists: true } }), false);
  });
  test('$startsWith: strings only', () => {
    assert.equal(on({ eventType: { $startsWith: 'OUTBOUND_' } }), true);
    assert.equal(on({ eventType: { $startsWith: 'INBOUND_' } }), false);
    assert.equal(on({ eventType: { $startsWith: '' } }), true);
    assert.equal(on({ 'body.data.attempts': { $startsWith: '3' } }), false);
    assert.equal(on({ 'body.data.tags': { $startsWith: 'vip' } }), false);
    assert.equal(on({ 'body.data.flag': { $startsWith: '' } }), false);
    assert.equal(on({ 'body.data.nothing': { $startsWith: '' } }), false);
  });
});

describe('$and, $or, $not', () => {
  test('a filter is the AND of its entries; {} matches every event', () => {
    assert.equal(on({}), true);
    assert.equal(on({ eventType: 'OUTBOUND_CALL_ERROR', 'body.data.callStatus': 'FAILED' }), true);
    assert.equal(on({ eventType: 'OUTBOUND_CALL_ERROR', 'body.data.callStatus': 'COMPLETED' }), false);
  });
  test('$and, $or, $not, nested', () => {
    assert.equal(on({ $and: [{ eventType: 'OUTBOUND_CALL_ERROR' }, { 'body.data.attempts': { $gte: 3 } }] }), true);
    assert.equal(on({ $and: [{ eventType: 'OUTBOUND_CALL_ERROR' }, { 'body.data.attempts': { $gt: 3 } }] }), false);
    assert.equal(on({ $or: [{ eventType: 'X_Y_Z' }, { 'body.data.attempts': 3 }] }), true);
    assert.equal(on({ $or: [{ eventType: 'X_Y_Z' }, { 'body.data.attempts': 4 }] }), false);
    assert.equal(on({ $not: { eventType: 'X_Y_Z' } }), true);
    assert.equal(on({ $not: { eventType: 'OUTBOUND_CALL_ERROR' } }), false);
    assert.equal(on({ $not: {} }), false);
    const nested: EndpointFilter = {
      eventType: { $startsWith: 'OUTBOUND_' },
      $or: [{ 'body.data.callStatus': { $in: ['BUSY', 'NO_ANSWER'] } }, { $and: [{ 'body.errors.0.code': { $startsWith: 'SIP_4' } }, { $not: { 'body.data.flag': { $neq: null } } }] }],
      $not: { 'body.data.tags.0': 'blocked' },
    };
    assert.equal(on(nested), true);
    assert.equal(on({ ...nested, $not: { 'body.data.tags.0': 'vip' } }), false);
  });
  test('explained: the facts that decide, "$not: " before those under a $not', () => {
    assert.deepEqual(explainFilterMatch({ $or: [{ eventType: 'X_Y_Z' }, { 'body.data.attempts': { $gt: 5 } }] }, EVENT), {
      matched: false,
      reasons: ['eventType is "OUTBOUND_CALL_ERROR", not "X_Y_Z"', 'body.data.attempts is 3, not > 5'],
    });
    assert.deepEqual(explainFilterMatch({ $not: { eventType: 'OUTBOUND_CALL_ERROR' }, callId: 'call_1' }, EVENT), {
      matched: false,
      reasons: ['$not: eventType is "OUTBOUND_CALL_ERROR"'],
    });
    assert.deepEqual(explainFilterMatch({ 'body.data.attempts': { $gte: '1' }, 'body.data.nothing': { $exists: true }, eventType: { $startsWith: 'IN' } }, EVENT), {
      matched: false,
      reasons: [
        'body.data.attempts is 3, a number, not comparable with a string "1"',
        'body.data.nothing is missing',
        'eventType is "OUTBOUND_CALL_ERROR", does not start with "IN"',
      ],
    });
    assert.deepEqual(explainFilterMatch({ 'body.data.nothing': null, 'body.data.flag': { $exists: true } }, EVENT), {
      matched: true,
      reasons: ['body.data.nothing is missing, which null matches', 'body.data.flag exists'],
    });
    assert.deepEqual(explainFilterMatch({}, EVENT), { matched: true, reasons: ['an empty filter matches every event'] });
  });
  test('a filter the schema would refuse throws rather than guessing', () => {
    assert.throws(() => on({ 'body.data.callStatus': { $inn: ['FAILED'] } }), TypeError);
    assert.throws(() => on({ $or: [] }), TypeError);
    assert.throws(() => on({ $nor: [{}] }), TypeError);
    assert.throws(() => explainFilterMatch({ callId: { $eq: 1, x: 2 } }, EVENT), TypeError);
  });
});

/** The issues of a refused filter, as [path, message] pairs. */
function refusal(filter: unknown): [(string | number)[], string][] {
  const result = endpointFilterSchema.safeParse(filter);
  assert.equal(result.success, false, `expected ${JSON.stringify(filter)} to be refused`);
  return result.error.issues.map((issue) => [issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment)), issue.message]);
}
const nestedNot = (levels: number): EndpointFilter => (levels === 0 ? { eventType: 'A_B_C' } : { $not: nestedNot(levels - 1) });

describe('the schema refuses, naming the operator or path', () => {
  test('an unknown operator', () => {
    assert.deepEqual(refusal({ 'body.data.callStatus': { $inn: ['FAILED'] } }), [
      [['body.data.callStatus', '$inn'], 'unknown operator "$inn"; use one of $eq, $neq, $in, $nin, $gt, $gte, $lt, $lte, $exists, $startsWith'],
    ]);
    assert.deepEqual(refusal({ $nor: [{ eventType: 'A_B_C' }] }), [[['$nor'], 'unknown operator "$nor"; a filter\'s keys are paths or one of $and, $or, $not']]);
    assert.deepEqual(refusal({ $eq: 'A_B_C' }), [[['$eq'], '$eq applies to a path\'s value: write {"<path>": {"$eq": ...}}']]);
    assert.deepEqual(refusal({ eventType: { $not: { $eq: 'A_B_C' } } }), [
      [['eventType', '$not'], '$not applies to filters, not to a path\'s value: write {"$not": ...} around {"eventType": ...}'],
    ]);
    assert.deepEqual(refusal({ 'body.data': { $eq: {}, callId: 'x' } }), [[['body.data'], 'mixes operators and plain keys; to compare with an object, write {"$eq": {...}}']]);
  });
  test('operands of the wrong kind', () => {
    assert.deepEqual(refusal({ 'body.data.callStatus': { $in: 'FAILED' } }), [[['body.data.callStatus', '$in'], '$in takes a non-empty array of at most 100 values; got a string']]);
    assert.deepEqual(refusal({ 'body.data.callStatus': { $nin: [] } }), [[['body.data.callStatus', '$nin'], '$nin takes a non-empty array of at most 100 values; got 0 values']]);
    assert.deepEqual(refusal({ callId: { $in: Array.from({ length: 101 }, (_, i) => `c${i}`) } }), [[['callId', '$in'], '$in takes a non-empty array of at most 100 values; got 101 values']]);
    assert.equal(endpointFilterSchema.safeParse({ callId: { $in: Array.from({ length: 100 }, (_, i) => `c${i}`) } }).success, true);
    assert.deepEqual(refusal({ callId: { $in: ['a', undefined] } }), [[['callId', '$in', 1], 'undefined is not a JSON value']]);
    assert.deepEqual(refusal({ 'body.data.attempts': { $gt: true } }), [[['body.data.attempts', '$gt'], '$gt takes a number or a string; got a boolean']]);
    assert.deepEqual(refusal({ 'body.data.attempts': { $lte: null } }), [[['body.data.attempts', '$lte'], '$lte takes a number or a string; got null']]);
    assert.deepEqual(refusal({ 'body.data.attempts': { $gte: Number.NaN } }), [[['body.data.attempts', '$gte'], '$gte takes a number or a string; got a number']]);
    assert.deepEqual(refusal({ callId: { $exists: 'yes' } }), [[['callId', '$exists'], '$exists takes true or false; got a string']]);
    assert.deepEqual(refusal({ callId: { $startsWith: 3 } }), [[['callId', '$startsWith'], '$startsWith takes a string; got a number']]);
    assert.deepEqual(refusal({ callId: { $eq: Number.POSITIVE_INFINITY } }), [[['callId', '$eq'], 'Infinity is not a JSON number']]);
    assert.deepEqual(refusal({ callId: new Date(0) }), [[['callId'], 'is not a JSON value (not a plain object)']]);
  });
  test('empty or malformed $and, $or, $not', () => {
    assert.deepEqual(refusal({ $or: [] }), [[['$or'], '$or takes a non-empty array of filters; got an empty array']]);
    assert.deepEqual(refusal({ $and: { eventType: 'A_B_C' } }), [[['$and'], '$and takes a non-empty array of filters; got an object']]);
    assert.deepEqual(refusal({ $and: [{ eventType: 'A_B_C' }, 'callId'] }), [[['$and', 1], '$and takes filters (objects); got a string']]);
    assert.deepEqual(refusal({ $not: [{ eventType: 'A_B_C' }] }), [[['$not'], '$not takes a filter (an object); got an array']]);
    assert.deepEqual(refusal({ $or: [{ $not: { callId: { $in: 'x' } } }] }), [[['$or', 0, '$not', 'callId', '$in'], '$in takes a non-empty array of at most 100 values; got a string']]);
  });
  test('bad paths', () => {
    const roots = 'id, eventType, occurredAt, callId, clientId, body';
    assert.deepEqual(refusal({ 'data.callStatus': 'FAILED' }), [[['data.callStatus'], `path "data.callStatus" must start with one of ${roots}`]]);
    assert.deepEqual(refusal({ $or: [{ 'foo.bar': 1 }] }), [[['$or', 0, 'foo.bar'], `path "foo.bar" must start with one of ${roots}`]]);
    assert.deepEqual(refusal({ targetEndpointId: 'ep_1' }), [[['targetEndpointId'], `path "targetEndpointId" must start with one of ${roots}`]]);
    assert.deepEqual(refusal(JSON.parse('{"__proto__": {"eventType": "A_B_C"}}')), [[['__proto__'], `path "__proto__" must start with one of ${roots}`]]);
    assert.deepEqual(refusal({ 'body..data': 1 }), [[['body..data'], 'path "body..data" has an empty segment (two dots, or a dot at an end)']]);
    assert.deepEqual(refusal({ 'body.': 1 }), [[['body.'], 'path "body." has an empty segment (two dots, or a dot at an end)']]);
    assert.deepEqual(refusal({ '': 1 }), [[[''], 'a path must not be empty']]);
    const long = `body.${'x'.repeat(252)}`;
    assert.deepEqual(refusal({ [long]: 1 }), [[[long], 'path is 257 characters long; at most 256']]);
    assert.equal(endpointFilterSchema.safeParse({ [long.slice(0, -1)]: 1 }).success, true);
  });
  test('every problem at once, in order', () => {
    assert.deepEqual(
      refusal({ foo: 1, eventType: { $inn: 1, $in: [] }, $or: [] }).map(([path]) => path),
      [['foo'], ['eventType', '$inn'], ['eventType', '$in'], ['$or']],
    );
  });
  test(`too deep: filters nest at most ${MAX_FILTER_DEPTH} deep`, () => {
    assert.equal(endpointFilterSchema.safeParse(nestedNot(MAX_FILTER_DEPTH - 1)).success, true);
    assert.deepEqual(refusal(nestedNot(MAX_FILTER_DEPTH)), [[Array(MAX_FILTER_DEPTH).fill('$not'), 'filters nest at most 10 deep']]);
    let literal: JsonValue = 1;
    for (let i = 0; i < 11; i++) literal = [literal];
    assert.deepEqual(refusal({ 'body.data': { $eq: literal } }), [[['body.data', '$eq'], 'a literal nests at most 10 arrays or objects deep']]);
  });
  test(`too big: at most ${MAX_FILTER_NODES} nodes, ${MAX_FILTER_BYTES} bytes`, () => {
    // 1 (the top) + 99 filters of one condition (2 nodes each) + one condition = 200 nodes.
    const filters = (n: number) => Array.from({ length: n }, (_, i): EndpointFilter => ({ callId: `c${i}` }));
    assert.equal(endpointFilterSchema.safeParse({ $or: filters(99), eventType: 'A_B_C' }).success, true);
    assert.deepEqual(refusal({ $or: filters(99), eventType: { $eq: 'A_B_C', $exists: true } }), [
      [[], 'a filter has at most 200 nodes (filter objects and conditions); this one has 201'],
    ]);
    // {"callId":"…"} is 13 bytes besides the string.
    assert.deepEqual(refusal({ callId: 'x'.repeat(MAX_FILTER_BYTES) }), [[[], 'a filter is at most 8192 bytes as JSON; this one is 8205']]);
    assert.equal(endpointFilterSchema.safeParse({ callId: 'x'.repeat(MAX_FILTER_BYTES - 13) }).success, true);
    // Bytes of UTF-8, not characters: é is two.
    assert.deepEqual(refusal({ callId: 'é'.repeat(4090) }), [[[], 'a filter is at most 8192 bytes as JSON; this one is 8193']]);
  });
  test('not an object', () => {
    for (const value of [null, [], 'eventType', 3, undefined]) {
      const [[path, message]] = refusal(value) as [[(string | number)[], string]];
      assert.deepEqual(path, []);
      assert.match(message, /^a filter is an object of conditions/);
    }
  });
});

describe('the schema inside an endpoint\'s schema', () => {
  const endpoint = z.object({ url: z.string(), filter: endpointFilterSchema.describe('only matching events').nullable().optional() }).strict();
  test('issues appear under filter.<...>', () => {
    const result = endpoint.safeParse({ url: 'u', filter: { 'body.data.callStatus': { $inn: ['FAILED'] }, $or: [{ 'x.y': 1 }] } });
    assert.equal(result.success, false);
    assert.deepEqual(
      result.error.issues.map((issue) => issue.path),
      [
        ['filter', 'body.data.callStatus', '$inn'],
        ['filter', '$or', 0, 'x.y'],
      ],
    );
  });
  test('null and absent are accepted (no filter); a filter is kept as sent', () => {
    assert.equal(endpoint.parse({ url: 'u', filter: null }).filter, null);
    assert.equal(endpoint.parse({ url: 'u' }).filter, undefined);
    const filter = { eventType: { $in: ['A_B_C'] } };
    assert.equal(endpoint.parse({ url: 'u', filter }).filter, filter);
  });
  test('its JSON Schema is an object with a description', () => {
    const input = z.toJSONSchema(z.object({ filter: endpointFilterSchema }), { io: 'input' });
    assert.deepEqual(input.properties?.filter, { type: 'object', description: endpointFilterSchema.meta()?.description });
    assert.deepEqual(input.required, ['filter']);
    const openapi = z.toJSONSchema(endpoint, { target: 'openapi-3.0', io: 'output' });
    assert.deepEqual(openapi.properties?.filter, { type: 'object', nullable: true, description: 'only matching events' });
  });
});

// ---------------------------------------------------------------------------------------------
// The reference model: the filter normalised into a tree, evaluated with plain recursion.

type Model =
  | { kind: 'all'; of: Model[] }
  | { kind: 'any'; of: Model[] }
  | { kind: 'none'; of: Model }
  | { kind: 'test'; path: string; op: string; operand: unknown };

const ABSENT = Symbol('absent');

function normalise(filter: object): Model {
  const parts: Model[] = [];
  for (const [key, value] of Object.entries(filter) as [string, unknown][]) {
    if (key === '$and') parts.push({ kind: 'all', of: (value as object[]).map(normalise) });
    else if (key === '$or') parts.push({ kind: 'any', of: (value as object[]).map(normalise) });
    else if (key === '$not') parts.push({ kind: 'none', of: normalise(value as object) });
    else {
      const isOperators = value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0 && Object.keys(value).every((k) => k[0] === '$');
      if (isOperators) for (const [op, operand] of Object.entries(value)) parts.push({ kind: 'test', path: key, op, operand });
      else parts.push({ kind: 'test', path: key, op: '$eq', operand: value });
    }
  }
  return { kind: 'all', of: parts };
}

function get(event: unknown, path: string): unknown {
  const found = path.split('.').reduce<unknown>((here, segment) => {
    if (here === ABSENT || here === null || typeof here !== 'object') return ABSENT;
    if (Array.isArray(here)) return /^\d+$/.test(segment) && String(Number(segment)) === segment && Number(segment) < here.length ? here[Number(segment)] : ABSENT;
    return Object.prototype.hasOwnProperty.call(here, segment) ? (here as Record<string, unknown>)[segment] : ABSENT;
  }, event);
  return found === undefined ? ABSENT : found;
}

/** JSON with object keys sorted, undefined-valued keys dropped: equal values, equal text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const sameAs = (value: unknown, literal: unknown) => (value === ABSENT ? literal === null : canonical(value) === canonical(literal));
const ORDER: Record<string, (a: number | string, b: number | string) => boolean> = {
  $gt: (a, b) => a > b,
  $gte: (a, b) => a >= b,
  $lt: (a, b) => a < b,
  $lte: (a, b) => a <= b,
};

function modelHolds(model: Model, event: unknown): boolean {
  switch (model.kind) {
    case 'all': {
      let all = true;
      for (const part of model.of) all = modelHolds(part, event) && all;
      return all;
    }
    case 'any':
      return model.of.reduce((any, part) => modelHolds(part, event) || any, false);
    case 'none':
      return !modelHolds(model.of, event);
    case 'test': {
      const value = get(event, model.path);
      const { op, operand } = model;
      if (op === '$eq') return sameAs(value, operand);
      if (op === '$neq') return !sameAs(value, operand);
      if (op === '$in') return (operand as unknown[]).some((item) => sameAs(value, item));
      if (op === '$nin') return (operand as unknown[]).every((item) => !sameAs(value, item));
      if (op === '$exists') return (value !== ABSENT) === operand;
      if (op === '$startsWith') return typeof value === 'string' && value.indexOf(operand as string) === 0;
      const order = ORDER[op];
      if (!order) throw new Error(`the model has no ${op}`);
      const comparable = (typeof value === 'number' && typeof operand === 'number') || (typeof value === 'string' && typeof operand === 'string');
      return comparable && order(value, operand);
    }
  }
}

const modelMatches = (filter: EndpointFilter, event: FilterableEvent) => modelHolds(normalise(filter), event);

/** The limits, counted the model's way. */
function modelSize(filter: object, depth = 1): { nodes: number; depth: number } {
  let nodes = 1;
  let deepest = depth;
  for (const [key, value] of Object.entries(filter) as [string, unknown][]) {
    const subs = key === '$and' || key === '$or' ? (value as object[]) : key === '$not' ? [value as object] : [];
    for (const sub of subs) {
      const size = modelSize(sub, depth + 1);
      nodes += size.nodes;
      deepest = Math.max(deepest, size.depth);
    }
    if (!key.startsWith('$')) {
      const model = normalise({ [key]: value });
      nodes += model.kind === 'all' ? model.of.length : 1;
    }
  }
  return { nodes, depth: deepest };
}
const withinLimits = (filter: EndpointFilter) => {
  const { nodes, depth } = modelSize(filter);
  return nodes <= MAX_FILTER_NODES && depth <= MAX_FILTER_DEPTH && JSON.stringify(filter).length <= MAX_FILTER_BYTES;
};

// ---------------------------------------------------------------------------------------------
// Random filters and events over one small vocabulary.

const PATHS = [
  'eventType',
  'callId',
  'occurredAt',
  'body.data.callStatus',
  'body.data.n',
  'body.data.v',
  'body.data.tags',
  'body.data.tags.0',
  'body.data.tags.1',
  'body.data.nested',
  'body.data.nested.k',
  'body.data.nothing',
  'body.data.constructor',
  'body.errors.0.code',
  'body.errors.1.code',
  'body.errors.01.code',
  'body.errors.length',
  'body.errors',
  'eventType.length',
];
const STRINGS = ['FAILED', 'NO_ANSWER', 'COMPLETED', 'F', '', 'OUTBOUND_CALL_ERROR', 'OUTBOUND_CALL_ENDED', '2026-01-01T00:00:00Z', '2026-06-01T00:00:00Z', 'call_1'];
const NUMBERS = [0, 1, 2, -1, 1.5, 10];
const primitive: fc.Arbitrary<JsonValue> = fc.oneof(fc.constantFrom(...STRINGS), fc.constantFrom(...NUMBERS), fc.constantFrom(true, false, null));
/** Objects with keys k and j in either order. */
const smallObject: fc.Arbitrary<JsonValue> = fc
  .tuple(fc.shuffledSubarray(['k', 'j']), primitive, primitive)
  .map(([keys, k, j]) => Object.fromEntries(keys.map((key) => [key, key === 'k' ? k : j])));
const literal: fc.Arbitrary<JsonValue> = fc.oneof(
  { arbitrary: primitive, weight: 6 },
  { arbitrary: fc.array(primitive, { maxLength: 2 }), weight: 1 },
  { arbitrary: smallObject, weight: 1 },
);
const operatorEntry: fc.Arbitrary<[string, JsonValue]> = fc.oneof(
  fc.tuple(fc.constantFrom('$eq', '$neq'), literal),
  fc.tuple(fc.constantFrom('$in', '$nin'), fc.array(literal, { minLength: 1, maxLength: 3 })),
  fc.tuple(fc.constantFrom('$gt', '$gte', '$lt', '$lte'), fc.oneof(fc.constantFrom(...STRINGS), fc.constantFrom(...NUMBERS))),
  fc.tuple(fc.constant('$exists'), fc.boolean()),
  fc.tuple(fc.constant('$startsWith'), fc.constantFrom('F', 'FAILED', '', 'OUTBOUND_', '2026-0', 'c')),
);
const condition: fc.Arbitrary<FilterEntryValue> = fc.oneof(
  { arbitrary: literal, weight: 1 },
  { arbitrary: fc.array(operatorEntry, { minLength: 1, maxLength: 3 }).map((entries) => Object.fromEntries(entries)), weight: 3 },
);

const { filter: filterArb } = fc.letrec<{ filter: EndpointFilter; entry: [string, FilterEntryValue] }>((tie) => ({
  filter: fc.array(tie('entry'), { minLength: 1, maxLength: 3 }).map((entries) => Object.fromEntries(entries)),
  entry: fc.oneof(
    { maxDepth: 4, depthIdentifier: 'filter' },
    { arbitrary: fc.tuple(fc.constantFrom(...PATHS), condition), weight: 4 },
    { arbitrary: fc.tuple(fc.constantFrom('$and', '$or'), fc.array(tie('filter'), { minLength: 1, maxLength: 3 })), weight: 1 },
    { arbitrary: fc.tuple(fc.constant('$not'), tie('filter')), weight: 1 },
  ),
}));

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });
const eventArb: fc.Arbitrary<FilterableEvent> = fc
  .record({
    eventType: fc.constantFrom('OUTBOUND_CALL_ERROR', 'OUTBOUND_CALL_ENDED', 'FAILED'),
    occurredAt: fc.constantFrom('2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z', '2026-06-01T00:00:00Z'),
    callId: fc.constantFrom('call_1', 'FAILED'),
    callStatus: optional(fc.constantFrom(...STRINGS)),
    n: optional(fc.oneof({ arbitrary: fc.constantFrom(...NUMBERS), weight: 3 }, { arbitrary: literal, weight: 1 })),
    v: optional(literal),
    tags: optional(fc.array(primitive, { maxLength: 3 })),
    nested: optional(fc.oneof(smallObject, literal)),
    errors: fc.array(fc.record({ code: fc.constantFrom('F', 'FAILED', 'SIP_486', ''), message: fc.constant('m') }), { maxLength: 2 }),
  })
  .map(({ eventType, occurredAt, callId, errors, ...optionalData }) => {
    // n and v, left out, are absent; the others are there with the value undefined: missing too, as in their JSON.
    const { n, v, ...rest } = optionalData;
    const data = { callId, clientId: 'client_1', ...rest, ...(n !== undefined && { n }), ...(v !== undefined && { v }) };
    return filterableEvent({ id: 'evt_1', eventType, occurredAt, body: { data, errors } });
  });

/** Several events per run: each filter is tried on all of them. */
const eventsArb = fc.array(eventArb, { minLength: 8, maxLength: 8 });
const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const RUNS = { numRuns: 500 };

describe('properties, against the reference model', () => {
  test('matchesFilter is the model', () => {
    fc.assert(
      fc.property(filterArb, eventsArb, (filter, events) => {
        for (const event of events) assert.equal(matchesFilter(filter, event), modelMatches(filter, event));
      }),
      RUNS,
    );
  });
  test('each operator alone, and shorthand, is the model', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PATHS), fc.oneof(operatorEntry.map(([op, operand]) => ({ [op]: operand })), literal), eventsArb, (path, condition, events) => {
        const filter: EndpointFilter = { [path]: condition };
        for (const event of events) assert.equal(matchesFilter(filter, event), modelMatches(filter, event));
      }),
      RUNS,
    );
  });
  test('explainFilterMatch says the same, with at least one reason', () => {
    fc.assert(
      fc.property(filterArb, eventArb, (filter, event) => {
        const { matched, reasons } = explainFilterMatch(filter, event);
        assert.equal(matched, matchesFilter(filter, event));
        assert.ok(reasons.length > 0);
      }),
      RUNS,
    );
  });
  test('every generated filter passes the schema (unless past a limit, counted the model\'s way), returned as is', () => {
    fc.assert(
      fc.property(filterArb, (filter) => {
        const result = endpointFilterSchema.safeParse(filter);
        assert.equal(result.success, withinLimits(filter), JSON.stringify(result.error?.issues));
        if (result.success) assert.equal(result.data, filter);
      }),
      RUNS,
    );
  });
  test('a JSON round trip of filter and event gives the same result', () => {
    fc.assert(
      fc.property(filterArb, eventArb, (filter, event) => {
        const parsed = endpointFilterSchema.safeParse(roundTrip(filter));
        if (!parsed.success) return;
        assert.equal(matchesFilter(parsed.data, roundTrip(event)), matchesFilter(filter, event));
      }),
      RUNS,
    );
  });
  test('$not inverts; $and of [f] is f; $or of [f, g] is f || g; $and of [f, g] is f && g', () => {
    fc.assert(
      fc.property(filterArb, filterArb, eventArb, (f, g, event) => {
        assert.equal(matchesFilter({ $not: f }, event), !matchesFilter(f, event));
        assert.equal(matchesFilter({ $and: [f] }, event), matchesFilter(f, event));
        assert.equal(matchesFilter({ $or: [f] }, event), matchesFilter(f, event));
        assert.equal(matchesFilter({ $or: [f, g] }, event), matchesFilter(f, event) || matchesFilter(g, event));
        assert.equal(matchesFilter({ $and: [f, g] }, event), matchesFilter(f, event) && matchesFilter(g, event));
      }),
      RUNS,
    );
  });
  test('$in [v] is $eq v; $nin is not $in; $neq is not $eq; shorthand is $eq', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PATHS), literal, fc.array(literal, { minLength: 1, maxLength: 3 }), eventArb, (path, value, values, event) => {
        const eq = matchesFilter({ [path]: { $eq: value } }, event);
        assert.equal(matchesFilter({ [path]: { $in: [value] } }, event), eq);
        assert.equal(matchesFilter({ [path]: { $neq: value } }, event), !eq);
        if (classifyLiteral(value)) assert.equal(matchesFilter({ [path]: value }, event), eq);
        assert.equal(matchesFilter({ [path]: { $nin: values } }, event), !matchesFilter({ [path]: { $in: values } }, event));
        assert.equal(matchesFilter({ [path]: { $in: values } }, event), values.some((v) => matchesFilter({ [path]: { $eq: v } }, event)));
      }),
      RUNS,
    );
  });
  test('object keys in any order: the same result', () => {
    fc.assert(
      fc.property(filterArb, eventArb, (filter, event) => {
        const reversed = Object.fromEntries(Object.entries(filter).reverse());
        assert.equal(matchesFilter(reversed, event), matchesFilter(filter, event));
      }),
      RUNS,
    );
  });
});

/** Whether a value written as a path's value reads as a literal (not an operator object); `{}` does. */
function classifyLiteral(value: JsonValue): boolean {
  return value === null || typeof value !== 'object' || Array.isArray(value) || !Object.keys(value).some((key) => key.startsWith('$'));
}

test('a lone surrogate in a key or a string is refused (not Unicode; Postgres jsonb would refuse it), a surrogate pair is fine', () => {
  for (const filter of [{ 'body.data.callStatus': 'F\ud800AILED' }, { 'body.data.x\udc00': 1 }, { 'body.data.callStatus': { $in: ['ok', '\udbff'] } }]) {
    const parsed = endpointFilterSchema.safeParse(filter);
    assert.equal(parsed.success, false, JSON.stringify(filter));
    assert.match(parsed.error!.issues[0]!.message, /well-formed Unicode/);
  }
  assert.equal(endpointFilterSchema.safeParse({ 'body.data.callStatus': 'emoji \ud83d\ude00' }).success, true);
});
