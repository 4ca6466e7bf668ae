/**
 * The open-loop chart, hand-written SVG: x = offered rate (events/s), y = latency (ms, log
 * scale), one line per variant and percentile (callhook and floor, p50 solid, p99 dashed).
 */
import type { RatePoint, Variant } from './lib/types';

const WIDTH = 640;
const HEIGHT = 400;
const MARGIN = { left: 70, right: 150, top: 40, bottom: 55 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;

interface Line {
  variant: Variant;
  percentile: 'p50' | 'p99';
  color: string;
  dashed: boolean;
}

const LINES: Line[] = [
  { variant: 'callhook', percentile: 'p50', color: '#1f6feb', dashed: false },
  { variant: 'callhook', percentile: 'p99', color: '#1f6feb', dashed: true },
  { variant: 'floor', percentile: 'p50', color: '#d9730d', dashed: false },
  { variant: 'floor', percentile: 'p99', color: '#d9730d', dashed: true },
];

/** 1, 2 or 5 × a power of ten, at least `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw) ?? 10 * power;
}

const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));
const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function latencyVsRateSvg(points: RatePoint[], subtitle: string): string {
  const plotted = points.filter((p) => LINES.some((line) => line.variant === p.variant));
  const latencies = plotted.flatMap((p) => [p.p50, p.p99]).filter((v) => v > 0 && Number.isFinite(v));
  const maxRate = Math.max(1, ...plotted.map((p) => p.offeredRate));
  const xStep = niceStep(maxRate / 5);
  const xMax = Math.ceil((maxRate * 1.05) / xStep) * xStep;
  const yMinExp = Math.floor(Math.log10(Math.min(1, ...latencies)));
  const yMaxExp = Math.max(yMinExp + 1, Math.ceil(Math.log10(Math.max(10, ...latencies))));
  const x = (rate: number) => MARGIN.left + (rate / xMax) * PLOT_W;
  const y = (ms: number) => MARGIN.top + PLOT_H - ((Math.log10(Math.max(ms, 10 ** yMinExp)) - yMinExp) / (yMaxExp - yMinExp)) * PLOT_H;

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`);
  parts.push(`<text x="${MARGIN.left}" y="20" font-size="14" font-weight="bold">Latency against offered rate (open loop)</text>`);
  parts.push(`<text x="${MARGIN.left}" y="34" fill="#555">${escape(subtitle)}</text>`);
  // Grid and ticks.
  for (let rate = 0; rate <= xMax + 1e-9; rate += xStep) {
    parts.push(`<line x1="${x(rate)}" y1="${MARGIN.top}" x2="${x(rate)}" y2="${MARGIN.top + PLOT_H}" stroke="#eee"/>`);
    parts.push(`<text x="${x(rate)}" y="${MARGIN.top + PLOT_H + 16}" text-anchor="middle">${fmt(rate)}</text>`);
  }
  for (let exp = yMinExp; exp <= yMaxExp; exp++) {
    const ms = 10 ** exp;
    parts.push(`<line x1="${MARGIN.left}" y1="${y(ms)}" x2="${MARGIN.left + PLOT_W}" y2="${y(ms)}" stroke="#eee"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${y(ms) + 4}" text-anchor="end">${ms >= 1 ? ms.toLocaleString('en-US') : ms}</text>`);
  }
  // Axes and their labels.
  parts.push(`<line x1="${MARGIN.left}" y1="${MARGIN.top + PLOT_H}" x2="${MARGIN.left + PLOT_W}" y2="${MARGIN.top + PLOT_H}" stroke="#000"/>`);
  parts.push(`<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${MARGIN.top + PLOT_H}" stroke="#000"/>`);
  parts.push(`<text x="${MARGIN.left + PLOT_W / 2}" y="${HEIGHT - 12}" text-anchor="middle">offered rate (events/s)</text>`);
  parts.push(`<text transform="translate(18 ${MARGIN.top + PLOT_H / 2}) rotate(-90)" text-anchor="middle">latency to receiver (ms, log scale)</text>`);
  // Lines, points and legend.
  LINES.forEach((line, i) => {
    const series = plotted.filter((p) => p.variant === line.variant).sort((a, b) => a.offeredRate - b.offeredRate);
    const dash = line.dashed ? ' stroke-dasharray="6 4"' : '';
    if (series.length > 0) {
      const path = series.map((p, j) => `${j === 0 ? 'M' : 'L'}${x(p.offeredRate).toFixed(1)} ${y(p[line.percentile]).toFixed(1)}`).join(' ');
      parts.push(`<path d="${path}" fill="none" stroke="${line.color}" stroke-width="2"${dash}/>`);
      for (const p of series) parts.push(`<circle cx="${x(p.offeredRate).toFixed(1)}" cy="${y(p[line.percentile]).toFixed(1)}" r="3" fill="${line.color}"/>`);
    }
    const ly = MARGIN.top + 10 + i * 20;
    const lx = MARGIN.left + PLOT_W + 15;
    parts.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 28}" y2="${ly}" stroke="${line.color}" stroke-width="2"${dash}/>`);
    parts.push(`<text x="${lx + 34}" y="${ly + 4}">${line.variant} ${line.percentile}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
