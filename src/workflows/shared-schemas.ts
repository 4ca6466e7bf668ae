/**
 * Makes the call workflow's message schemas (and zod) one copy per worker, shared by every
 * workflow it runs: the worker preloads this module (`WORKFLOW_PRELOAD_MODULES`). Without it, the
 * reusable V8 context evaluates zod and the schemas again for each workflow it caches: about 1 MB
 * of heap per cached call, and the CPU to build them on every new call.
 *
 * The SDK deep-freezes what it preloads, so that no workflow can leave state in it for another.
 * zod 4 schemas cannot be frozen: they fill members in on first use (bound methods such as
 * `safeParse`, derived internals, a compiled fast path) and reset their regular expressions'
 * `lastIndex` on every check. So this module freezes the exports of the schema modules itself,
 * shallowly, before the SDK's pass: a frozen object is where the SDK's walk stops, and the schemas
 * behind those exports stay as zod needs them. What they keep between parses is a cache of their
 * own, the same for every workflow and input: nothing a workflow can write through them.
 *
 * zod's own classes are frozen by the SDK; zod finishes setting up a class's prototype the first
 * time it builds an instance, so this module first parses a valid and several invalid values with
 * each exported schema (errors and issues included), while nothing is frozen yet.
 * `test/shared-schemas.test.ts` checks that every schema parses after the SDK's freeze.
 */
import * as callEvent from '../schemas/call-event';
import * as messages from '../schemas/call-workflow-messages';
import * as endpointKind from '../schemas/endpoint-kind';

/** The modules whose exports are shielded from the SDK's freeze: the schemas the workflow bundle loads. */
export const SHARED_SCHEMA_MODULES: readonly object[] = [callEvent, messages, endpointKind];

interface Parser {
  safeParse(value: unknown): unknown;
}

function isParser(value: unknown): value is Parser {
  return typeof value === 'object' && value !== null && '_zod' in value && typeof (value as Partial<Parser>).safeParse === 'function';
}

/** Values that take a schema down its success and failure paths. */
const PROBES: unknown[] = [undefined, null, 0, 1.5, -1, '', 'x', 'a'.repeat(300), true, [], [{}], [undefined, undefined], {}, { unknown: 1 }];

/** Builds what zod builds on first use (prototypes' members, error classes) for each exported schema. */
export function warmUp(module: object): void {
  for (const value of Object.values(module)) {
    if (!isParser(value)) continue;
    for (const probe of PROBES) value.safeParse(probe);
  }
}

for (const module of SHARED_SCHEMA_MODULES) {
  warmUp(module);
  Object.freeze(module);
}
