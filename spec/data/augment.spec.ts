/**
 * Data augmentation: every output image must be its input image, mirrored or shifted, pixel for pixel; the choices
 * must follow the seed; nothing may leak. Images are tiny (5 x 6, 2 channels) with distinct pixel values, so an
 * output matches at most one candidate transformation.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import { augmentBatch, randomCrop, randomHorizontalFlip } from '../../src/data/augment';

const [N, H, W, C] = [40, 5, 6, 2];

/** Images whose every value is distinct (1-based, so a zero can only come from padding). */
function distinctImages(n = N): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from({ length: n * H * W * C }, (_, i) => i + 1), [n, H, W, C]);
}

/** Image n of a [N, H, W, C] array as a function of (i, j, c). */
function pixelOf(values: Float32Array, n: number): (i: number, j: number, c: number) => number {
  return (i, j, c) => values[((n * H + i) * W + j) * C + c];
}

/** Whether image `out` equals image `src` moved by (dy, dx), with zeros where the source falls outside. */
function isShift(out: (i: number, j: number, c: number) => number, src: (i: number, j: number, c: number) => number, dy: number, dx: number): boolean {
  for (let i = 0; i < H; i++) {
    for (let j = 0; j < W; j++) {
      for (let c = 0; c < C; c++) {
        const [si, sj] = [i + dy, j + dx];
        const expected = si >= 0 && si < H && sj >= 0 && sj < W ? src(si, sj, c) : 0;
        if (out(i, j, c) !== expected) return false;
      }
    }
  }
  return true;
}

function mirrored(img: (i: number, j: number, c: number) => number): (i: number, j: number, c: number) => number {
  return (i, j, c) => img(i, W - 1 - j, c);
}

/** The shifts (dy, dx) in -p..p that turn src into out. */
function shiftsFound(out: (i: number, j: number, c: number) => number, src: (i: number, j: number, c: number) => number, p: number): [number, number][] {
  const found: [number, number][] = [];
  for (let dy = -p; dy <= p; dy++) for (let dx = -p; dx <= p; dx++) if (isShift(out, src, dy, dx)) found.push([dy, dx]);
  return found;
}

beforeAll(async () => {
  await useBackend();
});

describe('randomHorizontalFlip', () => {
  it('returns each image either unchanged or mirrored, flipping about half of them, as the seed decides', () => {
    const x = distinctImages();
    const before = tf.memory().numTensors;
    const out = randomHorizontalFlip(x, new Rng(3));
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(out.shape).toEqual(x.shape);
    const [xs, os] = [x.dataSync() as Float32Array, out.dataSync() as Float32Array];
    // The draws are one uniform per image: replay them to know which images must be mirrored.
    const replay = new Rng(3);
    let flipped = 0;
    for (let n = 0; n < N; n++) {
      const flip = replay.uniform() < 0.5;
      const src = pixelOf(xs, n);
      expect(isShift(pixelOf(os, n), flip ? mirrored(src) : src, 0, 0)).toBe(true);
      if (flip) flipped++;
    }
    expect(flipped).toBeGreaterThan(N * 0.25);
    expect(flipped).toBeLessThan(N * 0.75);
    tf.dispose([x, out]);
  });

  it('never flips at prob 0, always at prob 1, and repeats itself for the same seed', () => {
    const x = distinctImages();
    const xs = x.dataSync() as Float32Array;
    const none = randomHorizontalFlip(x, new Rng(1), 0);
    const all = randomHorizontalFlip(x, new Rng(1), 1);
    expect(Array.from(none.dataSync())).toEqual(Array.from(xs));
    const allValues = all.dataSync() as Float32Array;
    for (let n = 0; n < N; n++) expect(isShift(pixelOf(allValues, n), mirrored(pixelOf(xs, n)), 0, 0)).toBe(true);
    const a = randomHorizontalFlip(x, new Rng(7));
    const b = randomHorizontalFlip(x, new Rng(7));
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([x, none, all, a, b]);
  });

  it('names the argument when x is not NHWC or prob is out of range', () => {
    const x = tf.zeros([H, W, C]) as unknown as tf.Tensor4D;
    expect(() => randomHorizontalFlip(x, new Rng(0))).toThrow('randomHorizontalFlip: x must be rank 4 [N, H, W, C], got shape [5,6,2]');
    const y = distinctImages(2);
    expect(() => randomHorizontalFlip(y, new Rng(0), 1.5)).toThrow('randomHorizontalFlip: prob must be in [0, 1], got 1.5');
    tf.dispose([x, y]);
  });
});

describe('randomCrop', () => {
  it('shifts each image by the seeded offset within the padding, filling the border with zeros', () => {
    const p = 2;
    const x = distinctImages();
    const out = randomCrop(x, new Rng(5), p);
    expect(out.shape).toEqual(x.shape);
    const [xs, os] = [x.dataSync() as Float32Array, out.dataSync() as Float32Array];
    // Two integers per image, the window's top and left in the padded image: a shift of (top - p, left - p).
    const replay = new Rng(5);
    const shifts = new Set<string>();
    for (let n = 0; n < N; n++) {
      const [dy, dx] = [replay.int(2 * p + 1) - p, replay.int(2 * p + 1) - p];
      expect(shiftsFound(pixelOf(os, n), pixelOf(xs, n), p)).toEqual([[dy, dx]]);
      shifts.add(`${dy},${dx}`);
    }
    // 40 draws from 25 offsets: many distinct shifts, the unshifted one among the possibilities.
    expect(shifts.size).toBeGreaterThan(10);
    tf.dispose([x, out]);
  });

  it('returns an exact copy with padding 0, and rejects a bad padding', () => {
    const x = distinctImages(3);
    const out = randomCrop(x, new Rng(0), 0);
    expect(Array.from(out.dataSync())).toEqual(Array.from(x.dataSync()));
    expect(() => randomCrop(x, new Rng(0), -1)).toThrow('randomCrop: padding must be a non-negative integer, got -1');
    expect(() => randomCrop(x, new Rng(0), 1.5)).toThrow('randomCrop: padding must be a non-negative integer, got 1.5');
    tf.dispose([x, out]);
  });
});

describe('augmentBatch', () => {
  it('flips then crops each image, leaves its input alone and frees every temporary', () => {
    const p = 1;
    const x = distinctImages();
    const xs = Array.from(x.dataSync());
    const before = tf.memory().numTensors;
    const out = augmentBatch(x, new Rng(9), { flip: true, padding: p });
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(Array.from(x.dataSync())).toEqual(xs);
    const os = out.dataSync() as Float32Array;
    // The flips' draws come first (N uniforms), then the crops' (2N integers).
    const replay = new Rng(9);
    const flips = Array.from({ length: N }, () => replay.uniform() < 0.5);
    for (let n = 0; n < N; n++) {
      const [dy, dx] = [replay.int(2 * p + 1) - p, replay.int(2 * p + 1) - p];
      const src = pixelOf(Float32Array.from(xs), n);
      expect(isShift(pixelOf(os, n), flips[n] ? mirrored(src) : src, dy, dx)).toBe(true);
    }
    tf.dispose([x, out]);
  });

  it('with neither flip nor padding, is a copy', () => {
    const x = distinctImages(4);
    const out = augmentBatch(x, new Rng(0), { flip: false, padding: 0 });
    expect(out).not.toBe(x);
    expect(Array.from(out.dataSync())).toEqual(Array.from(x.dataSync()));
    tf.dispose([x, out]);
  });
});
