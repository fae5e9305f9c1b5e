/** Input checks shared by the models: errors name the model, the argument and the shapes. */
import * as tf from '@tensorflow/tfjs-core';

/** X must be [N, ...] with N > 0 and, when inputDim is given, flatten to [N, inputDim]. */
export function checkInput(fn: string, X: tf.Tensor, inputDim?: number): void {
  if (X.rank < 2 || X.shape[0] === 0) throw new Error(`${fn}: X must be [N, ...] with N > 0, got shape [${X.shape}]`);
  if (inputDim !== undefined && X.size / X.shape[0] !== inputDim) {
    throw new Error(`${fn}: X [${X.shape}] flattens to ${X.size / X.shape[0]} features per example, expected ${inputDim}`);
  }
}

/** X must be a batch of images [N, H, W, C] (NHWC) with [H, W, C] = inputDim. */
export function checkImages(fn: string, X: tf.Tensor, inputDim: readonly [number, number, number]): void {
  const [H, W, C] = inputDim;
  checkInput(fn, X);
  if (X.rank !== 4 || X.shape[1] !== H || X.shape[2] !== W || X.shape[3] !== C) {
    throw new Error(`${fn}: X must be [N, ${H}, ${W}, ${C}] (NHWC), got shape [${X.shape}]`);
  }
}

/**
 * The upstream gradient an inputGradient caller gives for the class scores: dscores(scores), checked to have the
 * scores' shape [N, C]. fn names the method in the error.
 */
export function checkedUpstream(fn: string, dscores: (scores: tf.Tensor2D) => tf.Tensor2D, scores: tf.Tensor2D): tf.Tensor2D {
  const upstream = dscores(scores);
  if (upstream.rank !== 2 || upstream.shape[0] !== scores.shape[0] || upstream.shape[1] !== scores.shape[1]) {
    throw new Error(`${fn}: dscores must return [${scores.shape}] like the scores, got shape [${upstream.shape}]`);
  }
  return upstream;
}
