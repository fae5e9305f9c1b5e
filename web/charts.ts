/**
 * Small line charts drawn straight on a canvas: the loss per iteration and the accuracies. A live page redraws
 * them several times a second, which a charting library's layout pass would make slower, not clearer.
 *
 * A long run's loss history is thinned as it grows (ThinnedSeries): at most a fixed number of buckets, each the
 * mean, min and max of its iterations, so that drawing a frame costs the same at iteration 100 and at 100,000.
 */

export interface Series {
  label: string;
  color: string;
  /** y values; x is the index unless `xs` is given. */
  ys: number[];
  xs?: number[];
  /** Thin and translucent (raw minibatch losses under their running mean). */
  faint?: boolean;
  /** Draw a dot at each point (few points, e.g. one per accuracy check). */
  dots?: boolean;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  /** Fixed y range (accuracy: [0, 1]); default: the data's range. */
  yRange?: [number, number];
  /** Whole-number x ticks only (iterations). */
  integerX?: boolean;
  /** Logarithmic y axis (values <= 0 are skipped). */
  logY?: boolean;
  /** Events drawn as numbered dashed vertical lines at their x (hyperparameter changes, new weights). */
  markers?: { x: number; label: string }[];
}

/**
 * Room for the title (first line) and the legend (second line), so that neither covers the other; the left
 * margin grows to the widest y tick label.
 */
const PAD = { left: 44, right: 12, top: 40, bottom: 30 };
/** Log axes get intermediate ticks (2 and 5, then every digit) until they have at least this many. */
const MIN_LOG_TICKS = 3;

/**
 * A series that keeps at most 2 * maxPoints buckets: when full, neighbouring buckets merge and the bucket size
 * doubles. push() is O(1) amortised; points() is O(maxPoints) whatever the run's length.
 */
export class ThinnedSeries {
  private bucketSize = 1;
  private readonly xs: number[] = [];
  private readonly sums: number[] = [];
  private readonly counts: number[] = [];
  private readonly mins: number[] = [];
  private readonly maxs: number[] = [];

  constructor(private readonly maxPoints = 400) {}

  /** Iterations per bucket now. */
  get size(): number {
    return this.bucketSize;
  }

  push(x: number, y: number): void {
    const last = this.xs.length - 1;
    if (last >= 0 && this.counts[last] < this.bucketSize) {
      this.sums[last] += y;
      this.counts[last] += 1;
      this.mins[last] = Math.min(this.mins[last], y);
      this.maxs[last] = Math.max(this.maxs[last], y);
    } else {
      this.xs.push(x);
      this.sums.push(y);
      this.counts.push(1);
      this.mins.push(y);
      this.maxs.push(y);
    }
    if (this.xs.length >= 2 * this.maxPoints) this.merge();
  }

  private merge(): void {
    const n = Math.floor(this.xs.length / 2);
    for (let i = 0; i < n; i++) {
      const a = 2 * i;
      const b = 2 * i + 1;
      this.xs[i] = this.xs[a];
      this.sums[i] = this.sums[a] + this.sums[b];
      this.counts[i] = this.counts[a] + this.counts[b];
      this.mins[i] = Math.min(this.mins[a], this.mins[b]);
      this.maxs[i] = Math.max(this.maxs[a], this.maxs[b]);
    }
    const odd = this.xs.length % 2 === 1;
    if (odd) {
      this.xs[n] = this.xs[2 * n];
      this.sums[n] = this.sums[2 * n];
      this.counts[n] = this.counts[2 * n];
      this.mins[n] = this.mins[2 * n];
      this.maxs[n] = this.maxs[2 * n];
    }
    const keep = n + (odd ? 1 : 0);
    for (const a of [this.xs, this.sums, this.counts, this.mins, this.maxs]) a.length = keep;
    this.bucketSize *= 2;
  }

  /** The bucket means at their first x. */
  points(): { xs: number[]; ys: number[] } {
    return { xs: [...this.xs], ys: this.sums.map((s, i) => s / this.counts[i]) };
  }

  get length(): number {
    return this.xs.length;
  }
}

function niceTicks(lo: number, hi: number, count: number, integer = false): number[] {
  const span = hi - lo || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const nice = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const step = integer ? Math.max(1, Math.round(nice)) : nice;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** Tick labels a reader takes in at a glance: 0.05, 2.3, 500, 10k, 1.5M, 3e12 (never 1e+4, never 100000M). */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e9) return v.toExponential(Number((v / 10 ** Math.floor(Math.log10(a))).toPrecision(2)) % 1 === 0 ? 0 : 1).replace('e+', 'e');
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  if (a < 1e-3) return v.toExponential(0);
  return String(Number(v.toPrecision(3)));
}

/** Draws the series on the canvas, replacing what was there. Canvas size is its CSS size times devicePixelRatio. */
export function drawLineChart(canvas: HTMLCanvasElement, series: Series[], options: ChartOptions): void {
  const dpr = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  ctx.font = '600 12px system-ui, sans-serif';
  ctx.fillStyle = '#222';
  ctx.fillText(options.title + (options.logY ? ' (log scale)' : ''), 4, 14);
  ctx.font = '11px system-ui, sans-serif';

  // The legend: its own line under the title, left to right.
  let legendX = 4;
  for (const s of series) {
    ctx.fillStyle = s.color;
    ctx.globalAlpha = s.faint ? 0.35 : 1;
    ctx.fillRect(legendX, s.faint ? 27 : 26, 12, s.faint ? 1 : 3);
    ctx.globalAlpha = 1;
    ctx.fillStyle = '#222';
    ctx.fillText(s.label, legendX + 16, 31);
    legendX += ctx.measureText(s.label).width + 30;
  }

  const log = options.logY === true;
  const tr = (y: number) => (log ? (y > 0 ? Math.log10(y) : NaN) : y);
  const xsOf = (s: Series) => s.xs ?? s.ys.map((_, i) => i);
  const finite = series.flatMap((s) => s.ys.map(tr).filter(Number.isFinite));
  const allX = series.flatMap(xsOf);
  if (finite.length === 0) {
    ctx.fillStyle = '#888';
    ctx.fillText('no data yet', width / 2 - 25, height / 2);
    return;
  }
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const v of finite) {
    if (v < y0) y0 = v;
    if (v > y1) y1 = v;
  }
  if (options.yRange && !log) [y0, y1] = options.yRange;
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  let x0 = Infinity;
  let x1 = -Infinity;
  for (const x of allX) {
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
  }
  x1 = Math.max(x1, x0 + 1);
  const yTicks = log ? logTicks(y0, y1) : niceTicks(y0, y1, 4).map((t) => ({ at: t, label: formatTick(t) }));
  const left = Math.max(PAD.left, 8 + Math.max(...yTicks.map((t) => ctx.measureText(t.label).width)));
  const plotW = width - left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const px = (x: number) => left + ((x - x0) / (x1 - x0)) * plotW;
  const py = (ty: number) => PAD.top + (1 - (ty - y0) / (y1 - y0)) * plotH;

  ctx.strokeStyle = '#e4e4e4';
  ctx.fillStyle = '#555';
  ctx.lineWidth = 1;
  for (const t of yTicks) {
    ctx.beginPath();
    ctx.moveTo(left, py(t.at));
    ctx.lineTo(width - PAD.right, py(t.at));
    ctx.stroke();
    ctx.fillText(t.label, left - 4 - ctx.measureText(t.label).width, py(t.at) + 4);
  }
  const xTickCount = Math.max(2, Math.min(5, Math.floor(plotW / 70)));
  for (const t of niceTicks(x0, x1, xTickCount, options.integerX)) {
    const label = formatTick(t);
    ctx.fillText(label, px(t) - ctx.measureText(label).width / 2, height - PAD.bottom + 14);
  }
  ctx.fillText(options.xLabel, width - PAD.right - ctx.measureText(options.xLabel).width, height - 4);

  drawMarkers(ctx, options.markers ?? [], px, left, left + plotW, PAD.top, PAD.top + plotH);

  ctx.save();
  ctx.beginPath();
  ctx.rect(left, PAD.top - 2, plotW, plotH + 4);
  ctx.clip();
  for (const s of series) {
    const xs = xsOf(s);
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.globalAlpha = s.faint ? 0.3 : 1;
    ctx.lineWidth = s.faint ? 1 : 2;
    ctx.beginPath();
    let pen = false;
    for (let i = 0; i < s.ys.length; i++) {
      const y = tr(s.ys[i]);
      if (!Number.isFinite(y)) {
        pen = false;
        continue;
      }
      if (pen) ctx.lineTo(px(xs[i]), py(y));
      else ctx.moveTo(px(xs[i]), py(y));
      pen = true;
    }
    ctx.stroke();
    if (s.dots) {
      for (let i = 0; i < s.ys.length; i++) {
        const y = tr(s.ys[i]);
        if (Number.isFinite(y)) ctx.fillRect(px(xs[i]) - 2, py(y) - 2, 4, 4);
      }
    }
    ctx.globalAlpha = 1;
  }
  ctx.restore();
}

/**
 * Ticks of a log10 axis from lo to hi (both log10 values): powers of ten, then 2 and 5 between, then every digit,
 * until there are at least MIN_LOG_TICKS; a range narrower than one digit step gets its two ends.
 */
export function logTicks(lo: number, hi: number): { at: number; label: string }[] {
  let out: { at: number; label: string }[] = [];
  for (const mults of [[1], [1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]]) {
    out = [];
    for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) {
      for (const m of mults) {
        const at = e + Math.log10(m);
        if (at >= lo - 1e-9 && at <= hi + 1e-9) out.push({ at, label: formatTick(m * 10 ** e) });
      }
    }
    if (out.length >= MIN_LOG_TICKS) return out;
  }
  if (out.length < 2) out = [{ at: lo, label: formatTick(Number((10 ** lo).toPrecision(2))) }, { at: hi, label: formatTick(Number((10 ** hi).toPrecision(2))) }];
  return out;
}

/**
 * Numbered dashed lines at the markers' x, each with its number at the top and as much of its label as fits
 * before the next marker (the full list is under the chart).
 */
function drawMarkers(
  ctx: CanvasRenderingContext2D,
  markers: { x: number; label: string }[],
  px: (x: number) => number,
  xMin: number,
  xMax: number,
  top: number,
  bottom: number,
): void {
  ctx.save();
  ctx.font = '10px system-ui, sans-serif';
  const laid = layoutMarkers(
    markers.map((m) => ({ at: px(m.x), label: m.label })),
    (text) => ctx.measureText(text).width,
    xMin,
    xMax,
  );
  for (const m of laid) {
    ctx.strokeStyle = '#8a4baf';
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    ctx.moveTo(m.at, top);
    ctx.lineTo(m.at, bottom);
    ctx.stroke();
    ctx.setLineDash([]);
    if (m.row === null) continue;
    ctx.fillStyle = '#8a4baf';
    ctx.fillText(m.text, m.at + 2, top + 9 + 11 * m.row);
  }
  ctx.restore();
}

/** Rows of marker labels before they overlap. */
export const MARKER_ROWS = 3;
/** Markers closer than this (pixels) share one line: a reader cannot tell two lines apart nearer than that. */
export const MARKER_MERGE_PX = 4;

/** A marker as drawn: its line's x, its text (numbers, then the label where it fits) and its row, null when unlabelled. */
export interface LaidMarker {
  at: number;
  numbers: number[];
  text: string;
  row: number | null;
}

/** "3", "3+4", "16-18", "2+5-7": the markers' numbers, runs of three or more as ranges. */
export function markerNumbers(numbers: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < numbers.length; ) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j] + 1) j++;
    if (j - i >= 2) parts.push(`${numbers[i]}-${numbers[j]}`);
    else for (let k = i; k <= j; k++) parts.push(String(numbers[k]));
    i = j + 1;
  }
  return parts.join('+');
}

/**
 * Where the markers' lines and labels go (markers in x order, numbered from 1; `at` in pixels). Markers within
 * MARKER_MERGE_PX of the first of a group share a line and a label ('3+4 lr 5e-7 -> 2e-7; batch 25 -> 50', or
 * '16-18' when the text does not fit); one left of xMin (an event at iteration 0) sits on the axis, one right of
 * xMax is not drawn. Each text goes on the first of MARKER_ROWS rows where it clears the text before it; the full
 * label only where it also ends before the next line, else the numbers alone; when no row has room, the line stays
 * unlabelled (the list under the chart names it). No two texts on one row overlap.
 */
export function layoutMarkers(markers: readonly { at: number; label: string }[], measure: (text: string) => number, xMin: number, xMax: number): LaidMarker[] {
  const groups: { at: number; numbers: number[]; labels: string[] }[] = [];
  markers.forEach((m, i) => {
    const at = Math.max(m.at, xMin);
    if (at > xMax + 1) return;
    const last = groups[groups.length - 1];
    if (last && at - last.at < MARKER_MERGE_PX) {
      last.numbers.push(i + 1);
      last.labels.push(m.label);
    } else {
      groups.push({ at, numbers: [i + 1], labels: [m.label] });
    }
  });
  const rowEnds: number[] = [];
  return groups.map((g, i) => {
    const numbers = markerNumbers(g.numbers);
    const room = (i + 1 < groups.length ? groups[i + 1].at : xMax) - g.at - 4;
    const full = `${numbers} ${g.labels.join('; ')}`;
    const text = measure(full) <= room ? full : numbers;
    const start = g.at + 2;
    let row: number | null = rowEnds.findIndex((end) => end <= start);
    if (row === -1) row = rowEnds.length < MARKER_ROWS ? rowEnds.length : null;
    if (row !== null) rowEnds[row] = start + measure(text) + 3;
    return { at: g.at, numbers: g.numbers, text, row };
  });
}

/**
 * The running mean of the last `window` values at every index, restarting at each of `starts` (the x where a new
 * model's curve begins): a mean across a divergence and the new weights after it would describe neither.
 */
export function segmentedRunningMean(xs: number[], ys: number[], starts: readonly number[], window: number): number[] {
  const out: number[] = [];
  let from = 0;
  let segment = -1;
  const segmentOf = (x: number) => starts.filter((s) => s < x).length;
  for (let i = 0; i <= xs.length; i++) {
    const seg = i < xs.length ? segmentOf(xs[i]) : Infinity;
    if (seg !== segment) {
      if (i > from) out.push(...runningMean(ys.slice(from, i), window));
      from = i;
      segment = seg;
    }
  }
  return out;
}

/** The running mean of the last `window` values at every index (the loss curve's trend line). */
export function runningMean(values: number[], window: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    if (i >= window) sum -= values[i - window];
    out.push(sum / Math.min(i + 1, window));
  }
  return out;
}
