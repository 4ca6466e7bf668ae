import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  rawBody: string;
  json: unknown;
  at: number;
}

export interface Reply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer (the connection is closed when the receiver stops). */
  hang?: boolean;
}

export type Responder = (request: ReceivedRequest, index: number) => Reply | Promise<Reply>;

/**
 * A real HTTP receiver on loopback. Each request is recorded, then answered by `respond`
 * (the request and its 0-based index among all requests so far).
 */
export class Receiver {
  private static readonly running = new Set<Receiver>();
  readonly requests: ReceivedRequest[] = [];
  private server: http.Server;
  private waiters: { count: number; resolve: () => void }[] = [];

  private constructor(private respond: Responder) {
    this.server = http.createServer((req, res) => void this.handle(req, res));
  }

  static async start(respond: Responder = () => ({ status: 200, body: 'ok' })): Promise<Receiver> {
    const receiver = new Receiver(respond);
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    Receiver.running.add(receiver);
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhook`;
  }

  setResponder(respond: Responder): void {
    this.respond = respond;
  }

  /** Resolves once `count` requests have arrived; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs = 20_000): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`receiver got ${this.requests.length} of ${count} requests within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  /** Stops every receiver still running: a test that failed half-way must not keep the process alive. */
  static async stopAll(): Promise<void> {
    await Promise.all([...Receiver.running].map((receiver) => receiver.stop()));
  }

  async stop(): Promise<void> {
    Receiver.running.delete(this);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(rawBody);
    } catch {
      json = undefined;
    }
    const request: ReceivedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, rawBody, json, at: Date.now() };
    const index = this.requests.push(request) - 1;
    this.waiters = this.waiters.filter((w) => (this.requests.length >= w.count ? (w.resolve(), false) : true));
    const reply = await this.respond(request, index);
    if (reply.hang) return;
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    if (res.destroyed) return;
    res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
    res.end(reply.body ?? '');
  }
}
