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

/** i reflected into 0..n-1 about the edges, without repeating the edge pixel (numpy's and PyTorch's 'reflect'). */
function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  let j = i;
  while (j < 0 || j >= n) j = j < 0 ? -j : 2 * (n - 1) - j;
  return j;
}

/**
 * Shifts each image by a random whole number of pixels, up to maxShift in each direction, filling the uncovered
 * border with the image's own mirror image (reflect padding), not with zeros: airbench's translation. A border of
 * reflected pixels looks like more of the scene, where a zero border is a band of flat mean colour the net never
 * sees at test time.
 *
 * x: [N, H, W, C], maxShift < H and < W. rng: draws two integers per image, in order: the vertical and the
 * horizontal shift, each uniform in -maxShift..maxShift. Returns a new tensor [N, H, W, C] (x is left as it is).
 */
export function randomTranslateReflect(x: tf.Tensor4D, rng: Rng, maxShift = 2): tf.Tensor4D {
  const fn = 'randomTranslateReflect';
  checkRank(fn, 'x', x, 4, '[N, H, W, C]');
  const [N, H, W] = x.shape;
  if (!Number.isInteger(maxShift) || maxShift < 0 || maxShift >= H || maxShift >= W) {
    throw new Error(`${fn}: maxShift must be an integer from 0 to ${Math.min(H, W) - 1}, got ${maxShift}`);
  }
  const rows = new Int32Array(N * H);
  const cols = new Int32Array(N * W);
  for (let n = 0; n < N; n++) {
    const dy = rng.int(2 * maxShift + 1) - maxShift;
    const dx = rng.int(2 * maxShift + 1) - maxShift;
    for (let i = 0; i < H; i++) rows[n * H + i] = reflectIndex(i + dy, H);
    for (let j = 0; j < W; j++) cols[n * W + j] = reflectIndex(j + dx, W);
  }
  return gatherPixels(x, rows, cols, H, W);
}

/**
 * One fixed coin per training image for alternating flips: true where the image starts mirrored.
 * n: training images. rng: draws one uniform per image, in order. Returns a Uint8Array of 0s and 1s.
 */
export function alternatingFlipCoins(n: number, rng: Rng): Uint8Array {
  return Uint8Array.from({ length: n }, () => (rng.uniform() < 0.5 ? 1 : 0));
}

/**
 * Alternating flip (airbench, Jordan 2024): each training image is mirrored or not by its own coin in even epochs
 * and the other way in odd epochs, so over any two consecutive epochs the net sees every image once each way.
 * Random flips leave it to chance: a quarter of the images would show the same side twice in a row.
 *
 * x: [B, H, W, C], rows of the training set. indices: [B] each row's training-set index. coins: one per training
 * image (alternatingFlipCoins). epoch: epochs completed. Returns a new tensor [B, H, W, C].
 */
export function alternatingFlip(x: tf.Tensor4D, indices: ArrayLike<number>, coins: Uint8Array, epoch: number): tf.Tensor4D {
  const fn = 'alternatingFlip';
  checkRank(fn, 'x', x, 4, '[N, H, W, C]');
  const [B, H, W] = x.shape;
  if (indices.length !== B) throw new Error(`${fn}: indices must hold one training-set index per row (${B}), got ${indices.length}`);
  if (!Number.isInteger(epoch) || epoch < 0) throw new Error(`${fn}: epoch must be a non-negative integer, got ${epoch}`);
  const rows = new Int32Array(B * H);
  const cols = new Int32Array(B * W);
  for (let n = 0; n < B; n++) {
    const index = indices[n];
    if (!Number.isInteger(index) || index < 0 || index >= coins.length) throw new Error(`${fn}: index ${index} is outside the ${coins.length} coins`);
    const flip = (coins[index] ^ (epoch % 2)) === 1;
    for (let i = 0; i < H; i++) rows[n * H + i] = i;
    for (let j = 0; j < W; j++) cols[n * W + j] = flip ? W - 1 - j : j;
  }
  return gatherPixels(x, rows, cols, H, W);
}

/**
 * Every image shifted by the same (dy, dx) pixels, reflect-padded as randomTranslateReflect: out[n, i, j] =
 * x[n, reflect(i - dy), reflect(j - dx)], so dy = 1 moves the picture down by one row. x: [N, H, W, C].
 * Returns a new tensor [N, H, W, C].
 */
export function translateReflect(x: tf.Tensor4D, dy: number, dx: number): tf.Tensor4D {
  const fn = 'translateReflect';
  checkRank(fn, 'x', x, 4, '[N, H, W, C]');
  const [N, H, W] = x.shape;
  if (!Number.isInteger(dy) || !Number.isInteger(dx) || Math.abs(dy) >= H || Math.abs(dx) >= W) {
    throw new Error(`${fn}: dy and dx must be integers smaller than the image in size, got ${dy} and ${dx} for ${H} x ${W}`);
  }
  const rows = new Int32Array(N * H);
  const cols = new Int32Array(N * W);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < H; i++) rows[n * H + i] = reflectIndex(i - dy, H);
    for (let j = 0; j < W; j++) cols[n * W + j] = reflectIndex(j - dx, W);
  }
  return gatherPixels(x, rows, cols, H, W);
}
