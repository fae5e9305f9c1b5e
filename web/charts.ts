/**
 * Small line charts drawn straight on a canvas: the loss per iteration and the accuracies per epoch. A live page
 * redraws them several times a second, which a charting library's layout pass would make slower, not clearer.
 */

export interface Series {
  label: string;
  color: string;
  /** y values; x is the index unless `xs` is given. */
  ys: number[];
  xs?: number[];
  /** Thin and translucent (raw minibatch losses under their running mean). */
  faint?: boolean;
  /** Draw a dot at each point (few points, e.g. one per epoch). */
  dots?: boolean;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  /** Fixed y range (accuracy: [0, 1]); default: the data's range. */
  yRange?: [number, number];
  /** Whole-number x ticks only (epochs). */
  integerX?: boolean;
}

const PAD = { left: 48, right: 12, top: 24, bottom: 30 };

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

function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(0) : String(Number(v.toPrecision(3)));
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
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#222';
  ctx.fillText(options.title, PAD.left, 14);

  const xsOf = (s: Series) => s.xs ?? s.ys.map((_, i) => i);
  const finite = series.flatMap((s) => s.ys.filter(Number.isFinite));
  const allX = series.flatMap(xsOf);
  if (finite.length === 0) {
    ctx.fillStyle = '#888';
    ctx.fillText('no data yet', width / 2 - 25, height / 2);
    return;
  }
  let [y0, y1] = options.yRange ?? [Math.min(...finite), Math.max(...finite)];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const x0 = Math.min(...allX);
  const x1 = Math.max(...allX, x0 + 1);
  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const px = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * plotW;
  const py = (y: number) => PAD.top + (1 - (y - y0) / (y1 - y0)) * plotH;

  ctx.strokeStyle = '#e4e4e4';
  ctx.fillStyle = '#555';
  ctx.lineWidth = 1;
  for (const t of niceTicks(y0, y1, 4)) {
    ctx.beginPath();
    ctx.moveTo(PAD.left, py(t));
    ctx.lineTo(width - PAD.right, py(t));
    ctx.stroke();
    ctx.fillText(formatTick(t), 4, py(t) + 4);
  }
  for (const t of niceTicks(x0, x1, 5, options.integerX)) ctx.fillText(formatTick(t), px(t) - 6, height - PAD.bottom + 14);
  ctx.fillText(options.xLabel, width - PAD.right - ctx.measureText(options.xLabel).width, height - 4);

  let legendX = width - PAD.right;
  for (const s of [...series].reverse()) {
    if (s.faint) continue;
    const w = ctx.measureText(s.label).width;
    legendX -= w + 22;
    ctx.fillStyle = s.color;
    ctx.fillRect(legendX, 7, 12, 3);
    ctx.fillStyle = '#222';
    ctx.fillText(s.label, legendX + 16, 14);
  }

  for (const s of series) {
    const xs = xsOf(s);
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.globalAlpha = s.faint ? 0.3 : 1;
    ctx.lineWidth = s.faint ? 1 : 2;
    ctx.beginPath();
    let pen = false;
    s.ys.forEach((y, i) => {
      if (!Number.isFinite(y)) {
        pen = false;
        return;
      }
      const yc = Math.min(Math.max(y, y0), y1);
      if (pen) ctx.lineTo(px(xs[i]), py(yc));
      else ctx.moveTo(px(xs[i]), py(yc));
      pen = true;
    });
    ctx.stroke();
    if (s.dots) for (let i = 0; i < s.ys.length; i++) if (Number.isFinite(s.ys[i])) ctx.fillRect(px(xs[i]) - 2, py(s.ys[i]) - 2, 4, 4);
    ctx.globalAlpha = 1;
  }
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
