import { z } from 'zod';

/** The destinations an endpoint can be. Its own module: the workflow bundle imports it, and must not import endpoint.ts (node:net). */
export const endpointKindSchema = z.enum(['custom', 'slack', 'teams', 'email']);
export type EndpointKind = z.infer<typeof endpointKindSchema>;
