/**
 * Softmax and SVM losses, as the notebooks check them: hand-computed cases, the sanity values at near-zero scores
 * (ln 10 and 9 for 10 classes), dscores against tfjs autodiff on seeded random shapes, a numeric check, numerical
 * stability, label errors, and no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import { softmaxLoss } from '../../src/layers/softmax_loss';
import { svmLoss } from '../../src/layers/svm_loss';
import { softmaxLossRef, svmLossRef } from '../../reference/layers_dense';
import { autodiffGrads, compareGrads } from '../../reference/crosscheck';
import { NUMERIC_BOUND, numericGradientArray, relError } from '../../src/gradcheck';
import { expectAllPass } from '../support/expect';

type Loss = (scores: tf.Tensor2D, y: tf.Tensor1D) => { loss: tf.Scalar; dscores: tf.Tensor2D };

/** Seeded scores [N, C] of the given scale and labels [N] in 0..C-1. */
function randomProblem(seed: number, n: number, c: number, std = 1): { scores: tf.Tensor2D; y: tf.Tensor1D } {
  const rng = new Rng(seed);
  return { scores: rng.randn([n, c], std) as tf.Tensor2D, y: tf.tensor1d(rng.choice(c, n), 'int32') };
}

beforeAll(async () => {
  await useBackend();
});

describe('softmaxLoss', () => {
  it('matches a hand-computed case', () => {
    tf.tidy(() => {
      const rows = [
        [1, 2, 3],
        [1, 1, 1],
      ];
      const labels = [2, 0];
      const { loss, dscores } = softmaxLoss(tf.tensor2d(rows), tf.tensor1d(labels, 'int32'));
      // L_i = log sum_j exp(s_ij) - s_{i,y_i};  dscores = (p - onehot) / N, in float64 here.
      const lse = rows.map((r) => Math.log(r.reduce((a, s) => a + Math.exp(s), 0)));
      const expectedLoss = (lse[0] - 3 + lse[1] - 1) / 2;
      const expectedD = rows.flatMap((r, i) => r.map((s, j) => (Math.exp(s - lse[i]) - (j === labels[i] ? 1 : 0)) / 2));
      expect(loss.dataSync()[0]).toBeCloseTo(expectedLoss, 6);
      expect(relError(dscores, expectedD).norm).toBeLessThan(1e-6);
    });
  });

  it('is about ln(10) for 10 classes when the scores are near zero', () => {
    tf.tidy(() => {
      const { scores, y } = randomProblem(1, 100, 10, 1e-3);
      expect(softmaxLoss(scores, y).loss.dataSync()[0]).toBeCloseTo(Math.log(10), 2);
    });
  });

  it('stays finite and shift-invariant for huge scores', () => {
    tf.tidy(() => {
      const y = tf.tensor1d([2, 0], 'int32');
      const small = softmaxLoss(tf.tensor2d([[0, 1, 2], [0, -1, -50]]), y);
      const huge = softmaxLoss(tf.tensor2d([[1000, 1001, 1002], [-1000, -1001, -1050]]), y);
      expect(Number.isFinite(huge.loss.dataSync()[0])).toBe(true);
      expect(huge.loss.dataSync()[0]).toBeCloseTo(small.loss.dataSync()[0], 4);
      expect(relError(huge.dscores, small.dscores).norm).toBeLessThan(1e-5);
    });
  });

  it('has dscores rows that sum to zero (probabilities sum to one)', () => {
    tf.tidy(() => {
      const { scores, y } = randomProblem(2, 6, 5);
      const rowSums = tf.sum(softmaxLoss(scores, y).dscores, 1).dataSync();
      expect(Math.max(...Array.from(rowSums, Math.abs))).toBeLessThan(1e-7);
    });
  });

  it('passes a numeric gradient check (step 1e-2)', () => {
    tf.tidy(() => {
      const { scores, y } = randomProblem(3, 4, 6);
      const numeric = numericGradientArray((s) => softmaxLoss(s as tf.Tensor2D, y).loss, scores);
      expect(relError(numeric, softmaxLoss(scores, y).dscores).norm).toBeLessThan(NUMERIC_BOUND);
    });
  });
});

describe('svmLoss', () => {
  it('matches the lecture example (cat, car, frog: 2.9, 0, 12.9)', () => {
    tf.tidy(() => {
      const scores = tf.tensor2d([
        [3.2, 5.1, -1.7],
        [1.3, 4.9, 2.0],
        [2.2, 2.5, -3.1],
      ]);
      const { loss, dscores } = svmLoss(scores, tf.tensor1d([0, 1, 2], 'int32'));
      expect(loss.dataSync()[0]).toBeCloseTo((2.9 + 0 + 12.9) / 3, 5);
      // Row 0: one violating class (car); row 1: none; row 2: two (cat and car), so the frog score gets -2.
      const expectedD = [-1, 1, 0, 0, 0, 0, 1, 1, -2].map((v) => v / 3);
      expect(relError(dscores, expectedD).norm).toBeLessThan(1e-6);
    });
  });

  it('is about 9 for 10 classes when the scores are near zero (each wrong class misses by delta = 1)', () => {
    tf.tidy(() => {
      const { scores, y } = randomProblem(4, 100, 10, 1e-3);
      expect(svmLoss(scores, y).loss.dataSync()[0]).toBeCloseTo(9, 2);
    });
  });
});

describe.each([
  ['softmax loss', softmaxLoss as Loss, softmaxLossRef],
  ['svm loss', svmLoss as Loss, svmLossRef],
])('%s', (name, lossFn, ref) => {
  const shapes: [number, number][] = [
    [1, 3],
    [5, 10],
    [7, 4],
    [3, 2],
  ];
  it.each(shapes)('dscores matches autodiff for N = %i, C = %i', (n, c) => {
    tf.tidy(() => {
      const { scores, y } = randomProblem(n * 100 + c, n, c);
      const { loss, dscores } = lossFn(scores, y);
      const auto = autodiffGrads((t) => ref(t.scores, y), { scores });
      expectAllPass(compareGrads(name, { scores: dscores }, auto));
      expect(loss.dataSync()[0]).toBeCloseTo(ref(scores, y).dataSync()[0], 5);
    });
  });

  it('gives the same loss and dscores on wasm as on cpu (the wasm OneHot kernel mishandles a float32 dtype)', async () => {
    const run = (): { loss: number; dscores: Float32Array } =>
      tf.tidy(() => {
        const { scores, y } = randomProblem(6, 5, 7);
        const r = lossFn(scores, y);
        return { loss: r.loss.dataSync()[0], dscores: Float32Array.from(r.dscores.dataSync()) };
      });
    const onCpu = run();
    await useBackend('wasm');
    try {
      const onWasm = run();
      expect(onWasm.loss).toBeCloseTo(onCpu.loss, 5);
      expect(relError(onWasm.dscores, onCpu.dscores).norm).toBeLessThan(1e-6);
    } finally {
      await useBackend();
    }
  });

  it('leaves no tensors behind and frees its temporaries', () => {
    const { scores, y } = randomProblem(5, 4, 3);
    const before = tf.memory().numTensors;
    const result = lossFn(scores, y);
    expect(tf.memory().numTensors - before).toBe(2);
    tf.dispose([result.loss, result.dscores]);
    tf.tidy(() => {
      lossFn(scores, y);
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([scores, y]);
  });

  it('names the argument and the shapes in its errors', () => {
    tf.tidy(() => {
      const scores = tf.zeros([3, 10]) as tf.Tensor2D;
      expect(() => lossFn(scores, tf.tensor1d([0, 10, 2], 'int32'))).toThrow(
        `${name}: y[1] = 10 is out of range; labels must be in 0..9`,
      );
      expect(() => lossFn(scores, tf.tensor1d([0, -1, 2], 'int32'))).toThrow(`${name}: y[1] = -1 is out of range`);
      expect(() => lossFn(scores, tf.tensor1d([0, 1, 2], 'float32'))).toThrow(`${name}: y must be int32 class labels, got dtype float32`);
      expect(() => lossFn(scores, tf.tensor1d([0, 1], 'int32'))).toThrow(`${name}: y must be [N] with N = 3, one label per example, got shape [2]`);
      expect(() => lossFn(tf.zeros([3, 2, 5]) as unknown as tf.Tensor2D, tf.tensor1d([0, 1, 2], 'int32'))).toThrow(
        `${name}: scores must be rank 2 [N, C], got shape [3,2,5]`,
      );
    });
  });
});
