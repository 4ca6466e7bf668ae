/**
 * Reporting: a table per scenario (callhook beside wire and floor, with the ratios
 * callhook/floor and callhook/wire) on the console, and bench/results/latest.json, latest.md and
 * latency-vs-rate.svg.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { latencyVsRateSvg } from './chart';
import type { Row, ScenarioResult, Variant } from './lib/types';
import { VARIANTS } from './lib/types';

export interface Machine {
  cpus: number;
  model: string;
  memoryGb: number;
  node: string;
  platform: string;
  /** 1-minute load average at the start and at the end of the run: other work on the machine shows here. */
  loadAverage: { start: number; end: number };
}

export interface BenchReport {
  date: string;
  /** Commit and whether src/ had uncommitted changes. */
  commit: string;
  machine: Machine;
  durationSeconds: number;
  /** How the run was set up (harness settings, dev server flags, variants). */
  setup: Record<string, unknown>;
  scenarios: ScenarioResult[];
  failures: { scenario: string; error: string }[];
}

export function describeMachine(loadStart: number): Machine {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    model: cpus[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round((os.totalmem() / 1_073_741_824) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverage: { start: loadStart, end: os.loadavg()[0] ?? NaN },
  };
}

export function describeCommit(): string {
  try {
    const cwd = path.join(__dirname, '..');
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd, encoding: 'utf8' }).trim();
    return dirty ? `${commit} (src/ has uncommitted changes)` : commit;
  } catch {
    return 'unknown';
  }
}

/** A figure for a table: fewer decimals as it grows; two significant digits below 0.1. */
export function formatNumber(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs > 0 && abs < 0.1) return value.toPrecision(2);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function formatRatio(numerator: number | undefined, denominator: number | undefined): string {
  if (numerator === undefined || denominator === undefined || !Number.isFinite(numerator) || !Number.isFinite(denominator) || denominator === 0) return '–';
  return `${formatNumber(numerator / denominator)}×`;
}

const HEADER = ['metric', 'unit', ...VARIANTS, 'callhook/floor', 'callhook/wire'];

function tableCells(rows: Row[], variants: Variant[]): string[][] {
  return rows.map((row) => [
    row.label,
    row.unit,
    ...VARIANTS.map((variant) => (variants.includes(variant) ? formatNumber(row.values[variant]) : '–')),
    row.ratios === false ? '' : formatRatio(row.values.callhook, row.values.floor),
    row.ratios === false ? '' : formatRatio(row.values.callhook, row.values.wire),
  ]);
}

const loadText = (result: ScenarioResult): string =>
  `load average ${result.loadAverage.start.toFixed(1)} → ${result.loadAverage.end.toFixed(1)} on ${os.cpus().length} CPUs`;

/** Rows as aligned text. */
function textTable(rows: Row[], variants: Variant[]): string[] {
  const cells = [HEADER, ...tableCells(rows, variants)];
  const widths = HEADER.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]) => row.map((cell, column) => (column < 2 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
  return [line(cells[0] ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)];
}

/** The scenario's table as aligned text, with its description and notes. */
export function consoleTable(result: ScenarioResult, variants: Variant[]): string {
  return [
    `${result.title} [${result.name}] — ${result.seconds.toFixed(0)} s, ${loadText(result)}`,
    result.description,
    '',
    ...textTable(result.rows, variants),
    ...result.notes.map((note) => `  · ${note}`),
  ].join('\n');
}

/** The headline figures of every scenario as aligned text. */
export function consoleSummary(results: ScenarioResult[], variants: Variant[]): string {
  return ['Summary', '', ...textTable(summaryRows(results), variants)].join('\n');
}

/** The headline rows of every scenario, the scenario's name in front. */
function summaryRows(results: ScenarioResult[]): Row[] {
  return results.flatMap((result) => result.rows.filter((row) => row.headline).map((row) => ({ ...row, label: `${result.name}: ${row.label}` })));
}

function markdownTable(rows: Row[], variants: Variant[]): string {
  const cells = tableCells(rows, variants);
  return [
    `| ${HEADER.join(' | ')} |`,
    `|${HEADER.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`,
    ...cells.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

export function markdown(report: BenchReport, variants: Variant[], hasChart: boolean): string {
  const m = report.machine;
  const lines = [
    '# callhook benchmark — latest run',
    '',
    `${report.date} · commit ${report.commit} · ${report.durationSeconds.toFixed(0)} s in all.`,
    '',
    `Machine: ${m.cpus} × ${m.model}, ${m.memoryGb} GB, ${m.platform}, Node ${m.node}; load average ${m.loadAverage.start.toFixed(2)} at the start, ${m.loadAverage.end.toFixed(2)} at the end.`,
    'The Temporal dev server, Postgres, callhook (API and worker), the floor worker, the load generator and the receivers all share this machine.',
    '',
    '**How to read it.** Every scenario runs three variants in the same run: **wire** — the same receiver hit directly with HTTP POSTs in the same pattern (what the network and receiver cost); **floor** — a minimal Temporal workflow per call, signal-with-start per event and one no-op activity per event and endpoint (what Temporal itself costs); **callhook** — the real API → Postgres → Temporal → worker → receiver. Latency is from submitting an event (open loop: from the time it was offered) to its arrival at the receiver (floor: to the activity running); accept is submission → 202 (floor: signal-with-start returned; wire: the POST answered). Compare ratios within this run, not figures across runs or machines.',
    '',
    "**The floor is Temporal's cost per event, not a strict lower bound.** It runs one activity per event and endpoint. callhook's workflow (v2) delivers a lane's backlog in batches (up to 50 deliveries in one activity) and plans queued events together, so where events queue up behind a lane — long-call above all — callhook does fewer workflow tasks and activities per event than the floor and can beat it (callhook/floor < 1 for latency).",
    '',
    `Setup: ${Object.entries(report.setup).map(([key, value]) => `${key} = ${typeof value === 'string' ? value : JSON.stringify(value)}`).join('; ')}.`,
    '',
  ];
  if (report.failures.length > 0) {
    lines.push('## FAILED', '', ...report.failures.map((f) => `- **${f.scenario}**: ${f.error}`), '');
  }
  const summary = summaryRows(report.scenarios);
  if (summary.length > 0) lines.push('## Summary', '', markdownTable(summary, variants), '');
  for (const result of report.scenarios) {
    lines.push(`## ${result.title} (\`${result.name}\`)`, '', `${result.description} (${result.seconds.toFixed(0)} s, ${loadText(result)})`, '', markdownTable(result.rows, variants), '');
    if (result.name === 'open-loop' && hasChart) lines.push('![latency against offered rate](latency-vs-rate.svg)', '');
    if (result.notes.length > 0) lines.push(...result.notes.map((note) => `- ${note}`), '');
  }
  return lines.join('\n');
}

/** Writes latest.json, latest.md and (when open-loop ran) latency-vs-rate.svg to `dir`; returns their paths. */
export function writeResults(report: BenchReport, variants: Variant[], dir: string): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const jsonPath = path.join(dir, 'latest.json');
  const mdPath = path.join(dir, 'latest.md');
  const svgPath = path.join(dir, 'latency-vs-rate.svg');
  const points = report.scenarios.flatMap((s) => s.ratePoints ?? []);
  const hasChart = points.length > 0;
  if (hasChart) {
    const arrivals = report.scenarios.find((s) => s.name === 'open-loop')?.params.arrivals;
    fs.writeFileSync(svgPath, latencyVsRateSvg(points, `${report.date.slice(0, 10)} · ${report.machine.cpus} CPUs · ${arrivals ?? ''} arrivals`));
  } else {
    fs.rmSync(svgPath, { force: true }); // a chart from another run would not match latest.md
  }
  fs.writeFileSync(jsonPath, `${JSON.stringify(report, roundNumbers, 1)}\n`);
  fs.writeFileSync(mdPath, markdown(report, variants, hasChart));
  return hasChart ? [jsonPath, mdPath, svgPath] : [jsonPath, mdPath];
}

/** JSON replacer: figures to 3 decimals, to keep latest.json small and readable. */
function roundNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 1_000) / 1_000 : value;
}
