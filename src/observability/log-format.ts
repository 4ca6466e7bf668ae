/**
 * The human-readable form of callhook's log records, for a terminal:
 * `18:22:01 INFO  callhook running  taskQueue=callhook email="disabled (no SMTP_URL)"`, an
 * error's stack on the lines below. Elsewhere the records stay JSON lines (pino's own).
 */
export type LogFormat = 'pretty' | 'json';

/** LOG_FORMAT when set (`pretty`, `json`); else pretty on a terminal, JSON otherwise. */
export function resolveLogFormat(setting: string | undefined, isTTY: boolean): LogFormat {
  if (setting === 'pretty' || setting === 'json') return setting;
  return isTTY ? 'pretty' : 'json';
}

export interface PrettyOptions {
  /** ANSI colours (level, dimmed keys); off where NO_COLOR is set. */
  color: boolean;
}

const LEVELS: Record<number, { label: string; color: string }> = {
  10: { label: 'TRACE', color: '90' },
  20: { label: 'DEBUG', color: '36' },
  30: { label: 'INFO ', color: '32' },
  40: { label: 'WARN ', color: '33' },
  50: { label: 'ERROR', color: '31' },
  60: { label: 'FATAL', color: '35' },
};

/** Fields every record carries that a reader at a terminal does not need. */
const OMITTED = new Set(['time', 'level', 'msg', 'pid', 'hostname', 'service']);

/** One JSON log line (pino's) as pretty text, newline-terminated; a line that is not JSON is returned as it is. */
export function formatPrettyLine(line: string, options: PrettyOptions): string {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`; // not a record (cannot happen with pino): shown unchanged
  }
  if (!isObject(record)) return `${line.trimEnd()}\n`;
  return formatPrettyRecord(record, options);
}

export function formatPrettyRecord(record: Record<string, unknown>, { color }: PrettyOptions): string {
  const paint = (code: string, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const level = LEVELS[Number(record.level)] ?? { label: String(record.level).toUpperCase().padEnd(5), color: '0' };
  const stacks: string[] = [];
  const fields: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (OMITTED.has(key)) continue;
    if (isSerializedError(value)) {
      // The stack's first line names the type and message (pino adds each cause's stack to it).
      const { stack, message: _message, type: _type, name: _name, ...rest } = value;
      stacks.push(stack);
      for (const [subKey, subValue] of flatten(rest, `${key}.`)) fields.push(`${paint('2', `${subKey}=`)}${subValue}`);
      continue;
    }
    for (const [flatKey, flatValue] of flatten({ [key]: value }, '')) fields.push(`${paint('2', `${flatKey}=`)}${flatValue}`);
  }
  const message = typeof record.msg === 'string' ? record.msg : '';
  let text = `${paint('2', clock(record.time))} ${paint(level.color, level.label)} ${message}`;
  if (fields.length) text += `  ${fields.join(' ')}`;
  for (const stack of stacks) text += `\n${indent(stack)}`;
  return `${text}\n`;
}

/** [key, shown value] pairs; nested objects become dotted keys (a.b=1), arrays and deep objects JSON. */
function flatten(value: Record<string, unknown>, prefix: string, depth = 0): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue;
    if (isObject(item) && depth < 2 && Object.keys(item).length > 0) pairs.push(...flatten(item, `${prefix}${key}.`, depth + 1));
    else pairs.push([`${prefix}${key}`, showValue(item)]);
  }
  return pairs;
}

function showValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"'=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return JSON.stringify(value) ?? String(value);
}

/** pino's time (ISO text with isoTime, else epoch ms) as the local HH:MM:SS. */
function clock(time: unknown): string {
  const date = typeof time === 'string' || typeof time === 'number' ? new Date(time) : new Date();
  const valid = Number.isNaN(date.getTime()) ? new Date() : date;
  return [valid.getHours(), valid.getMinutes(), valid.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What pino's err serializer makes of an Error: { type, message, stack, …its own fields }. */
function isSerializedError(value: unknown): value is Record<string, unknown> & { stack: string; message: string; type?: unknown } {
  return isObject(value) && typeof value.stack === 'string' && typeof value.message === 'string';
}
