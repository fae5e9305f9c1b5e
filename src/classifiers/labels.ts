/**
 * Class labels as the classifiers take them: an Int32Array, or a rank-1 int32 tensor. checkLabels
 * (../layers/validate.ts) checks them and reads them into an Int32Array.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Labels [N], values in 0..C-1. */
export type Labels = Int32Array | tf.Tensor1D;

/** The number of classes implied by the labels, max(y) + 1, as the course's `np.max(y) + 1`. */
export function numClassesOf(y: Int32Array): number {
  let max = -1;
  for (let i = 0; i < y.length; i++) if (y[i] > max) max = y[i];
  return max + 1;
}
