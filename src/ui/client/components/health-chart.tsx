/**
 * An endpoint's last hours at a glance, as SVG: per hour a bar of its attempts (succeeded green,
 * failed red, stacked: the success rate), and below them its p50 and p95 attempt durations as two
 * lines, over a time axis of the hours it covers; the scales' tops are labelled. Colours come
 * from the stylesheet (classes), sizes are attributes: no inline style.
 */
import type { EndpointHealth } from '../api-types';
import { formatHour, formatMs, formatRate } from '../format';

const WIDTH = 240;
const BARS_TOP = 12;
const BARS_HEIGHT = 34;
const LINES_TOP = 52;
const LINES_HEIGHT = 20;
const AXIS_Y = LINES_TOP + LINES_HEIGHT + 2;
const HEIGHT = AXIS_Y + 12;
/** Hours between two labels of the time axis. */
const TICK_EVERY = 6;

/** The hours with attempts as points of a latency line (x: the hour's middle; y: the duration against the window's largest p95). */
function linePoints(values: (number | null)[], max: number, slot: number): { x: number; y: number }[] {
  return values.flatMap((value, i) => (value === null ? [] : [{ x: i * slot + slot / 2, y: LINES_TOP + LINES_HEIGHT - (value / max) * LINES_HEIGHT }]));
}

/** A latency line, with a dot per hour (a single hour with attempts is a dot alone). */
function LatencyLine(props: { class: string; points: { x: number; y: number }[] }) {
  return (
    <g class={props.class}>
      <polyline points={props.points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ')} />
      {props.points.map((p) => (
        <circle key={p.x} cx={p.x.toFixed(1)} cy={p.y.toFixed(1)} r={1.5} />
      ))}
    </g>
  );
}

export function healthSummary(health: EndpointHealth): string {
  const { totals } = health;
  const attempts = totals.succeeded + totals.failed;
  const hours = health.buckets.length;
  if (attempts === 0) return `No attempts in the last ${hours} hours`;
  return `${formatRate(totals.successRate)} of ${attempts} ${attempts === 1 ? 'attempt' : 'attempts'} succeeded in the last ${hours} hours; p50 ${formatMs(totals.p50Ms)}, p95 ${formatMs(totals.p95Ms)}`;
}

export function HealthChart(props: { health: EndpointHealth }) {
  const { buckets } = props.health;
  const slot = WIDTH / Math.max(buckets.length, 1);
  const maxAttempts = Math.max(1, ...buckets.map((b) => b.succeeded + b.failed));
  const maxMs = Math.max(1, ...buckets.map((b) => b.p95Ms ?? 0));
  const summary = healthSummary(props.health);
  return (
    <figure class="health">
      <svg class="health-chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width={WIDTH} height={HEIGHT} role="img" aria-label={summary}>
        <title>{summary}</title>
        <line class="axis" x1={0} y1={BARS_TOP + BARS_HEIGHT} x2={WIDTH} y2={BARS_TOP + BARS_HEIGHT} />
        {buckets.map((bucket, i) => {
          const total = bucket.succeeded + bucket.failed;
          const x = i * slot + 1;
          const width = Math.max(slot - 2, 1);
          const failedHeight = (bucket.failed / maxAttempts) * BARS_HEIGHT;
          const okHeight = (bucket.succeeded / maxAttempts) * BARS_HEIGHT;
          const base = BARS_TOP + BARS_HEIGHT;
          const label =
            total === 0
              ? `${formatHour(bucket.start)}: no attempts`
              : `${formatHour(bucket.start)}: ${bucket.succeeded} succeeded, ${bucket.failed} failed; p50 ${formatMs(bucket.p50Ms)}, p95 ${formatMs(bucket.p95Ms)}`;
          return (
            <g key={bucket.start}>
              <title>{label}</title>
              {total === 0 ? (
                <rect class="none" x={x} y={base - 1} width={width} height={1} />
              ) : (
                <>
                  <rect class="ok" x={x} y={base - okHeight} width={width} height={okHeight} />
                  <rect class="bad" x={x} y={base - okHeight - failedHeight} width={width} height={failedHeight} />
                </>
              )}
            </g>
          );
        })}
        <LatencyLine class="p95" points={linePoints(buckets.map((b) => b.p95Ms), maxMs, slot)} />
        <LatencyLine class="p50" points={linePoints(buckets.map((b) => b.p50Ms), maxMs, slot)} />
        <text class="scale" x={0} y={9}>
          {maxAttempts} {maxAttempts === 1 ? 'attempt' : 'attempts'}/h at most
        </text>
        <text class="scale" x={0} y={LINES_TOP - 1}>
          p95 up to {formatMs(maxMs)}
        </text>
        <line class="axis" x1={0} y1={AXIS_Y} x2={WIDTH} y2={AXIS_Y} />
        {buckets.map((bucket, i) =>
          (buckets.length - 1 - i) % TICK_EVERY === 0 ? (
            <g key={`tick-${bucket.start}`}>
              <line class="axis" x1={i * slot + slot / 2} y1={AXIS_Y} x2={i * slot + slot / 2} y2={AXIS_Y + 2} />
              <text class="tick" x={Math.min(Math.max(i * slot + slot / 2, 12), WIDTH - 12)} y={HEIGHT - 1} text-anchor="middle">
                {formatHour(bucket.start)}
              </text>
            </g>
          ) : null,
        )}
      </svg>
      <figcaption>
        {buckets.length > 0 && (
          <span class="period">
            Last {buckets.length} hours ({formatHour(props.health.since)} to now) ·{' '}
          </span>
        )}
        <span class="legend ok">success</span> <span class="legend bad">failure</span> <span class="legend p50">p50</span>{' '}
        <span class="legend p95">p95</span> · {props.health.totals.succeeded + props.health.totals.failed === 0 ? 'no attempts' : `${formatRate(props.health.totals.successRate)} ok, p50 ${formatMs(props.health.totals.p50Ms)}, p95 ${formatMs(props.health.totals.p95Ms)}`}
      </figcaption>
    </figure>
  );
}
