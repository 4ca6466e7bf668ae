import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** The repository's root: children run from here, as `npm run api` / `npm run worker` would. */
const ROOT = path.resolve(__dirname, '..', '..');
/** Log lines kept per process, shown when a test fails (the rest is dropped: 4 chatty processes). */
const KEPT_LINES = 2_000;

/** Children still alive, killed if the test process exits without stopping them (a failed `before`, --test-force-exit). */
const alive = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of alive) child.kill('SIGKILL');
});

/** One JSON log line of a callhook process (LOG_FORMAT=json). */
export interface LogLine {
  msg?: string;
  level?: number;
  [field: string]: unknown;
}

/**
 * A callhook entry point (src/api/main.ts, src/worker.ts; or compiled, dist/…) run as a real child process: `node --import tsx <script>`,
 * spawned directly so that its pid is the node process itself (a SIGKILL kills the service, not an npx or tsx
 * wrapper that would leave it running). Configured by environment only; its JSON log lines are read as they come.
 */
export class ServiceProcess {
  /** The latest log lines (stdout, and stderr as `{ stderr }`), for diagnostics. */
  readonly lines: string[] = [];
  /** Resolves with how the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly watchers: { match: (line: LogLine) => boolean; resolve: () => void }[] = [];
  private ended = false;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    alive.add(child);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.ended = true;
        alive.delete(child);
        resolve({ code, signal });
      });
    });
    createInterface({ input: child.stdout! }).on('line', (line) => this.take(line));
    createInterface({ input: child.stderr! }).on('line', (line) => this.keep(JSON.stringify({ stderr: line })));
  }

  /**
   * `options.nodeArgs` replace `--import tsx` (compiled code runs with plain node: test/production-build.test.ts);
   * `options.cwd` replaces the repository's root.
   */
  static start(name: string, script: string, env: Record<string, string>, options: { nodeArgs?: string[]; cwd?: string } = {}): ServiceProcess {
    // The parent's environment minus anything callhook reads, so a developer's shell (or a .env-like CI setup) cannot leak in.
    const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => key === 'PATH' || key === 'HOME' || key === 'TMPDIR'));
    const child = spawn(process.execPath, [...(options.nodeArgs ?? ['--import', 'tsx']), script], {
      cwd: options.cwd ?? ROOT,
      env: { ...base, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServiceProcess(name, child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.ended;
  }

  /** Resolves at the first log line (from now or earlier ones still kept) whose `msg` is `msg`; fails if the process ends first or after `timeoutMs`. */
  async waitForLog(msg: string, timeoutMs: number): Promise<void> {
    const match = (line: LogLine) => line.msg === msg;
    if (this.lines.some((text) => match(parse(text)))) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        new Promise<void>((resolve) => this.watchers.push({ match, resolve })),
        this.exited.then(({ code, signal }) => {
          throw new Error(`${this.name} ended (code ${code}, signal ${signal}) before logging "${msg}":\n${this.tail()}`);
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${this.name} did not log "${msg}" within ${timeoutMs} ms:\n${this.tail()}`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills the process (SIGKILL: no shutdown, as a crash or an OOM kill) and resolves once it has ended. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.ended) return;
    this.child.kill(signal);
    await this.exited;
  }

  /** The kept log lines, most recent last. */
  tail(count = 40): string {
    return this.lines.slice(-count).map((line) => `  [${this.name}] ${line}`).join('\n');
  }

  private take(text: string): void {
    this.keep(text);
    const line = parse(text);
    for (const watcher of this.watchers.filter((w) => w.match(line))) {
      this.watchers.splice(this.watchers.indexOf(watcher), 1);
      watcher.resolve();
    }
  }

  private keep(text: string): void {
    this.lines.push(text);
    if (this.lines.length > KEPT_LINES) this.lines.shift();
  }
}

function parse(text: string): LogLine {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as LogLine) : {};
  } catch {
    return {}; // not a log line (a stack trace printed by node itself): matches nothing
  }
}
