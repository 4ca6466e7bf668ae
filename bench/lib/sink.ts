/**
 * A benchmark receiver: the tests' `Receiver` (a real HTTP server on loopback) whose responder
 * stamps each delivery with performance.now() into a DeliveryLog and answers 200 — or 503 while
 * it plays a failing endpoint. It forgets the Receiver's own request log as it goes, so that a
 * long run's memory (the open-calls scenario samples RSS) does not grow with it.
 */
import { performance } from 'node:perf_hooks';
import { Receiver } from '../../test/helpers/receiver';
import { deliveryKeyOf } from './events';
import { DeliveryLog } from './delivery-log';

export class Sink {
  private failing: boolean;

  private constructor(
    private readonly receiver: Receiver,
    readonly log: DeliveryLog,
    readonly index: number,
    failing: boolean,
  ) {
    this.failing = failing;
  }

  /** A receiver recording into `log` as sink `index`; `failing` answers 503 until `heal()`. */
  static async start(log: DeliveryLog, index: number, options: { failing?: boolean } = {}): Promise<Sink> {
    const receiver = await Receiver.start();
    const sink = new Sink(receiver, log, index, options.failing ?? false);
    receiver.setResponder((request) => {
      const at = performance.now();
      receiver.requests.splice(0);
      const key = deliveryKeyOf(request.json);
      if (!key) return { status: 400, body: 'not a benchmark event' };
      sink.log.record(sink.index, key, at);
      return sink.failing ? { status: 503, body: 'unavailable' } : { status: 200, body: 'ok' };
    });
    return sink;
  }

  get url(): string {
    return this.receiver.url;
  }

  /** From now on, answer 200. */
  heal(): void {
    this.failing = false;
  }

  stop(): Promise<void> {
    return this.receiver.stop();
  }
}
