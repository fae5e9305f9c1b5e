/**
 * One split of CIFAR-10 (train or test) held as bytes, with float32 tensors made on demand.
 *
 * 60,000 images are 184 MB as uint8 but 737 MB as float32, so we keep only the bytes and convert the slices a
 * caller asks for (a minibatch, the validation range) when it asks. Range subsets are views that share the bytes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DataError } from './errors';
import { IMAGE_BYTES, IMAGE_CHANNELS, IMAGE_SIZE } from './cifar10';

/** Which images: a half-open range of indices, or a list of indices (repeats allowed, any order). */
export type IndexSelection = { start: number; end: number } | ArrayLike<number>;

function isRange(sel: IndexSelection): sel is { start: number; end: number } {
  return typeof (sel as { start?: unknown }).start === 'number' && typeof (sel as { end?: unknown }).end === 'number';
}

export class CifarSplit {
  /** [n, 32, 32, 3] NHWC, values 0..255, flattened. */
  readonly images: Uint8Array;
  /** [n], values 0..9. */
  readonly labels: Uint8Array;
  readonly n: number;

  /** images: [n * 3072] NHWC bytes; labels: [n]. Both are kept, not copied. */
  constructor(images: Uint8Array, labels: Uint8Array) {
    if (images.length !== labels.length * IMAGE_BYTES) {
      throw new DataError(
        `CifarSplit: images must hold labels.length * ${IMAGE_BYTES} = ${labels.length * IMAGE_BYTES} bytes [N, 32, 32, 3], got ${images.length}`,
      );
    }
    this.images = images;
    this.labels = labels;
    this.n = labels.length;
  }

  /** Checks a selection against 0..n-1; returns its size. `fn` names the caller for the message. */
  private count(fn: string, sel: IndexSelection): number {
    if (isRange(sel)) {
      const { start, end } = sel;
      if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > this.n || start > end) {
        throw new DataError(`CifarSplit.${fn}: range must satisfy 0 <= start <= end <= ${this.n} (integers), got {start: ${start}, end: ${end}}`);
      }
      return end - start;
    }
    for (let k = 0; k < sel.length; k++) {
      const i = sel[k];
      if (!Number.isInteger(i) || i < 0 || i >= this.n) {
        throw new DataError(`CifarSplit.${fn}: indices must be integers in 0..${this.n - 1}, got ${i} at position ${k}`);
      }
    }
    return sel.length;
  }

  /** The selected images as a new byte array [k * 3072], NHWC; a range gives a view, not a copy. */
  imageBytes(sel: IndexSelection = { start: 0, end: this.n }): Uint8Array {
    const k = this.count('imageBytes', sel);
    if (isRange(sel)) return this.images.subarray(sel.start * IMAGE_BYTES, sel.end * IMAGE_BYTES);
    const out = new Uint8Array(k * IMAGE_BYTES);
    for (let j = 0; j < k; j++) out.set(this.images.subarray(sel[j] * IMAGE_BYTES, (sel[j] + 1) * IMAGE_BYTES), j * IMAGE_BYTES);
    return out;
  }

  /** The selected labels [k]; a range gives a view. */
  labelBytes(sel: IndexSelection = { start: 0, end: this.n }): Uint8Array {
    const k = this.count('labelBytes', sel);
    if (isRange(sel)) return this.labels.subarray(sel.start, sel.end);
    const out = new Uint8Array(k);
    for (let j = 0; j < k; j++) out[j] = this.labels[sel[j]];
    return out;
  }

  /** A split of the selected images: a range shares this split's bytes, an index list copies them. */
  subset(sel: IndexSelection): CifarSplit {
    return new CifarSplit(this.imageBytes(sel), this.labelBytes(sel));
  }

  /**
   * The selected images as a float32 tensor [k, 32, 32, 3] (NHWC; the course's are NCHW), values 0..255.
   * The float32 copy exists only in the returned tensor: the caller disposes it.
   */
  toTensor(sel: IndexSelection = { start: 0, end: this.n }): tf.Tensor4D {
    const k = this.count('toTensor', sel);
    const values = new Float32Array(k * IMAGE_BYTES);
    if (isRange(sel)) {
      values.set(this.images.subarray(sel.start * IMAGE_BYTES, sel.end * IMAGE_BYTES));
    } else {
      for (let j = 0; j < k; j++) values.set(this.images.subarray(sel[j] * IMAGE_BYTES, (sel[j] + 1) * IMAGE_BYTES), j * IMAGE_BYTES);
    }
    return tf.tensor4d(values, [k, IMAGE_SIZE, IMAGE_SIZE, IMAGE_CHANNELS], 'float32');
  }

  /** The selected labels as an int32 tensor [k]. */
  labelsTensor(sel: IndexSelection = { start: 0, end: this.n }): tf.Tensor1D {
    return tf.tensor1d(Int32Array.from(this.labelBytes(sel)), 'int32');
  }
}
