/**
 * Custom search attributes of call workflows, so an operator can filter calls in the Temporal
 * UI, e.g. `ClientId = "client-1" AND DeliveryState = "failed"`. Registered when callhook starts
 * its dev server, and by `npm run temporal:setup` on a real cluster. Pure data: the workflow
 * bundle imports it.
 */
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';

export const ClientId = defineSearchAttributeKey('ClientId', SearchAttributeType.KEYWORD);
/** The latest `callStatus` the call reported. */
export const CallStatus = defineSearchAttributeKey('CallStatus', SearchAttributeType.KEYWORD);
/** `ok`: nothing failing; `retrying`: a delivery is between attempts; `failed`: a delivery finally failed. */
export const DeliveryState = defineSearchAttributeKey('DeliveryState', SearchAttributeType.KEYWORD);
export const LastEventType = defineSearchAttributeKey('LastEventType', SearchAttributeType.KEYWORD);

export const CALL_SEARCH_ATTRIBUTES = [ClientId, CallStatus, DeliveryState, LastEventType];

/** `held`: a lane waits for its endpoint (paused, circuit open). */
export type DeliveryStateValue = 'ok' | 'retrying' | 'held' | 'failed';
