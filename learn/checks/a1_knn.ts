/** Checks of A1 Q1 (knn): the three distance functions against the formula, predictLabels against the course's votes. */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../src/random';
import { KNearestNeighbor, nearestIndices, voteLabels } from '../../src/classifiers/knn';
import { distancesPlain, predictLabelsPlain } from '../../reference/plain';
import { partsHint } from '../hints';
import { CheckProblem, FORWARD_BOUND, SEED, call, expectClose, expectThrows } from './common';

/** The no-loop expansion subtracts nearly equal float32 sums: a few digits fewer than the loops. */
const NO_LOOPS_BOUND = 1e-4;

type DistanceFn = 'computeDistancesTwoLoops' | 'computeDistancesOneLoop' | 'computeDistancesNoLoops';

/**
 * Distances between 4 test rows and 9 training rows of 6 values, one test row equal to a training row (a distance
 * of exactly 0, where the no-loop expansion ||x||^2 + ||t||^2 - 2 x.t can round below zero).
 */
function knnDistances(which: DistanceFn): void {
  const rng = new Rng(SEED);
  const Xtr = rng.randn([9, 6]) as tf.Tensor2D;
  const X = tf.tidy(() => tf.concat([tf.slice(Xtr, [2, 0], [1, 6]), rng.randn([3, 6], 2)]) as tf.Tensor2D);
  const ytr = Int32Array.from({ length: 9 }, () => rng.int(3));
  const mine = new KNearestNeighbor();
  try {
    mine.train(Xtr, ytr);
    const got = call(`KNearestNeighbor.${which}`, { X }, () => mine[which](X), [mine]);
    const want = tf.tensor2d(Float32Array.from(distancesPlain(X.dataSync(), Xtr.dataSync(), 4, 9, 6)), [4, 9]);
    try {
      if (got instanceof tf.Tensor && Array.from(got.dataSync()).some((v) => Number.isNaN(v))) {
        throw new CheckProblem('dists: NaN where a test row equals a training row (clamp the squared distance at 0 before the square root)');
      }
      const hint = which === 'computeDistancesNoLoops' ? (g: tf.Tensor) => expansionHint(g, X, Xtr) : undefined;
      expectClose('dists', got, want, which === 'computeDistancesNoLoops' ? NO_LOOPS_BOUND : FORWARD_BOUND, 'the distances from the formula', hint);
    } finally {
      tf.dispose([got, want]);
    }
    expectThrows(`${which} on X [4, 5] with training rows [9, 6]`, () => mine[which](tf.zeros([4, 5]) as tf.Tensor2D));
  } finally {
    mine.dispose();
    tf.dispose([Xtr, X]);
  }
  if (which === 'computeDistancesNoLoops') nearDuplicatePixels();
}

/**
 * The no-loop expansion ||x||^2 + ||t||^2 - 2 x.t against the learner's squared distances: a hint names the term
 * that is off. Fitted only where the learner's squared distance is above 0: a clamp at 0 (which a right answer has)
 * hides what the expansion gave there, and a term left out often sends it below 0. Undefined under 12 such entries.
 * got: [Nte, Ntr] distances. X: [Nte, D]. Xtr: [Ntr, D].
 */
function expansionHint(got: tf.Tensor, X: tf.Tensor2D, Xtr: tf.Tensor2D): string | undefined {
  const [nte, ntr] = [X.shape[0], Xtr.shape[0]];
  const terms = tf.tidy(() => ({
    '||x||^2 term': tf.tile(tf.sum(tf.square(X), 1, true), [1, ntr]).dataSync(),
    '||t||^2 term': tf.tile(tf.reshape(tf.sum(tf.square(Xtr), 1), [1, ntr]), [nte, 1]).dataSync(),
    '-2 x.t term': tf.mul(-2, tf.matMul(X, Xtr, false, true)).dataSync(),
  }));
  const sq = Array.from(got.dataSync(), (v) => v * v);
  const kept = sq.map((_, i) => i).filter((i) => sq[i] > 0);
  if (kept.length < 12) return undefined;
  const pick = (a: ArrayLike<number>) => tf.tensor1d(kept.map((i) => a[i]));
  return tf.tidy(() => partsHint(pick(sq), Object.fromEntries(Object.entries(terms).map(([k, v]) => [k, pick(v)]))));
}

/**
 * The no-loop expansion at the scale of real images: 16 training rows of 3,072 pixel values in 0..255, each test row
 * within ~0.01 per pixel of one of them (a true squared distance of ~0.3 between terms of ~2e8). float32 rounding
 * then leaves some squared distances a few units below zero (6 of the 16 on wasm, one thread or two, 2026-12-07); exact
 * copies, as in knnDistances, come out exactly 0 on wasm and so do not show a missing clamp. Only NaN is checked here: the
 * expansion's own rounding error is larger than these distances.
 */
function nearDuplicatePixels(): void {
  const rng = new Rng(SEED + 1);
  const [n, dim] = [16, 3072];
  const Xtr = tf.tidy(() => tf.mul(rng.rand([n, dim]), 255)) as tf.Tensor2D;
  const X = tf.tidy(() => tf.add(Xtr, tf.mul(rng.randn([n, dim]), 0.01))) as tf.Tensor2D;
  const mine = new KNearestNeighbor();
  try {
    mine.train(Xtr, new Int32Array(n));
    const got = call('KNearestNeighbor.computeDistancesNoLoops', { X }, () => mine.computeDistancesNoLoops(X), [mine]);
    try {
      const nan = got instanceof tf.Tensor ? Array.from(got.dataSync()).filter((v) => Number.isNaN(v)).length : 0;
      if (nan > 0) {
        throw new CheckProblem(
          `dists: ${nan} NaN of ${n * n} for [${n}, ${dim}] pixel rows, each test row within 0.01 per pixel of a training row ` +
            '(rounding leaves such squared distances slightly below 0: clamp them at 0 before the square root)',
        );
      }
    } finally {
      tf.dispose(got);
    }
  } finally {
    mine.dispose();
    tf.dispose([Xtr, X]);
  }
}

/** Votes with ties: k = 4 among 4 classes often splits 2-2, and the course takes the smaller label. */
function knnPredict(): void {
  const rng = new Rng(SEED);
  const Xtr = rng.randn([12, 3]) as tf.Tensor2D;
  const ytr = Int32Array.from({ length: 12 }, () => rng.int(4));
  const dists = rng.rand([5, 12]) as tf.Tensor2D;
  const mine = new KNearestNeighbor();
  try {
    mine.train(Xtr, ytr);
    for (const k of [1, 3, 4, 12]) {
      const got = Array.from(call('KNearestNeighbor.predictLabels', { dists }, () => mine.predictLabels(dists, k), [mine]));
      const want = predictLabelsPlain(dists.dataSync(), ytr, 5, k);
      if (got.join() !== want.join()) {
        throw new CheckProblem(`yPred (k=${k}): [${got}], expected [${want}] (the k smallest distances vote; ties go to the smaller label, as np.argmax of the counts)`);
      }
    }
  } finally {
    mine.dispose();
    tf.dispose([Xtr, dists]);
  }
}

/**
 * The two helpers of predictLabels that crossValidate (`npm run knn`) calls on their own: nearestIndices (each
 * row's k nearest training rows, nearest first, ties to the lower index) and voteLabels (the vote over the first k
 * of kMax neighbours per row, kMax > k as cross-validation passes it). Written inline in predictLabels, they would
 * still throw there.
 */
function knnHelpers(): void {
  const rng = new Rng(SEED + 2);
  const [nte, ntr, kMax] = [5, 12, 6];
  // Distances on a coarse grid, so that rows hold ties.
  const dists = Float32Array.from({ length: nte * ntr }, () => rng.int(5));
  const ytr = Int32Array.from({ length: ntr }, () => rng.int(4));
  const order = (i: number) => Array.from({ length: ntr }, (_, j) => j).sort((a, b) => dists[i * ntr + a] - dists[i * ntr + b] || a - b);
  const near = nearestIndices(dists, nte, ntr, kMax);
  const wantNear = Array.from({ length: nte }, (_, i) => order(i).slice(0, kMax)).flat();
  if (!(near instanceof Int32Array) || Array.from(near).join() !== wantNear.join()) {
    throw new CheckProblem(`nearestIndices (k=${kMax}, distances with ties): [${near instanceof Int32Array ? Array.from(near) : String(near)}], expected [${wantNear}] (each row's k smallest, nearest first, ties to the lower index; row-major [Nte * k])`);
  }
  for (const k of [1, 3, 4]) {
    const got = voteLabels(Int32Array.from(wantNear), nte, kMax, k, ytr);
    const want = predictLabelsPlain(dists, ytr, nte, k);
    if (!(got instanceof Int32Array) || Array.from(got).join() !== want.join()) {
      throw new CheckProblem(`voteLabels (k=${k} of kMax=${kMax} neighbours per row): [${got instanceof Int32Array ? Array.from(got) : String(got)}], expected [${want}] (row i's neighbours start at i * kMax; ties go to the smaller label)`);
    }
  }
}

export const CHECKS: Record<string, () => void> = {
  compute_distances_two_loops: () => knnDistances('computeDistancesTwoLoops'),
  compute_distances_one_loop: () => knnDistances('computeDistancesOneLoop'),
  compute_distances_no_loops: () => knnDistances('computeDistancesNoLoops'),
  knn_predict_labels: () => {
    knnHelpers();
    knnPredict();
  },
};
