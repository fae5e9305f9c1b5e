/**
 * Argument checks shared by the layers. Errors name the function, the argument, what was expected and what came,
 * in the style of tfjs-core's ops: `conv forward: x must be rank 4 [N, H, W, C], got shape [32, 32, 3]`.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Throws unless t has the given rank. `layout` is the expected shape in words, e.g. '[N, H, W, C]'. */
export function checkRank(fn: string, arg: string, t: tf.Tensor, rank: number, layout: string): void {
  if (t.rank !== rank) throw new Error(`${fn}: ${arg} must be rank ${rank} ${layout}, got shape [${t.shape}]`);
}

/** Throws unless t has exactly the given shape (-1 matches any size). */
export function checkShape(fn: string, arg: string, t: tf.Tensor, shape: number[]): void {
  const ok = t.rank === shape.length && shape.every((s, i) => s === -1 || s === t.shape[i]);
  if (!ok) throw new Error(`${fn}: ${arg} must have shape [${shape.map((s) => (s === -1 ? '*' : s))}], got [${t.shape}]`);
}

/** Throws unless two tensors have the same shape. */
export function checkSameShape(fn: string, argA: string, a: tf.Tensor, argB: string, b: tf.Tensor): void {
  if (a.rank !== b.rank || a.shape.some((s, i) => s !== b.shape[i])) {
    throw new Error(`${fn}: ${argA} [${a.shape}] and ${argB} [${b.shape}] must have the same shape`);
  }
}

/** Throws unless v is a positive integer. */
export function checkPositiveInt(fn: string, arg: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${fn}: ${arg} must be a positive integer, got ${v}`);
}

/**
 * Checks class labels, the one place labels are checked: y is an Int32Array or a rank-1 int32 tensor holding n
 * labels, each in 0..numClasses-1 (each >= 0 when numClasses is not given). A tensor is read back (n integers):
 * an out-of-range label would otherwise silently become an all-zero one-hot row and a wrong loss.
 * Returns the labels as an Int32Array.
 */
export function checkLabels(fn: string, y: Int32Array | tf.Tensor, n: number, numClasses?: number): Int32Array {
  if (y instanceof tf.Tensor) {
    if (y.rank !== 1 || y.shape[0] !== n) throw new Error(`${fn}: y must be [N] with N = ${n}, one label per example, got shape [${y.shape}]`);
    if (y.dtype !== 'int32') throw new Error(`${fn}: y must be int32 class labels, got dtype ${y.dtype}`);
  } else if (y.length !== n) {
    throw new Error(`${fn}: y must be [N] with N = ${n}, one label per example, got ${y.length} labels`);
  }
  const labels = y instanceof tf.Tensor ? Int32Array.from(y.dataSync()) : y;
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (v < 0 || (numClasses !== undefined && v >= numClasses)) {
      const range = numClasses !== undefined ? `in 0..${numClasses - 1}` : '>= 0';
      throw new Error(`${fn}: y[${i}] = ${v} is out of range; labels must be ${range}`);
    }
  }
  return labels;
}
