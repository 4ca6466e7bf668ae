import net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy on loopback in front of a real server (the tests' Postgres), so a test can take the
 * server away from the code under test without stopping it for everyone else: `cut()` destroys
 * every open connection and, until `restore()`, resets every new one at once (as a stopped
 * server's port would refuse it) or, with `'hold'`, accepts it and never answers (a network
 * partition: the client's own timeouts must end it).
 */
export class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  private mode: 'open' | 'reset' | 'hold' = 'open';
  /** Connections accepted since the proxy started (forwarded or not). */
  connectionsAccepted = 0;
  /** Connections reset or held while cut. */
  connectionsRefused = 0;

  private constructor(
    private readonly server: net.Server,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const server = net.createServer();
    const proxy = new TcpProxy(server, target);
    server.on('connection', (socket) => proxy.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return proxy;
  }

  /** The proxy's address. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `url` (e.g. a Postgres URL) with its host and port replaced by the proxy's. */
  rewrite(url: string): string {
    const rewritten = new URL(url);
    rewritten.hostname = '127.0.0.1';
    rewritten.port = String(this.port);
    return rewritten.toString();
  }

  /** Drops every open connection; new ones are reset (`'reset'`) or held unanswered (`'hold'`) until `restore()`. */
  cut(mode: 'reset' | 'hold' = 'reset'): void {
    this.mode = mode;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /** Forwards new connections again; held ones stay dead (their clients time out). */
  restore(): void {
    this.mode = 'open';
  }

  get isCut(): boolean {
    return this.mode !== 'open';
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
  }

  private accept(client: net.Socket): void {
    this.connectionsAccepted++;
    this.track(client);
    if (this.mode === 'reset') {
      this.connectionsRefused++;
      client.resetAndDestroy();
      return;
    }
    if (this.mode === 'hold') {
      this.connectionsRefused++;
      return; // kept in `sockets`: destroyed by the next cut() or stop()
    }
    const upstream = net.connect(this.target.port, this.target.host);
    this.track(upstream);
    // Either side ending or failing ends both; the errors are the point of a cut, not a test failure.
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }
}
