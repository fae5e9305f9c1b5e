/**
 * Checks of A1 Q2 and Q3 (svm, softmax): the linear losses against the autodiff twin (the reference's loss of
 * X W plus reg sum(W^2)) and centred differences of the learner's own loss; the linear classifier's training on
 * easy data and its prediction against argmax(X W).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../src/random';
import { NUMERIC_BOUND, NUMERIC_STEP, gradCheckSparse, relError } from '../../src/gradcheck';
import { autodiffGrads } from '../../reference/crosscheck';
import { softmaxLossRef, svmLossRef } from '../../reference/layers_dense';
import { svmLossNaive, svmLossVectorized } from '../../src/classifiers/linear_svm';
import { softmaxLossNaive, softmaxLossVectorized } from '../../src/classifiers/softmax';
import { LinearSVM } from '../../src/classifiers/linear_classifier';
import { CheckFailure, CheckProblem, FORWARD_BOUND, MODEL_BOUND, SEED, call, expectClose, expectThrows } from './common';

type LinearLoss = typeof svmLossNaive;

/**
 * A linear loss on two cases: ordinary scores, and (softmax) scores in the hundreds, where exp overflows float32
 * unless the row maximum is subtracted first. loss and dW against autodiff, dW against centred differences.
 */
function linearLoss(fn: string, mine: LinearLoss, kind: 'svm' | 'softmax'): void {
  const rng = new Rng(SEED);
  const [N, D, C] = [8, 6, 4];
  const W = rng.randn([D, C], 0.5) as tf.Tensor2D;
  const X = rng.randn([N, D]) as tf.Tensor2D;
  const Xbig = tf.mul(X, 300) as tf.Tensor2D;
  const y = Int32Array.from({ length: N }, () => rng.int(C));
  const yT = tf.tensor1d(y, 'int32');
  const reg = 0.1;
  const lossOf = kind === 'svm' ? svmLossRef : softmaxLossRef;
  const twin = (x: tf.Tensor2D) => (p: Record<string, tf.Tensor>) => tf.add(lossOf(tf.matMul(x, p.W), yT), tf.mul(reg, tf.sum(tf.square(p.W))));
  try {
    const cases: Array<[string, tf.Tensor2D]> = [['', X]];
    if (kind === 'softmax') cases.push([' (scores in the hundreds)', Xbig]);
    for (const [label, x] of cases) {
      const got = call(fn, { W, X: x }, () => mine(W, x, y, reg));
      if (got === null || typeof got !== 'object') throw new CheckProblem(`${fn} returned ${String(got)}; expected { loss, dW }`);
      try {
        tf.tidy(() => {
          const hint = label ? () => 'subtract each row\'s maximum score before exp (softmax is unchanged by it, and exp no longer overflows)' : undefined;
          expectClose(`loss${label}`, got.loss, twin(x)({ W }), FORWARD_BOUND, 'autodiff reference', hint);
          expectClose(`dW${label}`, got.dW, autodiffGrads(twin(x), { W }).W, MODEL_BOUND, 'autodiff', hint);
        });
      } finally {
        if (got?.dW instanceof tf.Tensor) got.dW.dispose();
      }
    }
    const numeric = tf.tidy(() => mine(W, X, y, reg).dW);
    try {
      const order = rng.permutation(D * C);
      let k = 0;
      const r = gradCheckSparse((w) => tf.tidy(() => mine(w as tf.Tensor2D, X, y, reg).loss), W, numeric, 12, () => order[k++], NUMERIC_STEP);
      const err = relError(r.numeric, r.analytic).norm;
      if (!(err <= NUMERIC_BOUND)) throw new CheckFailure('dW', err, NUMERIC_BOUND, 'centred differences of your loss');
    } finally {
      numeric.dispose();
    }
    expectThrows('the loss with W [5, 4] and X [8, 6]', () => mine(tf.zeros([5, C]) as tf.Tensor2D, X, y, reg).dW.dispose());
  } finally {
    tf.dispose([W, X, Xbig, yT]);
  }
}

/** Easy data: four well-separated clusters in 5 dimensions plus a bias column. */
function clusters(rng: Rng, n: number): { X: tf.Tensor2D; y: Int32Array } {
  const y = Int32Array.from({ length: n }, () => rng.int(4));
  const X = tf.tidy(() => {
    const centres = rng.randn([4, 5], 3);
    const points = tf.add(tf.gather(centres, tf.tensor1d(y, 'int32')), rng.randn([n, 5], 0.5));
    return tf.concat([points, tf.ones([n, 1])], 1) as tf.Tensor2D;
  });
  return { X, y };
}

/** argmax over the classes of X W, computed here. */
function argmaxScores(X: tf.Tensor2D, W: tf.Tensor): number[] {
  return tf.tidy(() => Array.from(tf.argMax(tf.matMul(X, W), 1).dataSync()));
}

function linearTrain(): void {
  const rng = new Rng(SEED);
  const { X, y } = clusters(rng, 200);
  const mine = new LinearSVM();
  try {
    const history = call('LinearClassifier.train', { X }, () => mine.train(X, y, { learningRate: 1e-2, reg: 1e-3, numIters: 150, batchSize: 50, seed: 1 }), [mine]);
    if (!Array.isArray(history) || history.length !== 150) throw new CheckProblem(`lossHistory: ${Array.isArray(history) ? history.length : 'no array of'} entries for numIters 150`);
    const first = history.slice(0, 10).reduce((a, b) => a + b) / 10;
    const last = history.slice(-10).reduce((a, b) => a + b) / 10;
    if (!(last < 0.5 * first)) throw new CheckProblem(`lossHistory: the loss went from ${first.toFixed(3)} (first 10 steps) to ${last.toFixed(3)} (last 10); it should at least halve on easy data`);
    if (!(mine.W instanceof tf.Tensor)) throw new CheckProblem('W: still null after train()');
    if (mine.W.shape.join() !== '6,4') throw new CheckProblem(`W: shape [${mine.W.shape}], expected [6, 4] (D by C)`);
    const pred = argmaxScores(X, mine.W);
    const acc = pred.filter((p, i) => p === y[i]).length / y.length;
    if (acc < 0.9) throw new CheckProblem(`training accuracy ${acc.toFixed(2)} on four separated clusters; expected at least 0.90`);
  } finally {
    mine.dispose();
    X.dispose();
  }
}

function linearPredict(): void {
  const rng = new Rng(SEED);
  const { X } = clusters(rng, 20);
  const mine = new LinearSVM();
  try {
    const W = rng.randn([6, 4]) as tf.Tensor2D;
    mine.W = tf.variable(W);
    W.dispose();
    const got = Array.from(call('LinearClassifier.predict', { X }, () => mine.predict(X), [mine]));
    const want = argmaxScores(X, mine.W);
    if (got.join() !== want.join()) throw new CheckProblem(`yPred: [${got}], expected [${want}] (argmax of X W over the classes)`);
  } finally {
    mine.dispose();
    X.dispose();
  }
}

export const CHECKS: Record<string, () => void> = {
  svm_loss_naive: () => linearLoss('svmLossNaive', svmLossNaive, 'svm'),
  svm_loss_vectorized: () => linearLoss('svmLossVectorized', svmLossVectorized, 'svm'),
  softmax_loss_naive: () => linearLoss('softmaxLossNaive', softmaxLossNaive, 'softmax'),
  softmax_loss_vectorized: () => linearLoss('softmaxLossVectorized', softmaxLossVectorized, 'softmax'),
  linear_classifier_train: linearTrain,
  linear_classifier_predict: linearPredict,
};
