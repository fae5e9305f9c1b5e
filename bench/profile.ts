/**
 * `--profile`: where one run's time goes, kernel by kernel. tf.profile records every kernel the engine runs with
 * its wall time (on wasm and cpu a kernel runs synchronously, so that time is the kernel's own); the rows add them
 * up per kernel name, and one row holds what the run spent outside any kernel (the engine's bookkeeping, the
 * library's JavaScript, reading back the loss).
 */
import * as tf from '@tensorflow/tfjs-core';

/** One kernel name's share of a run: how often it ran, its total milliseconds, and that as a fraction of the run. */
export interface KernelRow {
  kernel: string;
  calls: number;
  ms: number;
  share: number;
}

/** The row that holds the run's time outside every kernel. */
export const OUTSIDE = '(outside kernels)';

/**
 * Runs `run` once under tf.profile. byShape: one row per kernel name and input shapes instead of per name.
 * Returns the rows, the slowest first, with OUTSIDE last.
 */
export async function profileKernels(run: () => unknown, opts: { byShape?: boolean; cpu?: boolean } = {}): Promise<KernelRow[]> {
  const byShape = opts.byShape ?? false;
  const checkFlag = tf.env().getBool('CHECK_COMPUTATION_FOR_ERRORS');
  tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', false);
  // With cpu: the process's CPU time (all threads) instead of wall time, per kernel and for the run; on a machine
  // shared with other jobs it moves far less than wall time.
  const clock = opts.cpu ? () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; } : () => performance.now();
  const backend = tf.backend() as unknown as { time(f: () => void): Promise<{ kernelMs: number }> };
  const ownTime = backend.time;
  if (opts.cpu) {
    backend.time = async (f: () => void) => {
      const start = clock();
      f();
      return { kernelMs: clock() - start };
    };
  }
  let wall = 0;
  let info: Awaited<ReturnType<typeof tf.profile>>;
  try {
    info = await tf.profile(async () => {
      const start = clock();
      await run();
      wall = clock() - start;
    });
  } finally {
    backend.time = ownTime;
    tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', checkFlag);
  }
  const rows = new Map<string, KernelRow>();
  let inside = 0;
  for (const k of info.kernels) {
    // A fused op's wrapper (e.g. fusedDepthwiseConv2d__op) is recorded around its kernel: counting both would
    // count the kernel twice, so the wrapper's own time stays in OUTSIDE.
    if (k.name.endsWith('__op')) continue;
    const key = byShape ? `${k.name} ${k.inputShapes.map((s: number[] | null) => `[${s ?? ''}]`).join(' ')}` : k.name;
    const ms = Number(k.kernelTimeMs);
    inside += ms;
    const row = rows.get(key) ?? { kernel: key, calls: 0, ms: 0, share: 0 };
    row.calls += 1;
    row.ms += ms;
    rows.set(key, row);
  }
  const sorted = [...rows.values()].sort((a, b) => b.ms - a.ms);
  sorted.push({ kernel: OUTSIDE, calls: 0, ms: Math.max(0, wall - inside), share: 0 });
  for (const r of sorted) {
    r.share = Math.round((r.ms / wall) * 1000) / 1000;
    r.ms = Math.round(r.ms * 10) / 10;
  }
  return sorted;
}

/** The rows as a markdown table (kernel, calls, ms, share) with a total line. */
export function kernelTable(rows: KernelRow[]): string {
  const total = rows.reduce((s, r) => s + r.ms, 0);
  const calls = rows.reduce((s, r) => s + r.calls, 0);
  const lines = ['| kernel | calls | ms | share |', '|---|---:|---:|---:|'];
  for (const r of rows) lines.push(`| ${r.kernel} | ${r.calls || ''} | ${r.ms.toFixed(1)} | ${(r.share * 100).toFixed(1)} % |`);
  lines.push(`| total | ${calls} | ${total.toFixed(1)} | 100 % |`);
  return lines.join('\n');
}
