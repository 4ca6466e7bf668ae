/**
 * The event catalog's wire: an event type as the API lists it, and what an admin sends to
 * register or change one. The body schemas of types are JSON Schema (draft 2020-12) documents,
 * checked with a real validator when they are registered (src/catalog/json-schema.ts).
 */
import { z } from 'zod';
import { eventTypeNameSchema } from './call-event';

export const eventTypeGroupSchema = z.enum(['outbound_call', 'inbound_call', 'callhook', 'custom']);
export const eventTypeStatusSchema = z.enum(['active', 'deprecated', 'archived']);
/** What intake does with a body its type's schema refuses: nothing, accept and record it, or refuse the event (422). */
export const validationModeSchema = z.enum(['off', 'warn', 'enforce']);

export type EventTypeGroup = z.infer<typeof eventTypeGroupSchema>;
export type EventTypeStatus = z.infer<typeof eventTypeStatusSchema>;
export type ValidationMode = z.infer<typeof validationModeSchema>;

/** A JSON object (a schema or an example body), bounded so that the catalog stays small. */
const jsonObjectSchema = z
  .record(z.string(), z.unknown())
  .refine((value) => JSON.stringify(value).length <= 65_536, 'at most 64 KB of JSON');

/** One problem a schema found in a body: where (an RFC 6901 JSON pointer into the body) and what. */
export const schemaErrorSchema = z.object({
  pointer: z.string().describe('JSON pointer into the event body, e.g. `/data/outcome`'),
  message: z.string(),
});
export type SchemaError = z.infer<typeof schemaErrorSchema>;

/** A schema problem as an API error detail: where it is in the request, as a field path (`body.example.data.x`) and a JSON pointer. */
export function schemaErrorDetail(error: SchemaError, at: { path: string; pointer: string }): { path: string; pointer: string; message: string } {
  return { path: `${at.path}${error.pointer.replaceAll('/', '.')}`, pointer: `${at.pointer}${error.pointer}`, message: error.message };
}

export const eventTypeSchema = z.strictObject({
  name: eventTypeNameSchema,
  title: z.string().describe('How the page and Slack, Teams and email messages name it'),
  description: z.string(),
  group: eventTypeGroupSchema,
  builtin: z.boolean().describe('Defined by callhook: cannot be changed or archived'),
  status: eventTypeStatusSchema,
  validation: validationModeSchema,
  system: z.boolean().describe('Emitted by callhook itself, never submitted; not part of the `*` subscription'),
  terminal: z.boolean().describe('No event follows it in a call'),
  schema: z.record(z.string(), z.unknown()).describe('JSON Schema (draft 2020-12) of the event `body` (`{ data, errors }`)'),
  example: z.record(z.string(), z.unknown()).describe('An example `body` that validates against `schema`'),
  createdAt: z.string().nullable(),
  updatedAt: z.string().nullable(),
});
export type EventTypeView = z.infer<typeof eventTypeSchema>;

export const createEventTypeBody = z
  .object({
    name: eventTypeNameSchema,
    description: z.string().min(1).max(2_000),
    schema: jsonObjectSchema.describe('JSON Schema (draft 2020-12) of the event body; `data.callId` and `data.clientId` are required of every event anyway'),
    example: jsonObjectSchema.describe('An example body; it must validate against `schema`'),
    validation: validationModeSchema.default('warn'),
    status: z.enum(['active', 'deprecated']).default('active'),
  })
  .strict();

export const patchEventTypeBody = z
  .object({
    description: z.string().min(1).max(2_000).optional(),
    schema: jsonObjectSchema.optional(),
    example: jsonObjectSchema.optional(),
    validation: validationModeSchema.optional(),
    status: eventTypeStatusSchema.optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, 'give at least one field to change');

export const eventTypeNameParams = z.object({ name: eventTypeNameSchema });
export const archiveEventTypeQuery = z.object({
  force: z.enum(['true', 'false']).optional().describe('Archive even if endpoints subscribe to it (they stop receiving it)'),
});
