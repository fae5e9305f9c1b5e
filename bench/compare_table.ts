/**
 * The side-by-side table of `npm run bench-compare`: several rounds of the project's workloads against the numpy
 * and PyTorch peers, reduced to one row per workload.
 *
 * Why rounds, and why the median of per-round ratios: on a shared machine speed drifts by 10 to 30 % over minutes
 * (docs/performance.md shows one numpy epoch at 1,281 and 1,786 ms). A ratio of two medians taken ten minutes
 * apart carries that drift. Within one round the project and its peer run back to back on the same
 * workload, so the drift mostly cancels in their ratio; the median over rounds then drops the odd disturbed round,
 * and the lowest and highest round ratios show how far one run can swing.
 */
import { median } from './harness';

/** Who ran a line: the project's `npm run bench`, or one of the Python peers (bench/README.md). */
export type Side = 'project' | 'numpy' | 'torch';

/** One workload timed once by one side, in one round (the JSON line of bench/README.md plus where it came from). */
export interface RoundResult {
  round: number;
  side: Side;
  name: string;
  /** Median ms of that side's own timed runs; null when the line reports an error. */
  ms: number | null;
}

/** The targets the library aims for, project ms / numpy ms (lower is better). */
export const NUMPY_TARGETS: Readonly<Record<string, number>> = {
  'knn.dists': 2.0,
  'svm.loss_grad': 1.0,
  'softmax.loss_grad': 1.0,
  'linear.train': 1.5,
  'twolayer.epoch': 1.5,
  'fc_bn.epoch': 1.5,
  'conv3.step': 1.0,
  'features.extract': 1.0,
};

export interface CompareRow {
  name: string;
  /** Median over rounds of each side's ms (null where that side never produced a number). */
  projectMs: number | null;
  numpyMs: number | null;
  torchMs: number | null;
  /** project / numpy in each round where both ran, in round order. */
  numpyRatios: number[];
  /** Median of numpyRatios, and its extremes. */
  numpyRatio: number | null;
  numpyRatioMin: number | null;
  numpyRatioMax: number | null;
  /** Median over rounds of project / torch. */
  torchRatio: number | null;
  target: number | null;
  /** Whether the median ratio meets the target; null without a target or a ratio. */
  met: boolean | null;
  /** How many rounds met the target, of those with a ratio. */
  roundsMet: number;
}

function msOf(results: RoundResult[], side: Side, name: string, round: number): number | null {
  const r = results.find((x) => x.side === side && x.name === name && x.round === round);
  return r && r.ms !== null && Number.isFinite(r.ms) ? r.ms : null;
}

function medianOrNull(values: number[]): number | null {
  return values.length === 0 ? null : median(values);
}

/**
 * One row per workload name, in the order the names first appear among the project's lines (then the peers').
 * Ratios are taken per round, between the lines of that round only.
 */
export function compareRows(results: RoundResult[]): CompareRow[] {
  const names: string[] = [];
  for (const side of ['project', 'numpy', 'torch'] as const) {
    for (const r of results) if (r.side === side && !names.includes(r.name)) names.push(r.name);
  }
  const rounds = [...new Set(results.map((r) => r.round))].sort((a, b) => a - b);
  return names.map((name) => {
    const each = (side: Side) => rounds.map((k) => msOf(results, side, name, k));
    const project = each('project');
    const numpy = each('numpy');
    const torch = each('torch');
    const ratios = (peer: (number | null)[]) =>
      rounds.flatMap((_, i) => (project[i] !== null && peer[i] !== null && peer[i]! > 0 ? [project[i]! / peer[i]!] : []));
    const numpyRatios = ratios(numpy);
    const numpyRatio = medianOrNull(numpyRatios);
    const target = NUMPY_TARGETS[name] ?? null;
    const present = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null);
    return {
      name,
      projectMs: medianOrNull(present(project)),
      numpyMs: medianOrNull(present(numpy)),
      torchMs: medianOrNull(present(torch)),
      numpyRatios,
      numpyRatio,
      numpyRatioMin: numpyRatios.length ? Math.min(...numpyRatios) : null,
      numpyRatioMax: numpyRatios.length ? Math.max(...numpyRatios) : null,
      torchRatio: medianOrNull(ratios(torch)),
      target,
      met: target === null || numpyRatio === null ? null : numpyRatio <= target,
      roundsMet: target === null ? 0 : numpyRatios.filter((r) => r <= target).length,
    };
  });
}

const num = (x: number | null, digits: number) =>
  x === null ? 'n/a' : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The rows as a Markdown table, as docs/performance.md shows them. */
export function compareMarkdown(rows: CompareRow[]): string {
  const lines = [
    '| workload | project ms | numpy ms | torch ms | project / numpy (median of rounds) | lowest, highest round | target | met (rounds) | project / torch |',
    '|---|---:|---:|---:|---:|---:|---:|:-:|---:|',
  ];
  for (const r of rows) {
    const met = r.met === null ? '-' : `${r.met ? 'yes' : 'no'} (${r.roundsMet} of ${r.numpyRatios.length})`;
    lines.push(
      `| \`${r.name}\` | ${num(r.projectMs, 1)} | ${num(r.numpyMs, 1)} | ${num(r.torchMs, 1)} | ${num(r.numpyRatio, 2)} | ` +
        `${num(r.numpyRatioMin, 2)}, ${num(r.numpyRatioMax, 2)} | ${r.target === null ? '-' : `≤ ${r.target.toFixed(1)}`} | ${met} | ${num(r.torchRatio, 2)} |`,
    );
  }
  return lines.join('\n');
}
