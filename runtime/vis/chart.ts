/**
 * Charts to PNG: the loss curves, accuracy curves and cross-validation plots that the course draws with matplotlib.
 *
 * Pipeline: a vega-lite spec (plain data, built by the `...Panel` functions below) -> vega compiles and lays it out
 * headless (renderer 'none') -> SVG -> resvg rasterises it with the system fonts -> PNG, written atomically.
 *
 * Loading vega: vega 6 and vega-lite 6 are ES modules with top-level await, so CommonJS code cannot `require()`
 * them. Under `module: nodenext` with a CommonJS package, TypeScript keeps `await import('vega')` as a real dynamic
 * import, and tsx does too, so the scripts load them fine. ts-jest compiles specs to `require()` calls instead, so
 * a spec that wants a PNG renders it in a child process through tsx (see spec/vis/chart.spec.ts); the panel
 * builders are plain functions and run anywhere.
 *
 * Usage:
 *   await lineChart('runs/knn/loss.png', { title: 'Loss', xLabel: 'iteration', yLabel: 'loss',
 *     series: [{ name: 'train', x: iters, y: losses }] });
 *   await multiChart('runs/fc/curves.png', [linePanel(lossOpts), linePanel(accuracyOpts)]);
 */
import { Resvg } from '@resvg/resvg-js';
import sharp from 'sharp';
import type { TopLevelSpec } from 'vega-lite' with { 'resolution-mode': 'import' };
import { writeFileAtomic } from './write_atomic';

/** How a series is drawn: a line through its points, the points alone (a scatter), or both. */
export type SeriesMark = 'line' | 'points' | 'line+points';

/** One named series of (x, y) points; all arrays have the same length. */
export interface Series {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** A standard deviation per point, drawn as an error bar from y - std to y + std (matplotlib's errorbar). */
  yStd?: ArrayLike<number>;
  /** Default 'line'. */
  mark?: SeriesMark;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** One or more series; with more than one, a legend names them in this order. */
  series: Series[];
  logX?: boolean;
  logY?: boolean;
  /** Fixed axis ranges; by default each axis fits the data (without forcing zero in, as matplotlib does). */
  xDomain?: [number, number];
  yDomain?: [number, number];
  /** Size of the whole PNG in pixels, title and legend included. Defaults 640 x 400. */
  width?: number;
  height?: number;
}

/** The cross-validation plot: every fold's score as a point, and the mean across folds as a line with ±std bars. */
export interface ScatterWithErrorBarsOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Every individual score, e.g. x = k repeated once per fold, y = that fold's accuracy. */
  points: { x: ArrayLike<number>; y: ArrayLike<number> };
  /** One entry per distinct x: the mean score and its standard deviation. */
  mean: { x: ArrayLike<number>; y: ArrayLike<number>; std: ArrayLike<number> };
  pointsName?: string;
  meanName?: string;
  logX?: boolean;
  width?: number;
  height?: number;
}

/** A scatter plot whose colour encodes a third value: the course's hyperparameter-search plot (lr x reg -> accuracy). */
export interface ColorScatterOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  colorLabel: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  value: ArrayLike<number>;
  logX?: boolean;
  logY?: boolean;
  /** Fixed axis ranges; by default each fits the data. Panels that share them can be compared by position. */
  xDomain?: [number, number];
  yDomain?: [number, number];
  /** The values the colour bar spans; by default the data's own. Panels that share it can be compared by colour. */
  colorDomain?: [number, number];
  width?: number;
  height?: number;
}

/** A chart ready to render: a vega-lite spec and the pixel size of its PNG. */
export interface ChartPanel {
  spec: TopLevelSpec;
  width: number;
  height: number;
}

const DEFAULT_WIDTH = 640;
const DEFAULT_HEIGHT = 400;
const FONT = 'DejaVu Sans';

/** Shared look: white background, the font resvg will find, a light frame, matplotlib-like sizes. */
const CONFIG = {
  font: FONT,
  background: 'white',
  title: { fontSize: 15, fontWeight: 'bold' as const, offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' as const, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 11, symbolStrokeWidth: 2, labelLimit: 240 },
  view: { stroke: '#bbbbbb' },
};

/** What every panel's spec shares: the schema, the title, the size (fitted with the padding) and the data rows. */
function specBase(title: string | undefined, width: number, height: number, rows: object[]) {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width,
    height,
    autosize: { type: 'fit' as const, contains: 'padding' as const },
    padding: 8,
    data: { values: rows },
  };
}

function checkSize(fn: string, width: number, height: number): void {
  if (!Number.isInteger(width) || width < 100 || !Number.isInteger(height) || height < 80) {
    throw new Error(`${fn}: width and height must be integers of at least 100 x 80 pixels, got ${width} x ${height}`);
  }
}

function checkSameLength(fn: string, what: string, a: ArrayLike<number>, b: ArrayLike<number>, bName: string): void {
  if (a.length !== b.length) throw new Error(`${fn}: ${what}: x has ${a.length} values but ${bName} has ${b.length}`);
}

/** A log axis can only show positive values; every axis needs finite ones. */
function plottable(v: number, log: boolean | undefined): boolean {
  return Number.isFinite(v) && (!log || v > 0);
}

/**
 * A quantitative x or y encoding. Linear axes fit the data without forcing zero in (as matplotlib does); marks are
 * clipped to the plot only when the caller fixes a domain, so that points on the data's edge are drawn whole.
 */
function axisEncoding(
  field: string,
  title: string,
  log: boolean | undefined,
  domain: [number, number] | undefined,
  padding = 0,
) {
  return {
    field,
    type: 'quantitative' as const,
    title,
    // '~g' prints 1e-7 rather than vega's 0.0000001; vega still picks which log ticks get a label.
    axis: log ? { format: '~g' } : {},
    // A log scale 'nice'd after padding would grow to whole decades, so padding turns nice off there.
    scale: log
      ? { type: 'log' as const, padding, nice: padding === 0, ...(domain ? { domain } : {}) }
      : { type: 'linear' as const, zero: false, padding, ...(domain ? { domain } : {}) },
  };
}

type ChartRow = { series: string; x: number; y: number; lo?: number; hi?: number };

/**
 * The series as one table of rows, after checking them: unique names, x and y (and yStd) of the same length.
 * Points that cannot be drawn are left out: non-finite values (a diverged loss), values <= 0 on a log axis. On a
 * log y axis an error bar whose lower end would reach <= 0 is cut at its point.
 */
function chartRows(fn: string, opts: LineChartOptions): ChartRow[] {
  if (opts.series.length === 0) throw new Error(`${fn}: series must hold at least one series, got none`);
  const names = opts.series.map((s) => s.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) throw new Error(`${fn}: series names must be unique, '${duplicate}' appears twice`);
  const rows: ChartRow[] = [];
  for (const s of opts.series) {
    checkSameLength(fn, `series '${s.name}'`, s.x, s.y, 'y');
    if (s.yStd) checkSameLength(fn, `series '${s.name}'`, s.x, s.yStd, 'yStd');
    for (let i = 0; i < s.x.length; i++) {
      const x = s.x[i];
      const y = s.y[i];
      if (!plottable(x, opts.logX) || !plottable(y, opts.logY)) continue;
      if (s.yStd) {
        const std = Math.abs(s.yStd[i]);
        const lo = y - std;
        rows.push({ series: s.name, x, y, lo: opts.logY && !(lo > 0) ? y : lo, hi: y + std });
      } else {
        rows.push({ series: s.name, x, y });
      }
    }
  }
  return rows;
}

/** The chart's layers: lines, error bars and points, each drawing the series that asked for that mark. */
function lineLayers(opts: LineChartOptions) {
  const names = opts.series.map((s) => s.name);
  const x = axisEncoding('x', opts.xLabel, opts.logX, opts.xDomain);
  const y = axisEncoding('y', opts.yLabel, opts.logY, opts.yDomain);
  // One colour scale for every layer, in the caller's order, so a series keeps its colour across marks.
  const color = { field: 'series', type: 'nominal' as const, title: null, scale: { domain: names }, legend: names.length > 1 ? {} : null };
  const only = (list: string[]) => [{ filter: { field: 'series', oneOf: list } }];
  const lineNames = opts.series.filter((s) => (s.mark ?? 'line') !== 'points').map((s) => s.name);
  const pointNames = opts.series.filter((s) => s.mark === 'points' || s.mark === 'line+points').map((s) => s.name);
  const errorNames = opts.series.filter((s) => s.yStd).map((s) => s.name);
  // Thin lines for long histories (a loss curve per iteration), thicker for a few points (accuracy per epoch).
  const strokeWidth = Math.max(...opts.series.map((s) => s.x.length)) > 500 ? 1 : 2;
  const clip = opts.xDomain !== undefined || opts.yDomain !== undefined;
  const layer = [];
  if (lineNames.length > 0) {
    layer.push({ transform: only(lineNames), mark: { type: 'line' as const, strokeWidth, clip }, encoding: { x, y, color } });
  }
  if (errorNames.length > 0) {
    layer.push({ transform: only(errorNames), mark: { type: 'rule' as const, strokeWidth: 1.5, clip }, encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color } });
  }
  if (pointNames.length > 0) {
    layer.push({ transform: only(pointNames), mark: { type: 'point' as const, filled: true, size: 30, opacity: 0.8, clip }, encoding: { x, y, color } });
  }
  return layer;
}

/** Builds a line chart (any mix of lines, point clouds and error bars) as a ChartPanel; see chartRows for what is left out. */
export function linePanel(opts: LineChartOptions): ChartPanel {
  const width = opts.width ?? DEFAULT_WIDTH;
  const height = opts.height ?? DEFAULT_HEIGHT;
  checkSize('linePanel', width, height);
  const rows = chartRows('linePanel', opts);
  const spec: TopLevelSpec = { ...specBase(opts.title, width, height, rows), layer: lineLayers(opts), config: CONFIG };
  return { spec, width, height };
}

/** The cross-validation plot as a ChartPanel: fold scores as points, the mean as a line with ±std error bars. */
export function scatterWithErrorBarsPanel(opts: ScatterWithErrorBarsOptions): ChartPanel {
  checkSameLength('scatterWithErrorBarsPanel', 'mean', opts.mean.x, opts.mean.std, 'std');
  return linePanel({
    title: opts.title,
    xLabel: opts.xLabel,
    yLabel: opts.yLabel,
    logX: opts.logX,
    width: opts.width,
    height: opts.height,
    series: [
      { name: opts.pointsName ?? 'each fold', x: opts.points.x, y: opts.points.y, mark: 'points' },
      { name: opts.meanName ?? 'mean ± std', x: opts.mean.x, y: opts.mean.y, yStd: opts.mean.std, mark: 'line+points' },
    ],
  });
}

/** A scatter plot coloured by a third value (viridis, with a colour bar) as a ChartPanel. */
export function colorScatterPanel(opts: ColorScatterOptions): ChartPanel {
  const fn = 'colorScatterPanel';
  const width = opts.width ?? DEFAULT_WIDTH;
  const height = opts.height ?? DEFAULT_HEIGHT;
  checkSize(fn, width, height);
  checkSameLength(fn, 'points', opts.x, opts.y, 'y');
  checkSameLength(fn, 'points', opts.x, opts.value, 'value');
  const rows: { x: number; y: number; value: number }[] = [];
  for (let i = 0; i < opts.x.length; i++) {
    const [x, y, value] = [opts.x[i], opts.y[i], opts.value[i]];
    if (plottable(x, opts.logX) && plottable(y, opts.logY) && Number.isFinite(value)) rows.push({ x, y, value });
  }
  const spec: TopLevelSpec = {
    ...specBase(opts.title, width, height, rows),
    mark: { type: 'point', filled: true, size: 120, opacity: 1 },
    encoding: {
      // Padding (pixels) keeps the large markers off the axes.
      x: axisEncoding('x', opts.xLabel, opts.logX, opts.xDomain, 16),
      y: axisEncoding('y', opts.yLabel, opts.logY, opts.yDomain, 16),
      color: {
        field: 'value',
        type: 'quantitative',
        title: opts.colorLabel,
        scale: { scheme: 'viridis', zero: false, ...(opts.colorDomain ? { domain: opts.colorDomain } : {}) },
      },
    },
    config: CONFIG,
  };
  return { spec, width, height };
}

type VegaModules = {
  vega: typeof import('vega', { with: { 'resolution-mode': 'import' } });
  vegaLite: typeof import('vega-lite', { with: { 'resolution-mode': 'import' } });
};
let vegaModules: Promise<VegaModules> | undefined;

/** Loads vega and vega-lite once per process (a real dynamic import: they are ESM-only). */
function loadVega(): Promise<VegaModules> {
  vegaModules ??= Promise.all([import('vega'), import('vega-lite')]).then(([vega, vegaLite]) => ({ vega, vegaLite }));
  return vegaModules;
}

/** Renders a panel to an SVG string (vega, headless). */
export async function renderPanelSvg(panel: ChartPanel): Promise<string> {
  const { vega, vegaLite } = await loadVega();
  const compiled = vegaLite.compile(panel.spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders a panel to PNG bytes: vega's SVG rasterised by resvg with the system fonts. */
export async function renderPanelPng(panel: ChartPanel): Promise<Buffer> {
  const svg = await renderPanelSvg(panel);
  const resvg = new Resvg(svg, {
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: FONT, sansSerifFamily: FONT },
  });
  return resvg.render().asPng();
}

/** Renders one panel and writes it as a PNG atomically. Returns the absolute path. */
export async function writeChart(filePath: string, panel: ChartPanel): Promise<string> {
  return writeFileAtomic(filePath, await renderPanelPng(panel));
}

/** Writes a line chart (see linePanel) to a PNG. Returns the absolute path. */
export async function lineChart(filePath: string, opts: LineChartOptions): Promise<string> {
  return writeChart(filePath, linePanel(opts));
}

/** Writes the cross-validation plot (see scatterWithErrorBarsPanel) to a PNG. Returns the absolute path. */
export async function scatterWithErrorBars(filePath: string, opts: ScatterWithErrorBarsOptions): Promise<string> {
  return writeChart(filePath, scatterWithErrorBarsPanel(opts));
}

/**
 * Writes several panels into one PNG, in a grid filled row by row (matplotlib's subplots), e.g. the loss beside the
 * train/val accuracy. columns: panels per row, default all in one row. Every cell is as large as the largest panel.
 * Returns the absolute path.
 */
export async function multiChart(filePath: string, panels: ChartPanel[], options: { columns?: number } = {}): Promise<string> {
  if (panels.length === 0) throw new Error('multiChart: panels must hold at least one panel, got none');
  const columns = options.columns ?? panels.length;
  if (!Number.isInteger(columns) || columns <= 0) throw new Error(`multiChart: columns must be a positive integer, got ${columns}`);
  const pngs = await Promise.all(panels.map(renderPanelPng));
  const cellW = Math.max(...panels.map((p) => p.width));
  const cellH = Math.max(...panels.map((p) => p.height));
  const rowsCount = Math.ceil(panels.length / columns);
  const png = await sharp({
    create: { width: cellW * Math.min(columns, panels.length), height: cellH * rowsCount, channels: 3, background: '#ffffff' },
  })
    .composite(pngs.map((input, i) => ({ input, left: (i % columns) * cellW, top: Math.floor(i / columns) * cellH })))
    .png()
    .toBuffer();
  return writeFileAtomic(filePath, png);
}

export interface ConfusionMatrixOptions {
  /** counts[i][j]: examples of true class i predicted as class j; K x K. */
  counts: number[][];
  /** The K class names, in index order. */
  classNames: readonly string[];
  title?: string;
  /** Pixels of the square plot area. Default 440. */
  size?: number;
}

/**
 * A confusion matrix as a heatmap: rows the true class, columns the predicted one, each cell shaded by the fraction
 * of its row (so that every class reads on one scale) and labelled with its count.
 */
export function confusionMatrixPanel(opts: ConfusionMatrixOptions): ChartPanel {
  const fn = 'confusionMatrixPanel';
  const K = opts.classNames.length;
  if (K === 0 || opts.counts.length !== K || opts.counts.some((row) => row.length !== K)) {
    throw new Error(`${fn}: counts must be ${K} x ${K} like classNames, got ${opts.counts.length} rows of [${opts.counts.map((r) => r.length)}]`);
  }
  const size = opts.size ?? 440;
  checkSize(fn, size, size);
  const rows: { actual: string; predicted: string; count: number; share: number }[] = [];
  opts.counts.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((count, j) => rows.push({ actual: opts.classNames[i], predicted: opts.classNames[j], count, share: total > 0 ? count / total : 0 }));
  });
  const order = [...opts.classNames];
  const spec = {
    ...specBase(opts.title, size + 200, size + 130, rows),
    config: CONFIG,
    encoding: {
      x: { field: 'predicted', type: 'nominal' as const, sort: order, title: 'predicted class', axis: { labelAngle: -45 } },
      y: { field: 'actual', type: 'nominal' as const, sort: order, title: 'true class' },
    },
    layer: [
      {
        mark: { type: 'rect' as const },
        encoding: {
          color: { field: 'share', type: 'quantitative' as const, title: 'share of row', scale: { scheme: 'blues', domain: [0, 1] } },
        },
      },
      {
        mark: { type: 'text' as const, fontSize: 10 },
        encoding: {
          text: { field: 'count', type: 'quantitative' as const },
          color: { condition: { test: 'datum.share > 0.5', value: 'white' }, value: 'black' },
        },
      },
    ],
  };
  return { spec: spec as TopLevelSpec, width: size + 200, height: size + 130 };
}

/** Writes a confusion matrix (see confusionMatrixPanel) to a PNG. Returns the absolute path. */
export async function confusionMatrixChart(filePath: string, opts: ConfusionMatrixOptions): Promise<string> {
  return writeChart(filePath, confusionMatrixPanel(opts));
}
