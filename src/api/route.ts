/**
 * A route of the API, declared once (`defineRoute`): what the OpenAPI document says of it (method,
 * path, summary, the schemas of its path parameters, query and body, its responses and errors) and
 * its handler, side by side. src/api/routes/index.ts lists every route; app.ts mounts them
 * (`routerOf`) and openapi.ts documents them, so no route is answered without being documented,
 * or documented without being answered.
 *
 * The handler is given its input parsed with the very schemas the document shows (parse(): a
 * failure is the 400 naming every bad field), and answers through `reply`, which takes only a
 * status the route documents and a body of that status's schema: a handler cannot answer a shape
 * the document does not describe. The spec needs no dependencies (the document is built with no
 * server); the handler is given them (RouteDeps) when the app mounts it.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import { requireAdmin } from './auth/principal';
import type { RouteDeps } from './route-deps';
import { parse } from './validate';

type Method = 'get' | 'post' | 'patch' | 'delete';
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 415 | 429 | 500 | 503 | 504;
type SuccessStatus = 200 | 201 | 202 | 503;

/** A documented answer: a JSON body of `schema`, or a body of another media type (`text`). */
type ResponseSpec =
  | { status: SuccessStatus; description: string; schema: z.ZodType; text?: never; headers?: Record<string, string> }
  | { status: SuccessStatus; description: string; text: string; schema?: never; headers?: Record<string, string> };

interface BodySpec {
  /** The body as documented, and as parsed unless `parsedWith` is given. */
  schema: z.ZodType;
  required: boolean;
  /**
   * The schema the body is parsed with when it is looser than the documented one: a batch's
   * envelope, whose items the handler checks one by one (a bad one is refused alone).
   */
  parsedWith?: z.ZodType;
  /** Whether an absent body is parsed as `{}`; by default, when the body is not required. */
  emptyWhenAbsent?: boolean;
}

/** What the document is built from: a route without its handler. */
interface RouteSpec {
  method: Method;
  /** OpenAPI style: `/v1/endpoints/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** Admin keys only: a client key is refused (403) before the request is parsed. */
  admin?: boolean;
  /** The schemas `req.params`, `req.query` and `req.body` are parsed with, in that order. */
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: BodySpec;
  responses: readonly ResponseSpec[];
  /** The error statuses the route answers besides the ones every route, every body or every admin route may get. */
  errors?: Partial<Record<ErrorStatus, string>>;
}

/** A route as mounted: its spec, and its Express handlers given the app's dependencies. */
export interface ApiRoute extends RouteSpec {
  handlers: (deps: RouteDeps) => RequestHandler[];
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;
type ParsedBody<B> = B extends { parsedWith: infer S extends z.ZodType } ? z.output<S> : B extends { schema: infer S extends z.ZodType } ? z.output<S> : undefined;
/** The body `status` is documented with: its schema's output, or text. */
type ReplyBody<R extends ResponseSpec, S> = R extends { status: S } ? (R extends { schema: infer T extends z.ZodType } ? z.output<T> : string) : never;

/** An answer built by `reply`: the handler returns it, and the route sends it. */
class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}
// The class is not exported: a handler gets a Reply from `reply` only, so its body was checked against the document.

interface RouteRequest<P, Q, B, R extends ResponseSpec> {
  params: Parsed<P>;
  query: Parsed<Q>;
  body: ParsedBody<B>;
  req: Request;
  /** For headers (location, …) and the principal; the body is sent by `reply`. */
  res: Response;
  reply<S extends R['status']>(status: S, body: ReplyBody<R, S>): Reply;
}

interface RouteDefinition<P extends z.ZodObject | undefined, Q extends z.ZodObject | undefined, B extends BodySpec | undefined, R extends ResponseSpec>
  extends Omit<RouteSpec, 'params' | 'query' | 'body' | 'responses'> {
  params?: P;
  query?: Q;
  body?: B;
  responses: readonly R[];
  handler: (request: RouteRequest<P, Q, B, R>, deps: RouteDeps) => Reply | Promise<Reply>;
}

export function defineRoute<
  P extends z.ZodObject | undefined = undefined,
  Q extends z.ZodObject | undefined = undefined,
  B extends BodySpec | undefined = undefined,
  R extends ResponseSpec = ResponseSpec,
>(definition: RouteDefinition<P, Q, B, R>): ApiRoute {
  const { handler, ...spec } = definition;
  const reply = (status: number, body: unknown) => new Reply(status, body);
  const handle =
    (deps: RouteDeps): RequestHandler =>
    async (req, res) => {
      const params = spec.params && parse(spec.params, req.params, 'path');
      const query = spec.query && parse(spec.query, req.query, 'query');
      const body = spec.body && parse(spec.body.parsedWith ?? spec.body.schema, req.body ?? ((spec.body.emptyWhenAbsent ?? !spec.body.required) ? {} : undefined), 'body');
      // The parsed values are of the schemas P, Q and B by construction: TypeScript cannot follow `spec.x &&` to them.
      const request = { params, query, body, req, res, reply } as RouteRequest<P, Q, B, R>;
      send(res, spec, await handler(request, deps));
    };
  return { ...spec, handlers: (deps) => (spec.admin ? [requireAdmin, handle(deps)] : [handle(deps)]) };
}

function send(res: Response, spec: RouteSpec, reply: Reply): void {
  const documented = spec.responses.find((r) => r.status === reply.status);
  res.status(reply.status);
  if (documented?.text === undefined) {
    res.json(reply.body);
    return;
  }
  // A handler may name a more precise type (Prometheus' version parameter); else the documented one.
  if (!res.get('content-type')) res.type(documented.text);
  res.send(reply.body);
}

/** The Express path of an OpenAPI path: `{id}` → `:id` (in Express 5, braces mark an optional part). */
function expressPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}

/** The /v1 routes need an API key (when keys are required): mounted behind the authenticator, documented with it. */
export const isGuarded = (path: string): boolean => path.startsWith('/v1/');

/** A router answering `routes`, their handlers given `deps`. */
export function routerOf(routes: readonly ApiRoute[], deps: RouteDeps): Router {
  const router = Router();
  for (const route of routes) router[route.method](expressPath(route.path), ...route.handlers(deps));
  return router;
}
