/**
 * Class labels as the classifiers take them: an Int32Array, or a rank-1 tensor (int32 or whole-valued float32).
 * Both are read into a plain Int32Array and checked once, so that a label out of range fails loudly instead of
 * turning into an all-zero one-hot row (which tf.oneHot would give silently).
 */
import * as tf from '@tensorflow/tfjs-core';

/** Labels [N], values in 0..C-1. */
export type Labels = Int32Array | tf.Tensor1D;

/**
 * Reads labels into an Int32Array and checks them.
 *
 * fn: the calling function's name, for the error message. y: the labels [N].
 * n: the expected count (the number of rows of X). numClasses: C, when known; every label must lie in 0..C-1.
 */
export function labelsToArray(fn: string, y: Labels, n: number, numClasses?: number): Int32Array {
  let arr: Int32Array;
  if (y instanceof tf.Tensor) {
    if (y.rank !== 1) throw new Error(`${fn}: y must be rank 1 [N], got shape [${y.shape}]`);
    arr = Int32Array.from(y.dataSync());
  } else {
    arr = y;
  }
  if (arr.length !== n) throw new Error(`${fn}: y must hold one label per row of X (${n}), got ${arr.length}`);
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i];
    if (v < 0 || (numClasses !== undefined && v >= numClasses)) {
      const range = numClasses !== undefined ? `0..${numClasses - 1}` : '>= 0';
      throw new Error(`${fn}: y[${i}] = ${v} is not a class index (expected ${range})`);
    }
  }
  return arr;
}

/** The number of classes implied by the labels, max(y) + 1, as the course's `np.max(y) + 1`. */
export function numClassesOf(y: Int32Array): number {
  let max = -1;
  for (let i = 0; i < y.length; i++) if (y[i] > max) max = y[i];
  return max + 1;
}
