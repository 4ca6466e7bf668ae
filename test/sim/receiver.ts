/**
 * The simulation's receivers: one HTTP server on loopback for every endpoint of every scenario,
 * told apart by path (`/<scenario>/<endpoint>/v<n>`, the version changes with a URL edit). Each
 * endpoint answers by its behaviour queue (set by the scenario's `receiver` commands, 200 once
 * spent) and records every request it gets: the delivery and event ids from the headers, the
 * attempt number, and what it answered.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeBehaviour, type Behaviour } from './model';

export interface Arrival {
  /** Order of arrival across the whole receiver. */
  seq: number;
  at: number;
  deliveryId: string | null;
  eventId: string | null;
  eventType: string | null;
  attempt: number | null;
  /** The status it was answered with; null: never answered (hang). */
  answered: number | null;
  /** The URL version it came to (a URL edit moves it). */
  version: number;
}

/** How long a hung request is kept open at most (the attempt gives up after its timeout anyway). */
const HANG_MAX_MS = 20_000;

/** One endpoint's side of the receiver. */
export class EndpointReceiver {
  readonly arrivals: Arrival[] = [];
  /** When it answered 410 (auto-disable follows), epoch ms. */
  readonly goneAt: number[] = [];
  private queue: { behaviour: Behaviour; remaining: number }[] = [];

  constructor(readonly key: string) {}

  /** The answer to the next `count` requests (replacing what was queued). */
  setBehaviour(behaviour: Behaviour, count: number): void {
    this.queue = behaviour.kind === 'ok' ? [] : [{ behaviour, remaining: count }];
  }

  heal(): void {
    this.queue = [];
  }

  describe(): string {
    const head = this.queue[0];
    return head ? `${describeBehaviour(head.behaviour)} × ${head.remaining}` : 'ok';
  }

  /** The behaviour for the request arriving now, consuming one of its count. */
  next(): Behaviour {
    const head = this.queue[0];
    if (!head) return { kind: 'ok' };
    if (--head.remaining <= 0) this.queue.shift();
    return head.behaviour;
  }
}

export class SimReceiver {
  private readonly endpoints = new Map<string, EndpointReceiver>();
  private readonly hung = new Set<http.ServerResponse>();
  private seq = 0;
  /** Requests to paths no endpoint registered. */
  readonly strays: string[] = [];

  private constructor(
    private readonly server: http.Server,
    /** A port nothing listens on (a server was bound there and closed). */
    readonly deadPort: number,
  ) {}

  static async start(): Promise<SimReceiver> {
    const dead = http.createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const deadPort = (dead.address() as AddressInfo).port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const server = http.createServer({ keepAliveTimeout: 5_000 });
    const receiver = new SimReceiver(server, deadPort);
    server.on('request', (req, res) => void receiver.handle(req, res));
    // Many keep-alive connections from the worker's HTTP client.
    server.maxConnections = 10_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  register(key: string): EndpointReceiver {
    const endpoint = new EndpointReceiver(key);
    this.endpoints.set(key, endpoint);
    return endpoint;
  }

  url(key: string, version: number): string {
    return `http://127.0.0.1:${this.port}/${key}/v${version}`;
  }

  deadUrl(key: string): string {
    return `http://127.0.0.1:${this.deadPort}/${key}/dead`;
  }

  async stop(): Promise<void> {
    for (const res of this.hung) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      return; // the client went away mid-body
    }
    const match = /^\/(.+)\/v(\d+)$/.exec(req.url ?? '');
    const endpoint = match ? this.endpoints.get(match[1]!) : undefined;
    if (!match || !endpoint) {
      this.strays.push(`${req.method} ${req.url}`);
      res.writeHead(404).end();
      return;
    }
    let eventType: string | null = null;
    try {
      eventType = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { eventType?: string }).eventType ?? null;
    } catch {
      // not JSON: leave it null
    }
    const header = (name: string) => {
      const value = req.headers[name];
      return typeof value === 'string' ? value : null;
    };
    const attempt = header('x-recho-attempt');
    const arrival: Arrival = {
      seq: ++this.seq,
      at: Date.now(),
      deliveryId: header('x-recho-delivery-id'),
      eventId: header('x-recho-event-id'),
      eventType,
      attempt: attempt === null ? null : Number(attempt),
      answered: null,
      version: Number(match[2]),
    };
    endpoint.arrivals.push(arrival);
    const behaviour = endpoint.next();
    const answer = (status: number, headers: Record<string, string> = {}) => {
      if (res.destroyed || res.writableEnded) return;
      arrival.answered = status;
      if (status === 410) endpoint.goneAt.push(Date.now());
      res.writeHead(status, { 'content-type': 'text/plain', ...headers });
      res.end(`sim ${status}`);
    };
    switch (behaviour.kind) {
      case 'ok':
        return answer(200);
      case 'error':
      case 'reject':
        return answer(behaviour.status);
      case 'retryAfter':
        return answer(behaviour.status, { 'retry-after': '1' });
      case 'gone':
        return answer(410);
      case 'slow':
        await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
        return answer(200);
      case 'hang': {
        this.hung.add(res);
        const timer = setTimeout(() => res.destroy(), HANG_MAX_MS);
        res.on('close', () => {
          clearTimeout(timer);
          this.hung.delete(res);
        });
        return;
      }
    }
  }
}
