/**
 * A one-line progress bar for long loops (training, data loading), on cli-progress, written to stderr.
 *
 * On a terminal it is a live bar. Elsewhere (piped output, CI logs) it prints a plain line at every tenth of the
 * work or every 30 seconds, whichever comes first, so long runs still show progress without escape codes.
 * Disabled (--no-progress), it is silent. Either way it writes to stderr, so a script's stdout stays clean for results. Lines printed while the bar is up go through
 * `log`, which clears the bar's line, prints the line and redraws the bar below it, so the two do not interleave.
 */
import * as cliProgress from 'cli-progress';

export interface ProgressBar {
  /** True while a bar is on screen (enabled, on a terminal, not yet stopped). */
  readonly active: boolean;
  /** Moves the bar to `value` (of the total) and updates the fields shown after it. */
  update(value: number, fields?: Record<string, string | number>): void;
  /** Prints a line through `write` (default: stdout) without tearing the bar. */
  log(line: string, write?: (line: string) => void): void;
  /** Draws the final state and removes the bar's timer; call it in a finally block. Safe to call twice. */
  stop(): void;
}

export interface ProgressOptions {
  /** False turns the bar off entirely (a --no-progress flag). Default true. */
  enabled?: boolean;
  /** Words before the bar, e.g. 'train'. */
  label?: string;
  /** Where the bar goes. Default process.stderr. */
  stream?: NodeJS.WriteStream;
  /** Names of the fields passed to update(), shown after the bar as `name: value`. */
  fields?: string[];
}

const SILENT: ProgressBar = {
  active: false,
  update: () => undefined,
  log: (line, write = console.log) => write(line),
  stop: () => undefined,
};

/** Plain progress lines for streams that are not terminals: at each tenth of the work, or every 30 s. */
function lineProgress(total: number, stream: NodeJS.WritableStream, label: string, fields: string[]): ProgressBar {
  const start = Date.now();
  let lastAt = start;
  let lastTenth = 0;
  let active = true;
  let latest: Record<string, string | number> = {};
  const line = (value: number) => {
    const secs = (Date.now() - start) / 1000;
    const eta = value > 0 ? (secs * (total - value)) / value : NaN;
    const extra = fields.filter((f) => latest[f] !== undefined && latest[f] !== '').map((f) => ` | ${f}: ${latest[f]}`).join('');
    const pct = Math.floor((100 * value) / total);
    stream.write(`${label}${pct}% ${value}/${total} ${secs.toFixed(0)}s${Number.isFinite(eta) ? ` eta ${eta.toFixed(0)}s` : ''}${extra}\n`);
  };
  return {
    get active() {
      return active;
    },
    update(value, payload) {
      if (!active) return;
      if (payload) latest = { ...latest, ...payload };
      const tenth = Math.floor((10 * value) / total);
      const now = Date.now();
      if (tenth > lastTenth || now - lastAt >= 30000) {
        lastTenth = tenth;
        lastAt = now;
        line(value);
      }
    },
    log: (text, write = console.log) => write(text),
    stop() {
      active = false;
    },
  };
}

/**
 * A progress bar counting from 0 to `total`: a live bar on a terminal, plain lines elsewhere, silent when disabled.
 * total: the number of units (iterations, files); a positive integer.
 */
export function createProgressBar(total: number, options: ProgressOptions = {}): ProgressBar {
  const stream = options.stream ?? process.stderr;
  if (options.enabled === false) return SILENT;
  if (!Number.isInteger(total) || total <= 0) throw new Error(`createProgressBar: total must be a positive integer, got ${total}`);
  const fields = options.fields ?? [];
  const label = options.label ? `${options.label} ` : '';
  if (!stream.isTTY) return lineProgress(total, stream, label, fields);
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${label}[{bar}] {percentage}% {value}/{total} eta {eta_formatted}${fields.map((f) => ` | ${f}: {${f}}`).join('')}`,
      hideCursor: true,
      clearOnComplete: false,
      // A training loop is synchronous: the bar must redraw from update() calls, not from a timer that only runs
      // when the loop yields. forceRedraw lets log() put the bar back after printing a line.
      synchronousUpdate: true,
      forceRedraw: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let active = true;
  bar.start(total, 0, Object.fromEntries(fields.map((f) => [f, ''])));
  return {
    get active() {
      return active;
    },
    update(value, payload) {
      if (active) bar.update(value, payload);
    },
    log(line, write = console.log) {
      if (!active) {
        write(line);
        return;
      }
      stream.write('\r\x1b[2K');
      write(line);
      bar.render();
    },
    stop() {
      if (!active) return;
      active = false;
      bar.stop();
    },
  };
}

/** Solver hooks that show its training as a bar (see solverProgress). */
export interface SolverProgress {
  /** The Solver's log option: lines printed above the bar. */
  log: (line: string) => void;
  /** The Solver's onIteration option: moves the bar (made at the first iteration, when the total is known). */
  onIteration: (info: { iteration: number; numIterations: number; epoch: number; loss: number }) => void;
  /** Removes the bar; call it in a finally block after training. */
  stop: () => void;
}

/**
 * A progress bar for a Solver's training, attached through its hooks: pass `log` and `onIteration` to the Solver.
 * enabled: false for none (--no-progress). write: where the Solver's lines go (e.g. stderr).
 */
export function solverProgress(enabled: boolean, write: (line: string) => void): SolverProgress {
  let bar: ProgressBar | null = null;
  return {
    log: (line) => (bar ? bar.log(line, write) : write(line)),
    onIteration: (info) => {
      bar ??= createProgressBar(info.numIterations, { enabled, label: 'train', fields: ['epoch', 'loss'] });
      bar.update(info.iteration, { epoch: info.epoch, loss: info.loss.toFixed(4) });
    },
    stop: () => bar?.stop(),
  };
}
