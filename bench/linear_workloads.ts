/**
 * Assignment 1's workloads: kNN distances, the vectorised SVM and softmax losses, and LinearSVM training. Each
 * times the library's own code (src/classifiers/) on seeded random inputs of bench/README.md's shapes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { KNearestNeighbor } from '../src/classifiers/knn';
import { LinearSVM } from '../src/classifiers/linear_classifier';
import { svmLossVectorized } from '../src/classifiers/linear_svm';
import { softmaxLossVectorized } from '../src/classifiers/softmax';
import { LinearLossFn } from '../src/classifiers/linear_loss';
import { Rng } from '../src/random';
import { Prepared, SetupContext, Workload, randomLabels, scaled } from './harness';

const DIM = 3072;

/** Seeded pixel rows [n, d] with integer values 0..255, as float32 (the kNN's input). */
function pixelRows(rng: Rng, n: number, d: number): tf.Tensor2D {
  const v = new Float32Array(n * d);
  for (let i = 0; i < v.length; i++) v[i] = rng.int(256);
  return tf.tensor2d(v, [n, d]);
}

/**
 * knn.dists: KNearestNeighbor.computeDistancesNoLoops, test 500 x 3072 against train 5000 x 3072. train() (which
 * memorises the rows) runs once in set-up, as it does once per training set in the course; its time is printed as
 * a note.
 */
export const knnDists: Workload = {
  name: 'knn.dists',
  runs: 5,
  what: 'KNearestNeighbor.computeDistancesNoLoops, 500 x 3072 test vs 5000 x 3072 train',
  setup({ rng, scale, log }: SetupContext): Prepared {
    const numTrain = scaled(5000, scale);
    const numTest = scaled(500, scale);
    const Xtr = pixelRows(rng, numTrain, DIM);
    const Xte = pixelRows(rng, numTest, DIM);
    const knn = new KNearestNeighbor();
    const start = performance.now();
    // KNearestNeighbor.train memorises the training rows; it is not tf.train.
    knn.train(Xtr, randomLabels(rng, numTrain));
    log(`knn.dists: train() (memorising the rows) took ${(performance.now() - start).toFixed(1)} ms, untimed`);
    return {
      run: () => knn.computeDistancesNoLoops(Xte),
      flop: 2 * numTest * numTrain * DIM,
      dispose: () => {
        knn.dispose();
        tf.dispose([Xtr, Xte]);
      },
    };
  },
};

/** A loss workload: W 3073 x 10 (N(0, 1e-4^2)), X 500 x 3073 (N(0, 50^2)), y 500, reg 2.5e4. */
function lossWorkload(name: string, fnName: string, lossFn: LinearLossFn): Workload {
  return {
    name,
    runs: 20,
    what: `${fnName}, W 3073 x 10, X 500 x 3073, reg 2.5e4`,
    setup({ rng, scale }: SetupContext): Prepared {
      const n = scaled(500, scale);
      const W = rng.randn([DIM + 1, 10], 1e-4) as tf.Tensor2D;
      const X = rng.randn([n, DIM + 1], 50) as tf.Tensor2D;
      const y = randomLabels(rng, n);
      return {
        run: () => lossFn(W, X, y, 2.5e4).dW,
        flop: 2 * 2 * n * (DIM + 1) * 10,
        dispose: () => tf.dispose([W, X]),
      };
    },
  };
}

export const svmLossGrad = lossWorkload('svm.loss_grad', 'svmLossVectorized', svmLossVectorized);
export const softmaxLossGrad = lossWorkload('softmax.loss_grad', 'softmaxLossVectorized', softmaxLossVectorized);

/**
 * linear.train: LinearSVM.train on X 49000 x 3073, 1500 iterations of batch 200 drawn with replacement, lr 1e-7,
 * reg 2.5e4. Each run trains a fresh classifier (W initialised inside train, as the peers do inside the timing).
 */
export const linearTrain: Workload = {
  name: 'linear.train',
  runs: 3,
  what: 'LinearSVM.train, X 49000 x 3073, 1500 iterations, batch 200, lr 1e-7, reg 2.5e4',
  setup({ rng, scale }: SetupContext): Prepared {
    const n = scaled(49000, scale);
    const numIters = scaled(1500, scale);
    const X = rng.randn([n, DIM + 1], 50) as tf.Tensor2D;
    const y = randomLabels(rng, n);
    const seed = rng.nextUint32();
    return {
      run: (sample) => {
        const svm = new LinearSVM();
        svm.train(X, y, { learningRate: 1e-7, reg: 2.5e4, numIters, batchSize: 200, seed, onIteration: () => sample() });
        const W = tf.clone(svm.W as tf.Variable);
        svm.dispose();
        return W;
      },
      flop: numIters * 2 * 2 * 200 * (DIM + 1) * 10,
      dispose: () => X.dispose(),
    };
  },
};
