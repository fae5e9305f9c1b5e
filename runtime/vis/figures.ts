/**
 * From the model's input space back to pictures, and the network-visualisation figures built from them.
 *
 * The model sees 0..255 pixels with the training mean image subtracted (src/data/preprocess.ts). To show an image
 * we add the mean back, clamp to 0..255 and round to bytes: the course's deprocess (which also undoes ImageNet's
 * division by the standard deviation; CIFAR-10 here is not divided). Images are NHWC [N, H, W, C].
 *
 * Figures, each written atomically as a PNG through image_grid.ts:
 *   - saliencyFigure: images on the top row, one row of saliency maps ('hot' colours) per model below them;
 *   - foolingFigure: per image, original, fooling image, difference and difference magnified 10x;
 *   - classVisualizationFigure: one generated image per class.
 */
import * as tf from '@tensorflow/tfjs-core';
import { GridImage, imageGrid } from './image_grid';

/** A written figure: its absolute path and size in pixels. */
export interface FigureFile {
  path: string;
  width: number;
  height: number;
}

function checkImagesAndMean(fn: string, X: tf.Tensor, meanImage: tf.Tensor): void {
  if (X.rank !== 4) throw new Error(`${fn}: X must be rank 4 [N, H, W, C] (NHWC), got shape [${X.shape}]`);
  if (meanImage.rank !== 3 || meanImage.shape.some((s, i) => s !== X.shape[i + 1])) {
    throw new Error(`${fn}: meanImage must be [${X.shape.slice(1)}] (X's [H, W, C]), got shape [${meanImage.shape}]`);
  }
}

/** Splits a [N, H, W, C] byte or float array into N GridImages of h x w x c. */
function splitImages(data: Uint8Array, shape: number[]): GridImage[] {
  const [n, h, w, c] = shape;
  const size = h * w * c;
  return Array.from({ length: n }, (_, i) => ({ data: data.subarray(i * size, (i + 1) * size), h, w, c: c as 1 | 3 }));
}

/** Rounds and clamps values to 0..255 bytes. */
function toBytes(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = Number.isFinite(v) ? Math.round(Math.min(Math.max(v, 0), 255)) : 0;
  }
  return out;
}

/**
 * The course's deprocess: X [N, H, W, C] mean-subtracted images plus meanImage [H, W, C], clamped to 0..255 and
 * rounded. Returns the bytes, [N, H, W, C] row-major.
 */
export function deprocess(X: tf.Tensor4D, meanImage: tf.Tensor3D): Uint8Array {
  checkImagesAndMean('deprocess', X, meanImage);
  const images = tf.add(X, meanImage);
  const values = images.dataSync();
  images.dispose();
  return toBytes(values);
}

/** deprocess, as one GridImage per image, for imageGrid. */
export function deprocessImages(X: tf.Tensor4D, meanImage: tf.Tensor3D): GridImage[] {
  return splitImages(deprocess(X, meanImage), X.shape);
}

/**
 * A change between two images as a picture: 128 + factor * (A - B), clamped to 0..255 and rounded, so no change is
 * mid-grey and each channel's increase or decrease shows as a lighter or darker colour. The course draws the change
 * on top of its mean colour instead; ours is a per-pixel mean image, which would show a blurry picture under the
 * change, so the change sits on plain grey here. A, B: [N, H, W, C]. Returns one GridImage per image.
 */
export function differenceImages(A: tf.Tensor4D, B: tf.Tensor4D, factor = 1): GridImage[] {
  if (A.rank !== 4 || A.shape.some((s, i) => s !== B.shape[i])) {
    throw new Error(`differenceImages: A and B must be the same [N, H, W, C], got [${A.shape}] and [${B.shape}]`);
  }
  const change = tf.tidy(() => tf.add(tf.mul(tf.sub(A, B), factor), 128));
  const values = change.dataSync();
  change.dispose();
  return splitImages(toBytes(values), A.shape);
}

/**
 * matplotlib's 'hot' colour map, as the notebook shows saliency: black, red, yellow, white as t goes 0..1.
 * values: h * w numbers, min-max rescaled to 0..1 per map (imshow's default). Returns h * w * 3 RGB bytes.
 */
export function hotColormap(values: ArrayLike<number>): Uint8Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < lo) lo = values[i];
    if (values[i] > hi) hi = values[i];
  }
  const span = hi - lo;
  const out = new Uint8Array(values.length * 3);
  for (let i = 0; i < values.length; i++) {
    const t = span > 0 ? (values[i] - lo) / span : 0;
    // matplotlib's _hot_data: red rises from 0.0416 over [0, 0.365], green over [0.365, 0.746], blue over [0.746, 1].
    const r = Math.min(1, 0.0416 + (1 - 0.0416) * (t / 0.365079));
    const g = Math.min(1, Math.max(0, (t - 0.365079) / (0.746032 - 0.365079)));
    const b = Math.min(1, Math.max(0, (t - 0.746032) / (1 - 0.746032)));
    out[i * 3] = Math.round(255 * r);
    out[i * 3 + 1] = Math.round(255 * g);
    out[i * 3 + 2] = Math.round(255 * b);
  }
  return out;
}

/** Nearest-neighbour upscaling that keeps a 32x32 image's pixels visible. */
const SCALE = 4;

/** One model's saliency maps, a row of the saliency figure. */
export interface SaliencyRow {
  /** Text to the left of the row, e.g. the model's name. */
  name: string;
  /** [N, H, W], one map per image. */
  saliency: tf.Tensor3D;
  /** Optional captions under the maps, e.g. the model's predictions. */
  labels?: string[];
}

/**
 * The notebook's saliency figure: the images on the first row, their saliency maps below, one row per model (so
 * that models can be compared on the same images). X: [N, H, W, C] mean-subtracted images. meanImage: [H, W, C].
 * rows: each model's maps [N, H, W]. labels: N captions for the images (the class names). Writes a PNG of N
 * columns and 1 + rows.length rows.
 */
export async function saliencyFigure(
  filePath: string,
  X: tf.Tensor4D,
  meanImage: tf.Tensor3D,
  rows: SaliencyRow[],
  labels: string[],
): Promise<FigureFile> {
  const fn = 'saliencyFigure';
  const [n, h, w] = X.shape;
  if (rows.length === 0) throw new Error(`${fn}: rows must hold at least one model's saliency maps, got none`);
  for (const row of rows) {
    const sal = row.saliency;
    if (sal.rank !== 3 || sal.shape[0] !== n || sal.shape[1] !== h || sal.shape[2] !== w) {
      throw new Error(`${fn}: saliency of '${row.name}' must be [${n}, ${h}, ${w}] (X's [N, H, W]), got shape [${sal.shape}]`);
    }
    if (row.labels && row.labels.length !== n) throw new Error(`${fn}: labels of '${row.name}' must hold N = ${n} captions, got ${row.labels.length}`);
  }
  if (labels.length !== n) throw new Error(`${fn}: labels must hold N = ${n} captions, got ${labels.length}`);
  const images = deprocessImages(X, meanImage).map((img, i) => ({ ...img, label: labels[i] }));
  const heat: GridImage[] = rows.flatMap((row) => {
    const maps = row.saliency.dataSync();
    return Array.from({ length: n }, (_, i) => ({
      data: hotColormap(maps.subarray(i * h * w, (i + 1) * h * w)),
      h,
      w,
      c: 3 as const,
      label: row.labels?.[i],
    }));
  });
  return imageGrid(filePath, [...images, ...heat], {
    cols: n,
    scale: SCALE,
    padding: 4,
    title: 'Saliency maps: |d score(true class) / d pixel|, max over channels',
    rowLabels: ['image', ...rows.map((r) => r.name)],
  });
}

/** One row of the fooling figure: the captions under its tiles. */
export interface FoolingRow {
  /** Caption of the original, e.g. its true class 'cat'. */
  original: string;
  /** Caption of the fooling image, e.g. its target class and steps 'dog (12)'. */
  fooling: string;
}

/**
 * The notebook's fooling figure: one row per image with the original, the fooling image, their difference
 * (on grey) and the difference magnified `magnify` times. X, XFooling: [N, H, W, C] mean-subtracted. meanImage:
 * [H, W, C]. rows: N captions.
 */
export async function foolingFigure(
  filePath: string,
  X: tf.Tensor4D,
  XFooling: tf.Tensor4D,
  meanImage: tf.Tensor3D,
  rows: FoolingRow[],
  magnify = 10,
): Promise<FigureFile> {
  const n = X.shape[0];
  if (rows.length !== n) throw new Error(`foolingFigure: rows must hold N = ${n} captions, got ${rows.length}`);
  const originals = deprocessImages(X, meanImage);
  const fooled = deprocessImages(XFooling, meanImage);
  const diff = differenceImages(XFooling, X, 1);
  const magnified = differenceImages(XFooling, X, magnify);
  const tiles: GridImage[] = [];
  for (let i = 0; i < n; i++) {
    tiles.push({ ...originals[i], label: rows[i].original }, { ...fooled[i], label: rows[i].fooling }, diff[i], magnified[i]);
  }
  return imageGrid(filePath, tiles, {
    cols: 4,
    scale: SCALE,
    padding: 4,
    title: 'Fooling images: true class, target class (steps)',
    colLabels: ['original', 'fooling image', 'difference', `difference x${magnify}`],
  });
}

/**
 * The notebook's class visualisations: one generated image per class, labelled. X: [N, H, W, C] mean-subtracted.
 * meanImage: [H, W, C]. labels: N captions. cols: tiles per row (default 5).
 */
export async function classVisualizationFigure(
  filePath: string,
  X: tf.Tensor4D,
  meanImage: tf.Tensor3D,
  labels: string[],
  cols = 5,
): Promise<FigureFile> {
  const n = X.shape[0];
  if (labels.length !== n) throw new Error(`classVisualizationFigure: labels must hold N = ${n} captions, got ${labels.length}`);
  const images = deprocessImages(X, meanImage).map((img, i) => ({ ...img, label: labels[i] }));
  return imageGrid(filePath, images, { cols: Math.min(cols, n), scale: SCALE, padding: 4, title: 'Class visualisation' });
}
