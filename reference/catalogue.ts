/**
 * The catalogue of gradient checks: every layer and every model of the project, each on small seeded inputs, with
 * every gradient its hand-written backward pass returns checked two ways.
 *
 *   relErrAutodiff  hand-written vs tf.grads of the autodiff twin (reference/layers_*.ts, reference/models.ts);
 *                   the same float32 maths in a different order, so they agree to ~1e-7 and must to AUTODIFF_BOUND.
 *   relErrNumeric   hand-written vs centred differences (src/gradcheck.ts, step NUMERIC_STEP) of the hand-written
 *                   forward pass itself, as the course's notebooks check: must agree to NUMERIC_BOUND.
 *
 * Both errors are norm-wise, ||a - b|| / max(||a||, ||b||); the element-wise maxima are reported beside them for
 * reading. A layer's check differentiates sum(out * dout) for a random dout (the course's
 * eval_numerical_gradient_array), a loss's and a model's the loss itself. Layers are checked on every entry;
 * models on up to NUMERIC_SAMPLES distinct random entries per parameter (the course's grad_check_sparse; all of a
 * smaller parameter), since each entry costs two forward passes of the whole model.
 *
 * Kinks. relu, max pooling and the SVM hinge are not differentiable everywhere: a centred difference whose two
 * points lie on either side of a kink measures neither one-sided slope, whatever the step. Rather than loosen the
 * bound, every check whose function has kinks records where each one sits (which relu inputs are positive, which
 * entry of each pooling window is the maximum, which SVM margins are positive) at the point of the check and at
 * every numerically perturbed point. If any perturbed point lies in a different piece, a layer's inputs are
 * redrawn from the case's generator and the check starts again (`redraws` counts how often); a model's entry is
 * passed over for another random entry (`kinkSkips`), and the model is redrawn only when half its wanted entries
 * cross. So the numeric check only ever compares gradients inside one smooth piece.
 *
 * Gradients that are zero in exact arithmetic (the bias of a layer followed by batchnorm: batchnorm removes any
 * constant shift) are float32 rounding noise on every side. crosscheck.ts's ABS_FLOOR covers the autodiff
 * comparison; the numeric one gets NUMERIC_FLOOR, below which a centred difference cannot be told from zero.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../src/random';
import { NUMERIC_BOUND, NUMERIC_STEP, AUTODIFF_BOUND, gradCheckSparse, numericGradientArray, relError } from '../src/gradcheck';
import { ABS_FLOOR, autodiffGrads } from './crosscheck';
import { Model } from '../src/model';
import { affineForward, affineBackward } from '../src/layers/affine';
import { reluForward, reluBackward } from '../src/layers/relu';
import { softmaxLoss } from '../src/layers/softmax_loss';
import { svmLoss } from '../src/layers/svm_loss';
import { BnParam, batchnormForward, batchnormBackward, batchnormBackwardAlt } from '../src/layers/batchnorm';
import { layernormForward, layernormBackward } from '../src/layers/layernorm';
import { dropoutForward, dropoutBackward } from '../src/layers/dropout';
import { ConvParam, convForwardNaive, convBackwardNaive } from '../src/layers/conv_naive';
import { convForwardFast, convBackwardFast } from '../src/layers/conv_fast';
import { PoolCache, PoolParam, maxPoolForwardNaive, maxPoolBackwardNaive } from '../src/layers/pool_naive';
import { maxPoolForwardFast, maxPoolBackwardFast } from '../src/layers/pool_fast';
import { spatialBatchnormForward, spatialBatchnormBackward } from '../src/layers/spatial_batchnorm';
import { spatialGroupnormForward, spatialGroupnormBackward } from '../src/layers/spatial_groupnorm';
import {
  affineReluForward,
  affineReluBackward,
  convReluForward,
  convReluBackward,
  convBnReluForward,
  convBnReluBackward,
  convReluPoolForward,
  convReluPoolBackward,
} from '../src/layers/sandwich';
import { TwoLayerNet } from '../src/classifiers/two_layer_net';
import { FullyConnectedNet, Normalization } from '../src/classifiers/fc_net';
import { ThreeLayerConvNet } from '../src/classifiers/cnn';
import { affineRef, reluRef, softmaxLossRef, svmLossRef, batchnormRef, layernormRef, dropoutRef } from './layers_dense';
import {
  convRef,
  maxPoolRef,
  spatialBatchnormRef,
  spatialGroupnormRef,
  affineReluRef,
  convReluRef,
  convBnReluRef,
  convReluPoolRef,
} from './layers_conv';
import { fcNetLossRef, threeLayerConvNetLossRef } from './models';

/**
 * Below this norm a numeric gradient cannot be told from zero. A centred difference of a float32 function f
 * carries a rounding error of about eps32 * |f| / h per entry (src/gradcheck.ts): with |f| ~ 10 and h = 1e-2
 * that is ~6e-5, and ~2e-4 over a dozen entries. Real gradients in the catalogue are of order 1e-2 and above.
 * Used only where the gradient is zero in exact arithmetic (both autodiff and hand-written below ABS_FLOOR).
 */
export const NUMERIC_FLOOR = 1e-3;
/** Entries checked numerically per model parameter (grad_check_sparse); all entries of a smaller parameter. */
export const NUMERIC_SAMPLES = 10;
/** How often a case's inputs may be redrawn because a numeric step crossed a kink, before the case fails. */
export const MAX_REDRAWS = 20;

/** One gradient of one layer or model, checked both ways. */
export interface GradRow {
  /** The layer or model, with the variant checked ('conv fast (stride 2, pad 1)'). */
  layer: string;
  /** The gradient: 'dx', 'dw', ... for layers, 'dscores' for losses, the parameter name ('W1') for models. */
  param: string;
  shape: number[];
  /** Norm-wise relative error, hand-written vs autodiff. */
  relErrAutodiff: number;
  /** Largest element-wise relative error, hand-written vs autodiff (for reading, not for passing). */
  maxElemAutodiff: number;
  /** Norm-wise relative error, hand-written vs centred differences. */
  relErrNumeric: number;
  /** Largest element-wise relative error, hand-written vs centred differences, over the entries checked. */
  maxElemNumeric: number;
  /** Entries compared with centred differences: all of a layer input, up to NUMERIC_SAMPLES of a model parameter. */
  numericEntries: number;
  /** The gradient is zero in exact arithmetic: hand-written and autodiff both below ABS_FLOOR. */
  zeroGradient: boolean;
  /** How often the inputs were redrawn because a numeric step crossed a kink. */
  redraws: number;
  /** Model parameters checked on random entries: entries passed over because their step crossed a kink. */
  kinkSkips?: number;
  pass: boolean;
  /** Set when the check itself threw: the message. */
  error?: string;
}

/** A named check. `run` draws its inputs from rng, checks every gradient and returns one row per gradient. */
export interface CatalogueCase {
  layer: string;
  run: (rng: Rng) => GradRow[];
}

/** Thrown inside a check when a numerically perturbed point lies in a different smooth piece: redraw the inputs. */
class KinkCrossed extends Error {}

/**
 * Compares a kink signature taken at a perturbed point with the one at the point of the check, and throws
 * KinkCrossed on a difference. Signatures are strings such as '0110' (which relu inputs are positive).
 */
function guardKinks(base: string | undefined, now: string | undefined): void {
  if (base !== now) throw new KinkCrossed();
}

/** Which entries of t are positive, as a string of 0s and 1s: the side of each relu kink. */
function positivePattern(t: tf.Tensor): string {
  return Array.from(t.dataSync(), (v) => (v > 0 ? '1' : '0')).join('');
}

/**
 * Which entry of each pooling window is its maximum: the naive backward pass sends a gradient of ones to
 * exactly those entries, so its pattern of nonzero entries names them.
 */
function argmaxPattern(cache: PoolCache): string {
  return tf.tidy(() => {
    const ones = tf.onesLike(cache.out) as tf.Tensor4D;
    return positivePattern(maxPoolBackwardNaive(ones, cache).dx);
  });
}

/** Which SVM margins s_j - s_y + 1 (j != y) are positive: the side of each hinge. */
function marginPattern(scores: tf.Tensor, y: tf.Tensor): string {
  const [n, c] = scores.shape;
  const s = scores.dataSync();
  const labels = y.dataSync();
  let out = '';
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < c; j++) if (j !== labels[i]) out += s[i * c + j] - s[i * c + labels[i]] + 1 > 0 ? '1' : '0';
  }
  return out;
}

/** Euclidean norm, accumulated in float64. */
function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/** A row's pass rule, shared by layers and models (see the file comment). */
function makeRow(
  layer: string,
  param: string,
  hand: tf.Tensor,
  auto: tf.Tensor,
  numeric: ArrayLike<number>,
  analyticAtNumeric: ArrayLike<number>,
  redraws: number,
): GradRow {
  if (hand.size !== auto.size) throw new Error(`${layer} ${param}: hand-written gradient [${hand.shape}] vs autodiff [${auto.shape}]`);
  const a = relError(hand, auto);
  const n = relError(Array.from(numeric), Array.from(analyticAtNumeric));
  const handNorm = norm(hand.dataSync());
  const autoNorm = norm(auto.dataSync());
  const numericNorm = norm(numeric);
  const zeroGradient = handNorm <= ABS_FLOOR && autoNorm <= ABS_FLOOR;
  const autodiffOk = a.norm <= AUTODIFF_BOUND || zeroGradient;
  const numericOk = n.norm <= NUMERIC_BOUND || (zeroGradient && numericNorm <= NUMERIC_FLOOR);
  return {
    layer,
    param,
    shape: hand.shape,
    relErrAutodiff: a.norm,
    maxElemAutodiff: a.maxElementwise,
    relErrNumeric: n.norm,
    maxElemNumeric: n.maxElementwise,
    numericEntries: numeric.length,
    zeroGradient,
    redraws,
    pass: autodiffOk && numericOk,
  };
}

/** A row for a check that threw: it fails, and says why. */
function errorRow(layer: string, err: unknown): GradRow {
  return {
    layer,
    param: '(error)',
    shape: [],
    relErrAutodiff: NaN,
    maxElemAutodiff: NaN,
    relErrNumeric: NaN,
    maxElemNumeric: NaN,
    numericEntries: 0,
    zeroGradient: false,
    redraws: 0,
    pass: false,
    error: err instanceof Error ? err.message : String(err),
  };
}

/**
 * Runs a check, redrawing its inputs while a numeric step crosses a kink. draw(rng, redraws) builds inputs and
 * checks them; it throws KinkCrossed to ask for new ones.
 */
function withRedraws(layer: string, rng: Rng, draw: (rng: Rng, redraws: number) => GradRow[]): GradRow[] {
  for (let redraws = 0; redraws <= MAX_REDRAWS; redraws++) {
    try {
      // Everything a draw creates (inputs, upstream gradients, masks) is freed with this scope, thrown or not.
      let rows: GradRow[] = [];
      tf.tidy(() => {
        rows = draw(rng, redraws);
      });
      return rows;
    } catch (err) {
      if (!(err instanceof KinkCrossed)) return [errorRow(layer, err)];
    }
  }
  return [errorRow(layer, `every one of ${MAX_REDRAWS + 1} draws put a kink within a numeric step`)];
}

// ---------------------------------------------------------------------------------------------------------------
// Layers

/**
 * One layer's check. inputs: every differentiated input by name ('x', 'w', ...); its gradient is 'd' + name.
 * forward: the hand-written forward pass, returning its output and whatever the backward pass needs.
 * backward: the hand-written backward pass, returning one gradient per input, keyed 'dx', 'dw', ...
 * twin: the autodiff twin's forward. signature: where the kinks sit, for functions that have them.
 * dout: the upstream gradient; omitted for a loss, whose forward returns the scalar loss itself.
 */
export interface LayerSpec<C> {
  inputs: Record<string, tf.Tensor>;
  forward: (inputs: Record<string, tf.Tensor>) => { out: tf.Tensor; cache: C };
  /** Returns an object of gradients ({ dx, dw, db } or a layer's own gradient type), read by key. */
  backward: (dout: tf.Tensor | undefined, cache: C) => object;
  twin: (inputs: Record<string, tf.Tensor>) => tf.Tensor;
  signature?: (cache: C, inputs: Record<string, tf.Tensor>) => string;
  dout?: tf.Tensor;
}

/**
 * Checks one layer: hand-written backward vs autodiff twin, and vs centred differences of the hand-written forward
 * on every entry of every input. Runs inside withRedraws's tf.tidy, which frees every tensor made here.
 */
function checkLayer<C>(layer: string, spec: LayerSpec<C>, redraws: number): GradRow[] {
  const { inputs, dout } = spec;
  const fwd = spec.forward(inputs);
  const base = spec.signature?.(fwd.cache, inputs);
  const handByD = spec.backward(dout, fwd.cache) as Record<string, tf.Tensor>;
  const auto = autodiffGrads(spec.twin, inputs, dout);
  const rows: GradRow[] = [];
  for (const name of Object.keys(inputs)) {
    const hand = handByD[`d${name}`];
    if (!hand) throw new Error(`${layer}: the backward pass returned no d${name}`);
    const numeric = numericGradientArray(
      (t) => {
        const moved = { ...inputs, [name]: t };
        const r = spec.forward(moved);
        if (spec.signature) guardKinks(base, spec.signature(r.cache, moved));
        return r.out;
      },
      inputs[name],
      dout,
      NUMERIC_STEP,
    );
    rows.push(makeRow(layer, `d${name}`, hand, auto[name], numeric, hand.dataSync(), redraws));
  }
  for (const key of Object.keys(handByD)) {
    if (!(key.slice(1) in inputs)) throw new Error(`${layer}: the backward pass returned ${key}, which no check covers`);
  }
  return rows;
}

/** A batchnorm param object in train mode whose running statistics are thrown away after one forward pass. */
function throwawayBn<T>(f: (bnParam: BnParam) => T): T {
  const bnParam: BnParam = { mode: 'train' };
  const out = f(bnParam);
  tf.dispose([bnParam.runningMean as tf.Tensor, bnParam.runningVar as tf.Tensor].filter((t) => t !== undefined));
  return out;
}

/**
 * A layer case: draw(rng) builds the spec from seeded inputs; kinked specs are redrawn as needed. Exported so that
 * the spec can check the harness itself on a deliberately wrong layer.
 */
export function layerCase<C>(layer: string, draw: (rng: Rng) => LayerSpec<C>): CatalogueCase {
  return { layer, run: (rng) => withRedraws(layer, rng, (r, redraws) => checkLayer(layer, draw(r), redraws)) };
}

/** y: n labels in 0..c-1. */
function labels(rng: Rng, n: number, c: number): tf.Tensor1D {
  return tf.tensor1d(Array.from({ length: n }, () => rng.int(c)), 'int32');
}

function convCase(name: string, fast: boolean, convParam: ConvParam): CatalogueCase {
  const forward = fast ? convForwardFast : convForwardNaive;
  const backward = fast ? convBackwardFast : convBackwardNaive;
  return layerCase(name, (rng) => {
    const [N, H, W, C, F, HH] = [2, 5, 5, 3, 2, 3];
    const Hout = 1 + (H + 2 * convParam.pad - HH) / convParam.stride;
    return {
      inputs: { x: rng.randn([N, H, W, C]), w: rng.randn([HH, HH, C, F]), b: rng.randn([F]) },
      dout: rng.randn([N, Hout, Hout, F]),
      forward: (i) => forward(i.x as tf.Tensor4D, i.w as tf.Tensor4D, i.b as tf.Tensor1D, convParam),
      backward: (d, cache) => backward(d as tf.Tensor4D, cache),
      twin: (i) => convRef(i.x, i.w, i.b, convParam),
    };
  });
}

function poolCase(name: string, fast: boolean, poolParam: PoolParam, shape: [number, number, number, number]): CatalogueCase {
  const forward = fast ? maxPoolForwardFast : maxPoolForwardNaive;
  const backward = fast ? maxPoolBackwardFast : maxPoolBackwardNaive;
  return layerCase(name, (rng) => {
    const [N, H, W, C] = shape;
    const Hout = 1 + (H - poolParam.poolHeight) / poolParam.stride;
    const Wout = 1 + (W - poolParam.poolWidth) / poolParam.stride;
    return {
      inputs: { x: rng.randn(shape) },
      dout: rng.randn([N, Hout, Wout, C]),
      forward: (i) => forward(i.x as tf.Tensor4D, poolParam),
      backward: (d, cache) => backward(d as tf.Tensor4D, cache),
      twin: (i) => maxPoolRef(i.x, poolParam),
      signature: (cache) => argmaxPattern(cache),
    };
  });
}

function groupnormCase(G: number): CatalogueCase {
  return layerCase(`spatial groupnorm (G=${G})`, (rng) => {
    const shape = [2, 3, 3, 4];
    return {
      inputs: { x: rng.randn(shape, 2), gamma: rng.randn([4]), beta: rng.randn([4]) },
      dout: rng.randn(shape),
      forward: (i) => spatialGroupnormForward(i.x as tf.Tensor4D, i.gamma as tf.Tensor1D, i.beta as tf.Tensor1D, G),
      backward: (d, cache) => spatialGroupnormBackward(d as tf.Tensor4D, cache),
      twin: (i) => spatialGroupnormRef(i.x, i.gamma, i.beta, G),
    };
  });
}

function batchnormCase(name: string, alt: boolean): CatalogueCase {
  const backward = alt ? batchnormBackwardAlt : batchnormBackward;
  return layerCase(name, (rng) => ({
    // Features with different means and scales, as a hidden layer's would have.
    inputs: { x: tf.add(rng.randn([4, 5], 2), rng.randn([5], 3)), gamma: rng.randn([5]), beta: rng.randn([5]) },
    dout: rng.randn([4, 5]),
    forward: (i) => throwawayBn((bn) => batchnormForward(i.x as tf.Tensor2D, i.gamma as tf.Tensor1D, i.beta as tf.Tensor1D, bn)),
    backward: (d, cache) => backward(d as tf.Tensor2D, cache),
    twin: (i) => batchnormRef(i.x, i.gamma, i.beta),
  }));
}

const CONV_SAME: ConvParam = { stride: 1, pad: 1 };
const POOL_2X2: PoolParam = { poolHeight: 2, poolWidth: 2, stride: 2 };

const LAYER_CASES: CatalogueCase[] = [
  layerCase('affine', (rng) => ({
    inputs: { x: rng.randn([3, 2, 3]), w: rng.randn([6, 4]), b: rng.randn([4]) },
    dout: rng.randn([3, 4]),
    forward: (i) => affineForward(i.x, i.w as tf.Tensor2D, i.b as tf.Tensor1D),
    backward: (d, cache) => affineBackward(d as tf.Tensor2D, cache),
    twin: (i) => affineRef(i.x, i.w, i.b),
  })),
  layerCase('relu', (rng) => ({
    inputs: { x: rng.randn([4, 5]) },
    dout: rng.randn([4, 5]),
    forward: (i) => reluForward(i.x),
    backward: (d, cache) => reluBackward(d as tf.Tensor, cache),
    twin: (i) => reluRef(i.x),
    signature: (cache) => positivePattern(cache.x),
  })),
  layerCase('softmax loss', (rng) => {
    const y = labels(rng, 5, 4);
    return {
      inputs: { scores: rng.randn([5, 4], 2) },
      forward: (i) => {
        const r = softmaxLoss(i.scores as tf.Tensor2D, y);
        return { out: r.loss, cache: r.dscores };
      },
      backward: (_d, dscores) => ({ dscores }),
      twin: (i) => softmaxLossRef(i.scores, y),
    };
  }),
  layerCase('svm loss', (rng) => {
    const y = labels(rng, 5, 4);
    return {
      inputs: { scores: rng.randn([5, 4], 2) },
      forward: (i) => {
        const r = svmLoss(i.scores as tf.Tensor2D, y);
        return { out: r.loss, cache: r.dscores };
      },
      backward: (_d, dscores) => ({ dscores }),
      twin: (i) => svmLossRef(i.scores, y),
      signature: (_cache, i) => marginPattern(i.scores, y),
    };
  }),
  batchnormCase('batchnorm (graph backward)', false),
  batchnormCase('batchnorm (alt backward)', true),
  layerCase('layernorm', (rng) => ({
    inputs: { x: tf.add(rng.randn([4, 5], 2), rng.randn([4, 1], 3)), gamma: rng.randn([5]), beta: rng.randn([5]) },
    dout: rng.randn([4, 5]),
    forward: (i) => layernormForward(i.x as tf.Tensor2D, i.gamma as tf.Tensor1D, i.beta as tf.Tensor1D),
    backward: (d, cache) => layernormBackward(d as tf.Tensor2D, cache),
    twin: (i) => layernormRef(i.x, i.gamma, i.beta),
  })),
  layerCase('dropout (fixed seed, keep 0.6)', (rng) => {
    const dropoutParam = { mode: 'train' as const, p: 0.6, seed: rng.int(2 ** 31) };
    const x = rng.randn([4, 5]);
    // The twin multiplies by the mask the layer drew; a fixed seed draws the same mask on every forward pass.
    const { cache } = dropoutForward(x, dropoutParam);
    if (cache.mode !== 'train') throw new Error('dropout: expected a train-mode cache');
    return {
      inputs: { x },
      dout: rng.randn([4, 5]),
      forward: (i) => dropoutForward(i.x, dropoutParam),
      backward: (d, c) => dropoutBackward(d as tf.Tensor, c),
      twin: (i) => dropoutRef(i.x, cache.mask),
    };
  }),
  convCase('conv naive (stride 1, pad 1)', false, CONV_SAME),
  convCase('conv fast (stride 1, pad 1)', true, CONV_SAME),
  convCase('conv fast (stride 2, pad 0)', true, { stride: 2, pad: 0 }),
  convCase('conv fast (stride 2, pad 1)', true, { stride: 2, pad: 1 }),
  poolCase('max pool naive (2x2, stride 2)', false, POOL_2X2, [2, 4, 4, 2]),
  poolCase('max pool fast (2x2, stride 2)', true, POOL_2X2, [2, 4, 4, 2]),
  poolCase('max pool fast (3x3, stride 2)', true, { poolHeight: 3, poolWidth: 3, stride: 2 }, [2, 5, 5, 2]),
  layerCase('spatial batchnorm', (rng) => ({
    inputs: { x: tf.add(rng.randn([2, 3, 3, 3], 2), rng.randn([3], 3)), gamma: rng.randn([3]), beta: rng.randn([3]) },
    dout: rng.randn([2, 3, 3, 3]),
    forward: (i) => throwawayBn((bn) => spatialBatchnormForward(i.x as tf.Tensor4D, i.gamma as tf.Tensor1D, i.beta as tf.Tensor1D, bn)),
    backward: (d, cache) => spatialBatchnormBackward(d as tf.Tensor4D, cache),
    twin: (i) => spatialBatchnormRef(i.x, i.gamma, i.beta),
  })),
  groupnormCase(1),
  groupnormCase(2),
  groupnormCase(4),
  layerCase('affine-relu', (rng) => ({
    inputs: { x: rng.randn([3, 5]), w: rng.randn([5, 4]), b: rng.randn([4]) },
    dout: rng.randn([3, 4]),
    forward: (i) => affineReluForward(i.x, i.w as tf.Tensor2D, i.b as tf.Tensor1D),
    backward: (d, cache) => affineReluBackward(d as tf.Tensor2D, cache),
    twin: (i) => affineReluRef(i.x, i.w, i.b),
    signature: (cache) => positivePattern(cache.relu.x),
  })),
  layerCase('conv-relu', (rng) => ({
    inputs: { x: rng.randn([2, 4, 4, 2]), w: rng.randn([3, 3, 2, 3]), b: rng.randn([3]) },
    dout: rng.randn([2, 4, 4, 3]),
    forward: (i) => convReluForward(i.x as tf.Tensor4D, i.w as tf.Tensor4D, i.b as tf.Tensor1D, CONV_SAME),
    backward: (d, cache) => convReluBackward(d as tf.Tensor4D, cache),
    twin: (i) => convReluRef(i.x, i.w, i.b, CONV_SAME),
    signature: (cache) => positivePattern(cache.relu.x),
  })),
  layerCase('conv-bn-relu', (rng) => ({
    inputs: { x: rng.randn([2, 4, 4, 2]), w: rng.randn([3, 3, 2, 3]), b: rng.randn([3]), gamma: rng.randn([3]), beta: rng.randn([3]) },
    dout: rng.randn([2, 4, 4, 3]),
    forward: (i) =>
      throwawayBn((bn) =>
        convBnReluForward(i.x as tf.Tensor4D, i.w as tf.Tensor4D, i.b as tf.Tensor1D, i.gamma as tf.Tensor1D, i.beta as tf.Tensor1D, CONV_SAME, bn),
      ),
    backward: (d, cache) => convBnReluBackward(d as tf.Tensor4D, cache),
    twin: (i) => convBnReluRef(i.x, i.w, i.b, i.gamma, i.beta, CONV_SAME),
    signature: (cache) => positivePattern(cache.relu.x),
  })),
  layerCase('conv-relu-pool', (rng) => ({
    inputs: { x: rng.randn([2, 4, 4, 2]), w: rng.randn([3, 3, 2, 3]), b: rng.randn([3]) },
    dout: rng.randn([2, 2, 2, 3]),
    forward: (i) => convReluPoolForward(i.x as tf.Tensor4D, i.w as tf.Tensor4D, i.b as tf.Tensor1D, CONV_SAME, POOL_2X2),
    backward: (d, cache) => convReluPoolBackward(d as tf.Tensor4D, cache),
    twin: (i) => convReluPoolRef(i.x, i.w, i.b, CONV_SAME, POOL_2X2),
    signature: (cache) => positivePattern(cache.relu.x) + argmaxPattern(cache.pool),
  })),
];

// ---------------------------------------------------------------------------------------------------------------
// Models

/**
 * One model's check. model: a freshly built model (disposed by the check). X, y: a small batch.
 * twin: the model's loss as an autodiff twin of its parameters. signature: where the model's kinks sit at the
 * current parameters (computed with the model's own layers, see the model cases).
 */
interface ModelSpec {
  model: Model & { dispose(): void };
  X: tf.Tensor;
  y: tf.Tensor1D;
  twin: (params: Record<string, tf.Tensor>) => tf.Scalar;
  signature?: () => string;
}

/**
 * grad_check_sparse with kinks stepped around: centred differences, each by gradCheckSparse, at distinct entries
 * of x taken in random order until NUMERIC_SAMPLES of them (or all of x, if smaller) are compared. An entry whose
 * step crosses a kink (f throws KinkCrossed) is passed over for the next one: among a model's many relu inputs
 * some step often moves one across zero, and redrawing the whole model for each would be wasteful. If fewer than
 * half the wanted entries are smooth, the inputs sit too close to kinks and the model is redrawn.
 * Returns the numeric and analytic values compared, and how many entries were passed over.
 */
function sparseNumeric(
  f: (x: tf.Tensor) => number,
  x: tf.Tensor,
  analytic: tf.Tensor,
  rng: Rng,
): { numeric: number[]; analytic: number[]; kinkSkips: number } {
  const wanted = Math.min(NUMERIC_SAMPLES, x.size);
  const order = rng.permutation(x.size);
  const numeric: number[] = [];
  const picked: number[] = [];
  let kinkSkips = 0;
  for (let k = 0; k < order.length && numeric.length < wanted; k++) {
    try {
      const r = gradCheckSparse(f, x, analytic, 1, () => order[k], NUMERIC_STEP);
      numeric.push(r.numeric[0]);
      picked.push(r.analytic[0]);
    } catch (err) {
      if (!(err instanceof KinkCrossed)) throw err;
      kinkSkips++;
    }
  }
  if (numeric.length < Math.ceil(wanted / 2)) throw new KinkCrossed();
  return { numeric, analytic: picked, kinkSkips };
}

/**
 * Checks one model: its loss's hand-written gradients vs tf.grads of the twin, and vs centred differences of the
 * model's own loss at up to NUMERIC_SAMPLES random entries per parameter (sparseNumeric). Each perturbed
 * evaluation writes the parameter with Variable.assign; the original value is restored afterwards.
 */
function checkModel(layer: string, spec: ModelSpec, pickRng: Rng, redraws: number): GradRow[] {
  const { model, X, y } = spec;
  try {
    const { grads } = model.loss(X, y);
    const base = spec.signature?.();
    const auto = autodiffGrads((p) => spec.twin(p), model.params);
    const lossAt = (name: string, value: tf.Tensor): number => {
      model.params[name].assign(value);
      if (spec.signature) guardKinks(base, spec.signature());
      return model.loss(X, y).loss.dataSync()[0];
    };
    const rows: GradRow[] = [];
    for (const name of Object.keys(model.params)) {
      const param = model.params[name];
      const original = tf.clone(param);
      const hand = grads[name];
      if (!hand) throw new Error(`${layer}: loss returned no gradient for ${name}`);
      let numeric: ReturnType<typeof sparseNumeric>;
      try {
        numeric = sparseNumeric((t) => lossAt(name, t), original, hand, pickRng);
      } finally {
        param.assign(original);
      }
      rows.push({ ...makeRow(layer, name, hand, auto[name], numeric.numeric, numeric.analytic, redraws), kinkSkips: numeric.kinkSkips });
    }
    for (const key of Object.keys(grads)) {
      if (!(key in model.params)) throw new Error(`${layer}: loss returned a gradient for ${key}, which is no parameter`);
    }
    return rows;
  } finally {
    // Variables outlive tf.tidy: the model frees its own, and its batchnorm running statistics.
    model.dispose();
  }
}

function modelCase(layer: string, draw: (rng: Rng) => ModelSpec): CatalogueCase {
  return { layer, run: (rng) => withRedraws(layer, rng, (r, redraws) => checkModel(layer, draw(r), r, redraws)) };
}

/**
 * Where the relu kinks of a fully connected net sit: the sign of every hidden pre-activation, recomputed with the
 * hand-written layers from the net's current parameters. Dropout scales what the next layer sees, so it is
 * applied with the net's fixed masks (its dropoutSeed) exactly as the net applies it.
 */
function fcSignature(net: Pick<FullyConnectedNet, 'params' | 'numLayers'> & { options: Pick<FullyConnectedNet['options'], 'normalization' | 'dropoutKeepRatio' | 'dropoutSeed'> }, X: tf.Tensor): string {
  return tf.tidy(() => {
    let h: tf.Tensor = X;
    let sig = '';
    for (let i = 1; i < net.numLayers; i++) {
      const p = net.params;
      h = affineForward(h, p[`W${i}`] as tf.Tensor2D, p[`b${i}`] as tf.Tensor1D).out;
      if (net.options.normalization === 'batchnorm') {
        h = throwawayBn((bn) => batchnormForward(h as tf.Tensor2D, p[`gamma${i}`] as tf.Tensor1D, p[`beta${i}`] as tf.Tensor1D, bn)).out;
      } else if (net.options.normalization === 'layernorm') {
        h = layernormForward(h as tf.Tensor2D, p[`gamma${i}`] as tf.Tensor1D, p[`beta${i}`] as tf.Tensor1D).out;
      }
      sig += positivePattern(h);
      h = tf.relu(h);
      const keep = net.options.dropoutKeepRatio;
      if (keep < 1) h = dropoutForward(h, { mode: 'train', p: keep, seed: net.options.dropoutSeed }).out;
    }
    return sig;
  });
}

/** Where the kinks of a ThreeLayerConvNet sit: relu signs after the conv (and batchnorm), pool maxima, hidden relu signs. */
function cnnSignature(net: ThreeLayerConvNet, X: tf.Tensor): string {
  return tf.tidy(() => {
    const p = net.params;
    let h: tf.Tensor = convForwardFast(X as tf.Tensor4D, p.W1 as tf.Tensor4D, p.b1 as tf.Tensor1D, net.convParam).out;
    if (net.options.batchnorm) {
      h = throwawayBn((bn) => spatialBatchnormForward(h as tf.Tensor4D, p.gamma1 as tf.Tensor1D, p.beta1 as tf.Tensor1D, bn)).out;
    }
    const pool = maxPoolForwardNaive(tf.relu(h) as tf.Tensor4D, net.poolParam);
    const hidden = affineForward(pool.out, p.W2 as tf.Tensor2D, p.b2 as tf.Tensor1D).out;
    return positivePattern(h) + argmaxPattern(pool.cache) + positivePattern(hidden);
  });
}

function fcCase(normalization: Normalization): CatalogueCase {
  const keep = 0.75;
  const reg = 0.1;
  return modelCase(`FullyConnectedNet (${normalization}, dropout keep ${keep}, reg ${reg})`, (rng) => {
    const [N, D, C] = [8, 5, 4];
    const net = new FullyConnectedNet({
      hiddenDims: [8, 7],
      inputDim: D,
      numClasses: C,
      normalization,
      reg,
      weightScale: 1,
      dropoutKeepRatio: keep,
      seed: rng.int(2 ** 31),
      dropoutSeed: rng.int(2 ** 31),
    });
    const X = rng.randn([N, D]);
    const y = labels(rng, N, C);
    // The twin needs the masks the net draws: a net with a dropoutSeed draws them, layer by layer, from one fresh
    // Rng(dropoutSeed) per forward pass (fc_net.ts); the same draws give the same masks here.
    const masks = net.options.hiddenDims.map((h) => {
      const { cache } = dropoutForward(tf.zeros([N, h]), { mode: 'train', p: keep, seed: net.options.dropoutSeed });
      return cache.mode === 'train' ? cache.mask : tf.ones([N, h]);
    });
    return {
      model: net,
      X,
      y,
      twin: (p) => fcNetLossRef(p, X, y, { numLayers: net.numLayers, normalization, reg, dropoutMasks: masks }),
      signature: () => fcSignature(net, X),
    };
  });
}

function cnnCase(batchnorm: boolean): CatalogueCase {
  const reg = 0.1;
  return modelCase(`ThreeLayerConvNet (${batchnorm ? 'batchnorm' : 'no batchnorm'}, reg ${reg})`, (rng) => {
    const inputDim: [number, number, number] = [4, 4, 2];
    const N = 2;
    const net = new ThreeLayerConvNet({
      inputDim,
      numFilters: 3,
      filterSize: 3,
      hiddenDim: 5,
      numClasses: 4,
      weightScale: 0.3,
      reg,
      batchnorm,
      seed: rng.int(2 ** 31),
    });
    const X = rng.randn([N, ...inputDim]);
    const y = labels(rng, N, 4);
    return {
      model: net,
      X,
      y,
      twin: (p) => threeLayerConvNetLossRef(p, X as tf.Tensor4D, y, { reg, batchnorm }),
      signature: () => cnnSignature(net, X),
    };
  });
}

const MODEL_CASES: CatalogueCase[] = [
  modelCase('TwoLayerNet (reg 0.1)', (rng) => {
    const [N, D, Hd, C] = [4, 5, 6, 4];
    const reg = 0.1;
    const net = new TwoLayerNet({ inputDim: D, hiddenDim: Hd, numClasses: C, weightScale: 0.5, reg, seed: rng.int(2 ** 31) });
    const X = rng.randn([N, D]);
    const y = labels(rng, N, C);
    return {
      model: net,
      X,
      y,
      twin: (p) => fcNetLossRef(p, X, y, { numLayers: 2, normalization: 'none', reg }),
      signature: () => fcSignature({ params: net.params, numLayers: 2, options: { normalization: 'none', dropoutKeepRatio: 1 } }, X),
    };
  }),
  fcCase('none'),
  fcCase('batchnorm'),
  fcCase('layernorm'),
  cnnCase(false),
  cnnCase(true),
];

/** Every check, layers first, then models. */
export const CATALOGUE: readonly CatalogueCase[] = [...LAYER_CASES, ...MODEL_CASES];

export interface RunOptions {
  /** Seed of the whole run: each case draws from its own generator, forked from Rng(seed) in catalogue order. */
  seed: number;
  /** Keep only the cases for which this returns true (the others still fork their generators, so seeds agree). */
  filter?: (layer: string) => boolean;
  /** Called with each case's rows as soon as they are ready, and the seconds the case took. */
  onCase?: (rows: GradRow[], seconds: number) => void;
}

/** Runs the catalogue (or the filtered part of it) and returns every row. */
export function runCatalogue(options: RunOptions): GradRow[] {
  const master = new Rng(options.seed);
  const all: GradRow[] = [];
  for (const c of CATALOGUE) {
    const rng = master.fork();
    if (options.filter && !options.filter(c.layer)) continue;
    const start = performance.now();
    let rows: GradRow[];
    try {
      rows = c.run(rng);
    } catch (err) {
      rows = [errorRow(c.layer, err)];
    }
    options.onCase?.(rows, (performance.now() - start) / 1000);
    all.push(...rows);
  }
  return all;
}
