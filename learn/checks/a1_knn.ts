/** Checks of A1 Q1 (knn): the three distance functions against the formula, predictLabels against the course's votes. */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../src/random';
import { KNearestNeighbor } from '../../src/classifiers/knn';
import { distancesPlain, predictLabelsPlain } from '../../reference/plain';
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
      expectClose('dists', got, want, which === 'computeDistancesNoLoops' ? NO_LOOPS_BOUND : FORWARD_BOUND, 'the distances from the formula');
    } finally {
      tf.dispose([got, want]);
    }
    expectThrows(`${which} on X [4, 5] with training rows [9, 6]`, () => mine[which](tf.zeros([4, 5]) as tf.Tensor2D));
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

export const CHECKS: Record<string, () => void> = {
  compute_distances_two_loops: () => knnDistances('computeDistancesTwoLoops'),
  compute_distances_one_loop: () => knnDistances('computeDistancesOneLoop'),
  compute_distances_no_loops: () => knnDistances('computeDistancesNoLoops'),
  knn_predict_labels: knnPredict,
};
