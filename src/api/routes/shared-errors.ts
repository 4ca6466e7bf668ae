/**
 * How the document describes the errors several routes answer alike (each route's `errors`): one
 * wording for one cause, whichever file declares the route.
 */
export const BAD_ENDPOINT_ID = 'the id is not an endpoint id';
export const NO_ENDPOINT = "no such endpoint (or it was deleted, or it is another client's)";
export const OTHER_CLIENT = "the body or query names another client than the client key's (forbidden)";
export const TEMPORAL_DOWN = 'Temporal is unreachable: nothing was signalled; retry later';
