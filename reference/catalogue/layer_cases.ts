/**
 * The catalogue's layer cases: every layer, loss and sandwich of src/layers on small seeded inputs, each with its
 * autodiff twin and, where it has kinks, the cache its kink signature is read from (kinks.ts). harness.ts says how
 * a case is checked.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CatalogueCase, labels, layerCase } from './harness';
import { argmaxPattern, cacheKinks, marginPattern, positivePattern } from './kinks';
import { affineForward, affineBackward } from '../../src/layers/affine';
import { reluForward, reluBackward } from '../../src/layers/relu';
import { geluForward, geluBackward } from '../../src/layers/gelu';
import { geluBackwardFast, geluForwardFast } from '../../src/layers/gelu_fast';
import { softmaxLoss } from '../../src/layers/softmax_loss';
import { smoothedSoftmaxLoss } from '../../src/layers/label_smoothing';
import { globalAvgPoolForward, globalAvgPoolBackward } from '../../src/layers/global_avg_pool';
import { residualBlockForward, residualBlockBackward } from '../../src/layers/residual';
import { svmLoss } from '../../src/layers/svm_loss';
import { BnParam, batchnormForward, batchnormBackward, batchnormBackwardAlt } from '../../src/layers/batchnorm';
import { layernormForward, layernormBackward } from '../../src/layers/layernorm';
import { dropoutForward, dropoutBackward } from '../../src/layers/dropout';
import { ConvParam, convForwardNaive, convBackwardNaive } from '../../src/layers/conv_naive';
import { convForwardFast, convBackwardFast } from '../../src/layers/conv_fast';
import { PoolParam, maxPoolForwardNaive, maxPoolBackwardNaive } from '../../src/layers/pool_naive';
import { maxPoolForwardFast, maxPoolBackwardFast } from '../../src/layers/pool_fast';
import { spatialBatchnormForward, spatialBatchnormBackward } from '../../src/layers/spatial_batchnorm';
import { spatialBatchnormBackwardFast, spatialBatchnormForwardFast } from '../../src/layers/spatial_batchnorm_fast';
import { spatialGroupnormForward, spatialGroupnormBackward } from '../../src/layers/spatial_groupnorm';
import {
  affineReluForward,
  affineReluBackward,
  convReluForward,
  convReluBackward,
  convBnReluForward,
  convBnReluBackward,
  convReluPoolForward,
  convReluPoolBackward,
} from '../../src/layers/sandwich';
import { affineRef, geluRef, reluRef, softmaxLossRef, smoothedSoftmaxLossRef, svmLossRef, batchnormRef, layernormRef, dropoutRef } from '../layers_dense';
import {
  convRef,
  maxPoolRef,
  spatialBatchnormRef,
  spatialGroupnormRef,
  affineReluRef,
  convReluRef,
  convBnReluRef,
  convReluPoolRef,
  globalAvgPoolRef,
  residualBlockRef,
} from '../layers_conv';

/** A batchnorm param object in train mode whose running statistics are thrown away after one forward pass. */
function throwawayBn<T>(f: (bnParam: BnParam) => T): T {
  const bnParam: BnParam = { mode: 'train' };
  const out = f(bnParam);
  tf.dispose([bnParam.runningMean as tf.Tensor, bnParam.runningVar as tf.Tensor].filter((t) => t !== undefined));
  return out;
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

/**
 * A loss layer's case: scores [5, 4] and labels; the loss itself is the output, its dscores the one gradient.
 * kinks: where the loss's kinks sit, from the scores and labels (the SVM's hinges).
 */
function lossCase(
  name: string,
  loss: (scores: tf.Tensor2D, y: tf.Tensor1D) => { loss: tf.Scalar; dscores: tf.Tensor2D },
  twin: (scores: tf.Tensor, y: tf.Tensor) => tf.Scalar,
  kinks?: (scores: tf.Tensor, y: tf.Tensor) => string,
): CatalogueCase {
  return layerCase(name, (rng) => {
    const y = labels(rng, 5, 4);
    return {
      inputs: { scores: rng.randn([5, 4], 2) },
      forward: (i) => {
        const r = loss(i.scores as tf.Tensor2D, y);
        return { out: r.loss, cache: r.dscores };
      },
      backward: (_d, dscores) => ({ dscores }),
      twin: (i) => twin(i.scores, y),
      signature: kinks && ((_cache, i) => kinks(i.scores, y)),
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

/**
 * A GELU layer (gelu.ts, or gelu_fast.ts with its slope cached) against the same twin. GELU is smooth everywhere: no
 * kinks to steer the centred differences around.
 */
function geluCase<C>(name: string, forward: (x: tf.Tensor) => { out: tf.Tensor; cache: C }, backward: (dout: tf.Tensor, cache: C) => { dx: tf.Tensor }): CatalogueCase {
  return layerCase(name, (rng) => ({
    inputs: { x: rng.randn([4, 5], 2) },
    dout: rng.randn([4, 5]),
    forward: (i) => forward(i.x),
    backward: (d, cache) => backward(d as tf.Tensor, cache),
    twin: (i) => geluRef(i.x),
  }));
}

/** The fast spatial batchnorm, alone or with its relu fused in, against the same twin (and its relu). */
function spatialBatchnormFastCase(relu: boolean): CatalogueCase {
  return layerCase(relu ? 'spatial batchnorm-relu fast' : 'spatial batchnorm fast', (rng) => ({
    inputs: { x: tf.add(rng.randn([2, 3, 3, 3], 2), rng.randn([3], 3)), gamma: rng.randn([3]), beta: rng.randn([3]) },
    dout: rng.randn([2, 3, 3, 3]),
    forward: (i) => throwawayBn((bn) => spatialBatchnormForwardFast(i.x as tf.Tensor4D, i.gamma as tf.Tensor1D, i.beta as tf.Tensor1D, bn, relu)),
    backward: (d, cache) => spatialBatchnormBackwardFast(d as tf.Tensor4D, cache),
    twin: (i) => (relu ? tf.relu(spatialBatchnormRef(i.x, i.gamma, i.beta)) : spatialBatchnormRef(i.x, i.gamma, i.beta)),
    signature: relu ? (cache) => cacheKinks({ bnRelu: cache }) : undefined,
  }));
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

/**
 * The residual block's case: x [2, 3, 3, 2], two sandwiches of 3x3 filters [3, 3, 2, 2]; skip false checks the
 * same two sandwiches without the addition.
 */
function residualCase(skip: boolean): CatalogueCase {
  return layerCase(`residual block${skip ? '' : ' (no skip)'}`, (rng) => {
    const C = 2;
    const sandwich = () => ({ w: rng.randn([3, 3, C, C]), b: rng.randn([C]), gamma: rng.randn([C]), beta: rng.randn([C]) });
    const [a, b] = [sandwich(), sandwich()];
    return {
      inputs: { x: rng.randn([2, 3, 3, C]), w1: a.w, b1: a.b, gamma1: a.gamma, beta1: a.beta, w2: b.w, b2: b.b, gamma2: b.gamma, beta2: b.beta },
      dout: rng.randn([2, 3, 3, C]),
      forward: (i) => {
        const first = { w: i.w1 as tf.Tensor4D, b: i.b1 as tf.Tensor1D, gamma: i.gamma1 as tf.Tensor1D, beta: i.beta1 as tf.Tensor1D };
        const second = { w: i.w2 as tf.Tensor4D, b: i.b2 as tf.Tensor1D, gamma: i.gamma2 as tf.Tensor1D, beta: i.beta2 as tf.Tensor1D };
        const bn1: BnParam = { mode: 'train' };
        const bn2: BnParam = { mode: 'train' };
        const r = residualBlockForward(i.x as tf.Tensor4D, first, second, CONV_SAME, [bn1, bn2], skip);
        tf.dispose([bn1.runningMean, bn1.runningVar, bn2.runningMean, bn2.runningVar].filter((t): t is tf.Tensor1D => t !== undefined));
        return r;
      },
      backward: (d, cache) => {
        const g = residualBlockBackward(d as tf.Tensor4D, cache);
        return {
          dx: g.dx,
          dw1: g.first.dw,
          db1: g.first.db,
          dgamma1: g.first.dgamma,
          dbeta1: g.first.dbeta,
          dw2: g.second.dw,
          db2: g.second.db,
          dgamma2: g.second.dgamma,
          dbeta2: g.second.dbeta,
        };
      },
      twin: (i) =>
        residualBlockRef(i.x, { w: i.w1, b: i.b1, gamma: i.gamma1, beta: i.beta1 }, { w: i.w2, b: i.b2, gamma: i.gamma2, beta: i.beta2 }, CONV_SAME, skip),
      signature: (cache) => cacheKinks(cache),
    };
  });
}

const CONV_SAME: ConvParam = { stride: 1, pad: 1 };
const POOL_2X2: PoolParam = { poolHeight: 2, poolWidth: 2, stride: 2 };

/** Every layer case, in the course's order. */
export const LAYER_CASES: readonly CatalogueCase[] = [
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
  lossCase('softmax loss', softmaxLoss, softmaxLossRef),
  lossCase('svm loss', svmLoss, svmLossRef, marginPattern),
  lossCase(
    'softmax loss, label smoothing 0.2',
    (scores, y) => smoothedSoftmaxLoss(scores, y, 0.2),
    (scores, y) => smoothedSoftmaxLossRef(scores, y, 0.2),
  ),
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
  layerCase('global average pool', (rng) => ({
    inputs: { x: rng.randn([2, 3, 4, 3]) },
    dout: rng.randn([2, 3]),
    forward: (i) => globalAvgPoolForward(i.x as tf.Tensor4D),
    backward: (d, cache) => globalAvgPoolBackward(d as tf.Tensor2D, cache),
    twin: (i) => globalAvgPoolRef(i.x),
  })),
  layerCase('affine-relu', (rng) => ({
    inputs: { x: rng.randn([3, 5]), w: rng.randn([5, 4]), b: rng.randn([4]) },
    dout: rng.randn([3, 4]),
    forward: (i) => affineReluForward(i.x, i.w as tf.Tensor2D, i.b as tf.Tensor1D),
    backward: (d, cache) => affineReluBackward(d as tf.Tensor2D, cache),
    twin: (i) => affineReluRef(i.x, i.w, i.b),
    signature: (cache) => cacheKinks(cache),
  })),
  layerCase('conv-relu', (rng) => ({
    inputs: { x: rng.randn([2, 4, 4, 2]), w: rng.randn([3, 3, 2, 3]), b: rng.randn([3]) },
    dout: rng.randn([2, 4, 4, 3]),
    forward: (i) => convReluForward(i.x as tf.Tensor4D, i.w as tf.Tensor4D, i.b as tf.Tensor1D, CONV_SAME),
    backward: (d, cache) => convReluBackward(d as tf.Tensor4D, cache),
    twin: (i) => convReluRef(i.x, i.w, i.b, CONV_SAME),
    signature: (cache) => cacheKinks(cache),
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
    signature: (cache) => cacheKinks(cache),
  })),
  layerCase('conv-relu-pool', (rng) => ({
    inputs: { x: rng.randn([2, 4, 4, 2]), w: rng.randn([3, 3, 2, 3]), b: rng.randn([3]) },
    dout: rng.randn([2, 2, 2, 3]),
    forward: (i) => convReluPoolForward(i.x as tf.Tensor4D, i.w as tf.Tensor4D, i.b as tf.Tensor1D, CONV_SAME, POOL_2X2),
    backward: (d, cache) => convReluPoolBackward(d as tf.Tensor4D, cache),
    twin: (i) => convReluPoolRef(i.x, i.w, i.b, CONV_SAME, POOL_2X2),
    signature: (cache) => cacheKinks(cache),
  })),
  residualCase(true),
  residualCase(false),
];

/**
 * Layer cases added after the catalogue's draws were settled: run.ts places them after the models, so that every
 * earlier case keeps the inputs its bounds were set on (each case forks its generator in catalogue order).
 */
export const LATER_LAYER_CASES: readonly CatalogueCase[] = [
  spatialBatchnormFastCase(false),
  spatialBatchnormFastCase(true),
  geluCase('gelu', geluForward, geluBackward),
  geluCase('gelu fast', geluForwardFast, geluBackwardFast),
];
