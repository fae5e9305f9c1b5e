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
import { Suspect, overflowHint, partsHint, suspectHint } from '../hints';

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
  const dataLoss = (x: tf.Tensor2D, w: tf.Tensor) => lossOf(tf.matMul(x, w), yT);
  const twin = (x: tf.Tensor2D) => (p: Record<string, tf.Tensor>) => tf.add(dataLoss(x, p.W), tf.mul(reg, tf.sum(tf.square(p.W))));
  /** What a loss with one of the usual mistakes comes to, computed here, so that a hint is said only on a match. */
  const lossSuspects = (x: tf.Tensor2D): Suspect[] => {
    const data = () => dataLoss(x, W);
    const regTerm = () => tf.mul(reg, tf.sum(tf.square(W)));
    const suspects: Suspect[] = [
      { says: `the data term summed over the batch, not averaged (N = ${N}: a missing 1/N)`, value: () => tf.add(tf.mul(data(), N), regTerm()) },
      { says: 'the loss without its regulariser reg * sum(W * W)', value: data },
      { says: 'the regulariser at half strength (0.5 * reg * sum(W * W); this exercise uses reg * sum(W * W))', value: () => tf.add(data(), tf.mul(0.5, regTerm())) },
    ];
    if (kind === 'softmax') {
      const colMax = () => tf.sub(tf.matMul(x, W), tf.max(tf.matMul(x, W), 0, true)) as tf.Tensor2D;
      suspects.push({ says: "scores shifted by each column's maximum (over the batch); the shift that leaves softmax unchanged is each row's maximum", value: () => tf.add(softmaxLossRef(colMax(), yT), regTerm()) });
    }
    return suspects;
  };
  try {
    const cases: Array<[string, tf.Tensor2D]> = [['', X]];
    if (kind === 'softmax') cases.push([' (scores in the hundreds)', Xbig]);
    for (const [label, x] of cases) {
      const got = call(fn, { W, X: x }, () => mine(W, x, y, reg));
      if (got === null || typeof got !== 'object') throw new CheckProblem(`${fn} returned ${String(got)}; expected { loss, dW }`);
      try {
        tf.tidy(() => {
          // Scores in the hundreds fail alone (the ordinary case passed) when exp overflows: a NaN or an infinity.
          const overflow = (g: tf.Tensor) => (label ? overflowHint(g) : undefined);
          expectClose(`loss${label}`, got.loss, twin(x)({ W }), FORWARD_BOUND, 'autodiff reference', (g) => overflow(g) ?? suspectHint(g, lossSuspects(x)));
          // dW = the data term's gradient + the regulariser's: a hint names the part that is off, when one is.
          const parts = { "dW's data term": autodiffGrads((p) => dataLoss(x, p.W), { W }).W, "dW's regulariser term": tf.mul(2 * reg, W) };
          expectClose(`dW${label}`, got.dW, autodiffGrads(twin(x), { W }).W, MODEL_BOUND, 'autodiff', (g) => overflow(g) ?? partsHint(g, parts, N));
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

/**
 * LinearSVM that records, at every step, which rows of X its minibatch holds (found by their values) and whether
 * the labels passed with them are theirs: the evidence for the minibatch checks below.
 */
function recordingSvm(X: tf.Tensor2D, y: Int32Array) {
  const rowOf = new Map<string, number>();
  const values = X.arraySync();
  values.forEach((row, i) => rowOf.set(row.join(), i));
  const batches: number[][] = [];
  let labelsWrong = 0;
  let strangers = 0;
  class Recording extends LinearSVM {
    protected override loss(W: tf.Tensor2D, XBatch: tf.Tensor2D, yBatch: Int32Array, reg: number) {
      const rows = (XBatch.arraySync() as number[][]).map((r) => rowOf.get(r.join()) ?? -1);
      strangers += rows.filter((r) => r < 0).length;
      labelsWrong += rows.filter((r, b) => r >= 0 && yBatch[b] !== y[r]).length;
      batches.push(rows);
      return super.loss(W, XBatch, yBatch, reg);
    }
  }
  return { model: new Recording(), batches, labelsWrong: () => labelsWrong, strangers: () => strangers };
}

/**
 * What the course's train() does with its minibatches: batchSize rows drawn afresh at every step, with replacement
 * (np.random.choice(num_train, batch_size)), their own labels beside them. 150 steps of 50 rows from 200: a batch
 * holds about 6 repeated rows on average, and all but a few rows get drawn.
 */
function checkMinibatches(r: ReturnType<typeof recordingSvm>, numIters: number, batchSize: number, n: number): void {
  const { batches } = r;
  if (batches.length !== numIters) {
    throw new CheckProblem(`minibatches: this.loss was called ${batches.length} times for numIters ${numIters} (one call per step, on that step's minibatch, through this.loss so that LinearSVM and Softmax each use theirs)`);
  }
  const sizes = new Set(batches.map((b) => b.length));
  if (sizes.size !== 1 || !sizes.has(batchSize)) throw new CheckProblem(`minibatches: XBatch had [${[...sizes]}] rows, expected batchSize ${batchSize}`);
  if (r.strangers() > 0) throw new CheckProblem(`minibatches: XBatch held ${r.strangers()} row(s) that are no row of X (take whole rows of X)`);
  if (r.labelsWrong() > 0) throw new CheckProblem(`minibatches: ${r.labelsWrong()} label(s) of yBatch were not those of XBatch's rows (index X and y with the same draws)`);
  const distinct = new Set(batches.map((b) => b.join())).size;
  if (distinct < numIters / 2) throw new CheckProblem(`minibatches: ${distinct} different minibatch(es) in ${numIters} steps (draw batchSize rows afresh at every step)`);
  const seen = new Set(batches.flat()).size;
  if (seen < 0.9 * n) throw new CheckProblem(`minibatches: ${numIters} steps drew only ${seen} of the ${n} rows (draw from all of X, 0..N-1)`);
  const repeats = batches.filter((b) => new Set(b).size < b.length).length;
  if (repeats === 0) throw new CheckProblem(`minibatches: no minibatch of ${numIters} held a row twice, as draws with replacement would (about 6 per batch here): draw with replacement, as np.random.choice(N, batchSize) does`);
}

function linearTrain(): void {
  const rng = new Rng(SEED);
  const { X, y } = clusters(rng, 200);
  const recording = recordingSvm(X, y);
  const mine = recording.model;
  try {
    const history = call('LinearClassifier.train', { X }, () => mine.train(X, y, { learningRate: 1e-2, reg: 1e-3, numIters: 150, batchSize: 50, seed: 1 }), [mine]);
    if (!Array.isArray(history) || history.length !== 150) throw new CheckProblem(`lossHistory: ${Array.isArray(history) ? history.length : 'no array of'} entries for numIters 150`);
    checkMinibatches(recording, 150, 50, 200);
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
