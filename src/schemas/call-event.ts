import { z } from 'zod';
import { CALL_EVENT_TYPE_NAMES, EVENT_TYPE_NAMES } from '../event-types';

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

export const eventIdSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._:-]+$/, 'id may contain letters, digits and . _ : - only');

/** What a platform service submits: the seeds' envelope plus an optional idempotency id. */
export const submitEventSchema = z
  .object({
    id: eventIdSchema.optional().describe('Idempotency key; generated when absent. The same id is accepted once.'),
    eventType: z.enum(CALL_EVENT_TYPE_NAMES),
    occurredAt: z.iso.datetime({ offset: true }).optional(),
    body: z
      .object({
        data: callDataSchema,
        errors: z.array(callErrorSchema).max(100).optional(),
      })
      .strict(),
  })
  .strict();

export type SubmitEvent = z.infer<typeof submitEventSchema>;

/** A call event as callhook carries it: every field filled in. It is what the workflow is signalled with. */
export const callEventSchema = z.object({
  id: eventIdSchema,
  eventType: z.enum(EVENT_TYPE_NAMES),
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
