import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface ReceivedMail {
  mailFrom: string;
  rcptTo: string[];
  raw: Buffer;
  at: number;
}

/**
 * A real SMTP server in this process on 127.0.0.1. It accepts every message, except that
 * `plan(address, ...codes)` makes RCPT TO for that address answer with those reply codes first,
 * one per attempt (e.g. 451 then accepted; 550 for good).
 */
export class SmtpSink {
  readonly messages: ReceivedMail[] = [];
  /** Every RCPT TO in order: the address and the reply code given. */
  readonly recipients: { address: string; code: number }[] = [];
  private readonly plans = new Map<string, number[]>();
  private readonly permanent = new Map<string, number>();

  private constructor(private readonly server: SMTPServer) {}

  /** `hooks` replace the sink's own RCPT TO / DATA handling, for a server that misbehaves on purpose. */
  static async start(hooks: Pick<SMTPServerOptions, 'onRcptTo' | 'onData'> = {}): Promise<SmtpSink> {
    let sink: SmtpSink | undefined;
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      disableReverseLookup: true,
      logger: false,
      onRcptTo(address, _session, callback) {
        const code = sink!.replyFor(address.address);
        sink!.recipients.push({ address: address.address, code: code ?? 250 });
        if (code === undefined) return callback();
        const message = code >= 500 ? 'No such user here' : 'Try again later';
        callback(Object.assign(new Error(message), { responseCode: code }));
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          sink!.messages.push({
            mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            rcptTo: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks),
            at: Date.now(),
          });
          callback(null, 'Message queued as test-1');
        });
      },
      ...hooks,
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    sink = new SmtpSink(server);
    return sink;
  }

  get url(): string {
    return `smtp://127.0.0.1:${(this.server.server.address() as AddressInfo).port}`;
  }

  /** RCPT TO for `address` answers these codes, one per attempt, then accepts. */
  plan(address: string, ...codes: number[]): void {
    this.plans.set(address, codes);
  }

  /** RCPT TO for `address` always answers `code`. */
  reject(address: string, code: number): void {
    this.permanent.set(address, code);
  }

  /** The messages delivered to `address`, parsed. */
  async mailTo(address: string): Promise<(ParsedMail & { envelope: ReceivedMail })[]> {
    const mine = this.messages.filter((m) => m.rcptTo.includes(address));
    return Promise.all(mine.map(async (m) => Object.assign(await simpleParser(m.raw), { envelope: m })));
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private replyFor(address: string): number | undefined {
    const permanent = this.permanent.get(address);
    if (permanent !== undefined) return permanent;
    return this.plans.get(address)?.shift();
  }
}
