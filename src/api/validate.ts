import type { z } from 'zod';
import { ApiError, validationError } from './errors';

/**
 * How deep request input may nest. JSON.parse takes any depth, but JSON.stringify (hashing,
 * storing and signalling an event's loose fields) overflows the stack some thousands of levels
 * down: deeper input is refused here (400) rather than failing there (500).
 */
export const MAX_INPUT_DEPTH = 100;

/** Parses request input with a zod schema; a failure becomes a 400 naming every bad field. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'path'): z.infer<S> {
  const result = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (!result.success) throw validationError(result.error, where);
  const problem = storageProblem(result.data);
  if (problem) {
    const path = [where, ...problem.path].join('.');
    throw new ApiError(400, 'invalid_request', `invalid ${where}: ${path}: ${problem.message}`, [{ path, message: problem.message }]);
  }
  return result.data;
}

/**
 * The first value of parsed input the API could not store or serialize: a string holding U+0000
 * (Postgres text cannot), or a value nested deeper than MAX_INPUT_DEPTH. Walked without recursion.
 */
function storageProblem(value: unknown): { path: (string | number)[]; message: string } | undefined {
  interface Item {
    value: unknown;
    depth: number;
    key?: string | number;
    parent?: Item;
  }
  const pathOf = (item: Item) => {
    const path: (string | number)[] = [];
    for (let at: Item | undefined = item; at?.key !== undefined; at = at.parent) path.unshift(at.key);
    return path;
  };
  const stack: Item[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item.value === 'string') {
      if (item.value.includes('\u0000')) return { path: pathOf(item), message: 'must not contain the NUL character (U+0000)' };
    } else if (item.value !== null && typeof item.value === 'object') {
      if (item.depth >= MAX_INPUT_DEPTH) return { path: pathOf(item), message: `nests deeper than ${MAX_INPUT_DEPTH} levels` };
      const entries: [string | number, unknown][] = Array.isArray(item.value) ? item.value.map((v, i) => [i, v]) : Object.entries(item.value);
      for (const [key, v] of entries) stack.push({ value: v, depth: item.depth + 1, key, parent: item });
    }
  }
  return undefined;
}
