/**
 * `callhook/verify`: checks, in a receiver, that a request really comes from callhook (src/verify: dependency-free,
 * node:crypto only). `verifyRsa`, `verifyStandardWebhook`, `verifyHexHmac`: one per way callhook signs deliveries.
 */
export * from '../verify';
