/**
 * Column means and sums by average pooling (src/layers/reduce.ts) against a float64 sum in plain JS, on the cpu
 * backend and on wasm (the backend they are written for), with errors for bad ranks and no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../runtime/backend';
import { Rng } from '../../src/random';
import { columnMean, columnSum } from '../../src/layers/reduce';

/** Column sums of x [n, d] in float64. */
function exactColumnSums(values: Float32Array, n: number, d: number): number[] {
  const sums = new Array<number>(d).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) sums[j] += values[i * d + j];
  return sums;
}

/** Largest |a - b| relative to the largest |b|. */
function maxRelDiff(a: ArrayLike<number>, b: number[]): number {
  let diff = 0;
  let scale = 0;
  for (let j = 0; j < b.length; j++) {
    diff = Math.max(diff, Math.abs(a[j] - b[j]));
    scale = Math.max(scale, Math.abs(b[j]));
  }
  return diff / scale;
}

for (const backend of ['cpu', 'wasm']) {
  describe(`columnMean / columnSum on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    // [N, D]: one row, a batchnorm's rows (odd N), spatial batchnorm's many rows of few channels.
    it.each([
      [1, 5],
      [7, 3],
      [4096, 16],
    ])('match a float64 sum on x [%i, %i]', (n, d) => {
      const rng = new Rng(n + d);
      const x = tf.add(rng.randn([n, d]), 0.5) as tf.Tensor2D;
      const values = x.dataSync() as Float32Array;
      const exact = exactColumnSums(values, n, d);
      const before = tf.memory().numTensors;
      const mean = columnMean(x);
      const sum = columnSum(x);
      expect(mean.shape).toEqual([d]);
      expect(sum.shape).toEqual([d]);
      // float32 accumulation of n terms: relative error ~1e-7 * sqrt(n), far below 1e-5 here.
      expect(maxRelDiff(sum.dataSync(), exact)).toBeLessThan(1e-5);
      expect(maxRelDiff(mean.dataSync(), exact.map((s) => s / n))).toBeLessThan(1e-5);
      tf.dispose([mean, sum]);
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
    });

    it('refuses anything but a matrix, naming the function and the shape', () => {
      const v = tf.zeros([4]);
      expect(() => columnSum(v as tf.Tensor2D)).toThrow(/columnSum: x must be rank 2 \[N, D\].*\[4\]/);
      expect(() => columnMean(v as tf.Tensor2D)).toThrow(/columnMean: x must be rank 2/);
      v.dispose();
    });
  });
}
