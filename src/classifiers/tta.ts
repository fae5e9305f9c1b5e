/**
 * Test-time augmentation: at evaluation, a model scores each image and its left-right mirror and the two score
 * rows are averaged. Training with random flips taught the net that a mirrored image is the same class; its two
 * guesses still differ a little, and their average is right more often than either (docs/best-model.md has the
 * numbers). Training is untouched: with labels, the wrapped model's loss is the model's own.
 *
 *   const tta = withFlipAveraging(model);
 *   predictionAccuracy(modelPredictions(tta, XTest), yTest);
 *
 * X: [N, H, W, C] images (NHWC, so the mirror reverses axis 2).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LossAndGrads, Model } from '../model';

/** model, but loss(X) without labels returns (scores(X) + scores(mirror of X)) / 2: [N, numClasses]. */
export function withFlipAveraging(model: Model): Model {
  function loss(X: tf.Tensor, y: tf.Tensor1D): LossAndGrads;
  function loss(X: tf.Tensor): tf.Tensor2D;
  function loss(X: tf.Tensor, y?: tf.Tensor1D): LossAndGrads | tf.Tensor2D {
    if (y !== undefined) return model.loss(X, y);
    if (X.rank !== 4) throw new Error(`withFlipAveraging: X must be rank 4 images [N, H, W, C], got shape [${X.shape}]`);
    return tf.tidy(() => tf.div(tf.add(model.loss(X), model.loss(tf.reverse(X, 2))), 2) as tf.Tensor2D);
  }
  return { params: model.params, loss };
}
