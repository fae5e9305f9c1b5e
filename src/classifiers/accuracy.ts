/** Classification accuracy of predicted labels, and a model's predicted labels: the helpers every classifier, the Solver and the scripts use. */
import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '../model';

/** Fraction of predictions equal to the labels, the course's `np.mean(y_pred == y)`. pred, labels: [N], N > 0. */
export function predictionAccuracy(pred: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (pred.length !== labels.length) throw new Error(`predictionAccuracy: pred has ${pred.length} values but labels has ${labels.length}`);
  if (pred.length === 0) throw new Error('predictionAccuracy: no predictions');
  let correct = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) correct++;
  return correct / pred.length;
}

/**
 * A model's predicted labels in test mode: the argmax of its scores (model.loss(X) without labels).
 * X: [N, ...] inputs, run batchSize examples per forward pass. Returns the labels [N].
 */
export function modelPredictions(model: Model, X: tf.Tensor, batchSize = 100): Int32Array {
  const n = X.shape[0];
  const pred = new Int32Array(n);
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const batch = tf.tidy(() => tf.argMax(model.loss(tf.slice(X, start, size)), 1));
    pred.set(batch.dataSync(), start);
    batch.dispose();
  }
  return pred;
}
