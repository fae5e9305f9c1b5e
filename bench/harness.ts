/**
 * Timing and memory accounting shared by every benchmark workload (see bench/README.md).
 *
 * A workload is set up once, untimed (seeded inputs, a model), then run once untimed as a warm-up and `runs` times
 * timed. Each timed run ends by reading back one scalar of its result, so that a lazy backend (webgl) has finished
 * the work before the clock stops; on wasm and cpu every kernel runs synchronously anyway. The reported time is
 * the median of the timed runs, wall clock (performance.now).
 *
 * Memory, reported beside the time:
 *   rssPeakMB  the largest resident set size seen during the warm-up and timed runs, sampled after every
 *              training step and every run (a synchronous wasm kernel cannot be interrupted to sample inside it);
 *   maxRssMB   the process's high-water mark so far (getrusage), which also covers building the inputs;
 *   tfPeakMB   the largest total of live tensor bytes during the warm-up (tf.profile), inputs included;
 *   tfBytesMB  the live tensor bytes once the workload is set up (its inputs and model).
 */
import * as tf from '@tensorflow/tfjs-core';
import { currentBackend } from '../runtime/backend';
import { activeWasmThreads } from '../runtime/wasm_threads';
import { Rng } from '../src/random';
import { KernelRow, kernelTable, profileKernels } from './profile';

/** What a workload hands the harness once its inputs are built. */
export interface Prepared {
  /**
   * One timed run. sample: call after every training step so that the memory peak is seen between steps.
   * Returns what the run produced: a tensor (the harness reads back one element and disposes it) or a number
   * already read back, or a promise of that number (work handed to worker threads).
   */
  run(sample: () => void): tf.Tensor | number | Promise<number>;
  /** Floating-point operations of one run's matrix products and convolutions, when they dominate the work. */
  flop?: number;
  /** Frees the inputs and the model. */
  dispose(): void;
  /** A plain kernel timed once after every run, in alternation with it, whose rate the run's is compared with. */
  ceiling?: Ceiling;
}

/** The kernel a workload's rate is measured against in the same process (bench/step_workloads.ts). */
export interface Ceiling {
  name: string;
  run(): tf.Tensor;
  flop: number;
  dispose(): void;
}

/** How a workload is built: its seeded generator and the size factor (1 except in specs). */
export interface SetupContext {
  rng: Rng;
  /** Multiplies sample counts (rows, images, steps): 1 for the sizes of bench/README.md, smaller in specs only. */
  scale: number;
  /** Progress and notes, to stderr. */
  log: (line: string) => void;
}

export interface Workload {
  name: string;
  /** Timed runs after the warm-up (bench/README.md's `runs` column). */
  runs: number;
  /** One line: what is timed, with which library code. */
  what: string;
  setup(ctx: SetupContext): Prepared;
}

/** One JSON line of `npm run bench`: the keys of bench/README.md first, then extras. */
export interface BenchResult {
  name: string;
  ms: number | null;
  runs: number;
  backend: string;
  minMs?: number;
  /** Threads the wasm backend computes on (runtime/wasm_threads.ts); 1 on other backends. */
  threads?: number;
  maxMs?: number;
  gflops?: number;
  rssPeakMB?: number;
  maxRssMB?: number;
  tfPeakMB?: number;
  tfBytesMB?: number;
  scale?: number;
  /** With a ceiling: its name, median ms and GFLOP/s, and gflops / ceilingGflops (both medians of alternating runs). */
  ceiling?: string;
  ceilingMs?: number;
  ceilingGflops?: number;
  ratio?: number;
  /** With --profile: one run's kernels, the slowest first (profileKernels). */
  profile?: KernelRow[];
  error?: string;
}

const MB = 1024 * 1024;

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Median of a non-empty list (the mean of the middle two for an even count, as numpy's median). */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Reads back one element of a run's result (its last), so that all the work behind it has been done. */
function readBack(result: tf.Tensor | number): number {
  if (typeof result === 'number') return result;
  const one = tf.tidy(() => tf.slice(tf.reshape(result, [-1]), result.size - 1, 1));
  const value = one.dataSync()[0];
  one.dispose();
  result.dispose();
  return value;
}

/**
 * Folds the kernels recorded so far by the running tf.profile into their peak of live tensor bytes, and drops the
 * records. tf.profile keeps one record per kernel and takes Math.max(...records) at the end, which overflows the
 * call stack past ~100,000 kernels (an fc_bn epoch runs ~230,000); emptying the list at every step keeps it
 * short. Returns the peak of the dropped records (0 for none).
 */
function drainProfiledKernels(): number {
  const kernels = tf.engine().state.activeProfile.kernels;
  let peak = 0;
  for (const k of kernels) if (k.totalBytesSnapshot > peak) peak = k.totalBytesSnapshot;
  kernels.length = 0;
  return peak;
}

/** The process's resident-set high-water mark in bytes (getrusage reports kilobytes on Linux). */
function maxRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/**
 * Sets up a workload, warms it up under tf.profile, times `runs` runs and returns its result line.
 * seed: the workload's inputs come from new Rng(seed). scale: see SetupContext.
 */
export async function timeWorkload(
  w: Workload,
  opts: { seed: number; scale: number; runs?: number; profile?: boolean; log: (line: string) => void },
): Promise<BenchResult> {
  const runs = opts.runs ?? w.runs;
  opts.log(`${w.name}: building inputs (${w.what})`);
  const prepared = w.setup({ rng: new Rng(opts.seed), scale: opts.scale, log: opts.log });
  let rssPeak = process.memoryUsage.rss();
  let tfPeak = 0;
  let profiling = false;
  const sample = () => {
    const rss = process.memoryUsage.rss();
    if (rss > rssPeak) rssPeak = rss;
    if (profiling) tfPeak = Math.max(tfPeak, drainProfiledKernels());
  };
  try {
    const tfBytes = tf.memory().numBytes;
    opts.log(`${w.name}: warm-up`);
    // The per-kernel NaN check of a profiled run reads every kernel's output asynchronously; over an epoch those
    // copies would pile up until the run ends, so it is off while profiling.
    const checkFlag = tf.env().getBool('CHECK_COMPUTATION_FOR_ERRORS');
    tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', false);
    let profile: Awaited<ReturnType<typeof tf.profile>>;
    profiling = true;
    try {
      profile = await tf.profile(async () => {
        readBack(await prepared.run(sample));
      });
    } finally {
      profiling = false;
      tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', checkFlag);
    }
    tfPeak = Math.max(tfPeak, profile.peakBytes);
    sample();

    const ceiling = prepared.ceiling;
    if (ceiling) readBack(ceiling.run());
    const times: number[] = [];
    const ceilingTimes: number[] = [];
    for (let r = 0; r < runs; r++) {
      const start = performance.now();
      readBack(await prepared.run(sample));
      times.push(performance.now() - start);
      sample();
      let beside = '';
      if (ceiling) {
        const t0 = performance.now();
        readBack(ceiling.run());
        ceilingTimes.push(performance.now() - t0);
        beside = `, ${ceiling.name} ${ceilingTimes[r].toFixed(1)} ms`;
      }
      opts.log(`${w.name}: run ${r + 1}/${runs} ${times[r].toFixed(1)} ms${beside}`);
    }
    const ms = median(times);
    const result: BenchResult = {
      name: w.name,
      ms: round(ms, 3),
      runs,
      backend: currentBackend(),
      minMs: round(Math.min(...times), 3),
      maxMs: round(Math.max(...times), 3),
      threads: activeWasmThreads(),
    };
    if (prepared.flop !== undefined) result.gflops = round(prepared.flop / (ms * 1e6), 2);
    if (ceiling && prepared.flop !== undefined) {
      const cMs = median(ceilingTimes);
      const cGflops = ceiling.flop / (cMs * 1e6);
      Object.assign(result, { ceiling: ceiling.name, ceilingMs: round(cMs, 3), ceilingGflops: round(cGflops, 2), ratio: round(prepared.flop / (ms * 1e6) / cGflops, 3) });
      opts.log(`${w.name}: ${result.gflops} GFLOP/s, ${ceiling.name} ${result.ceilingGflops} GFLOP/s, ratio ${result.ratio}`);
    }
    if (opts.profile) {
      result.profile = await profileKernels(async () => readBack(await prepared.run(() => {})));
      opts.log(kernelTable(result.profile));
    }
    result.rssPeakMB = round(rssPeak / MB, 1);
    result.maxRssMB = round(maxRssBytes() / MB, 1);
    result.tfPeakMB = round(Math.max(tfPeak, tfBytes) / MB, 1);
    result.tfBytesMB = round(tfBytes / MB, 1);
    if (opts.scale !== 1) result.scale = opts.scale;
    return result;
  } finally {
    prepared.dispose();
  }
}

/** The line for a workload that could not run (e.g. a missing kernel), with the reason. */
export function errorResult(name: string, runs: number, err: unknown): BenchResult {
  const message = err instanceof Error ? err.message : String(err);
  return { name, ms: null, runs: 0, backend: currentBackend(), error: message.split('\n')[0] };
}

/** Prints a result as one JSON line on stdout, the only thing bench ever writes there. */
export function emit(result: BenchResult): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** Scales a count for specs: at scale 1 the count itself, otherwise round(n * scale), at least 1. */
export function scaled(n: number, scale: number): number {
  return scale === 1 ? n : Math.max(1, Math.round(n * scale));
}

/** Seeded int32 labels in 0..numClasses-1. */
export function randomLabels(rng: Rng, n: number, numClasses = 10): Int32Array {
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = rng.int(numClasses);
  return y;
}
