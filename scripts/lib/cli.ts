/**
 * The command line every training script shares, built on commander, and the start-up every script runs.
 *
 * Common flags:
 *   --seed <n>        seed of the run's Rng, 0 to 2^32 - 1 (default 0): the same seed reproduces the same run
 *   --quick           smoke run of a few minutes at most: each script shrinks its data and iterations
 *   --out <dir>       output folder (default runs/<script>/); one run at a time writes there
 *   --backend <name>  node | wasm | cpu (default: TFJS_BACKEND, else node if installed, else wasm, else cpu)
 *   --no-progress     no progress bar (logs and results still print)
 *
 * Every flag's value goes through one of the parsers below (the same flag, the same parser, in every script),
 * and `--impl` (or CS231N_IMPL) is one of learn/impl.ts's IMPLS, checked by commander in one line.
 *
 * Usage in a script:
 *   const program = createCommand('knn', 'k-nearest-neighbour classifier on CIFAR-10')
 *     .option('--folds <n>', 'cross-validation folds', parsePositiveInt('--folds'), 5);
 *   program.parse();
 *   const ctx = await startScript('knn', program.opts<CommonOptions & { folds: number }>());
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { activeWasmThreads } from '../../runtime/wasm_threads';
import { Command, InvalidArgumentError, Option } from 'commander';
import { BackendChoice, initBackendAndReport } from '../../runtime/backend';
import { Rng } from '../../src/random';
import { createProgressBar, ProgressBar } from '../../runtime/progress';
import { claimOutDir } from './run_dir';
import { IMPLS, IMPL_HELP, Impl, useImplementation } from '../../learn/impl';

/** The options every script's command has, as commander returns them. */
export interface CommonOptions {
  /** Whose code runs: the library's (src/, the default) or the learner's exercises (learn/impl.ts). */
  impl?: Impl;
  seed: number;
  quick: boolean;
  out?: string;
  backend?: ScriptBackend;
  progress: boolean;
}

/** Backends a script may ask for (webgl needs a browser: see web/). */
export type ScriptBackend = Extract<BackendChoice, 'node' | 'wasm' | 'cpu'>;
export const SCRIPT_BACKENDS: readonly ScriptBackend[] = ['node', 'wasm', 'cpu'];

/** Facts about a run to store beside its metrics, so that a result says how it was produced. */
export interface RunInfo {
  script: string;
  seed: number;
  quick: boolean;
  backend: string;
  /** Threads the wasm backend computes on (runtime/wasm_threads.ts); 1 on the other backends. */
  threads: number;
  tfjs: string;
  node: string;
  startedAt: string;
  seconds: number;
  /**
   * The git commit the run's code came from, with `-dirty` when tracked files differ from it; null outside a git
   * checkout. With `command`, what `npm run results` writes beside each number in docs/results.md.
   */
  commit: string | null;
  /** The command that reproduces the run, as a person types it: `npm run fc-nets -- --seed 1`. */
  command: string;
}

/** A run's RunInfo as of now: what the caller knows, plus the threads, versions and time since started. */
export function runInfoNow(known: Pick<RunInfo, 'script' | 'seed' | 'quick' | 'backend' | 'commit' | 'command'>, started: Date): RunInfo {
  return {
    ...known,
    threads: activeWasmThreads(),
    tfjs: tf.version_core,
    node: process.version,
    startedAt: started.toISOString(),
    seconds: Math.round((Date.now() - started.getTime()) / 100) / 10,
  };
}

/** The commit HEAD points at (`-dirty` appended if tracked files changed), or null without git or a checkout. */
export function currentCommit(cwd = process.cwd()): string | null {
  const git = (args: string[]) =>
    execFileSync('git', args, { cwd, encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const head = git(['rev-parse', 'HEAD']);
    if (!/^[0-9a-f]{40}$/.test(head)) return null;
    const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
    return dirty ? `${head}-dirty` : head;
  } catch {
    return null;
  }
}

/** The npm command that runs `name` with these arguments (each quoted if the shell would split it). */
export function commandLine(name: string, args: readonly string[] = process.argv.slice(2)): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`);
  return args.length === 0 ? `npm run ${name}` : `npm run ${name} -- ${args.map(quote).join(' ')}`;
}

/** What startScript hands a script. */
export interface ScriptContext {
  name: string;
  seed: number;
  quick: boolean;
  /** Absolute path of the output folder; it exists. */
  outDir: string;
  /** The run's one source of randomness, seeded with --seed. */
  rng: Rng;
  backend: BackendChoice;
  /** Prints a line to stderr, above the progress bar if one is up. */
  log: (message: string) => void;
  /** False under --no-progress. */
  progress: boolean;
  /**
   * A progress bar (runtime/progress.ts) for a loop of `total` steps, shown when progress is on and stderr is a
   * terminal, silent otherwise; while it is up, ctx.log prints above it. fields: names passed to update().
   * `const bar = ctx.progressBar(iters, 'train', ['loss']); ... bar.update(i + 1, { loss }); ... bar.stop();`
   */
  progressBar: (total: number, label: string, fields?: string[]) => ProgressBar;
  /** RunInfo as of now (seconds since start included): spread it into the metrics. */
  runInfo: () => RunInfo;
}

/** An argument parser for an integer flag: `--seed abc` -> "--seed must be an integer, got 'abc'". */
export function parseInteger(flag: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^\s*[-+]?\d+\s*$/.test(value) || !Number.isSafeInteger(n)) {
      throw new InvalidArgumentError(`${flag} must be an integer, got '${value}'`);
    }
    return n;
  };
}

/** The largest seed: the Rng takes 32-bit seeds, and a larger or negative one would wrap onto another seed's run. */
export const MAX_SEED = 2 ** 32 - 1;

/** An argument parser for a seed: an integer from 0 to 2^32 - 1, anything else refused (never wrapped). */
export function parseSeed(flag: string): (value: string) => number {
  const asInteger = parseInteger(flag);
  const refuse = (value: string) => new InvalidArgumentError(`${flag} must be an integer from 0 to ${MAX_SEED}, got '${value}'`);
  return (value: string) => {
    let n: number;
    try {
      n = asInteger(value);
    } catch {
      throw refuse(value);
    }
    if (n < 0 || n > MAX_SEED) throw refuse(value);
    return n;
  };
}

/** An argument parser for a positive integer flag (iterations, epochs, batch size, folds). */
export function parsePositiveInt(flag: string): (value: string) => number {
  const asInteger = parseInteger(flag);
  return (value: string) => {
    let n: number;
    try {
      n = asInteger(value);
    } catch {
      throw new InvalidArgumentError(`${flag} must be a positive integer, got '${value}'`);
    }
    if (n <= 0) throw new InvalidArgumentError(`${flag} must be a positive integer, got '${value}'`);
    return n;
  };
}

/**
 * A number as people write one in decimal: an optional sign, digits with an optional point, an optional exponent
 * (1e-3, 0.001, .5, 2E4). JavaScript's Number() also reads '0x10' as 16, '0b11' as 3 and '' as 0: none is meant as
 * a learning rate.
 */
export const DECIMAL_NUMBER = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/** An argument parser for a finite number flag (learning rate, regularisation: 1e-3 and 0.001 both work). */
export function parseNumber(flag: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (Number.isFinite(n) && value.trim() !== '' && !DECIMAL_NUMBER.test(value)) {
      throw new InvalidArgumentError(`${flag} must be a decimal number (like 0.001 or 1e-3), got '${value}'`);
    }
    if (!DECIMAL_NUMBER.test(value) || !Number.isFinite(n)) throw new InvalidArgumentError(`${flag} must be a number, got '${value}'`);
    return n;
  };
}

/**
 * An argument parser for a number flag within bounds: `--lr -1` -> "--lr must be a number > 0, got '-1'".
 * min and max: the bounds; open: which of them are excluded ('min', 'max' or 'both').
 */
export function parseNumberIn(flag: string, min: number, max: number, open: 'min' | 'max' | 'both' | 'none' = 'none'): (value: string) => number {
  const asNumber = parseNumber(flag);
  const lo = open === 'min' || open === 'both' ? '>' : '>=';
  const hi = open === 'max' || open === 'both' ? '<' : '<=';
  const words = `a number ${lo} ${min}${max === Infinity ? '' : ` and ${hi} ${max}`}`;
  return (value: string) => {
    let n = NaN;
    try {
      n = asNumber(value);
    } catch {
      // Worded below with the range.
    }
    const aboveMin = lo === '>' ? n > min : n >= min;
    const belowMax = hi === '<' ? n < max : n <= max;
    if (!(aboveMin && belowMax)) throw new InvalidArgumentError(`${flag} must be ${words}, got '${value}'`);
    return n;
  };
}

/** A learning rate, a step length, a time budget: a finite number > 0. */
export function parsePositiveNumber(flag: string): (value: string) => number {
  return parseNumberIn(flag, 0, Infinity, 'min');
}

/** A regularisation strength, a standard deviation: a finite number >= 0. */
export function parseNonNegativeNumber(flag: string): (value: string) => number {
  return parseNumberIn(flag, 0, Infinity);
}

/** An argument parser for an integer flag from min to max (a port, a count with a ceiling). */
export function parseIntegerIn(flag: string, min: number, max: number): (value: string) => number {
  const asInteger = parseInteger(flag);
  return (value: string) => {
    let n = NaN;
    try {
      n = asInteger(value);
    } catch {
      // Worded below with the range.
    }
    if (!(n >= min && n <= max)) throw new InvalidArgumentError(`${flag} must be an integer from ${min} to ${max}, got '${value}'`);
    return n;
  };
}

/** The parser of --backend: one of SCRIPT_BACKENDS, in any case. */
export function parseScriptBackend(value: string): ScriptBackend {
  const v = value.trim().toLowerCase();
  if ((SCRIPT_BACKENDS as readonly string[]).includes(v)) return v as ScriptBackend;
  throw new InvalidArgumentError(`--backend must be one of ${SCRIPT_BACKENDS.join(', ')}, got '${value}'`);
}

/**
 * A commander Command with the common flags. Add the script's own options to it, then call `.parse()`.
 * Bad values stop the script with commander's message plus ours, e.g.
 * "error: option '--seed <n>' argument 'abc' is invalid. --seed must be an integer, got 'abc'".
 */
export function createCommand(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .option('--seed <n>', `seed of the run, 0 to ${MAX_SEED} (same seed, same run)`, parseSeed('--seed'), 0)
    .option('--quick', 'smoke run of a few minutes at most: less data, fewer iterations', false)
    .option('--out <dir>', `output folder (default: runs/${name}/)`)
    .addOption(
      new Option('--backend <name>', `tfjs backend: ${SCRIPT_BACKENDS.join(' | ')} (default: TFJS_BACKEND, else node, wasm, cpu)`).argParser(
        parseScriptBackend,
      ),
    )
    .option('--no-progress', 'no progress bar (a bar shows only when stderr is a terminal)')
    .addOption(implOption())
    .showHelpAfterError('(run with --help for usage)');
}

/**
 * `--impl <which>`, one of learn/impl.ts's IMPLS (also from CS231N_IMPL; absent means 'library'); pass its value
 * to useImplementation.
 */
export function implOption(): Option {
  return new Option('--impl <which>', IMPL_HELP).choices(IMPLS).env('CS231N_IMPL');
}

/** A folder as a person would type it: relative to the working directory when inside it, else absolute. */
function displayPath(dir: string): string {
  const rel = path.relative(process.cwd(), dir);
  return rel === '' ? './' : rel.startsWith('..') || path.isAbsolute(rel) ? `${dir}/` : `${rel}/`;
}

/**
 * Starts a script: creates the output folder and locks it for this process (a second run into the same --out is
 * refused, naming this one: see claimOutDir), initialises the backend (printed once), seeds the Rng.
 *
 * name: the script's name (the default output folder is runs/<name>/, relative to the working directory, which
 * `npm run` sets to the repository root). options: the parsed common options.
 */
export async function startScript(name: string, options: CommonOptions): Promise<ScriptContext> {
  useImplementation(options.impl ?? 'library');
  const started = new Date();
  // The bar on screen, if any, so that log lines go through it instead of tearing it.
  let current: ProgressBar | null = null;
  const toStderr = (line: string) => process.stderr.write(`${line}\n`);
  const log = (message: string) => (current?.active ? current.log(message, toStderr) : toStderr(message));
  const progressBar = (total: number, label: string, fields?: string[]): ProgressBar => {
    const bar = createProgressBar(total, { enabled: options.progress, label, fields });
    if (bar.active) current = bar;
    return bar;
  };
  // The output folder first: a path that cannot be written, or that another run is writing, is refused before
  // the backend takes its seconds.
  const outDir = claimOutDir(options.out ?? path.join('runs', name), name, log);
  const backend = await initBackendAndReport(options.backend, log);
  const seed = options.seed;
  const quick = options.quick;
  log(`${name}: seed ${seed}${quick ? ', quick run' : ''}, output in ${displayPath(outDir)}`);
  const commit = currentCommit();
  const command = commandLine(name);
  return {
    name,
    seed,
    quick,
    outDir,
    rng: new Rng(seed),
    backend,
    log,
    progress: options.progress,
    progressBar,
    runInfo: () => runInfoNow({ script: name, seed, quick, backend, commit, command }, started),
  };
}
