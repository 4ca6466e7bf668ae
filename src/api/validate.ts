import type { z } from 'zod';
import { validationError } from './errors';

/** Parses request input with a zod schema; a failure becomes a 400 naming every bad field. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'path'): z.infer<S> {
  const result = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (!result.success) throw validationError(result.error, where);
  return result.data;
}
