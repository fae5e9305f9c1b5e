/**
 * Data augmentation for minibatches of images, NHWC [N, H, W, C] (the course's are NCHW): random horizontal flips
 * and random crops with zero padding, the two label-preserving transformations that the course suggests for
 * CIFAR-10 (a mirrored cat is still a cat; a cat shifted by a few pixels is still a cat). Applied to each training
 * minibatch afresh, they show the net a slightly different image every epoch, which regularises it.
 *
 * Each function draws its per-image choices from the seeded Rng it is given (one uniform per image for a flip,
 * two integers per image for a crop, in image order), so the same seed gives the same batch. The result is built
 * by one tf.gather of whole pixels at precomputed source positions: pixels are copied, never interpolated, and the
 * whole batch costs one kernel whatever N is.
 *
 * Padding adds zeros. On mean-subtracted images (the scripts' data) zero is the mean colour, so a crop shifts the
 * image and fills the uncovered border with the average pixel.
 *
 * Usage (a training step):
 *   const xb = tf.tidy(() => augmentBatch(tf.gather(XTrain, idx) as tf.Tensor4D, rng, { flip: true, padding: 4 }));
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { checkRank } from '../layers/validate';

/**
 * Copies pixels: out[n, i, j, :] = src[n, rowOf(n, i), colOf(n, j), :] for every image n.
 *
 * src: [N, Hs, Ws, C]. rows: [N * H] source rows (rows[n * H + i]), cols: [N * W] source columns, both already
 * inside src. Returns [N, H, W, C].
 */
function gatherPixels(src: tf.Tensor4D, rows: Int32Array, cols: Int32Array, H: number, W: number): tf.Tensor4D {
  const [N, Hs, Ws, C] = src.shape;
  const index = new Int32Array(N * H * W);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < H; i++) {
      const rowBase = (n * Hs + rows[n * H + i]) * Ws;
      const outBase = (n * H + i) * W;
      for (let j = 0; j < W; j++) index[outBase + j] = rowBase + cols[n * W + j];
    }
  }
  return tf.tidy(() => {
    const pixels = tf.reshape(src, [N * Hs * Ws, C]);
    return tf.reshape(tf.gather(pixels, tf.tensor1d(index, 'int32')), [N, H, W, C]) as tf.Tensor4D;
  });
}

/**
 * Mirrors each image left-right with probability prob.
 *
 * x: [N, H, W, C]. rng: draws one uniform per image, in order; image n is flipped when it is below prob.
 * prob: in [0, 1], default 0.5. Returns a new tensor [N, H, W, C] (x is left as it is).
 */
export function randomHorizontalFlip(x: tf.Tensor4D, rng: Rng, prob = 0.5): tf.Tensor4D {
  const fn = 'randomHorizontalFlip';
  checkRank(fn, 'x', x, 4, '[N, H, W, C]');
  if (!(prob >= 0 && prob <= 1)) throw new Error(`${fn}: prob must be in [0, 1], got ${prob}`);
  const [N, H, W] = x.shape;
  const rows = new Int32Array(N * H);
  const cols = new Int32Array(N * W);
  for (let n = 0; n < N; n++) {
    const flip = rng.uniform() < prob;
    for (let i = 0; i < H; i++) rows[n * H + i] = i;
    for (let j = 0; j < W; j++) cols[n * W + j] = flip ? W - 1 - j : j;
  }
  return gatherPixels(x, rows, cols, H, W);
}

/**
 * Pads each image with `padding` zeros on every side and cuts an H x W window back out at a random offset: a
 * random shift of up to `padding` pixels in each direction.
 *
 * x: [N, H, W, C]. rng: draws two integers per image, in order: the window's top row and left column in the
 * padded image, each uniform in 0..2 * padding. padding: a non-negative integer, default 4 (0 returns a copy).
 * Returns a new tensor [N, H, W, C] (x is left as it is).
 */
export function randomCrop(x: tf.Tensor4D, rng: Rng, padding = 4): tf.Tensor4D {
  const fn = 'randomCrop';
  checkRank(fn, 'x', x, 4, '[N, H, W, C]');
  if (!Number.isInteger(padding) || padding < 0) throw new Error(`${fn}: padding must be a non-negative integer, got ${padding}`);
  const [N, H, W] = x.shape;
  const rows = new Int32Array(N * H);
  const cols = new Int32Array(N * W);
  for (let n = 0; n < N; n++) {
    const top = rng.int(2 * padding + 1);
    const left = rng.int(2 * padding + 1);
    for (let i = 0; i < H; i++) rows[n * H + i] = top + i;
    for (let j = 0; j < W; j++) cols[n * W + j] = left + j;
  }
  return tf.tidy(() => {
    const padded = tf.pad(x, [
      [0, 0],
      [padding, padding],
      [padding, padding],
      [0, 0],
    ]) as tf.Tensor4D;
    return gatherPixels(padded, rows, cols, H, W);
  });
}

export interface AugmentOptions {
  /** Mirror each image left-right with probability 0.5 (default true). */
  flip?: boolean;
  /** Zero padding of the random crop; 0 for none (default 4, as is usual for 32 x 32 CIFAR-10 images). */
  padding?: number;
}

/**
 * The usual CIFAR-10 training augmentation: a random flip, then a random crop with padding.
 * x: [N, H, W, C]. rng: the flips' draws come first, then the crops'. Returns a new tensor [N, H, W, C].
 */
export function augmentBatch(x: tf.Tensor4D, rng: Rng, options: AugmentOptions = {}): tf.Tensor4D {
  const { flip = true, padding = 4 } = options;
  return tf.tidy(() => {
    const flipped = flip ? randomHorizontalFlip(x, rng) : x;
    return randomCrop(flipped, rng, padding);
  });
}
