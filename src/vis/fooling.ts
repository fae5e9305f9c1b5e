/**
 * Fooling images (Szegedy et al., 2014), as the course's NetworkVisualization notebook makes them: start from an
 * image the model classifies correctly and climb the score of another class by gradient ascent on the pixels until
 * the model predicts that class. The change is usually invisible; magnified it looks like noise.
 *
 * Each step is normalised, as the course's make_fooling_image:
 *
 *   X <- X + learningRate * dX / ||dX||_2,   dX = d score_target(X) / dX   (the norm over one whole image)
 *
 * so learningRate is the L2 length of every step in X's units (here: pixel levels 0..255, mean subtracted).
 * The objective can also be the target's log-softmax probability instead of its score (see ClassObjective).

 * dX comes from the model's hand-written backward pass in test mode, never autodiff.
 *
 * Several images are fooled together, as one batch: the model treats images independently in test mode, so each
 * image follows exactly the path it would follow alone, and stops (takes no more steps) once it is fooled.
 *
 * Explained, with the figures it makes, in docs/network-visualization.md (#fooling-images).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ClassObjective, InputGradientModel, checkClassIndices, objectiveScoresGradient } from './saliency';

/**
 * The course's learning rate 1 moves each of SqueezeNet's 150,528 inputs by 1 / sqrt(150528) = 0.0026 standard
 * deviations (RMS) per step, 0.15 pixel levels; the same per-pixel step on a 32x32x3 image is an L2 step of
 * 0.15 * sqrt(3072) = 8, which is the default here.
 */
export const FOOLING_DEFAULTS = { learningRate: 8, maxIters: 100 } as const;

export interface FoolingOptions {
  /** What to climb: 'score' (the course's, default) or 'logProb'. */
  objective?: ClassObjective;
  /** L2 length of each step, in X's units. Default FOOLING_DEFAULTS (the course's, translated to pixel levels). */
  learningRate?: number;
  /** Most gradient steps per image; the model's prediction is checked after each. Default 100, the course's. */
  maxIters?: number;
  /** Called after every step: steps so far, and how many images the model now assigns to their target. */
  onIteration?: (iteration: number, fooled: number) => void;
}

export interface FoolingResult {
  /** [N, H, W, C] each image after its last step (caller disposes). */
  XFooling: tf.Tensor4D;
  /** Per image: whether the model predicts the target class for XFooling. */
  fooled: boolean[];
  /** Per image: the steps it took (up to the one that fooled the model, else maxIters). */
  iterations: number[];
  /** Per image: the model's predicted class for XFooling. */
  predicted: number[];
  /** Per image: the largest change of one pixel value, max |XFooling - X|, in X's units. */
  linf: number[];
  /** Per image: the L2 norm of the change, ||XFooling - X||_2, in X's units. */
  l2: number[];
}

/** Below this an image's gradient counts as zero (a dead net): the step is skipped rather than divided by ~0. */
const MIN_NORM = 1e-12;

/**
 * The course's make_fooling_image, for a batch.
 *
 * model: an InputGradientModel. X: [N, H, W, C] images as the model sees them (mean-subtracted); X is not changed.
 * targetY: N target classes. options: learning rate, most steps, progress callback.
 * Returns the fooling images and, per image, whether it worked, the steps, the prediction and the size of change.
 */
export function makeFoolingImages(
  model: InputGradientModel,
  X: tf.Tensor4D,
  targetY: ArrayLike<number>,
  options: FoolingOptions = {},
): FoolingResult {
  const fn = 'makeFoolingImages';
  const learningRate = options.learningRate ?? FOOLING_DEFAULTS.learningRate;
  const maxIters = options.maxIters ?? FOOLING_DEFAULTS.maxIters;
  const objective = options.objective ?? 'score';
  if (X.rank !== 4) throw new Error(`${fn}: X must be rank 4 [N, H, W, C] (NHWC), got shape [${X.shape}]`);
  const n = X.shape[0];
  if (targetY.length !== n) throw new Error(`${fn}: targetY must hold N = ${n} classes (X's batch), got ${targetY.length}`);
  if (!(learningRate > 0 && Number.isFinite(learningRate))) throw new Error(`${fn}: learningRate must be a positive number, got ${learningRate}`);
  if (!Number.isInteger(maxIters) || maxIters < 0) throw new Error(`${fn}: maxIters must be a non-negative integer, got ${maxIters}`);

  const targets = Array.from(targetY);
  const target = tf.tensor1d(targets, 'int32');
  const done: boolean[] = new Array(n).fill(false);
  const iterations: number[] = new Array(n).fill(0);
  const predicted: number[] = new Array(n).fill(-1);
  let current = tf.clone(X);
  try {
    for (let it = 0; ; it++) {
      const { scores, dX } = model.inputGradient(current, (s) => {
        if (it === 0) checkClassIndices(fn, 'targetY', targets, s.shape[1]);
        return objectiveScoresGradient(s, target, objective);
      });
      const predTensor = tf.argMax(scores, 1);
      const pred = predTensor.dataSync();
      predTensor.dispose();
      for (let i = 0; i < n; i++) {
        predicted[i] = pred[i];
        if (pred[i] === targets[i]) done[i] = true;
      }
      const fooledCount = done.filter(Boolean).length;
      if (it > 0) options.onIteration?.(it, fooledCount);
      if (fooledCount === n || it === maxIters) {
        tf.dispose([scores, dX]);
        break;
      }
      // Images already fooled take a zero step: their scale is 0.
      const active = tf.tensor4d(done.map((d) => (d ? 0 : 1)), [n, 1, 1, 1]);
      const next = tf.tidy(() => {
        const norm = tf.sqrt(tf.sum(tf.square(dX), [1, 2, 3], true));
        const scale = tf.div(tf.mul(active, learningRate), tf.maximum(norm, MIN_NORM));
        return tf.add(current, tf.mul(dX, scale)) as tf.Tensor4D;
      });
      tf.dispose([scores, dX, active, current]);
      current = next;
      for (let i = 0; i < n; i++) if (!done[i]) iterations[i] += 1;
    }
  } catch (err) {
    current.dispose();
    throw err;
  } finally {
    target.dispose();
  }

  const { linf, l2 } = tf.tidy(() => {
    const diff = tf.sub(current, X);
    return {
      linf: Array.from(tf.max(tf.abs(diff), [1, 2, 3]).dataSync()),
      l2: Array.from(tf.sqrt(tf.sum(tf.square(diff), [1, 2, 3])).dataSync()),
    };
  });
  return { XFooling: current, fooled: done, iterations, predicted, linf, l2 };
}
