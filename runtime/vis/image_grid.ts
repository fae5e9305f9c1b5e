/**
 * Image grids and heatmaps to PNG: CIFAR-10 samples per class, the learned linear-classifier templates, first-layer
 * weights and conv filters (the course's `visualize_grid`), and matrices such as kNN's test-by-train distances.
 *
 * Tiles are scaled up by nearest neighbour (a 32x32 image is a few millimetres on screen; 4x keeps its pixels
 * sharp rather than blurring them). The grid is assembled as raw RGB bytes; labels are drawn by sharp from an SVG
 * overlay (librsvg with the system fonts). Every file is written atomically.
 *
 * Usage:
 *   await imageGrid('runs/knn/samples.png', images, { cols: 10, scale: 3, colLabels: CLASSES });
 *   await imageGrid('runs/svm/weights.png', templates, { cols: 10, scale: 4, normalize: 'global' });
 *   await heatmap('runs/knn/dists.png', dists, 500, 5000);
 */
import sharp from 'sharp';
import { writePng } from './png';
import { writeFileAtomic } from './write_atomic';

/** One image, row-major HWC: h rows of w pixels of c channels (1 grey, 3 RGB). */
export interface GridImage {
  data: Uint8Array | Float32Array | ArrayLike<number>;
  h: number;
  w: number;
  c: 1 | 3;
  /** Drawn below the tile. */
  label?: string;
}

/**
 * How pixel values become bytes.
 * - 'none': values are already on 0..255 (uint8 images, or float images from the raw data); clamped and rounded.
 * - 'per-image': each image min-max rescaled to 0..255 on its own, as `visualize_grid` does for weights and filters.
 * - 'global': one min-max over all images, as the linear classifiers' template plot does (so templates compare).
 */
export type GridNormalize = 'none' | 'per-image' | 'global';

export interface ImageGridOptions {
  /** Tiles per row. */
  cols: number;
  /** Integer nearest-neighbour upscaling factor. Default 1. */
  scale?: number;
  /** Pixels between tiles and around the border. Default 2. */
  padding?: number;
  /** Default 'none'. */
  normalize?: GridNormalize;
  /** Text to the left of each row (e.g. 'plane'); at most one per row. */
  rowLabels?: string[];
  /** Text above each column (e.g. class names); at most one per column. */
  colLabels?: string[];
  /** Text centred above the grid. */
  title?: string;
  /** Background and padding colour as [r, g, b]. Default white. */
  background?: [number, number, number];
  /** Label font size in pixels. Default 12. */
  fontSize?: number;
}

/**
 * Rescales values linearly so that their minimum maps to 0 and their maximum to 255 (rounded), the way the course
 * rescales weights for display: `255 * (w - min) / (max - min)`.
 *
 * data: any array of numbers. range: use this [lo, hi] instead of the data's min and max (values outside are
 * clamped). A constant array (max == min) maps to all zeros, where the course's formula would divide by zero.
 * Non-finite values map to 0 and are ignored when finding min and max.
 */
export function normalizeToUint8(data: ArrayLike<number>, range?: [number, number]): Uint8Array {
  let lo = Infinity;
  let hi = -Infinity;
  if (range) {
    [lo, hi] = range;
    if (!(hi >= lo)) throw new Error(`normalizeToUint8: range must be [lo, hi] with lo <= hi, got [${range}]`);
  } else {
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  const out = new Uint8Array(data.length);
  const span = hi - lo;
  if (!(span > 0)) return out;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) continue;
    out[i] = Math.round((255 * (Math.min(Math.max(v, lo), hi) - lo)) / span);
  }
  return out;
}

/** Values already on 0..255, clamped and rounded to bytes (non-finite -> 0). */
function clampToUint8(data: ArrayLike<number>): Uint8Array {
  if (data instanceof Uint8Array) return data;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    out[i] = Number.isFinite(v) ? Math.round(Math.min(Math.max(v, 0), 255)) : 0;
  }
  return out;
}

function minMax(images: GridImage[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const img of images) {
    for (let i = 0; i < img.data.length; i++) {
      const v = img.data[i];
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return [lo, hi];
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Average glyph width of DejaVu Sans as a fraction of the font size: enough to size label areas without a font engine. */
const CHAR_WIDTH = 0.62;

/** Shortens text with an ellipsis so that it fits maxWidth pixels at the given font size. */
function fitText(text: string, maxWidth: number, fontSize: number): string {
  const maxChars = Math.max(1, Math.floor(maxWidth / (CHAR_WIDTH * fontSize)));
  return text.length <= maxChars ? text : `${text.slice(0, Math.max(1, maxChars - 1))}…`;
}

interface TextItem {
  text: string;
  x: number;
  y: number;
  anchor: 'start' | 'middle' | 'end';
  size: number;
  bold?: boolean;
}

function textOverlay(width: number, height: number, items: TextItem[], color: string): Buffer {
  const body = items
    .map(
      (t) =>
        `<text x="${t.x}" y="${t.y}" text-anchor="${t.anchor}" font-size="${t.size}"` +
        `${t.bold ? ' font-weight="bold"' : ''}>${escapeXml(t.text)}</text>`,
    )
    .join('');
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `<g font-family="DejaVu Sans, sans-serif" fill="${color}">${body}</g></svg>`,
  );
}

/** Throws, naming the first problem, unless the images fit one grid of opts.cols columns. Returns the row count. */
function checkGrid(fn: string, images: GridImage[], opts: ImageGridOptions, scale: number, pad: number): number {
  const { cols } = opts;
  if (images.length === 0) throw new Error(`${fn}: images must hold at least one image, got none`);
  if (!Number.isInteger(cols) || cols <= 0) throw new Error(`${fn}: cols must be a positive integer, got ${cols}`);
  if (!Number.isInteger(scale) || scale <= 0) throw new Error(`${fn}: scale must be a positive integer, got ${scale}`);
  if (!Number.isInteger(pad) || pad < 0) throw new Error(`${fn}: padding must be a non-negative integer, got ${pad}`);
  const { h, w } = images[0];
  images.forEach((img, i) => {
    if (img.h !== h || img.w !== w) {
      throw new Error(`${fn}: every image must be ${h}x${w} like image 0, image ${i} is ${img.h}x${img.w}`);
    }
    if (img.c !== 1 && img.c !== 3) throw new Error(`${fn}: image ${i}: c must be 1 or 3, got ${img.c}`);
    if (img.data.length !== h * w * img.c) {
      const expected = `h*w*c = ${h}*${w}*${img.c} = ${h * w * img.c}`;
      throw new Error(`${fn}: image ${i}: data must have ${expected} values, got ${img.data.length}`);
    }
  });
  const rows = Math.ceil(images.length / cols);
  if (opts.rowLabels && opts.rowLabels.length > rows) {
    throw new Error(`${fn}: rowLabels has ${opts.rowLabels.length} labels for ${rows} rows`);
  }
  if (opts.colLabels && opts.colLabels.length > cols) {
    throw new Error(`${fn}: colLabels has ${opts.colLabels.length} labels for ${cols} columns`);
  }
  return rows;
}

/** Where everything of a grid goes, in pixels. */
interface GridLayout {
  cols: number;
  scale: number;
  fontSize: number;
  tileW: number;
  tileH: number;
  titleH: number;
  colLabelH: number;
  tileLabelH: number;
  rowLabelW: number;
  cellW: number;
  cellH: number;
  pad: number;
  gridLeft: number;
  gridTop: number;
  width: number;
  height: number;
}

/** The layout, top to bottom: title, column labels, then rows of tiles, each tile's label below it; row labels left. */
function gridLayout(images: GridImage[], opts: ImageGridOptions, rows: number, scale: number, pad: number): GridLayout {
  const fontSize = opts.fontSize ?? 12;
  const tileW = images[0].w * scale;
  const tileH = images[0].h * scale;
  const lineH = Math.ceil(fontSize * 1.5);
  const titleH = opts.title ? Math.ceil(fontSize * 1.3 * 1.6) : 0;
  const colLabelH = opts.colLabels ? lineH : 0;
  const tileLabelH = images.some((img) => img.label) ? lineH : 0;
  const longestRowLabel = Math.max(0, ...(opts.rowLabels ?? []).map((s) => s.length));
  const rowLabelW = opts.rowLabels ? Math.ceil(longestRowLabel * CHAR_WIDTH * fontSize) + fontSize : 0;
  const cellW = tileW + pad;
  const cellH = tileH + tileLabelH + pad;
  const gridLeft = rowLabelW + pad;
  const gridTop = titleH + colLabelH + pad;
  const { cols } = opts;
  return {
    cols, scale, fontSize, tileW, tileH, titleH, colLabelH, tileLabelH, rowLabelW, cellW, cellH, pad, gridLeft, gridTop,
    width: gridLeft + cols * cellW,
    height: gridTop + rows * cellH,
  };
}

/** The canvas as RGB bytes: the background, then each tile blitted with nearest-neighbour upscaling. */
function drawTiles(images: GridImage[], L: GridLayout, normalize: GridNormalize, bg: [number, number, number]): Uint8Array {
  const canvas = new Uint8Array(L.width * L.height * 3);
  for (let i = 0; i < L.width * L.height; i++) canvas.set(bg, i * 3);
  const globalRange = normalize === 'global' ? minMax(images) : undefined;
  images.forEach((img, n) => {
    const bytes = normalize === 'per-image' ? normalizeToUint8(img.data) : normalize === 'global' ? normalizeToUint8(img.data, globalRange) : clampToUint8(img.data);
    const left = L.gridLeft + (n % L.cols) * L.cellW;
    const top = L.gridTop + Math.floor(n / L.cols) * L.cellH;
    for (let y = 0; y < L.tileH; y++) {
      const srcRow = Math.floor(y / L.scale) * img.w;
      let dst = ((top + y) * L.width + left) * 3;
      for (let x = 0; x < L.tileW; x++, dst += 3) {
        const src = (srcRow + Math.floor(x / L.scale)) * img.c;
        if (img.c === 3) {
          canvas[dst] = bytes[src];
          canvas[dst + 1] = bytes[src + 1];
          canvas[dst + 2] = bytes[src + 2];
        } else {
          canvas[dst] = canvas[dst + 1] = canvas[dst + 2] = bytes[src];
        }
      }
    }
  });
  return canvas;
}

/** The title, column, row and tile labels, each fitted to its room and placed on its band's baseline. */
function gridLabels(images: GridImage[], opts: ImageGridOptions, L: GridLayout): TextItem[] {
  const size = L.fontSize;
  const baseline = (top: number, band: number) => top + Math.round((band + size * 0.7) / 2);
  const items: TextItem[] = [];
  if (opts.title) {
    const titleSize = Math.round(size * 1.3);
    items.push({ text: fitText(opts.title, L.width, titleSize), x: L.width / 2, y: baseline(0, L.titleH), anchor: 'middle', size: titleSize, bold: true });
  }
  (opts.colLabels ?? []).forEach((label, c) => {
    const [x, y] = [L.gridLeft + c * L.cellW + L.tileW / 2, baseline(L.titleH, L.colLabelH + L.pad)];
    items.push({ text: fitText(label, L.cellW, size), x, y, anchor: 'middle', size });
  });
  (opts.rowLabels ?? []).forEach((text, r) => {
    items.push({ text, x: L.rowLabelW - size / 2, y: baseline(L.gridTop + r * L.cellH, L.tileH), anchor: 'end', size });
  });
  images.forEach((img, n) => {
    if (!img.label) return;
    const [x, y] = [L.gridLeft + (n % L.cols) * L.cellW + L.tileW / 2, baseline(L.gridTop + Math.floor(n / L.cols) * L.cellH + L.tileH, L.tileLabelH)];
    items.push({ text: fitText(img.label, L.cellW, size), x, y, anchor: 'middle', size });
  });
  return items;
}

/**
 * Draws images as a grid and writes it as a PNG.
 *
 * images: all of the same h x w (c may mix 1 and 3; grey tiles are drawn grey), filled row by row, opts.cols per row.
 * Layout, top to bottom: title, column labels, then each row of tiles with each tile's label below it; row labels
 * sit to the left. Returns the absolute path and the PNG's size.
 */
export async function imageGrid(
  filePath: string,
  images: GridImage[],
  opts: ImageGridOptions,
): Promise<{ path: string; width: number; height: number }> {
  const scale = opts.scale ?? 1;
  const pad = opts.padding ?? 2;
  const bg = opts.background ?? [255, 255, 255];
  const rows = checkGrid('imageGrid', images, opts, scale, pad);
  const layout = gridLayout(images, opts, rows, scale, pad);
  const { width, height } = layout;
  const canvas = drawTiles(images, layout, opts.normalize ?? 'none', bg);
  // Text: dark on a light background, light on a dark one.
  const textColor = 0.299 * bg[0] + 0.587 * bg[1] + 0.114 * bg[2] > 128 ? '#222222' : '#eeeeee';
  const items = gridLabels(images, opts, layout);
  let image = sharp(canvas, { raw: { width, height, channels: 3 } });
  if (items.length > 0) image = image.composite([{ input: textOverlay(width, height, items, textColor), left: 0, top: 0 }]);
  const png = await image.png().toBuffer();
  return { path: writeFileAtomic(filePath, png), width, height };
}

export interface HeatmapOptions {
  /** Largest side of the output before upscaling, in pixels. Larger matrices are block-averaged down by one integer
   * factor on both axes (so the aspect ratio holds). Default 2048. */
  maxSide?: number;
  /** Integer nearest-neighbour upscaling after any downsampling, for small matrices (a 10x10 confusion matrix). */
  scale?: number;
  /** Map this [lo, hi] to black..white instead of the (downsampled) matrix's min..max. */
  range?: [number, number];
}

/**
 * Writes a matrix as a greyscale PNG: larger values brighter (matplotlib's imshow with a grey colormap), row 0 at
 * the top. Used for kNN's distance matrix (500 test rows x 5000 training columns): rows or columns that stand out
 * are test or training images far from everything.
 *
 * data: row-major values, length rows * cols. Non-finite values are skipped in block averages and drawn black.
 * Returns the absolute path and the PNG's size: ceil(rows / f) * scale by ceil(cols / f) * scale, where the
 * downsampling factor f = ceil(max(rows, cols) / maxSide).
 */
export async function heatmap(
  filePath: string,
  data: ArrayLike<number>,
  rows: number,
  cols: number,
  opts: HeatmapOptions = {},
): Promise<{ path: string; width: number; height: number }> {
  const fn = 'heatmap';
  if (!Number.isInteger(rows) || rows <= 0 || !Number.isInteger(cols) || cols <= 0) {
    throw new Error(`${fn}: rows and cols must be positive integers, got ${rows} x ${cols}`);
  }
  if (data.length !== rows * cols) {
    throw new Error(`${fn}: data must have rows*cols = ${rows}*${cols} = ${rows * cols} values, got ${data.length}`);
  }
  const maxSide = opts.maxSide ?? 2048;
  const scale = opts.scale ?? 1;
  if (!Number.isInteger(maxSide) || maxSide <= 0) throw new Error(`${fn}: maxSide must be a positive integer, got ${maxSide}`);
  if (!Number.isInteger(scale) || scale <= 0) throw new Error(`${fn}: scale must be a positive integer, got ${scale}`);

  const f = Math.ceil(Math.max(rows, cols) / maxSide);
  const outRows = Math.ceil(rows / f);
  const outCols = Math.ceil(cols / f);
  const sums = new Float64Array(outRows * outCols);
  const counts = new Uint32Array(outRows * outCols);
  for (let r = 0; r < rows; r++) {
    const base = Math.floor(r / f) * outCols;
    for (let c = 0; c < cols; c++) {
      const v = data[r * cols + c];
      if (!Number.isFinite(v)) continue;
      const k = base + Math.floor(c / f);
      sums[k] += v;
      counts[k] += 1;
    }
  }
  const averaged = new Float64Array(outRows * outCols);
  for (let k = 0; k < averaged.length; k++) averaged[k] = counts[k] > 0 ? sums[k] / counts[k] : NaN;
  const grey = normalizeToUint8(averaged, opts.range);

  const width = outCols * scale;
  const height = outRows * scale;
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const src = Math.floor(y / scale) * outCols;
    for (let x = 0; x < width; x++) pixels[y * width + x] = grey[src + Math.floor(x / scale)];
  }
  return { path: await writePng(filePath, pixels, width, height, 1), width, height };
}
