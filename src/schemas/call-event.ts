import { z } from 'zod';

/**
 * Event type names: upper snake case, as the built-in ones (`OUTBOUND_CALL_ERROR`). Which names
 * intake takes is the event catalog's to say (src/catalog/event-catalog.ts): the built-in types
 * and those an admin registered.
 */
export const EVENT_TYPE_NAME_PATTERN = /^[A-Z][A-Z0-9_]{2,63}$/;
export const eventTypeNameSchema = z
  .string()
  .regex(EVENT_TYPE_NAME_PATTERN, 'an event type name is 3 to 64 characters of A-Z, 0-9 and _, starting with a letter (OUTBOUND_CALL_ERROR)');

/** One entry of `body.errors`, as the seeds' receivers read it. */
export const callErrorSchema = z
  .object({
    code: z.string().min(1).max(200),
    message: z.string().max(4000),
    phase: z.string().max(200).optional(),
  })
  .loose();

export const callDataSchema = z
  .object({
    callId: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[A-Za-z0-9._:@-]+$/, 'callId may contain letters, digits and . _ : @ - only'),
    clientId: z.string().min(1).max(200),
    callStatus: z.string().max(200).optional(),
    callSid: z.string().max(200).optional(),
  })
  .loose();

/**
 * An instant as a request may give one (ISO 8601, `Z` or an offset) and Postgres can store: zod
 * takes year 0000 and offsets up to ±23:59, Postgres neither (no year 0, offsets up to ±15:59),
 * so such an instant would fail the query with a 500.
 */
export const isoInstantSchema = z.iso
  .datetime({ offset: true })
  .refine((s) => !s.startsWith('0000-'), 'year 0000 is not a valid year')
  .refine((s) => !/[+-](1[6-9]|2\d):\d\d$/.test(s), 'a UTC offset is at most ±15:59');

export const eventIdSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._:-]+$/, 'id may contain letters, digits and . _ : - only');

/** What a platform service submits: the seeds' envelope plus an optional idempotency id. */
export const submitEventSchema = z
  .object({
    id: eventIdSchema.optional().describe('Idempotency key; generated when absent. The same id is accepted once.'),
    eventType: eventTypeNameSchema.describe('A type of the event catalog (GET /v1/event-types)'),
    occurredAt: isoInstantSchema.optional(),
    body: z
      .object({
        data: callDataSchema,
        errors: z.array(callErrorSchema).max(100).optional(),
      })
      .strict(),
  })
  .strict();

export type SubmitEvent = z.infer<typeof submitEventSchema>;

/** Events in one batch (POST /v1/events/batch, emitCallEvents) at the most. */
export const MAX_BATCH_EVENTS = 500;

/** A batch of events, of any calls: as documented. Each item is checked on its own (a bad one is refused alone). */
export const submitEventBatchSchema = z
  .object({ events: z.array(submitEventSchema).min(1).max(MAX_BATCH_EVENTS).describe(`1 to ${MAX_BATCH_EVENTS} events, of any calls; a call's events in their order`) })
  .strict();

/** The batch's envelope as it is parsed: its items are checked one by one with submitEventSchema. */
export const eventBatchEnvelopeSchema = z.object({ events: z.array(z.unknown()).min(1).max(MAX_BATCH_EVENTS) }).strict();

/** A call event as callhook carries it: every field filled in. It is what the workflow is signalled with. */
export const callEventSchema = z.object({
  id: eventIdSchema,
  eventType: eventTypeNameSchema,
  occurredAt: z.iso.datetime({ offset: true }),
  body: z.object({
    data: callDataSchema,
    errors: z.array(callErrorSchema),
  }),
  /** Set on system events meant for one endpoint only (the test event); never sent to receivers. */
  targetEndpointId: z.string().optional(),
});

export type CallEvent = z.infer<typeof callEventSchema>;
export type CallError = z.infer<typeof callErrorSchema>;
