/**
 * Saliency maps for the page: the library's computeSaliencyMaps (the course's compute_saliency_maps: the largest
 * absolute gradient of the correct class's score over the colour channels, from the model's hand-written
 * backward pass) for one image, read back for drawing, with the model's probabilities for that image.
 */
import * as tf from '@tensorflow/tfjs-core';
import { computeSaliencyMaps } from '../src/vis/saliency';
import type { PageModel } from './models';
import { classProbabilities } from './predictions';

export interface Saliency {
  /** [H * W], row-major, values >= 0. */
  map: Float32Array;
  h: number;
  w: number;
  /** The class whose score was differentiated. */
  label: number;
  /** The model's probabilities for the image, [C]. */
  probs: Float32Array;
}

/**
 * x: one image [1, H, W, 3], preprocessed as the model's training data. label: the class, 0..C-1.
 * Returns max over channels of |d score_label / d x|, and the image's class probabilities.
 */
export function saliencyMap(model: PageModel, x: tf.Tensor4D, label: number): Saliency {
  if (x.rank !== 4 || x.shape[0] !== 1) throw new Error(`saliencyMap: x must be one image [1, H, W, C], got shape [${x.shape}]`);
  const map = tf.tidy(() => computeSaliencyMaps(model, x, tf.tensor1d([label], 'int32')));
  const out: Saliency = { map: map.dataSync() as Float32Array, h: x.shape[1], w: x.shape[2], label, probs: classProbabilities(model, x) };
  map.dispose();
  return out;
}

/** The heat colour of t in [0, 1]: black, red, yellow, white. Writes r, g, b at data[o..o+2]. */
function heat(t: number, data: Uint8ClampedArray, o: number): void {
  data[o] = 255 * Math.min(1, t * 3);
  data[o + 1] = 255 * Math.min(1, Math.max(0, t * 3 - 1));
  data[o + 2] = 255 * Math.max(0, t * 3 - 2);
  data[o + 3] = 255;
}

/** Draws the map on the canvas as a heat image, stretched to its own maximum; returns that maximum. */
export function drawSaliency(canvas: HTMLCanvasElement, s: Saliency): number {
  canvas.width = s.w;
  canvas.height = s.h;
  let max = 0;
  for (const v of s.map) if (v > max) max = v;
  const ctx = canvas.getContext('2d');
  if (!ctx) return max;
  const img = ctx.createImageData(s.w, s.h);
  for (let p = 0; p < s.map.length; p++) heat(max > 0 ? s.map[p] / max : 0, img.data, p * 4);
  ctx.putImageData(img, 0, 0);
  return max;
}

/** The colour scale beside the map: the heat colours from the top (the maximum) down to 0. */
export function drawSaliencyScale(canvas: HTMLCanvasElement, steps = 64): void {
  canvas.width = 1;
  canvas.height = steps;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(1, steps);
  for (let i = 0; i < steps; i++) heat(1 - i / (steps - 1), img.data, i * 4);
  ctx.putImageData(img, 0, 0);
}
