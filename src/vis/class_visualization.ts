/**
 * Class visualisation (Simonyan, Vedaldi and Zisserman, 2014; Yosinski et al., 2015), as the course's
 * NetworkVisualization notebook does it: start from random noise and climb one class's score by gradient ascent
 * on the pixels, with regularisers that keep the image looking like an image:
 *
 *   I* = argmax_I  s_y(I) - lambda * ||I||_2^2
 *
 * Every iteration: roll the image by a random jitter, take a normalised gradient step on the objective
 * (gradient dX - 2 lambda I, divided by its L2 norm over the image, times the learning rate), roll it back,
 * clamp it to the valid pixel range, and every blurEvery iterations blur it a little. The jitter and the blur
 * suppress the high-frequency patterns that raise a score without looking like anything. The objective's first
 * term can also be the class's log-softmax probability instead of its score (see ClassObjective).
 *
 * Images are NHWC [N, H, W, C] in the model's input space: 0..255 pixels minus the training mean image, so the
 * valid range of each value is [-mean, 255 - mean] for its pixel and channel. dX comes from the model's
 * hand-written backward pass in test mode, never autodiff. Several classes are visualised at once, one image
 * each, as a batch: the model treats the images independently, so this is the same as one at a time, except
 * that all images share each iteration's jitter offsets.
 *
 * Explained, with the figures it makes, in docs/network-visualization.md (#class-visualisation).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { ClassObjective, InputGradientModel, checkClassIndices, objectiveScoresGradient, oneHotScores } from './saliency';

/**
 * Rolls images along height and width, as np.roll: out[n, h, w, c] = x[n, (h - dy) mod H, (w - dx) mod W, c].
 * Rolling by (dy, dx) and then by (-dy, -dx) gives back x. x: [N, H, W, C]; dy, dx: any integers.
 */
export function roll(x: tf.Tensor4D, dy: number, dx: number): tf.Tensor4D {
  const [, H, W] = x.shape;
  const sy = ((dy % H) + H) % H;
  const sx = ((dx % W) + W) % W;
  return tf.tidy(() => {
    let out = x;
    if (sy !== 0) out = tf.concat([tf.slice(out, [0, H - sy, 0, 0], [-1, sy, -1, -1]), tf.slice(out, [0, 0, 0, 0], [-1, H - sy, -1, -1])], 1);
    if (sx !== 0) out = tf.concat([tf.slice(out, [0, 0, W - sx, 0], [-1, -1, sx, -1]), tf.slice(out, [0, 0, 0, 0], [-1, -1, W - sx, -1])], 2);
    return out === x ? tf.clone(x) : out;
  });
}

/** The 1-D Gaussian kernel scipy's gaussian_filter1d uses: radius ceil(4 sigma) (truncate 4.0), normalised to sum 1. */
export function gaussianKernel1d(sigma: number): Float32Array {
  if (!(sigma > 0 && Number.isFinite(sigma))) throw new Error(`gaussianKernel1d: sigma must be a positive number, got ${sigma}`);
  const radius = Math.ceil(4 * sigma);
  const k = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    k[i + radius] = Math.exp((-0.5 * i * i) / (sigma * sigma));
    sum += k[i + radius];
  }
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/**
 * Gaussian blur of every channel, separably along height then width, as the course's blur_image
 * (scipy.ndimage.gaussian_filter1d on each spatial axis). Borders are mirrored with the edge pixel repeated,
 * scipy's 'reflect' mode (tfjs's mirrorPad 'symmetric'). x: [N, H, W, C]; sigma in pixels. Returns [N, H, W, C].
 */
export function gaussianBlur(x: tf.Tensor4D, sigma: number): tf.Tensor4D {
  const k = gaussianKernel1d(sigma);
  const [, H, W, C] = x.shape;
  // Mirroring needs the image to be at least as large as the radius; a wider kernel's tail is cut there.
  const ry = Math.min((k.length - 1) / 2, H);
  const rx = Math.min((k.length - 1) / 2, W);
  const taps = (r: number): Float32Array => {
    const c = (k.length - 1) / 2;
    const t = k.slice(c - r, c + r + 1);
    const s = t.reduce((a, b) => a + b, 0);
    return t.map((v) => v / s);
  };
  // depthwiseConv2d filters are [HH, WW, C, 1]: one copy of the 1-D kernel per channel.
  const filter = (t: Float32Array, vertical: boolean): tf.Tensor4D => {
    const data = new Float32Array(t.length * C);
    for (let i = 0; i < t.length; i++) data.fill(t[i], i * C, (i + 1) * C);
    return tf.tensor4d(data, vertical ? [t.length, 1, C, 1] : [1, t.length, C, 1]);
  };
  return tf.tidy(() => {
    const padded = tf.mirrorPad(x, [[0, 0], [ry, ry], [rx, rx], [0, 0]], 'symmetric') as tf.Tensor4D;
    const vertical = tf.depthwiseConv2d(padded, filter(taps(ry), true), 1, 'valid');
    return tf.depthwiseConv2d(vertical, filter(taps(rx), false), 1, 'valid');
  });
}

/**
 * The course's settings translated from SqueezeNet's inputs (224x224x3 values in units of ImageNet's standard
 * deviation, about 58 pixel levels) to ours (32x32x3 values in pixel levels):
 * - learningRate 25 moves each of 150,528 values by 25 / sqrt(150528) = 0.064 standard deviations (RMS) per step,
 *   3.8 levels; over 3,072 values that is an L2 step of 3.8 * sqrt(3072) = 200;
 * - l2Reg 1e-3 per squared standard deviation is 1e-3 / 58^2 = 3e-7 per squared level;
 * - the starting noise of standard deviation 1 is 58 levels; the 16-pixel jitter on 224 pixels is 2 on 32;
 * - 100 iterations, a blur of sigma 0.5 every 10 iterations: as the course.
 */
export const CLASS_VIS_DEFAULTS = {
  l2Reg: 3e-7,
  learningRate: 200,
  numIterations: 100,
  blurEvery: 10,
  blurSigma: 0.5,
  maxJitter: 2,
  initStd: 58,
} as const;

/**
 * Settings for a deeper net of 3x3 filters (ConvNet, `npm run train`'s): jitter up to 4 pixels and a blur every 2
 * iterations instead of 2 and 10. With the course's settings that net reaches its target classes (mean probability
 * 1.00 on its epoch-1 checkpoint) through high-frequency stripes and checkerboards that fill the image; jittering
 * and blurring more often leaves the coarser shapes (a dog's face, a car's red body, a ship's hull) and keeps the
 * mean probability at 0.998 (0.9998 on the epoch-2 checkpoint, validation accuracy 0.70). A blur every 5 iterations of sigma 0.7 with ten times the L2 gave equally readable but
 * paler images (mean probability 0.988); a blur every iteration (sigma 0.6), washed-out ones.
 */
export const CLASS_VIS_DEEP_DEFAULTS = { ...CLASS_VIS_DEFAULTS, blurEvery: 2, maxJitter: 4 } as const;

export interface ClassVisualizationOptions {
  /** What to climb besides the regulariser: 'score' (the course's, default) or 'logProb'. */
  objective?: ClassObjective;
  /** lambda of the L2 regulariser, per squared pixel level. Default CLASS_VIS_DEFAULTS (the course's, translated). */
  l2Reg?: number;
  /** L2 length of each (normalised) step, in pixel levels. Default CLASS_VIS_DEFAULTS. */
  learningRate?: number;
  /** Default 100, the course's. */
  numIterations?: number;
  /** Blur every this many iterations (iteration 0 included, as the course). Default 10. */
  blurEvery?: number;
  /** Blur's standard deviation in pixels. Default 0.5, the course's. */
  blurSigma?: number;
  /** Largest jitter offset in pixels, drawn in 0..maxJitter per axis every iteration. Default CLASS_VIS_DEFAULTS. */
  maxJitter?: number;
  /** Standard deviation of the starting noise, in pixel levels. Default CLASS_VIS_DEFAULTS. */
  initStd?: number;
  /** Called after every iteration with its number (1-based) and the mean softmax probability of the targets. */
  onIteration?: (iteration: number, meanTargetProb: number) => void;
}

/**
 * The course's create_class_visualization, for several target classes at once.
 *
 * model: an InputGradientModel. targetY: N target classes, one generated image each. meanImage: [H, W, C], the
 * mean that the model's inputs have had subtracted (it sets the valid range [-mean, 255 - mean]).
 * rng: draws the starting noise and the jitter. Returns the images [N, H, W, C] in the model's input space
 * (add meanImage to see them; caller disposes).
 */
export function createClassVisualization(
  model: InputGradientModel,
  targetY: ArrayLike<number>,
  meanImage: tf.Tensor3D,
  rng: Rng,
  options: ClassVisualizationOptions = {},
): tf.Tensor4D {
  const fn = 'createClassVisualization';
  const d = CLASS_VIS_DEFAULTS;
  const l2Reg = options.l2Reg ?? d.l2Reg;
  const learningRate = options.learningRate ?? d.learningRate;
  const numIterations = options.numIterations ?? d.numIterations;
  const blurEvery = options.blurEvery ?? d.blurEvery;
  const blurSigma = options.blurSigma ?? d.blurSigma;
  const maxJitter = options.maxJitter ?? d.maxJitter;
  const initStd = options.initStd ?? d.initStd;
  const objective = options.objective ?? 'score';
  if (meanImage.rank !== 3) throw new Error(`${fn}: meanImage must be rank 3 [H, W, C], got shape [${meanImage.shape}]`);
  if (!(l2Reg >= 0)) throw new Error(`${fn}: l2Reg must be >= 0, got ${l2Reg}`);
  if (!(learningRate > 0 && Number.isFinite(learningRate))) throw new Error(`${fn}: learningRate must be a positive number, got ${learningRate}`);
  if (!Number.isInteger(numIterations) || numIterations < 0) throw new Error(`${fn}: numIterations must be a non-negative integer, got ${numIterations}`);
  if (!Number.isInteger(blurEvery) || blurEvery <= 0) throw new Error(`${fn}: blurEvery must be a positive integer, got ${blurEvery}`);
  if (!Number.isInteger(maxJitter) || maxJitter < 0) throw new Error(`${fn}: maxJitter must be a non-negative integer, got ${maxJitter}`);
  if (!(initStd >= 0)) throw new Error(`${fn}: initStd must be >= 0, got ${initStd}`);

  const targets = Array.from(targetY);
  const n = targets.length;
  if (n === 0) throw new Error(`${fn}: targetY must hold at least one class, got none`);
  const [H, W, C] = meanImage.shape;
  const target = tf.tensor1d(targets, 'int32');
  const lo = tf.neg(meanImage);
  const hi = tf.sub(255, meanImage);
  let img = tf.tidy(() => tf.minimum(tf.maximum(rng.randn([n, H, W, C], initStd), lo), hi) as tf.Tensor4D);
  try {
    for (let t = 0; t < numIterations; t++) {
      const oy = rng.int(maxJitter + 1);
      const ox = rng.int(maxJitter + 1);
      let probs: Float32Array | undefined;
      const next = tf.tidy(() => {
        const jittered = roll(img, oy, ox);
        const { scores, dX } = model.inputGradient(jittered, (s) => {
          if (t === 0) checkClassIndices(fn, 'targetY', targets, s.shape[1]);
          return objectiveScoresGradient(s, target, objective);
        });
        if (options.onIteration) probs = tf.sum(tf.mul(tf.softmax(scores), oneHotScores(target, scores.shape[1])), 1).dataSync() as Float32Array;
        // Gradient of s_y(I) - lambda ||I||^2 (or log p_y(I) - lambda ||I||^2).
        const g = tf.sub(dX, tf.mul(2 * l2Reg, jittered));
        const norm = tf.maximum(tf.sqrt(tf.sum(tf.square(g), [1, 2, 3], true)), 1e-12);
        const stepped = tf.add(jittered, tf.mul(tf.div(g, norm), learningRate)) as tf.Tensor4D;
        let out = roll(stepped, -oy, -ox);
        if (t % blurEvery === 0) out = gaussianBlur(out, blurSigma);
        // Clamp after the blur, so that every image handed back is a valid image.
        return tf.minimum(tf.maximum(out, lo), hi) as tf.Tensor4D;
      });
      img.dispose();
      img = next;
      if (options.onIteration && probs) options.onIteration(t + 1, probs.reduce((a, b) => a + b, 0) / n);
    }
  } catch (err) {
    img.dispose();
    throw err;
  } finally {
    tf.dispose([target, lo, hi]);
  }
  return img;
}
