/**
 * Saliency maps (Simonyan, Vedaldi and Zisserman, 2014), as the course's NetworkVisualization notebook computes
 * them: how much each pixel matters to the score of the correct class.
 *
 *   saliency[n, h, w] = max over c of | d score_{y_n}(X_n) / d X[n, h, w, c] |
 *
 * The gradient is the unnormalised class score's (not the loss's), taken in test mode, and comes from the model's
 * hand-written backward pass (its first layer's dx): no autodiff. Images are NHWC [N, H, W, C]; the course's are
 * NCHW, so its max over dim 1 is our max over axis 3.
 *
 * Explained, with the figures it makes, in docs/network-visualization.md (#saliency-maps).
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * A classifier that can return the gradient of an objective of its class scores with respect to its input images,
 * in test mode (ThreeLayerConvNet and FullyConnectedNet both can).
 */
export interface InputGradientModel {
  /**
   * X: [N, H, W, C]. dscores: given the scores [N, numClasses], returns d(objective)/d(scores), the same shape.
   * Returns the scores [N, numClasses] and dX [N, H, W, C].
   */
  inputGradient(X: tf.Tensor4D, dscores: (scores: tf.Tensor2D) => tf.Tensor2D): { scores: tf.Tensor2D; dX: tf.Tensor4D };
}

/**
 * Labels [N] as float32 one-hot rows [N, numClasses]: the upstream gradient that selects one score per image.
 * Built by cast rather than oneHot's dtype argument (wasm's OneHot writes int32 bits into a float32 tensor).
 */
export function oneHotScores(y: tf.Tensor1D, numClasses: number): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.oneHot(y, numClasses), 'float32') as tf.Tensor2D);
}

/** Throws unless y is [N] int32 with N = X's batch. */
export function checkImageLabels(fn: string, X: tf.Tensor, y: tf.Tensor): void {
  if (X.rank !== 4) throw new Error(`${fn}: X must be rank 4 [N, H, W, C] (NHWC), got shape [${X.shape}]`);
  if (y.rank !== 1 || y.shape[0] !== X.shape[0]) {
    throw new Error(`${fn}: y must be [N] with N = ${X.shape[0]} (X's batch), got shape [${y.shape}]`);
  }
  if (y.dtype !== 'int32') throw new Error(`${fn}: y must be int32 labels, got ${y.dtype}`);
}

/**
 * What fooling images and class visualisations climb for a target class t:
 * - 'score': the unnormalised score s_t, the course's objective;
 * - 'logProb': the log-softmax probability log p_t = s_t - log sum_j exp(s_j). Its gradient also pushes the other
 *   scores down, which matters for a ReLU net without much bias: such a net is close to positively homogeneous
 *   (s(a X) ~ a s(X)), so climbing s_t alone partly just scales the image up, and that raises whichever class is
 *   already ahead at least as fast as t.
 */
export type ClassObjective = 'score' | 'logProb';

/**
 * d(objective)/d(scores) for one target class per row. scores: [N, C]. target: [N] int32.
 * 'score': the one-hot of the target. 'logProb': one-hot minus softmax(scores) (softmax's Jacobian applied to
 * d log p_t / d p). Returns [N, C].
 */
export function objectiveScoresGradient(scores: tf.Tensor2D, target: tf.Tensor1D, objective: ClassObjective): tf.Tensor2D {
  if (objective !== 'score' && objective !== 'logProb') {
    throw new Error(`objectiveScoresGradient: objective must be 'score' or 'logProb', got '${String(objective)}'`);
  }
  return tf.tidy(() => {
    const oneHot = oneHotScores(target, scores.shape[1]);
    return objective === 'score' ? oneHot : (tf.sub(oneHot, tf.softmax(scores)) as tf.Tensor2D);
  });
}

/** Throws unless every value is an integer class index in 0..numClasses-1. */
export function checkClassIndices(fn: string, arg: string, values: ArrayLike<number>, numClasses: number): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
      throw new Error(`${fn}: ${arg}[${i}] must be a class index in 0..${numClasses - 1}, got ${v}`);
    }
  }
}

/**
 * The course's compute_saliency_maps.
 *
 * model: an InputGradientModel. X: [N, H, W, C] input images (as the model sees them: mean-subtracted).
 * y: [N] int32, the class whose score each map explains (the true label in the notebook).
 * Returns saliency [N, H, W], non-negative (caller disposes).
 */
export function computeSaliencyMaps(model: InputGradientModel, X: tf.Tensor4D, y: tf.Tensor1D): tf.Tensor3D {
  checkImageLabels('computeSaliencyMaps', X, y);
  return tf.tidy(() => {
    const { dX } = model.inputGradient(X, (scores) => {
      checkClassIndices('computeSaliencyMaps', 'y', y.dataSync(), scores.shape[1]);
      return oneHotScores(y, scores.shape[1]);
    });
    return tf.max(tf.abs(dX), 3) as tf.Tensor3D;
  });
}
