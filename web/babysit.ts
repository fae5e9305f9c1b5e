/**
 * Babysitting the learning process, as the course's lecture on training neural networks does it: numbers that
 * show a sick network before the loss curve does.
 *
 * - Dead units: the share of each ReLU layer's units that never fire (output 0) on any of a fixed set of training
 *   images. A unit that never fires passes no gradient, so it never comes back: a layer of dead units stops
 *   learning. For a convolution a unit is a filter (never positive anywhere in any image).
 * - Histograms of each layer's outputs and of the gradient flowing back into them (dL/d out, per example).
 * - The update/weight ratio of each weight matrix: ||lr-sized step|| / ||W|| over one training step. About 1e-3
 *   is healthy; far above, the learning rate is too high; far below, too low.
 * - A one-line diagnosis when a ReLU layer is mostly dead or the ratio is far off.
 */
import * as tf from '@tensorflow/tfjs-core';
import { tidyValue } from '../src/gradcheck';
import { layerStages } from './layer_view';
import type { PageModel } from './models';

/** Images the dead-unit count and the histograms are measured on (fixed, the first training images). */
export const BABYSIT_EXAMPLES = 32;
/** A ReLU layer with at least this share of dead units is named in the diagnosis. */
export const DEAD_SHARE_ALARM = 0.5;
/**
 * Update/weight ratios outside [RATIO_LOW, RATIO_HIGH] are named in the diagnosis: 1e-3 is healthy, and a
 * hundred times off either way is a learning rate worth changing (weights starting tiny, as the softmax's do,
 * grow by a few percent per step at first, which is no alarm).
 */
export const RATIO_HIGH = 1e-1;
export const RATIO_LOW = 1e-5;
/** Bins per histogram. */
export const HISTOGRAM_BINS = 24;

export interface Histogram {
  lo: number;
  hi: number;
  counts: number[];
}

export interface LayerHealth {
  name: string;
  /** Share of the layer's units that never fire on the images (ReLU layers only). */
  dead: number | null;
  units: number;
  outputs: Histogram;
  gradients: Histogram;
}

export interface UpdateRatio {
  param: string;
  /** ||W after - W before|| / ||W before|| over one step. */
  ratio: number;
}

export interface Babysit {
  examples: number;
  iteration: number;
  layers: LayerHealth[];
  ratios: UpdateRatio[];
  /** One line when something is wrong, else null. */
  diagnosis: string | null;
}

/** A histogram of values in HISTOGRAM_BINS equal bins from their least to their largest. */
export function histogram(values: ArrayLike<number>, bins = HISTOGRAM_BINS): Histogram {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const counts = new Array<number>(bins).fill(0);
  if (lo > hi) return { lo: 0, hi: 0, counts };
  const width = hi - lo || 1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    counts[Math.min(bins - 1, Math.floor(((v - lo) / width) * bins))] += 1;
  }
  return { lo, hi, counts };
}

/**
 * Share of units that never fire. out: a ReLU's output [N, D] (a unit per column) or [N, H, W, F] (a unit per
 * filter, over every position).
 */
export function deadShare(out: tf.Tensor): { dead: number; units: number } {
  return tidyValue(() => {
    const axes = out.rank === 4 ? [0, 1, 2] : [0];
    const fired = tf.max(out, axes);
    const dead = tf.sum(tf.cast(tf.lessEqual(fired, 0), 'float32')).dataSync()[0];
    return { dead: dead / fired.size, units: fired.size };
  });
}

/** The diagnosis line from the layers' health and the update ratios, or null when all looks well. */
export function diagnose(layers: LayerHealth[], ratios: UpdateRatio[]): string | null {
  const worst = layers.filter((l) => l.dead !== null).sort((a, b) => (b.dead ?? 0) - (a.dead ?? 0))[0];
  if (worst && (worst.dead ?? 0) >= DEAD_SHARE_ALARM) {
    return (
      `${Math.round(100 * (worst.dead ?? 0))}% of the units of ${worst.name} never fire: they pass no gradient and will not come back. ` +
      'Learning rate too high or initial weights too large? Lower the learning rate and press New weights.'
    );
  }
  const high = ratios.filter((r) => r.ratio > RATIO_HIGH).sort((a, b) => b.ratio - a.ratio)[0];
  if (high) {
    return `One step changes ${high.param} by ${high.ratio.toExponential(1)} of its size (about 1e-3 is healthy): the learning rate is probably too high.`;
  }
  const low = ratios.filter((r) => r.ratio > 0 && r.ratio < RATIO_LOW).sort((a, b) => a.ratio - b.ratio)[0];
  if (low) {
    return `One step changes ${low.param} by only ${low.ratio.toExponential(1)} of its size (about 1e-3 is healthy): the learning rate is probably too low.`;
  }
  return null;
}

/**
 * The layers' health on the images X [N, 32, 32, 3] with labels y [N], and the diagnosis with the given update
 * ratios (from Trainer.lastUpdateRatios).
 */
export function babysit(model: PageModel, X: tf.Tensor4D, y: tf.Tensor1D, ratios: UpdateRatio[], iteration: number): Babysit {
  const layers = tidyValue(() => {
    const { stages } = layerStages(model, X, y);
    const n = X.shape[0];
    return stages.map((s): LayerHealth => {
      const d = s.relu ? deadShare(s.out) : null;
      // dout is the gradient of the mean loss; times N it is each example's own.
      return {
        name: s.name,
        dead: d ? d.dead : null,
        units: d ? d.units : s.out.size / n,
        outputs: histogram(s.out.dataSync()),
        gradients: histogram(tf.mul(s.dout, n).dataSync()),
      };
    });
  });
  return { examples: X.shape[0], iteration, layers, ratios, diagnosis: diagnose(layers, ratios) };
}
