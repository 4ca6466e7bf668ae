/**
 * `BENCH_TRACING=on`: an OTLP/HTTP receiver in the bench process that counts the spans callhook exports and
 * drops them, so a run measures what tracing costs callhook (spans made, batched, serialized, sent over
 * loopback) without a collector's own cost on the machine.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export class SpanSink {
  spans = 0;
  requests = 0;

  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<SpanSink> {
    let sink: SpanSink | undefined;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        sink!.requests++;
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[] };
          for (const resource of body.resourceSpans ?? []) for (const scope of resource.scopeSpans ?? []) sink!.spans += scope.spans?.length ?? 0;
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        } catch (err) {
          res.writeHead(400).end(String(err));
        }
      });
    });
    sink = new SpanSink(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return sink;
  }

  get tracesUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/traces`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
