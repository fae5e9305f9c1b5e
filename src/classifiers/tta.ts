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
import { translateReflect } from '../data/augment';

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

/**
 * airbench's richer test-time augmentation: six views of each image, the image and its mirror, each as it is and
 * shifted by one pixel up-left and down-right (reflect padding), weighted so that the unshifted pair counts half:
 *
 *   scores = 0.5 * flipAvg(X) + 0.25 * flipAvg(shift(X, -1, -1)) + 0.25 * flipAvg(shift(X, +1, +1))
 *
 * where flipAvg averages an image's scores with its mirror's. Three times the cost of withFlipAveraging.
 * With labels, loss is the model's own. X: [N, H, W, C] images.
 */
export function withFlipTranslateAveraging(model: Model): Model {
  const flipAvg = (X: tf.Tensor4D) => tf.div(tf.add(model.loss(X), model.loss(tf.reverse(X, 2))), 2);
  function loss(X: tf.Tensor, y: tf.Tensor1D): LossAndGrads;
  function loss(X: tf.Tensor): tf.Tensor2D;
  function loss(X: tf.Tensor, y?: tf.Tensor1D): LossAndGrads | tf.Tensor2D {
    if (y !== undefined) return model.loss(X, y);
    if (X.rank !== 4) throw new Error(`withFlipTranslateAveraging: X must be rank 4 images [N, H, W, C], got shape [${X.shape}]`);
    const X4 = X as tf.Tensor4D;
    return tf.tidy(() => {
      const plain = flipAvg(X4);
      const shifted = tf.add(flipAvg(translateReflect(X4, -1, -1)), flipAvg(translateReflect(X4, 1, 1)));
      return tf.add(tf.mul(plain, 0.5), tf.mul(shifted, 0.25)) as tf.Tensor2D;
    });
  }
  return { params: model.params, loss };
}
