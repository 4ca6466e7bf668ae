import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

export interface CommandOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  signal?: AbortSignal;
}

/** A command that failed: what ran and the end of what it printed. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(
    readonly command: string,
    readonly output: string,
    options?: ErrorOptions,
  ) {
    super(`${command} failed${output ? `:\n${output}` : ''}`, options);
  }
}

export interface CommandResult {
  /** The exit code; null when a signal ended it. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `file args…` to its end and returns what it printed and its exit code; rejects only when it cannot run (or is aborted). */
export function execCommand(file: string, args: readonly string[], options: CommandOptions): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { ...options, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout, stderr });
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'number') return resolve({ code, stdout, stderr });
      if (options.signal?.aborted) return reject(err);
      if ((err as { signal?: unknown }).signal) return resolve({ code: null, stdout, stderr });
      reject(new CommandError(describe(file, args), err.message, { cause: err }));
    });
  });
}

/** Runs `file args…`; its stdout when it exits 0, else a CommandError with the end of its stderr. */
export async function runCommand(file: string, args: readonly string[], options: CommandOptions): Promise<string> {
  const result = await execCommand(file, args, options);
  if (result.code === 0) return result.stdout;
  throw new CommandError(describe(file, args), lastLines(result.stderr.trim() || result.stdout.trim(), 20) || `exit ${result.code ?? 'by a signal'}`);
}

/**
 * Runs `file args…`, handing each line it prints (stdout and stderr) to `onLine`; resolves when it
 * exits 0, else rejects with a CommandError carrying its last lines.
 */
export function streamCommand(file: string, args: readonly string[], options: CommandOptions, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const take = (line: string) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      onLine(line);
    };
    createInterface({ input: child.stdout }).on('line', take);
    createInterface({ input: child.stderr }).on('line', take);
    child.on('error', (err) => reject(options.signal?.aborted ? err : new CommandError(describe(file, args), err.message, { cause: err })));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new CommandError(describe(file, args), [...tail, `(exit ${code ?? signal})`].join('\n')));
    });
  });
}

function describe(file: string, args: readonly string[]): string {
  return [path.basename(file), ...args].join(' ');
}

function lastLines(text: string, count: number): string {
  return text.split('\n').slice(-count).join('\n');
}
