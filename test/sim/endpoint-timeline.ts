/**
 * What an endpoint's subscription was over time, as far as the simulation can know it: the
 * changes it made (each with the moment its request was sent and the moment it was answered:
 * the change took effect somewhere in between) and the 410s its receiver answered (the endpoint
 * was disabled shortly after, if the attempt was recorded). For an event planned within a time
 * window, `classify` says whether a delivery to the endpoint must exist, must not, or may.
 */
import { ALL_EVENTS, isSystemEventType } from '../../src/domain/event-types';

export interface EndpointState {
  events: string[];
  /** 'unknown': a 410 was answered; whether (and when) it disabled the endpoint is not known yet. */
  active: boolean | 'unknown';
  deleted: boolean;
}

interface Change {
  /** The request was sent (the change may apply from here)… */
  from: number;
  /** …and answered (it applies from here at the latest). */
  to: number;
  patch: Partial<EndpointState>;
  /** A 410 answered by the receiver (not a request of the simulation). */
  gone?: boolean;
}

export type Expectation = 'expected' | 'forbidden' | 'ambiguous';

/** Whether an endpoint with these subscriptions gets this event type (`*` excludes system events). */
export function subscribes(events: readonly string[], eventType: string): boolean {
  return events.includes(eventType) || (!isSystemEventType(eventType) && events.includes(ALL_EVENTS));
}

export class EndpointTimeline {
  private readonly changes: Change[] = [];

  constructor(private readonly initial: EndpointState) {}

  /** A change the simulation made, requested at `from`, answered at `to`. */
  change(from: number, to: number, patch: Partial<EndpointState>): void {
    this.changes.push({ from, to, patch });
  }

  /**
   * Folds in the receiver's 410s and what Postgres says at the end. An endpoint disabled by a 410
   * (its `disabledReason` says so) was disabled exactly at `disabledAt`. A 410 after the last
   * change of `active` the simulation made is settled by that: it disabled the endpoint then, or
   * not at all. An earlier 410 (a later PATCH enabled or disabled the endpoint) may have disabled
   * it at any moment until that PATCH: unknown from the 410 on.
   */
  withGone(goneAt: readonly number[], final: { active: boolean; disabledAt: number | null; disabledReason: string | null }): EndpointTimeline {
    const timeline = new EndpointTimeline(this.initial);
    const lastActiveChange = Math.max(-Infinity, ...this.changes.filter((c) => c.patch.active !== undefined).map((c) => c.from));
    const changes: Change[] = [...this.changes];
    const disabledByGone = !final.active && final.disabledAt !== null && /410|gone/i.test(final.disabledReason ?? '');
    if (disabledByGone) changes.push({ from: final.disabledAt!, to: final.disabledAt!, patch: { active: false }, gone: true });
    for (const at of goneAt) {
      if (at >= lastActiveChange) continue;
      changes.push({ from: at, to: at, patch: { active: 'unknown' }, gone: true });
    }
    changes.sort((a, b) => a.from - b.from);
    timeline.changes.push(...changes);
    return timeline;
  }

  /** The state after every change so far (for the simulation's own bookkeeping). */
  get current(): EndpointState {
    return this.changes.reduce<EndpointState>((state, c) => ({ ...state, ...c.patch }), this.initial);
  }

  /**
   * Every state the endpoint may have had at some moment of [start, end]: the state in effect
   * before each change is possible until the change's answer, the one after it from its request.
   */
  possibleStates(start: number, end: number): EndpointState[] {
    const states: EndpointState[] = [];
    let state = this.initial;
    let possibleFrom = -Infinity;
    for (const change of this.changes) {
      // `state` was possible over [possibleFrom, change.to].
      if (possibleFrom <= end && change.to >= start) states.push(state);
      state = { ...state, ...change.patch };
      possibleFrom = change.from;
    }
    if (possibleFrom <= end) states.push(state);
    return states;
  }

  /** Must an event of this type, planned within [start, end], have a delivery to the endpoint? */
  classify(eventType: string, start: number, end: number): Expectation {
    const verdicts = new Set(
      this.possibleStates(start, end).map((s) => {
        if (s.deleted || !subscribes(s.events, eventType) || s.active === false) return 'forbidden';
        return s.active === 'unknown' ? 'ambiguous' : 'expected';
      }),
    );
    if (verdicts.size === 1) return [...verdicts][0] as Expectation;
    return 'ambiguous';
  }

  describe(): string {
    const fmt = (s: Partial<EndpointState>) =>
      Object.entries(s)
        .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
        .join(' ');
    return [`initial ${fmt(this.initial)}`, ...this.changes.map((c) => `${c.gone ? '410 ' : ''}[${c.from}..${c.to}] ${fmt(c.patch)}`)].join('; ');
  }
}
