/**
 * The built-in event types as the catalog shows them: each with a description, a group, the JSON
 * Schema of its `body` generated from the zod schemas intake and the workflow validate with (so the
 * two cannot drift), and an example body that validates against it (test/event-catalog.test.ts).
 */
import { z } from 'zod';
import { EVENT_TYPES, type EventType } from '../domain/event-types';
import { callDataSchema, submitEventSchema } from '../schemas/call-event';
import type { EventTypeGroup } from '../schemas/event-type';

/** The body every call event carries, the seeds' `{ data, errors }`: the very schema intake validates with. */
const callBodySchema = submitEventSchema.shape.body;
/** callhook's own events always carry their errors. */
const errorsSchema = callBodySchema.shape.errors.unwrap();

const deliveryFailedBodySchema = z
  .object({
    data: callDataSchema.extend({
      deliveryId: z.string().describe('The delivery that failed'),
      endpointId: z.string().describe('Its endpoint'),
      failedEventId: z.string().describe('The event it carried'),
      failedEventType: z.string().describe("That event's type"),
    }),
    errors: errorsSchema,
  })
  .strict();

const endpointDisabledBodySchema = z
  .object({
    data: callDataSchema.extend({
      endpointId: z.string().describe('The endpoint callhook disabled'),
      reason: z.string().describe('Why: 410 Gone, or failing for ENDPOINT_DISABLE_AFTER'),
      disabledAt: z.string().describe('When (ISO 8601)'),
    }),
    errors: errorsSchema,
  })
  .strict();

interface Builtin {
  description: string;
  group: EventTypeGroup;
  body: z.ZodType;
  example: Record<string, unknown>;
}

const call = (callStatus: string, extra: Record<string, unknown> = {}) => ({
  callId: 'call_8f2a91',
  clientId: 'client_acme',
  callStatus,
  callSid: 'CA5f0c2e9d',
  ...extra,
});

const BUILTINS: Record<EventType, Builtin> = {
  OUTBOUND_CALL_CALLING: {
    description: 'An outbound call started dialling the callee.',
    group: 'outbound_call',
    body: callBodySchema,
    example: { data: call('CALLING', { to: '+15555550123' }), errors: [] },
  },
  OUTBOUND_CALL_CONNECTED: {
    description: 'The callee answered an outbound call; the AI agent is talking.',
    group: 'outbound_call',
    body: callBodySchema,
    example: { data: call('CONNECTED'), errors: [] },
  },
  OUTBOUND_CALL_COMPLETED: {
    description: 'An outbound call ended normally. Terminal: the call emits nothing after it.',
    group: 'outbound_call',
    body: callBodySchema,
    example: { data: call('COMPLETED', { durationSeconds: 184 }), errors: [] },
  },
  OUTBOUND_CALL_ERROR: {
    description: 'An outbound call failed (no answer, busy, a carrier or agent error); `errors` says why. Terminal.',
    group: 'outbound_call',
    body: callBodySchema,
    example: { data: call('CALLING'), errors: [{ code: 'NO_ANSWER', message: 'The callee did not answer within 30 s', phase: 'CALLING' }] },
  },
  INBOUND_CALL_ESTABLISHED: {
    description: 'An inbound call reached the AI agent.',
    group: 'inbound_call',
    body: callBodySchema,
    example: { data: call('ESTABLISHED', { from: '+15555550199' }), errors: [] },
  },
  INBOUND_CALL_COMPLETED: {
    description: 'An inbound call ended normally. Terminal.',
    group: 'inbound_call',
    body: callBodySchema,
    example: { data: call('COMPLETED', { durationSeconds: 95 }), errors: [] },
  },
  INBOUND_CALL_ERROR: {
    description: 'An inbound call failed; `errors` says why. Terminal.',
    group: 'inbound_call',
    body: callBodySchema,
    example: { data: call('ESTABLISHED'), errors: [{ code: 'AGENT_ERROR', message: 'The agent stopped responding', phase: 'CONVERSATION' }] },
  },
  WEBHOOK_DELIVERY_FAILED: {
    description: "Sent by callhook: a delivery of this client's finally failed (its retries ran out, or the receiver answered a final 4xx).",
    group: 'callhook',
    body: deliveryFailedBodySchema,
    example: {
      data: call('CALLING', { deliveryId: 'dlv_3JkQ', endpointId: 'ep_7Hc2', failedEventId: 'evt_1Aa9', failedEventType: 'OUTBOUND_CALL_ERROR' }),
      errors: [{ code: 'DELIVERY_FAILED', message: 'HTTP 500 after 7 attempts', phase: 'DELIVERY' }],
    },
  },
  WEBHOOK_ENDPOINT_DISABLED: {
    description: "Sent by callhook: one of this client's endpoints was disabled (410 Gone, or failing for ENDPOINT_DISABLE_AFTER).",
    group: 'callhook',
    body: endpointDisabledBodySchema,
    example: {
      data: call('CALLING', { endpointId: 'ep_7Hc2', reason: 'the receiver answered 410 Gone', disabledAt: '2026-12-06T10:00:00.000Z' }),
      errors: [{ code: 'ENDPOINT_DISABLED', message: 'the receiver answered 410 Gone', phase: 'DELIVERY' }],
    },
  },
  WEBHOOK_TEST: {
    description: 'Sent by callhook to one endpoint when someone presses Send test (POST /v1/endpoints/:id/test).',
    group: 'callhook',
    body: callBodySchema,
    example: { data: call('TEST', { callId: 'webhook-test-4b1e' }), errors: [] },
  },
};

export interface BuiltinEventType {
  name: EventType;
  title: string;
  terminal: boolean;
  description: string;
  group: EventTypeGroup;
  system: boolean;
  schema: Record<string, unknown>;
  example: Record<string, unknown>;
}

/** The built-in types, in catalog order; their schemas generated once. */
export const BUILTIN_EVENT_TYPES: readonly BuiltinEventType[] = (Object.keys(BUILTINS) as EventType[]).map((name) => ({
  name,
  title: EVENT_TYPES[name].title,
  terminal: EVENT_TYPES[name].terminal,
  description: BUILTINS[name].description,
  group: BUILTINS[name].group,
  system: EVENT_TYPES[name].system,
  schema: z.toJSONSchema(BUILTINS[name].body, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>,
  example: BUILTINS[name].example,
}));
