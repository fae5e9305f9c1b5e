/**
 * One check per exercise, run on the learner's workspace (learn/impl.ts redirects this file's imports of src/ to
 * it; load this file only after the redirect is in place). Each check throws a CheckFailure naming the first
 * wrong tensor, or lets the learner's own error through (a stub's `not implemented yet` makes it a todo).
 *
 * What each one compares, with the bound:
 *   forward values   against the course notebook's printed values where it prints some (affine, relu), the
 *                    autodiff reference's forward pass (reference/), else the solution in src/
 *                    (loaded beside the learner's with withSolutions), norm-wise, FORWARD_BOUND;
 *   layer gradients  the gradient catalogue's case (reference/catalogue/): autodiff within AUTODIFF_BOUND and
 *                    centred differences within NUMERIC_BOUND, kinks of relu and max stepped around;
 *   model gradients  every parameter against tf.grads of the model's autodiff twin (AUTODIFF_BOUND... relaxed to
 *                    MODEL_BOUND for the deeper sums) and a few entries against centred differences;
 *   shapes           a call with a wrong shape must throw.
 * Every check also fails when it leaves tensors behind (tf.memory().numTensors before and after).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../src/random';
import { AUTODIFF_BOUND, NUMERIC_BOUND, NUMERIC_STEP, gradCheckSparse, relError } from '../src/gradcheck';
import { GradRow, NUMERIC_FLOOR } from '../reference/catalogue/harness';
import { runCatalogue } from '../reference/catalogue/run';
import { ABS_FLOOR, autodiffGrads } from '../reference/crosscheck';
import { affineRef, reluRef, softmaxLossRef, smoothedSoftmaxLossRef, svmLossRef, batchnormRef, layernormRef } from '../reference/layers_dense';
import { convRef, globalAvgPoolRef, maxPoolRef, spatialBatchnormRef, spatialGroupnormRef } from '../reference/layers_conv';
import { fcNetLossRef, threeLayerConvNetLossRef } from '../reference/models';
import { inputGradientRef, threeLayerConvNetScoresRef } from '../reference/vis';
import { withSolutions } from './impl';
import { STATIC_HINTS, ratioHint } from './hints';
import { KNearestNeighbor } from '../src/classifiers/knn';
import { svmLossNaive, svmLossVectorized } from '../src/classifiers/linear_svm';
import { softmaxLossNaive, softmaxLossVectorized } from '../src/classifiers/softmax';
import { LinearSVM } from '../src/classifiers/linear_classifier';
import { TwoLayerNet } from '../src/classifiers/two_layer_net';
import { FullyConnectedNet } from '../src/classifiers/fc_net';
import { ThreeLayerConvNet } from '../src/classifiers/cnn';
import { affineForward } from '../src/layers/affine';
import { reluForward } from '../src/layers/relu';
import { softmaxLoss } from '../src/layers/softmax_loss';
import { smoothedSoftmaxLoss } from '../src/layers/label_smoothing';
import { globalAvgPoolForward } from '../src/layers/global_avg_pool';
import { svmLoss } from '../src/layers/svm_loss';
import { sgdMomentum } from '../src/optim/sgd_momentum';
import { rmsprop } from '../src/optim/rmsprop';
import { adam } from '../src/optim/adam';
import { BnParam, batchnormForward } from '../src/layers/batchnorm';
import { layernormForward } from '../src/layers/layernorm';
import { dropoutForward } from '../src/layers/dropout';
import { convForwardNaive } from '../src/layers/conv_naive';
import { maxPoolForwardNaive } from '../src/layers/pool_naive';
import { spatialBatchnormForward } from '../src/layers/spatial_batchnorm';
import { spatialGroupnormForward } from '../src/layers/spatial_groupnorm';
import { InputGradientModel, computeSaliencyMaps } from '../src/vis/saliency';
import { makeFoolingImages } from '../src/vis/fooling';
import { createClassVisualization } from '../src/vis/class_visualization';

/** Forward values vs the reference: the same float32 maths in another order. */
export const FORWARD_BOUND = 1e-5;
/** A model's gradients vs autodiff: sums over a few layers, still the same maths. */
export const MODEL_BOUND = 1e-4;

/** A wrong value: which tensor, how far off, the bound, and against what. */
export class CheckFailure extends Error {
  constructor(
    readonly tensor: string,
    readonly relErr: number,
    readonly bound: number,
    readonly against: string,
    readonly hint?: string,
  ) {
    const err = Number.isFinite(relErr) ? relErr.toExponential(1) : String(relErr);
    super(`${tensor}: rel error ${err} > ${bound.toExponential(0)} vs ${against}${hint ? `; hint: ${hint}` : ''}`);
  }
}

/** A failure that is no number: a missing throw, a wrong shape, a leak. */
export class CheckProblem extends Error {}

const SEED = 231;

/** Throws a CheckFailure unless got matches want (same shape, norm-wise relative error within bound). */
export function expectClose(tensor: string, got: tf.Tensor | number, want: tf.Tensor | number, bound: number, against: string): void {
  const g = typeof got === 'number' ? tf.scalar(got) : got;
  const w = typeof want === 'number' ? tf.scalar(want) : want;
  try {
    if (g.size !== w.size || (g.rank > 0 && w.rank > 0 && g.shape.join() !== w.shape.join())) {
      throw new CheckProblem(`${tensor}: shape [${g.shape}], expected [${w.shape}] (a sum or mean over the wrong axis?)`);
    }
    const err = relError(g, w).norm;
    if (!(err <= bound)) throw new CheckFailure(tensor, err, bound, against, ratioHint(g, w));
  } finally {
    if (g !== got) g.dispose();
    if (w !== want) w.dispose();
  }
}

/** Throws unless f throws an error of its own (a stub's error counts as not done). */
function expectThrows(what: string, f: () => unknown): void {
  try {
    tf.tidy(() => {
      f();
    });
  } catch (err) {
    if (err instanceof Error && /not implemented yet/.test(err.message)) throw err;
    return;
  }
  throw new CheckProblem(`${what} did not throw (a call with a wrong shape must fail, naming the shapes)`);
}

/** The first failing row of a catalogue case as a CheckFailure; a row that errored rethrows its error. */
function gradients(caseName: string): void {
  const rows: GradRow[] = runCatalogue({ seed: SEED, filter: (layer) => layer === caseName });
  if (rows.length === 0) throw new Error(`no gradient check named '${caseName}' in reference/catalogue/`);
  for (const row of rows) {
    if (row.error !== undefined) throw new Error(row.error);
    if (row.pass) continue;
    const viaAutodiff = !(row.relErrAutodiff <= AUTODIFF_BOUND) && !row.zeroGradient;
    if (viaAutodiff) throw new CheckFailure(row.param, row.relErrAutodiff, AUTODIFF_BOUND, 'autodiff');
    throw new CheckFailure(row.param, row.relErrNumeric, NUMERIC_BOUND, 'centred differences');
  }
}

/** A module of src/ as written (the solutions), loaded beside the learner's. */
function solution<T>(load: () => T): T {
  return withSolutions(load);
}
const sol = {
  knn: () => solution(() => require('../src/classifiers/knn') as typeof import('../src/classifiers/knn')),
  linearSvm: () => solution(() => require('../src/classifiers/linear_svm') as typeof import('../src/classifiers/linear_svm')),
  softmax: () => solution(() => require('../src/classifiers/softmax') as typeof import('../src/classifiers/softmax')),
  linear: () => solution(() => require('../src/classifiers/linear_classifier') as typeof import('../src/classifiers/linear_classifier')),
  optim: () => solution(() => require('../src/optim/index') as typeof import('../src/optim/index')),
  batchnorm: () => solution(() => require('../src/layers/batchnorm') as typeof import('../src/layers/batchnorm')),
  classVis: () => solution(() => require('../src/vis/class_visualization') as typeof import('../src/vis/class_visualization')),
  fooling: () => solution(() => require('../src/vis/fooling') as typeof import('../src/vis/fooling')),
};

function labels(rng: Rng, n: number, c: number): tf.Tensor1D {
  return tf.tensor1d(Array.from({ length: n }, () => rng.int(c)), 'int32');
}

// ---------------------------------------------------------------------------------------------------------------
// Assignment 1

type DistanceFn = 'computeDistancesTwoLoops' | 'computeDistancesOneLoop' | 'computeDistancesNoLoops';

function knnDistances(which: DistanceFn): void {
  const rng = new Rng(SEED);
  const Xtr = rng.randn([9, 6]) as tf.Tensor2D;
  const X = rng.randn([4, 6]) as tf.Tensor2D;
  const ytr = Int32Array.from({ length: 9 }, () => rng.int(3));
  const mine = new KNearestNeighbor();
  const ref = new (sol.knn().KNearestNeighbor)();
  try {
    mine.train(Xtr, ytr);
    ref.train(Xtr, ytr);
    const got = mine[which](X);
    const want = ref.computeDistancesNoLoops(X);
    expectClose('dists', got, want, FORWARD_BOUND, 'the solution');
    tf.dispose([got, want]);
    expectThrows(`${which} on X [4, 5] with training rows [9, 6]`, () => mine[which](tf.zeros([4, 5]) as tf.Tensor2D));
  } finally {
    mine.dispose();
    ref.dispose();
    tf.dispose([Xtr, X]);
  }
}

function knnPredict(): void {
  const rng = new Rng(SEED);
  const Xtr = rng.randn([12, 3]) as tf.Tensor2D;
  const ytr = Int32Array.from({ length: 12 }, () => rng.int(4));
  // Distances with ties in the votes: k = 4 among 4 classes often splits 2-2, and the course takes the smaller label.
  const dists = rng.rand([5, 12]) as tf.Tensor2D;
  const mine = new KNearestNeighbor();
  const ref = new (sol.knn().KNearestNeighbor)();
  try {
    mine.train(Xtr, ytr);
    ref.train(Xtr, ytr);
    for (const k of [1, 3, 4, 12]) {
      const got = Array.from(mine.predictLabels(dists, k));
      const want = Array.from(ref.predictLabels(dists, k));
      if (got.join() !== want.join()) {
        throw new CheckProblem(`yPred (k=${k}): [${got}], expected [${want}] (ties go to the smaller label, as np.argmax of the counts)`);
      }
    }
  } finally {
    mine.dispose();
    ref.dispose();
    tf.dispose([Xtr, dists]);
  }
}

type LinearLoss = typeof svmLossNaive;

/** A linear loss: loss and dW against the solution, dW against centred differences, wrong shapes. */
function linearLoss(mine: LinearLoss, ref: LinearLoss): void {
  const rng = new Rng(SEED);
  const [N, D, C] = [8, 6, 4];
  const W = rng.randn([D, C], 0.5) as tf.Tensor2D;
  const X = rng.randn([N, D]) as tf.Tensor2D;
  const y = Int32Array.from({ length: N }, () => rng.int(C));
  const reg = 0.1;
  const got = mine(W, X, y, reg);
  const want = ref(W, X, y, reg);
  try {
    expectClose('loss', got.loss, want.loss, FORWARD_BOUND, 'the solution');
    expectClose('dW', got.dW, want.dW, MODEL_BOUND, 'the solution');
    const order = rng.permutation(D * C);
    let k = 0;
    const numeric = gradCheckSparse((w) => tf.tidy(() => mine(w as tf.Tensor2D, X, y, reg).loss), W, got.dW, 12, () => order[k++], NUMERIC_STEP);
    const err = relError(numeric.numeric, numeric.analytic).norm;
    if (!(err <= NUMERIC_BOUND)) throw new CheckFailure('dW', err, NUMERIC_BOUND, 'centred differences');
    expectThrows('the loss with W [5, 4] and X [8, 6]', () => mine(tf.zeros([5, C]) as tf.Tensor2D, X, y, reg).dW.dispose());
  } finally {
    tf.dispose([W, X, got.dW, want.dW]);
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

function linearTrain(): void {
  const rng = new Rng(SEED);
  const { X, y } = clusters(rng, 200);
  const mine = new LinearSVM();
  try {
    const history = mine.train(X, y, { learningRate: 1e-2, reg: 1e-3, numIters: 150, batchSize: 50, seed: 1 });
    if (history.length !== 150) throw new CheckProblem(`lossHistory: ${history.length} entries for numIters 150`);
    const first = history.slice(0, 10).reduce((a, b) => a + b) / 10;
    const last = history.slice(-10).reduce((a, b) => a + b) / 10;
    if (!(last < 0.5 * first)) throw new CheckProblem(`lossHistory: the loss went from ${first.toFixed(3)} (first 10 steps) to ${last.toFixed(3)} (last 10); it should at least halve on easy data`);
    if (mine.W === null) throw new CheckProblem('W: still null after train()');
    // Predicted with the solution's predict, so that this exercise does not wait for linear_classifier_predict.
    const ref = new (sol.linear().LinearSVM)();
    ref.W = tf.variable(mine.W);
    const pred = ref.predict(X);
    ref.dispose();
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
  const ref = new (sol.linear().LinearSVM)();
  try {
    const W = rng.randn([6, 4]) as tf.Tensor2D;
    mine.W = tf.variable(W);
    ref.W = tf.variable(W);
    W.dispose();
    const got = Array.from(mine.predict(X));
    const want = Array.from(ref.predict(X));
    if (got.join() !== want.join()) throw new CheckProblem(`yPred: [${got}], expected [${want}] (argmax of X W over the classes)`);
  } finally {
    mine.dispose();
    ref.dispose();
    X.dispose();
  }
}

/** Euclidean norm of a tensor, accumulated in float64. */
function norm(t: tf.Tensor): number {
  return Math.hypot(...t.dataSync());
}

/** A model with loss(X, y) -> { loss, grads } and its Variables in params. */
interface CheckedModel {
  params: Record<string, tf.Variable>;
  loss(X: tf.Tensor, y: tf.Tensor1D): { loss: tf.Scalar; grads: Record<string, tf.Tensor> };
  dispose(): void;
}

/**
 * A model's loss against its autodiff twin, every gradient against tf.grads of the twin, and (numeric) a few
 * entries of each against centred differences of the learner's own loss. The numeric part does not step around
 * kinks, so it is kept for a model whose seeded inputs sit clear of them; the others get their centred
 * differences from the catalogue's model case, which does.
 */
function modelCheck(model: CheckedModel, X: tf.Tensor, y: tf.Tensor1D, twin: (p: Record<string, tf.Tensor>) => tf.Scalar, numeric: boolean): void {
  const rng = new Rng(SEED + 1);
  try {
    tf.tidy(() => {
      const { loss, grads } = model.loss(X, y);
      expectClose('loss', loss, twin(model.params), FORWARD_BOUND, 'autodiff reference');
      const auto = autodiffGrads((p) => twin(p), model.params);
      // A bias followed by batchnorm has a gradient of zero in exact arithmetic: float32 noise on both sides.
      const zero = new Set(Object.keys(model.params).filter((name) => norm(auto[name]) <= ABS_FLOOR && grads[name] && norm(grads[name]) <= ABS_FLOOR));
      for (const name of Object.keys(model.params)) {
        if (!grads[name]) throw new CheckProblem(`grads.${name}: missing (every parameter needs its gradient)`);
        if (!zero.has(name)) expectClose(`grads.${name}`, grads[name], auto[name], MODEL_BOUND, 'autodiff');
      }
      for (const name of numeric ? Object.keys(model.params) : []) {
        const param = model.params[name];
        const original = tf.clone(param);
        try {
          const r = gradCheckSparse(
            (t) => {
              param.assign(t);
              return model.loss(X, y).loss.dataSync()[0];
            },
            original,
            grads[name],
            3,
            () => rng.int(original.size),
            NUMERIC_STEP,
          );
          const err = relError(r.numeric, r.analytic).norm;
          const zeroOk = zero.has(name) && Math.hypot(...r.numeric) <= NUMERIC_FLOOR;
          if (!(err <= NUMERIC_BOUND) && !zeroOk) throw new CheckFailure(`grads.${name}`, err, NUMERIC_BOUND, 'centred differences');
        } finally {
          param.assign(original);
        }
      }
    });
  } finally {
    model.dispose();
  }
}

function twoLayerNetLoss(): void {
  const rng = new Rng(SEED);
  const reg = 0.1;
  const net = new TwoLayerNet({ inputDim: 5, hiddenDim: 6, numClasses: 4, weightScale: 0.5, reg, seed: 3 });
  const X = rng.randn([4, 5]);
  const y = labels(rng, 4, 4);
  modelCheck(net as unknown as CheckedModel, X, y, (p) => fcNetLossRef(p, X, y, { numLayers: 2, normalization: 'none', reg }), false);
  tf.dispose([X, y]);
  gradients('TwoLayerNet (reg 0.1)');
}

// ---------------------------------------------------------------------------------------------------------------
// Assignment 2: layers

function layerForward(tensor: string, got: () => tf.Tensor, want: () => tf.Tensor): void {
  tf.tidy(() => expectClose(tensor, got(), want(), FORWARD_BOUND, 'autodiff reference'));
}

/** np.linspace(lo, hi, num=size).reshape(shape), as the notebooks build their inputs (in float32 here). */
function linspace(lo: number, hi: number, shape: number[]): tf.Tensor {
  return tf.reshape(tf.linspace(lo, hi, shape.reduce((a, b) => a * b)), shape);
}

/** The notebook's affine_forward test: its inputs (in NHWC, which flattens to the same rows) and printed values. */
const NOTEBOOK_AFFINE_OUT = [
  [1.49834967, 1.70660132, 1.91485297],
  [3.25553199, 3.5141327, 3.77273342],
];

function affineForwardCheck(): void {
  const rng = new Rng(SEED);
  tf.tidy(() => {
    const out = affineForward(linspace(-0.1, 0.5, [2, 4, 5, 6]), linspace(-0.2, 0.3, [120, 3]) as tf.Tensor2D, linspace(-0.3, 0.1, [3]) as tf.Tensor1D).out;
    expectClose('out', out, tf.tensor2d(NOTEBOOK_AFFINE_OUT), FORWARD_BOUND, "the notebook's correct_out");
    const [x, w, b] = [rng.randn([3, 2, 3]), rng.randn([6, 4]) as tf.Tensor2D, rng.randn([4]) as tf.Tensor1D];
    layerForward('out', () => affineForward(x, w, b).out, () => affineRef(x, w, b));
    expectThrows('affineForward with x [3, 2, 3] and w [5, 4]', () => affineForward(x, tf.zeros([5, 4]), b));
  });
}

function lossLayer(which: 'softmax' | 'svm'): void {
  const rng = new Rng(SEED);
  tf.tidy(() => {
    const scores = rng.randn([5, 4], 2) as tf.Tensor2D;
    const y = labels(rng, 5, 4);
    const f = which === 'softmax' ? softmaxLoss : svmLoss;
    const ref = which === 'softmax' ? softmaxLossRef : svmLossRef;
    layerForward('loss', () => f(scores, y).loss, () => ref(scores, y));
    gradients(which === 'softmax' ? 'softmax loss' : 'svm loss');
    expectThrows(`${which}Loss with scores [5, 4] and y [3]`, () => f(scores, tf.tensor1d([0, 1, 2], 'int32')));
  });
}

/**
 * FullyConnectedNet's loss, as the course grows it: plain in FullyConnectedNets, with batchnorm and layernorm in
 * BatchNormalization (checked with those exercises, so that fc_net_loss needs only the plain layers).
 */
function fcNetLoss(normalization: 'none' | 'batchnorm' | 'layernorm'): void {
  const rng = new Rng(SEED);
  const reg = 0.1;
  const net = new FullyConnectedNet({ hiddenDims: [8, 7], inputDim: 5, numClasses: 4, weightScale: 1, reg, normalization, seed: 5 });
  const X = rng.randn([8, 5]);
  const y = labels(rng, 8, 4);
  modelCheck(net as unknown as CheckedModel, X, y, (p) => fcNetLossRef(p, X, y, { numLayers: 3, normalization, reg }), normalization === 'none');
  tf.dispose([X, y]);
}

type Rule = typeof adam;

/**
 * The course notebook's inputs (N, D = 4, 5, every array a linspace): three steps of the learner's rule against
 * the solution's, comparing the new weights and every state tensor.
 */
function updateRule(name: 'sgd_momentum' | 'rmsprop' | 'adam', mine: Rule, state: Record<string, [number, number]>, extra: Record<string, number>): void {
  const ref = sol.optim().UPDATE_RULES[name] as unknown as Rule;
  const grid = (lo: number, hi: number): tf.Tensor => tf.reshape(tf.linspace(lo, hi, 20), [4, 5]);
  tf.tidy(() => {
    let w = grid(-0.4, 0.6);
    const dw = grid(-0.6, 0.4);
    const init: Record<string, number | tf.Tensor> = { learningRate: 1e-2, ...extra };
    for (const [k, [lo, hi]] of Object.entries(state)) init[k] = grid(lo, hi);
    let cfgMine = { ...init } as Parameters<Rule>[2];
    let cfgRef = { ...init } as Parameters<Rule>[2];
    let wRef = w;
    for (let step = 1; step <= 3; step++) {
      const a = mine(w, dw, cfgMine);
      const b = ref(wRef, dw, cfgRef);
      expectClose(`next_w (step ${step})`, a.next, b.next, FORWARD_BOUND, 'the solution');
      for (const k of Object.keys(b.config)) {
        const got = (a.config as Record<string, unknown>)[k];
        const want = (b.config as Record<string, unknown>)[k];
        if (want instanceof tf.Tensor) {
          if (!(got instanceof tf.Tensor)) throw new CheckProblem(`config.${k} (step ${step}): missing, expected a tensor of w's shape`);
          expectClose(`config.${k} (step ${step})`, got, want, FORWARD_BOUND, 'the solution');
        } else if (got !== want) throw new CheckProblem(`config.${k} (step ${step}): ${String(got)}, expected ${String(want)}`);
      }
      [w, wRef, cfgMine, cfgRef] = [a.next, b.next, a.config, b.config];
    }
    expectThrows(`${name} with w [4, 5] and dw [5, 4]`, () => mine(w, tf.zeros([5, 4]), {}));
  });
}

function bnInputs(rng: Rng): { x: tf.Tensor2D; gamma: tf.Tensor1D; beta: tf.Tensor1D } {
  return { x: tf.add(rng.randn([6, 5], 2), rng.randn([5], 3)) as tf.Tensor2D, gamma: rng.randn([5]) as tf.Tensor1D, beta: rng.randn([5]) as tf.Tensor1D };
}

function batchnormForwardCheck(): void {
  const rng = new Rng(SEED);
  const ref = sol.batchnorm();
  const mineParam: BnParam = { mode: 'train', momentum: 0.8 };
  const refParam: BnParam = { mode: 'train', momentum: 0.8 };
  try {
    tf.tidy(() => {
      const { x, gamma, beta } = bnInputs(rng);
      layerForward('out (train)', () => batchnormForward(x, gamma, beta, mineParam).out, () => batchnormRef(x, gamma, beta));
      ref.batchnormForward(x, gamma, beta, refParam);
      const x2 = tf.mul(x, 1.5) as tf.Tensor2D;
      batchnormForward(x2, gamma, beta, mineParam);
      ref.batchnormForward(x2, gamma, beta, refParam);
      for (const k of ['runningMean', 'runningVar'] as const) {
        if (!mineParam[k]) throw new CheckProblem(`bnParam.${k}: not set after a train-mode pass`);
        expectClose(`bnParam.${k}`, mineParam[k]!, refParam[k]!, FORWARD_BOUND, 'the solution');
      }
      mineParam.mode = 'test';
      refParam.mode = 'test';
      expectClose('out (test)', batchnormForward(x, gamma, beta, mineParam).out, ref.batchnormForward(x, gamma, beta, refParam).out, FORWARD_BOUND, 'the solution');
      expectThrows('batchnormForward with x [6, 5] and gamma [4]', () => batchnormForward(x, tf.ones([4]), beta, { mode: 'train' }));
    });
  } finally {
    for (const p of [mineParam, refParam]) tf.dispose([p.runningMean, p.runningVar].filter((t): t is tf.Tensor1D => t !== undefined));
  }
}

function dropoutForwardCheck(): void {
  tf.tidy(() => {
    const x = tf.add(tf.ones([100, 50]), 9);
    const p = 0.6;
    const out = dropoutForward(x, { mode: 'train', p, seed: 1 }).out;
    const values = out.dataSync();
    let kept = 0;
    for (const v of values) {
      if (Math.abs(v - 10 / p) < 1e-4) kept++;
      else if (v !== 0) throw new CheckProblem(`out (train): an entry ${v} is neither 0 nor x / p = ${(10 / p).toFixed(4)} (inverted dropout scales the kept units by 1 / p)`);
    }
    const frac = kept / values.length;
    if (Math.abs(frac - p) > 0.03) throw new CheckProblem(`out (train): kept ${frac.toFixed(3)} of the units with p = ${p} (p is the probability of keeping a unit)`);
    expectClose('out (test)', dropoutForward(x, { mode: 'test', p }).out, x, 0, 'x itself');
  });
}

function convPoolForward(kind: 'conv' | 'pool'): void {
  const rng = new Rng(SEED);
  tf.tidy(() => {
    const x = rng.randn([2, 5, 5, 3]) as tf.Tensor4D;
    if (kind === 'conv') {
      const w = rng.randn([3, 3, 3, 2]) as tf.Tensor4D;
      const b = rng.randn([2]) as tf.Tensor1D;
      for (const cp of [{ stride: 1, pad: 1 }, { stride: 2, pad: 0 }, { stride: 2, pad: 1 }]) {
        layerForward(`out (stride ${cp.stride}, pad ${cp.pad})`, () => convForwardNaive(x, w, b, cp).out, () => convRef(x, w, b, cp));
      }
      expectThrows('convForwardNaive with x [2, 5, 5, 3] and w [3, 3, 2, 2]', () => convForwardNaive(x, tf.zeros([3, 3, 2, 2]), b, { stride: 1, pad: 1 }));
    } else {
      for (const pp of [{ poolHeight: 2, poolWidth: 2, stride: 1 }, { poolHeight: 3, poolWidth: 3, stride: 2 }]) {
        layerForward(`out (${pp.poolHeight}x${pp.poolWidth}, stride ${pp.stride})`, () => maxPoolForwardNaive(x, pp).out, () => maxPoolRef(x, pp));
      }
    }
  });
}

function threeLayerConvNetLoss(): void {
  const rng = new Rng(SEED);
  const reg = 0.1;
  const net = new ThreeLayerConvNet({ inputDim: [4, 4, 2], numFilters: 3, filterSize: 3, hiddenDim: 5, numClasses: 4, weightScale: 0.3, reg, seed: 12 });
  const X = rng.randn([2, 4, 4, 2]);
  const y = labels(rng, 2, 4);
  modelCheck(net as unknown as CheckedModel, X, y, (p) => threeLayerConvNetLossRef(p, X as tf.Tensor4D, y, { reg, batchnorm: false }), false);
  tf.dispose([X, y]);
  gradients('ThreeLayerConvNet (no batchnorm, reg 0.1)');
}

function spatialForward(kind: 'batchnorm' | 'groupnorm'): void {
  const rng = new Rng(SEED);
  const bn: BnParam = { mode: 'train' };
  tf.tidy(() => {
    const x = tf.add(rng.randn([2, 3, 3, 4], 2), rng.randn([4], 3)) as tf.Tensor4D;
    const gamma = rng.randn([4]) as tf.Tensor1D;
    const beta = rng.randn([4]) as tf.Tensor1D;
    if (kind === 'batchnorm') {
      layerForward('out', () => spatialBatchnormForward(x, gamma, beta, bn).out, () => spatialBatchnormRef(x, gamma, beta));
    } else {
      for (const G of [1, 2, 4]) layerForward(`out (G=${G})`, () => spatialGroupnormForward(x, gamma, beta, G).out, () => spatialGroupnormRef(x, gamma, beta, G));
    }
  });
  tf.dispose([bn.runningMean, bn.runningVar].filter((t): t is tf.Tensor1D => t !== undefined));
}

// ---------------------------------------------------------------------------------------------------------------
// Assignment 2: network visualisation, on a small convnet whose input gradients come from autodiff (reference/),
// so that these checks use none of the learner's layers

/** A three-layer convnet [6, 6, 3] -> 5 classes, seen through inputGradient only; dispose() frees its weights. */
function tinyConvNet(): InputGradientModel & { scores: (X: tf.Tensor) => tf.Tensor; dispose(): void } {
  const rng = new Rng(SEED + 2);
  const params: Record<string, tf.Tensor> = {
    W1: rng.randn([3, 3, 3, 4], 0.3),
    b1: rng.randn([4], 0.1),
    W2: rng.randn([36, 8], 0.3),
    b2: rng.randn([8], 0.1),
    W3: rng.randn([8, 5], 0.3),
    b3: rng.randn([5], 0.1),
  };
  const scores = (X: tf.Tensor): tf.Tensor => threeLayerConvNetScoresRef(params, X);
  return {
    scores,
    inputGradient: (X, dscores) =>
      tf.tidy(() => {
        const s = scores(X) as tf.Tensor2D;
        return { scores: s, dX: inputGradientRef(scores, X, dscores(s)) as tf.Tensor4D };
      }),
    dispose: () => tf.dispose(Object.values(params)),
  };
}

function saliency(): void {
  const rng = new Rng(SEED);
  const model = tinyConvNet();
  try {
    tf.tidy(() => {
      const X = rng.randn([3, 6, 6, 3], 10) as tf.Tensor4D;
      const y = tf.tensor1d([0, 3, 4], 'int32');
      const want = tf.max(tf.abs(inputGradientRef(model.scores, X, tf.oneHot(y, 5))), 3);
      expectClose('saliency', computeSaliencyMaps(model, X, y), want, FORWARD_BOUND, 'autodiff reference');
    });
  } finally {
    model.dispose();
  }
}

/**
 * Fooling images and class visualisations are deterministic given the model, the images and the Rng: the
 * learner's must match the solution's, step for step (the course's order of draws: the noise, then the jitter).
 */
function fooling(): void {
  const rng = new Rng(SEED);
  const model = tinyConvNet();
  try {
    tf.tidy(() => {
      const X = rng.randn([2, 6, 6, 3], 10) as tf.Tensor4D;
      const target = [2, 4];
      const options = { maxIters: 20, learningRate: 1 };
      const got = makeFoolingImages(model, X, target, options);
      const want = sol.fooling().makeFoolingImages(model, X, target, options);
      expectClose('XFooling', got.XFooling, want.XFooling, MODEL_BOUND, 'the solution');
      if (got.fooled.join() !== want.fooled.join()) throw new CheckProblem(`fooled: [${got.fooled}], expected [${want.fooled}]`);
      if (got.iterations.join() !== want.iterations.join()) {
        throw new CheckProblem(`iterations: [${got.iterations}], expected [${want.iterations}] (stop as soon as the model predicts the target)`);
      }
    });
  } finally {
    model.dispose();
  }
}

function classVisualization(): void {
  const model = tinyConvNet();
  try {
    tf.tidy(() => {
      const mean = tf.fill([6, 6, 3], 120) as tf.Tensor3D;
      const target = [1, 3];
      const options = { numIterations: 12, blurEvery: 5 };
      const got = createClassVisualization(model, target, mean, new Rng(SEED), options);
      const want = sol.classVis().createClassVisualization(model, target, mean, new Rng(SEED), options);
      expectClose('X', got, want, MODEL_BOUND, 'the solution');
    });
  } finally {
    model.dispose();
  }
}

/** Every exercise's check, by id. */
export const CHECKS: Record<string, () => void> = {
  compute_distances_two_loops: () => knnDistances('computeDistancesTwoLoops'),
  compute_distances_one_loop: () => knnDistances('computeDistancesOneLoop'),
  compute_distances_no_loops: () => knnDistances('computeDistancesNoLoops'),
  knn_predict_labels: knnPredict,
  svm_loss_naive: () => linearLoss(svmLossNaive, sol.linearSvm().svmLossNaive),
  svm_loss_vectorized: () => linearLoss(svmLossVectorized, sol.linearSvm().svmLossVectorized),
  softmax_loss_naive: () => linearLoss(softmaxLossNaive, sol.softmax().softmaxLossNaive),
  softmax_loss_vectorized: () => linearLoss(softmaxLossVectorized, sol.softmax().softmaxLossVectorized),
  linear_classifier_train: linearTrain,
  linear_classifier_predict: linearPredict,
  two_layer_net_loss: twoLayerNetLoss,
  affine_forward: affineForwardCheck,
  affine_backward: () => gradients('affine'),
  relu_forward: () => {
    const rng = new Rng(SEED);
    tf.tidy(() => {
      const notebook = [0, 0, 0, 0, 0, 0, 0.04545455, 0.13636364, 0.22727273, 0.31818182, 0.40909091, 0.5];
      expectClose('out', reluForward(linspace(-0.5, 0.5, [3, 4])).out, tf.tensor2d(notebook, [3, 4]), FORWARD_BOUND, "the notebook's correct_out");
      const x = rng.randn([4, 5]);
      layerForward('out', () => reluForward(x).out, () => reluRef(x));
    });
  },
  relu_backward: () => gradients('relu'),
  softmax_loss: () => lossLayer('softmax'),
  svm_loss: () => lossLayer('svm'),
  fc_net_loss: () => fcNetLoss('none'),
  sgd_momentum: () => updateRule('sgd_momentum', sgdMomentum as unknown as Rule, { velocity: [0.6, 0.9] }, { momentum: 0.9 }),
  rmsprop: () => updateRule('rmsprop', rmsprop as unknown as Rule, { cache: [0.7, 0.5] }, { decayRate: 0.99, epsilon: 1e-8 }),
  adam: () => updateRule('adam', adam, { m: [0.5, 0.7], v: [0.7, 0.5] }, { t: 5, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }),
  batchnorm_forward: batchnormForwardCheck,
  batchnorm_backward: () => {
    gradients('batchnorm (graph backward)');
    fcNetLoss('batchnorm');
  },
  batchnorm_backward_alt: () => gradients('batchnorm (alt backward)'),
  layernorm_forward: () => {
    const rng = new Rng(SEED);
    tf.tidy(() => {
      const { x, gamma, beta } = bnInputs(rng);
      layerForward('out', () => layernormForward(x, gamma, beta).out, () => layernormRef(x, gamma, beta));
    });
  },
  layernorm_backward: () => {
    gradients('layernorm');
    fcNetLoss('layernorm');
  },
  dropout_forward: dropoutForwardCheck,
  dropout_backward: () => ['dropout (fixed seed, keep 0.6)', 'FullyConnectedNet (none, dropout keep 0.75, reg 0.1)'].forEach(gradients),
  conv_forward_naive: () => convPoolForward('conv'),
  conv_backward_naive: () => gradients('conv naive (stride 1, pad 1)'),
  max_pool_forward_naive: () => convPoolForward('pool'),
  max_pool_backward_naive: () => gradients('max pool naive (2x2, stride 2)'),
  three_layer_convnet_loss: threeLayerConvNetLoss,
  spatial_batchnorm_forward: () => spatialForward('batchnorm'),
  spatial_batchnorm_backward: () => gradients('spatial batchnorm'),
  spatial_groupnorm_forward: () => spatialForward('groupnorm'),
  spatial_groupnorm_backward: () => ['spatial groupnorm (G=1)', 'spatial groupnorm (G=2)', 'spatial groupnorm (G=4)'].forEach(gradients),
  compute_saliency_maps: saliency,
  make_fooling_image: fooling,
  class_visualization_update: classVisualization,
  global_avg_pool: () => {
    const rng = new Rng(SEED);
    tf.tidy(() => {
      const x = rng.randn([2, 3, 4, 5]) as tf.Tensor4D;
      layerForward('out', () => globalAvgPoolForward(x).out, () => globalAvgPoolRef(x));
    });
    gradients('global average pool');
  },
  smoothed_softmax_loss: () => {
    const rng = new Rng(SEED);
    tf.tidy(() => {
      const scores = rng.randn([5, 4], 2) as tf.Tensor2D;
      const y = labels(rng, 5, 4);
      layerForward('loss', () => smoothedSoftmaxLoss(scores, y, 0.2).loss, () => smoothedSoftmaxLossRef(scores, y, 0.2));
    });
    gradients('softmax loss, label smoothing 0.2');
  },
  residual_block_backward: () => ['residual block', 'residual block (no skip)'].forEach(gradients),
};

export { STATIC_HINTS };
