/**
 * Argument checks shared by the layers. Errors name the function, the argument, what was expected and what came,
 * in the style of tfjs-core's ops: `conv forward: x must be rank 4 [N, H, W, C], got shape [32, 32, 3]`.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Throws unless t has the given rank. `layout` is the expected shape in words, e.g. '[N, H, W, C]'. */
export function assertRank(fn: string, arg: string, t: tf.Tensor, rank: number, layout: string): void {
  if (t.rank !== rank) throw new Error(`${fn}: ${arg} must be rank ${rank} ${layout}, got shape [${t.shape}]`);
}

/** Throws unless t has exactly the given shape (-1 matches any size). */
export function assertShape(fn: string, arg: string, t: tf.Tensor, shape: number[]): void {
  const ok = t.rank === shape.length && shape.every((s, i) => s === -1 || s === t.shape[i]);
  if (!ok) throw new Error(`${fn}: ${arg} must have shape [${shape.map((s) => (s === -1 ? '*' : s))}], got [${t.shape}]`);
}

/** Throws unless two tensors have the same shape. */
export function assertSameShape(fn: string, argA: string, a: tf.Tensor, argB: string, b: tf.Tensor): void {
  if (a.rank !== b.rank || a.shape.some((s, i) => s !== b.shape[i])) {
    throw new Error(`${fn}: ${argA} [${a.shape}] and ${argB} [${b.shape}] must have the same shape`);
  }
}

/** Throws unless v is a positive integer. */
export function assertPositiveInt(fn: string, arg: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${fn}: ${arg} must be a positive integer, got ${v}`);
}

/**
 * Throws unless y is [N] int32 class labels, each in 0..C-1, for scores [N, C]. Reads y back (N integers): an
 * out-of-range label would otherwise silently become an all-zero one-hot row and a wrong loss.
 */
export function assertLabels(fn: string, scores: tf.Tensor, y: tf.Tensor): void {
  const [n, c] = scores.shape;
  if (y.rank !== 1 || y.shape[0] !== n) {
    throw new Error(`${fn}: y must have shape [N] = [${n}] to match scores [${scores.shape}], got [${y.shape}]`);
  }
  if (y.dtype !== 'int32') throw new Error(`${fn}: y must be int32 class labels, got dtype ${y.dtype}`);
  const labels = y.dataSync();
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] < 0 || labels[i] >= c) {
      throw new Error(`${fn}: y[${i}] = ${labels[i]} is out of range for scores [${scores.shape}]; labels must be in 0..${c - 1}`);
    }
  }
}
