/**
 * Checks of the models' loss functions (A1 Q4 two_layer_net, A2 Q1 fc_net, A2 Q4 the three-layer convnet): the
 * loss against the model's autodiff twin (reference/models.ts) and every gradient against tf.grads of the twin,
 * with every bias set to non-zero values first (a regularised bias changes the loss), plus the catalogue's case
 * of the model (centred differences that step around the kinks). Once the learner's dropout, batchnorm and
 * layernorm (or spatial batchnorm) are written, the model's own wiring of them is checked too: the fc net with each
 * against its twin (dropout with the same masks), and the convnet's test mode, whose scores of a row must not
 * depend on the rest of the batch.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../src/random';
import { NUMERIC_BOUND, NUMERIC_STEP, gradCheckSparse, relError } from '../../src/gradcheck';
import { NUMERIC_FLOOR } from '../../reference/catalogue/harness';
import { ABS_FLOOR, autodiffGrads } from '../../reference/crosscheck';
import { fcNetLossRef, threeLayerConvNetLossRef } from '../../reference/models';
import { TwoLayerNet } from '../../src/classifiers/two_layer_net';
import { FullyConnectedNet } from '../../src/classifiers/fc_net';
import { ThreeLayerConvNet } from '../../src/classifiers/cnn';
import { CheckFailure, CheckProblem, FORWARD_BOUND, MODEL_BOUND, SEED, call, expectClose, gradients, labels, norm } from './common';
import { Suspect, partsHint, suspectHint } from '../hints';
import { STUB_MESSAGE } from '../impl';
import { dropoutForward } from '../../src/layers/dropout';

/** A model with loss(X, y) -> { loss, grads } and its Variables in params. */
interface CheckedModel {
  params: Record<string, tf.Variable>;
  loss(X: tf.Tensor, y: tf.Tensor1D): { loss: tf.Scalar; grads: Record<string, tf.Tensor> };
  dispose(): void;
}

/** Every bias and beta of the model set to values drawn from the seed (models start them at zero). */
function nonZeroBiases(model: CheckedModel): void {
  const rng = new Rng(SEED + 3);
  for (const [name, p] of Object.entries(model.params)) {
    if (/^(b|beta)\d/.test(name)) tf.tidy(() => p.assign(rng.randn(p.shape, 0.5)));
  }
}

/**
 * A model's loss against its autodiff twin, every gradient against tf.grads of the twin, and (numeric) a few
 * entries of each against centred differences of the learner's own loss. The numeric part does not step around
 * kinks, so it is kept for a model whose seeded inputs sit clear of them; the others get their centred
 * differences from the catalogue's model case, which does. reg: the twin's regularisation strength.
 */
export function modelCheck(fn: string, model: CheckedModel, X: tf.Tensor, y: tf.Tensor1D, twin: (p: Record<string, tf.Tensor>) => tf.Scalar, reg: number, numeric: boolean, label?: string): void {
  const of = label === undefined ? '' : ` (${label})`;
  const rng = new Rng(SEED + 1);
  try {
    nonZeroBiases(model);
    const got = call(fn, { X, y }, () => model.loss(X, y), [model]);
    if (got === null || typeof got !== 'object' || !got.grads) throw new CheckProblem(`${fn} returned ${String(got)}; expected { loss, grads }`);
    const { loss, grads } = got;
    try {
      tf.tidy(() => {
        const want = twin(model.params);
        // The course's regulariser is 0.5 reg sum(W^2) per weight matrix: each suspect moves that share.
        const weights = Object.keys(model.params).filter((k) => /^W\d/.test(k));
        const others = Object.keys(model.params).filter((k) => /^(b|gamma|beta)\d/.test(k));
        const squares = (names: string[]) => names.reduce((acc, k) => tf.add(acc, tf.sum(tf.square(model.params[k]))), tf.scalar(0));
        const suspects: Suspect[] = [
          { says: 'a regulariser that covers the biases (or gammas, betas) too; it covers the weights W only', value: () => tf.add(want, tf.mul(0.5 * reg, squares(others))) },
          ...others.map((k) => ({ says: `a regulariser that covers the biases (here ${k}) too; it covers the weights W only`, value: () => tf.add(want, tf.mul(0.5 * reg, squares([k]))) })),
          { says: 'the loss without its regulariser', value: () => tf.sub(want, tf.mul(0.5 * reg, squares(weights))) },
          { says: 'the regulariser at twice the strength (reg sum(W^2) for 0.5 reg sum(W^2))', value: () => tf.add(want, tf.mul(0.5 * reg, squares(weights))) },
        ];
        expectClose(`loss${of}`, loss, want, FORWARD_BOUND, 'autodiff reference', (g) => suspectHint(g, suspects));
        const auto = autodiffGrads((p) => twin(p), model.params);
        // A bias followed by batchnorm has a gradient of zero in exact arithmetic: float32 noise on both sides.
        const zero = new Set(Object.keys(model.params).filter((name) => norm(auto[name]) <= ABS_FLOOR && grads[name] && norm(grads[name]) <= ABS_FLOOR));
        for (const name of Object.keys(model.params)) {
          if (!(grads[name] instanceof tf.Tensor)) throw new CheckProblem(`grads.${name}${of}: missing (every parameter needs its gradient)`);
        }
        // Which gradients are right says where a backward pass goes wrong: said with the first wrong one.
        const right = Object.keys(model.params).filter((name) => zero.has(name) || (grads[name].shape.join() === auto[name].shape.join() && relError(grads[name], auto[name]).norm <= MODEL_BOUND));
        for (const name of Object.keys(model.params)) {
          if (zero.has(name) || right.includes(name)) continue;
          const parts = /^W\d/.test(name) ? { 'its data term': tf.sub(auto[name], tf.mul(reg, model.params[name])), "its regulariser's term": tf.mul(reg, model.params[name]) } : undefined;
          const where = right.length > 0 ? `grads ${right.join(', ')} are right` : undefined;
          expectClose(`grads.${name}${of}`, grads[name], auto[name], MODEL_BOUND, 'autodiff', (g) => [parts && partsHint(g, parts, X.shape[0]), where].filter(Boolean).join('; ') || undefined);
        }
        for (const name of numeric ? Object.keys(model.params) : []) {
          const param = model.params[name];
          const original = tf.clone(param);
          try {
            const r = gradCheckSparse(
              (t) => {
                param.assign(t);
                return tf.tidy(() => model.loss(X, y).loss.dataSync()[0]);
              },
              original,
              grads[name],
              3,
              () => rng.int(original.size),
              NUMERIC_STEP,
            );
            const err = relError(r.numeric, r.analytic).norm;
            const zeroOk = zero.has(name) && Math.hypot(...r.numeric) <= NUMERIC_FLOOR;
            if (!(err <= NUMERIC_BOUND) && !zeroOk) throw new CheckFailure(`grads.${name}${of}`, err, NUMERIC_BOUND, 'centred differences');
          } finally {
            param.assign(original);
          }
        }
      });
    } finally {
      tf.dispose([loss, ...Object.values(grads)].filter((t): t is tf.Tensor => t instanceof tf.Tensor));
    }
  } finally {
    model.dispose();
  }
}

export function twoLayerNetLoss(): void {
  const rng = new Rng(SEED);
  const reg = 0.1;
  const net = new TwoLayerNet({ inputDim: 5, hiddenDim: 6, numClasses: 4, weightScale: 0.5, reg, seed: 3 });
  const X = rng.randn([4, 5]);
  const y = labels(rng, 4, 4);
  modelCheck('TwoLayerNet.loss', net as unknown as CheckedModel, X, y, (p) => fcNetLossRef(p, X, y, { numLayers: 2, normalization: 'none', reg }), reg, false);
  tf.dispose([X, y]);
  gradients('TwoLayerNet (reg 0.1)');
}

/**
 * FullyConnectedNet's loss, as the course grows it: plain in FullyConnectedNets, with batchnorm and layernorm in
 * BatchNormalization (checked with those exercises, so that fc_net_loss needs only the plain layers).
 */
export function fcNetLoss(normalization: 'none' | 'batchnorm' | 'layernorm', label?: string): void {
  const rng = new Rng(SEED);
  const reg = 0.1;
  const net = new FullyConnectedNet({ hiddenDims: [8, 7], inputDim: 5, numClasses: 4, weightScale: 1, reg, normalization, seed: 5 });
  const X = rng.randn([8, 5]);
  const y = labels(rng, 8, 4);
  try {
    modelCheck('FullyConnectedNet.loss', net as unknown as CheckedModel, X, y, (p) => fcNetLossRef(p, X, y, { numLayers: 3, normalization, reg }), reg, normalization === 'none', label);
  } finally {
    // Also when a layer's stub throws (onceWritten lets that pass): nothing may leak.
    tf.dispose([X, y]);
  }
}

/**
 * Runs check unless it reaches the stub of another exercise's function (the learner has not written that layer
 * yet): the part of a model's check that needs it waits for it, and the rest of the check still counts.
 */
function onceWritten(own: readonly string[], check: () => void): void {
  try {
    check();
  } catch (err) {
    const stub = err instanceof Error ? STUB_MESSAGE.exec(err.message) : null;
    if (!stub || own.includes(stub[1])) throw err;
  }
}

const FC_OWN = ['FullyConnectedNet.loss', 'FullyConnectedNet.forward', 'FullyConnectedNet.backward'];

/**
 * FullyConnectedNet with dropout (the course's Dropout notebook checks the learner's net so): a dropoutSeed makes
 * the net draw its masks, layer by layer, from one fresh Rng(seed) per forward pass; the same draws give the twin
 * the same masks. Dropout left out of either pass moves the loss or the gradients.
 */
export function fcNetDropoutLoss(): void {
  const keep = 0.75;
  const seed = 9;
  const hiddenDims = [8, 7];
  const rng = new Rng(SEED);
  const reg = 0.1;
  const X = rng.randn([8, 5]);
  const y = labels(rng, 8, 4);
  const masks: tf.Tensor[] = [];
  try {
    for (const h of hiddenDims) {
      masks.push(tf.tidy(() => {
        const { out, cache } = dropoutForward(tf.zeros([8, h]), { mode: 'train', p: keep, seed });
        out.dispose();
        return cache.mode === 'train' ? cache.mask : tf.ones([8, h]);
      }));
    }
    // modelCheck disposes the net.
    const net = new FullyConnectedNet({ hiddenDims, inputDim: 5, numClasses: 4, weightScale: 1, reg, seed: 5, dropoutKeepRatio: keep, dropoutSeed: seed });
    modelCheck('FullyConnectedNet.loss', net as unknown as CheckedModel, X, y, (p) => fcNetLossRef(p, X, y, { numLayers: 3, normalization: 'none', reg, dropoutMasks: masks }), reg, false, `dropout keep ${keep}`);
  } finally {
    tf.dispose([X, y, ...masks]);
  }
}

/**
 * fc_net_loss: the plain net, then, once the learner's dropout, batchnorm and layernorm layers are written, the net
 * with each of them, and with batchnorm in test mode: the layers' own exercises run the library's net, so the
 * learner's wiring of them is checked here.
 */
export function fcNetLossChecks(): void {
  fcNetLoss('none');
  onceWritten(FC_OWN, fcNetDropoutLoss);
  onceWritten(FC_OWN, () => fcNetLoss('batchnorm', 'batchnorm'));
  onceWritten(FC_OWN, () => fcNetLoss('layernorm', 'layernorm'));
  onceWritten(FC_OWN, fcNetTestMode);
}

/** A net with batchnorm: loss(X, y) trains (and moves the running statistics), loss(X) scores in test mode. */
interface BatchnormNet {
  loss(X: tf.Tensor, y?: tf.Tensor1D): unknown;
  dispose(): void;
}

/**
 * A net with batchnorm in test mode (loss(X) without y): after a training step, each row's scores come from the
 * running statistics, so they are the same whether the row is scored with the rest of the batch or alone. Disposes
 * net, X and y.
 */
function testModeRowCheck(net: BatchnormNet, X: tf.Tensor, y: tf.Tensor1D): void {
  try {
    tf.tidy(() => {
      const trained = net.loss(X, y) as { loss: tf.Tensor; grads: Record<string, tf.Tensor> };
      tf.dispose([trained.loss, ...Object.values(trained.grads)]);
      const all = (net.loss(X) as tf.Tensor2D).arraySync()[0];
      const first = tf.slice(X, X.shape.map(() => 0), [1, ...X.shape.slice(1)]);
      const alone = (net.loss(first) as tf.Tensor2D).arraySync()[0];
      const diff = Math.hypot(...all.map((v, i) => v - alone[i])) / Math.max(Math.hypot(...all), 1e-12);
      if (!(diff <= 1e-4)) {
        const show = (r: number[]) => `[${r.map((v) => v.toFixed(4)).join(', ')}]`;
        throw new CheckProblem(
          `scores (test mode, batchnorm): row 0 scores ${show(all)} in a batch of 3 but ${show(alone)} alone: ` +
            "test mode (loss(X) without y) must normalise with bnParam's running statistics, not the batch's",
        );
      }
    });
  } finally {
    net.dispose();
    tf.dispose([X, y]);
  }
}

/** The convnet with batchnorm in test mode (testModeRowCheck). */
export function threeLayerConvNetTestMode(): void {
  const rng = new Rng(SEED + 2);
  const net = new ThreeLayerConvNet({ inputDim: [4, 4, 2], numFilters: 3, filterSize: 3, hiddenDim: 5, numClasses: 4, weightScale: 0.3, batchnorm: true, seed: 12 });
  testModeRowCheck(net, rng.randn([3, 4, 4, 2]), labels(rng, 3, 4));
}

/** The fc net with batchnorm in test mode (testModeRowCheck): its forward pass must hand the mode to each bnParam. */
export function fcNetTestMode(): void {
  const rng = new Rng(SEED + 2);
  const net = new FullyConnectedNet({ hiddenDims: [8, 7], inputDim: 5, numClasses: 4, weightScale: 1, normalization: 'batchnorm', seed: 5 });
  testModeRowCheck(net, rng.randn([3, 5]), labels(rng, 3, 4));
}

export function threeLayerConvNetLoss(): void {
  const rng = new Rng(SEED);
  const reg = 0.1;
  const net = new ThreeLayerConvNet({ inputDim: [4, 4, 2], numFilters: 3, filterSize: 3, hiddenDim: 5, numClasses: 4, weightScale: 0.3, reg, seed: 12 });
  const X = rng.randn([2, 4, 4, 2]);
  const y = labels(rng, 2, 4);
  modelCheck('ThreeLayerConvNet.loss', net as unknown as CheckedModel, X, y, (p) => threeLayerConvNetLossRef(p, X as tf.Tensor4D, y, { reg, batchnorm: false }), reg, false);
  tf.dispose([X, y]);
  gradients('ThreeLayerConvNet (no batchnorm, reg 0.1)');
  onceWritten(['ThreeLayerConvNet.loss', 'ThreeLayerConvNet.forward', 'ThreeLayerConvNet.backward'], threeLayerConvNetTestMode);
}
