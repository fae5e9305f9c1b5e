/**
 * Checks of A2 Q1 (FullyConnectedNets): affine and relu against the notebook's printed values and the autodiff
 * reference, their backward passes against tf.grads and the catalogue's centred differences, the two losses
 * (with scores in the hundreds for softmax), the fully connected net, and the three update rules against the
 * course's formulas on plain numbers (reference/plain.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../src/random';
import { affineRef, reluRef, softmaxLossRef, svmLossRef } from '../../reference/layers_dense';
import { autodiffGrads } from '../../reference/crosscheck';
import { PlainStep, adamPlain, rmspropPlain, sgdMomentumPlain } from '../../reference/plain';
import { AUTODIFF_BOUND, relError } from '../../src/gradcheck';
import { affineBackward, affineForward } from '../../src/layers/affine';
import { reluBackward, reluForward } from '../../src/layers/relu';
import { softmaxLoss } from '../../src/layers/softmax_loss';
import { svmLoss } from '../../src/layers/svm_loss';
import { sgdMomentum } from '../../src/optim/sgd_momentum';
import { rmsprop } from '../../src/optim/rmsprop';
import { adam } from '../../src/optim/adam';
import { CheckProblem, FORWARD_BOUND, SEED, backwardVsAutodiff, call, disposeAll, expectClose, expectThrows, gradients, labels, layerForward, linspace } from './common';
import { fcNetLossChecks } from './models';
import { overflowHint, suspectHint } from '../hints';

/** The notebook's affine_forward test: its inputs (in NHWC, which flattens to the same rows) and printed values. */
const NOTEBOOK_AFFINE_OUT = [
  [1.49834967, 1.70660132, 1.91485297],
  [3.25553199, 3.5141327, 3.77273342],
];
const NOTEBOOK_RELU_OUT = [0, 0, 0, 0, 0, 0, 0.04545455, 0.13636364, 0.22727273, 0.31818182, 0.40909091, 0.5];

const FLATTEN_HINT = 'flatten x [N, H, W, C] to [N, H*W*C] in its own row-major (NHWC) order, a plain reshape; transposing to the course\'s NCHW first pairs the values with the wrong rows of w';

/** When got is what affine gives on x flattened in NCHW order, the hint that names the flatten order. */
function flattenHint(got: tf.Tensor, x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): () => string | undefined {
  return () =>
    tf.tidy(() => {
      if (x.rank !== 4) return undefined;
      const nchw = affineRef(tf.transpose(x, [0, 3, 1, 2]), w, b);
      return relError(got, nchw).norm < 1e-4 ? FLATTEN_HINT : undefined;
    });
}

function affineForwardCheck(): void {
  const rng = new Rng(SEED);
  tf.tidy(() => {
    const [xn, wn, bn] = [linspace(-0.1, 0.5, [2, 4, 5, 6]), linspace(-0.2, 0.3, [120, 3]) as tf.Tensor2D, linspace(-0.3, 0.1, [3]) as tf.Tensor1D];
    const notebook = call('affineForward', { x: xn, w: wn, b: bn }, () => affineForward(xn, wn, bn));
    const hint = notebook?.out instanceof tf.Tensor ? flattenHint(notebook.out, xn, wn, bn) : undefined;
    expectClose('out', notebook?.out, tf.tensor2d(NOTEBOOK_AFFINE_OUT), FORWARD_BOUND, "the notebook's correct_out", hint);
    const [x, w, b] = [rng.randn([3, 2, 3, 2]), rng.randn([12, 4]) as tf.Tensor2D, rng.randn([4]) as tf.Tensor1D];
    const got = call('affineForward', { x, w, b }, () => affineForward(x, w, b)).out;
    layerForward('out (x [3, 2, 3, 2])', got, () => affineRef(x, w, b), flattenHint(got, x, w, b));
    expectThrows('affineForward with x [3, 2, 3, 2] and w [5, 4]', () => affineForward(x, tf.zeros([5, 4]), b));
  });
}

function affineBackwardCheck(): void {
  const rng = new Rng(SEED + 5);
  const [x, w, b] = [rng.randn([3, 2, 3, 2]), rng.randn([12, 4]) as tf.Tensor2D, rng.randn([4]) as tf.Tensor1D];
  const fwd = affineForward(x, w, b);
  try {
    backwardVsAutodiff('x [3, 2, 3, 2]', { x, w, b }, [3, 4], (dout) => affineBackward(dout as tf.Tensor2D, fwd.cache), (p) => affineRef(p.x, p.w, p.b), { dx: 'x', dw: 'w', db: 'b' }, 'affineBackward');
  } finally {
    disposeAll(fwd, [x, w, b]);
    tf.dispose([x, w, b]);
  }
  gradients('affine');
}

function reluForwardCheck(): void {
  const rng = new Rng(SEED);
  tf.tidy(() => {
    const xn = linspace(-0.5, 0.5, [3, 4]);
    expectClose('out', call('reluForward', { x: xn }, () => reluForward(xn))?.out, tf.tensor2d(NOTEBOOK_RELU_OUT, [3, 4]), FORWARD_BOUND, "the notebook's correct_out");
    const x = rng.randn([4, 5]);
    layerForward('out', call('reluForward', { x }, () => reluForward(x)).out, () => reluRef(x));
  });
}

function reluBackwardCheck(): void {
  const x = new Rng(SEED + 5).randn([4, 5]);
  const fwd = reluForward(x);
  try {
    backwardVsAutodiff('x [4, 5]', { x }, [4, 5], (dout) => reluBackward(dout, fwd.cache), (p) => reluRef(p.x), { dx: 'x' }, 'reluBackward');
  } finally {
    disposeAll(fwd, [x]);
    x.dispose();
  }
  gradients('relu');
}

/** loss and dscores against autodiff, on ordinary scores and (softmax) scores in the hundreds. */
function lossLayer(which: 'softmax' | 'svm'): void {
  const rng = new Rng(SEED);
  const fn = which === 'softmax' ? 'softmaxLoss' : 'svmLoss';
  const f = which === 'softmax' ? softmaxLoss : svmLoss;
  const ref = which === 'softmax' ? softmaxLossRef : svmLossRef;
  tf.tidy(() => {
    const scores = rng.randn([5, 4], 2) as tf.Tensor2D;
    const y = labels(rng, 5, 4);
    const cases: Array<[string, tf.Tensor2D]> = [['', scores]];
    if (which === 'softmax') cases.push([' (scores in the hundreds)', tf.mul(scores, 200) as tf.Tensor2D]);
    for (const [label, s] of cases) {
      const got = call(fn, { scores: s, y }, () => f(s, y));
      if (got === null || typeof got !== 'object') throw new CheckProblem(`${fn} returned ${String(got)}; expected { loss, dscores }`);
      const hint = label ? overflowHint : undefined;
      expectClose(`loss${label}`, got.loss, ref(s, y), FORWARD_BOUND, 'autodiff reference', hint);
      expectClose(`dscores${label}`, got.dscores, autodiffGrads((p) => ref(p.s, y), { s }).s, AUTODIFF_BOUND, 'autodiff', hint);
    }
    expectThrows(`${fn} with scores [5, 4] and y [3]`, () => f(scores, tf.tensor1d([0, 1, 2], 'int32')));
  });
  gradients(which === 'softmax' ? 'softmax loss' : 'svm loss');
}

type Rule = (w: tf.Tensor, dw: tf.Tensor, config: Record<string, number | tf.Tensor>) => { next: tf.Tensor; config: Record<string, unknown> };
type Plain = (w: number[], dw: number[], c: Record<string, number | number[]>) => PlainStep;

/** The course's defaults, written out here: what a config that leaves a hyperparameter out must use. */
const COURSE_DEFAULTS: Record<string, Record<string, number>> = {
  sgd_momentum: { learningRate: 1e-2, momentum: 0.9 },
  rmsprop: { learningRate: 1e-2, decayRate: 0.99, epsilon: 1e-8 },
  adam: { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, t: 0 },
};
const STATE: Record<string, string[]> = { sgd_momentum: ['velocity'], rmsprop: ['cache'], adam: ['m', 'v'] };

type PlainConfig = Record<string, number & number[]>;

/**
 * Adam's step with each bias correction raised to a power (-1: divided by 1 - beta^t as the course does; 1:
 * multiplied; 0: none), with t incremented by `first` before the corrections.
 */
function adamWith(mPower: number, vPower: number, first: 0 | 1) {
  return (w: number[], dw: number[], c: PlainConfig): number[] => {
    const t = c.t + first;
    const m = dw.map((g, i) => c.beta1 * c.m[i] + (1 - c.beta1) * g);
    const v = dw.map((g, i) => c.beta2 * c.v[i] + (1 - c.beta2) * g * g);
    return w.map((x, i) => x - (c.learningRate * m[i] * (1 - c.beta1 ** t) ** mPower) / (Math.sqrt(v[i] * (1 - c.beta2 ** t) ** vPower) + c.epsilon));
  };
}
/**
 * The usual mistakes of each rule as plain-number steps (the new weights from w, dw and the config, defaults
 * filled in), so that a hint is said only when the learner's next_w is one of them.
 */
const RULE_MISTAKES: Record<string, Array<{ says: string; next: (w: number[], dw: number[], c: PlainConfig) => number[] }>> = {
  sgd_momentum: [
    { says: 'a step along the old velocity (w + momentum v - lr dw with v from before the update); the weights move by the new velocity', next: (w, dw, c) => w.map((x, i) => x + c.momentum * c.velocity[i] - c.learningRate * dw[i]) },
    { says: 'plain SGD: the velocity is not used', next: (w, dw, c) => w.map((x, i) => x - c.learningRate * dw[i]) },
  ],
  rmsprop: [
    { says: 'epsilon inside the square root; it goes outside: sqrt(cache) + eps', next: (w, dw, c) => w.map((x, i) => x - (c.learningRate * dw[i]) / Math.sqrt(c.decayRate * c.cache[i] + (1 - c.decayRate) * dw[i] ** 2 + c.epsilon)) },
    { says: 'a step with the old cache (the cache is updated first, then used)', next: (w, dw, c) => w.map((x, i) => x - (c.learningRate * dw[i]) / (Math.sqrt(c.cache[i]) + c.epsilon)) },
  ],
  adam: [
    { says: 'bias corrections that multiply by 1 - beta^t; they divide by it, which makes the early moments larger', next: adamWith(1, 1, 1) },
    { says: 'a first moment multiplied by 1 - beta1^t; the bias correction divides by it', next: adamWith(1, -1, 1) },
    { says: 'no bias correction', next: adamWith(0, 0, 1) },
    { says: 't incremented after the step; the course increments it first, so the first step has t = 1', next: adamWith(-1, -1, 0) },
  ],
};

/** The step next_w - w loses float32 digits to the subtraction. */
const STEP_BOUND = 1e-4;
const arr = (t: tf.Tensor): number[] => Array.from(t.dataSync());
const grid = (lo: number, hi: number): tf.Tensor => tf.reshape(tf.linspace(lo, hi, 20), [4, 5]);

/**
 * Steps of the learner's rule from a config against the plain-number rule, comparing the new weights and every
 * state tensor after each step. given: the config passed in (hyperparameters and state); what is left out must
 * take the course's default (a missing state starts at zeros).
 */
function ruleCase(name: string, fn: string, mine: Rule, plain: Plain, label: string, given: Record<string, number | [number, number]>, steps: number): void {
  const stateKeys = STATE[name];
  tf.tidy(() => {
    let w = grid(-0.4, 0.6);
    const dw = grid(-0.6, 0.4);
    let cfg: Record<string, number | tf.Tensor> = {};
    for (const [k, v] of Object.entries(given)) cfg[k] = Array.isArray(v) ? grid(v[0], v[1]) : v;
    let ref: Record<string, number | number[]> = { ...COURSE_DEFAULTS[name] };
    for (const k of stateKeys) ref[k] = new Array(20).fill(0);
    for (const [k, v] of Object.entries(cfg)) ref[k] = typeof v === 'number' ? v : arr(v);
    let wRef = arr(w);
    for (let step = 1; step <= steps; step++) {
      const inputs: Record<string, tf.Tensor> = { w, dw };
      for (const k of stateKeys) if (cfg[k] instanceof tf.Tensor) inputs[`config.${k}`] = cfg[k] as tf.Tensor;
      const got = call(fn, inputs, () => mine(w, dw, cfg));
      const want = plain(wRef, arr(dw), ref);
      const where = `step ${step}${label}`;
      if (got === null || typeof got !== 'object' || !got.config) throw new CheckProblem(`${fn} returned ${String(got)}; expected { next, config }`);
      const [w0, dw0, ref0] = [wRef, arr(dw), ref as PlainConfig];
      const mistakes = RULE_MISTAKES[name].map((m) => ({ says: m.says, next: m.next(w0, dw0, ref0) }));
      const hint = (g: tf.Tensor) => suspectHint(g, mistakes.map((m) => ({ says: m.says, value: () => tf.tensor(m.next, w.shape) })), 1e-6);
      expectClose(`next_w (${where})`, got.next, tf.tensor(want.next, w.shape), FORWARD_BOUND, "the course's formula", hint);
      // The step itself, which is small beside w: an epsilon in the wrong place changes it, hardly next_w.
      const stepWant = tf.tensor(want.next.map((v, i) => v - wRef[i]), w.shape);
      const stepHint = (g: tf.Tensor) => suspectHint(g, mistakes.map((m) => ({ says: m.says, value: () => tf.tensor(m.next.map((v, i) => v - w0[i]), w.shape) })));
      expectClose(`next_w - w (${where})`, tf.sub(got.next, w), stepWant, STEP_BOUND, "the course's formula", stepHint);
      for (const [k, v] of Object.entries(want.state)) {
        const g = got.config[k];
        if (typeof v === 'number') {
          if (g !== v) throw new CheckProblem(`config.${k} (${where}): ${String(g)}, expected ${v}`);
        } else {
          if (!(g instanceof tf.Tensor)) throw new CheckProblem(`config.${k} (${where}): missing, expected a tensor of w's shape`);
          expectClose(`config.${k} (${where})`, g, tf.tensor(v, w.shape), FORWARD_BOUND, "the course's formula");
        }
      }
      [w, wRef] = [got.next, want.next];
      cfg = got.config as Record<string, number | tf.Tensor>;
      ref = { ...ref, ...want.state };
    }
    expectThrows(`${fn} with w [4, 5] and dw [5, 4]`, () => mine(w, tf.zeros([5, 4]), {}));
  });
}

/**
 * Three cases per rule: the notebook's inputs (every array a linspace over N, D = 4, 5) for three steps; an empty
 * config, which must take the course's defaults; and (rmsprop, adam) a state so small that where epsilon sits
 * matters: sqrt(cache) + eps, not sqrt(cache + eps).
 */
function updateRule(name: 'sgd_momentum' | 'rmsprop' | 'adam', fn: string, mine: Rule, plain: Plain, notebook: Record<string, number | [number, number]>, tiny?: Record<string, number | [number, number]>): void {
  ruleCase(name, fn, mine, plain, '', notebook, 3);
  ruleCase(name, fn, mine, plain, ', empty config: the course\'s defaults', {}, 2);
  if (tiny) ruleCase(name, fn, mine, plain, ', a tiny state: epsilon goes outside the square root', tiny, 1);
}

export const CHECKS: Record<string, () => void> = {
  affine_forward: affineForwardCheck,
  affine_backward: affineBackwardCheck,
  relu_forward: reluForwardCheck,
  relu_backward: reluBackwardCheck,
  softmax_loss: () => lossLayer('softmax'),
  svm_loss: () => lossLayer('svm'),
  fc_net_loss: fcNetLossChecks,
  sgd_momentum: () => updateRule('sgd_momentum', 'sgdMomentum', sgdMomentum as unknown as Rule, sgdMomentumPlain as unknown as Plain, { learningRate: 1e-3, momentum: 0.9, velocity: [0.6, 0.9] }),
  rmsprop: () =>
    updateRule('rmsprop', 'rmsprop', rmsprop as unknown as Rule, rmspropPlain as unknown as Plain, { learningRate: 1e-2, cache: [0.7, 0.5] }, { learningRate: 1e-2, decayRate: 0.9, epsilon: 1e-3, cache: [1e-7, 1e-6] }),
  adam: () =>
    updateRule('adam', 'adam', adam as unknown as Rule, adamPlain as unknown as Plain, { learningRate: 1e-2, m: [0.5, 0.7], v: [0.7, 0.5], t: 5 }, { learningRate: 1e-2, epsilon: 1e-3, m: [1e-4, 2e-4], v: [1e-9, 1e-8], t: 0 }),
};
