/**
 * The course's ThreeLayerConvNet:
 *
 *   conv - [spatial batchnorm] - relu - 2x2 max pool - affine - relu - affine - softmax
 *
 * Images are NHWC [N, H, W, C] (the course's are NCHW); filters are [HH, WW, C, F] (the course's [F, C, HH, WW]).
 * The convolution keeps the spatial size (stride 1, pad (HH - 1) / 2) and the pool halves it, so the first affine
 * layer sees F * H/2 * W/2 features per image, flattened in (h, w, f) order.
 *
 * Built as the course builds it from the sandwich layers (../layers/sandwich.ts): conv-relu-pool (or, with
 * batchnorm, conv-batchnorm-relu and the pool), affine-relu, and a last affine layer. The derivations are in
 * docs/convolution.md and docs/batchnorm.md.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Model, LossAndGrads } from '../model';
import { Rng } from '../random';
import { param } from './param';
import { addL2 } from './l2';
import { ConvParam } from '../layers/conv_fast';
import { maxPoolForwardFast, maxPoolBackwardFast, PoolCache, PoolParam } from '../layers/pool_fast';
import { BnParam } from '../layers/batchnorm';
import { affineForward, affineBackward, AffineCache } from '../layers/affine';
import {
  AffineReluCache,
  ConvBnReluCache,
  ConvReluPoolCache,
  affineReluBackward,
  affineReluForward,
  convBnReluBackward,
  convBnReluForward,
  convReluPoolBackward,
  convReluPoolForward,
} from '../layers/sandwich';
import { softmaxLoss } from '../layers/softmax_loss';
import { checkImages, checkedUpstream } from './check_input';
import { disposeRunningStatistics, loadRunningStatistics, runningStatistics } from './bn_state';
import { checkLabels } from '../layers/validate';

export interface ThreeLayerConvNetOptions {
  /** [H, W, C] of one input image (NHWC order). */
  inputDim?: [number, number, number];
  /** F, the number of filters. */
  numFilters?: number;
  /** HH = WW, an odd filter size so that padding (HH - 1) / 2 keeps the spatial size. */
  filterSize?: number;
  hiddenDim?: number;
  numClasses?: number;
  weightScale?: number;
  /** L2 regularisation: loss += 0.5 * reg * sum(W^2) over W1, W2, W3. */
  reg?: number;
  /** Spatial batch normalisation after the convolution. */
  batchnorm?: boolean;
  seed?: number;
}

/**
 * What one forward pass keeps for the backward pass: the first layer's (the conv-relu-pool sandwich, or with
 * batchnorm the conv-batchnorm-relu sandwich and the pool), the affine-relu sandwich's and the output layer's.
 */
interface ForwardCaches {
  first: { convReluPool: ConvReluPoolCache } | { convBnRelu: ConvBnReluCache; pool: PoolCache };
  hidden: AffineReluCache;
  out: AffineCache;
}

export class ThreeLayerConvNet implements Model {
  readonly kind = 'ThreeLayerConvNet';
  readonly options: Required<ThreeLayerConvNetOptions>;
  params: Record<string, tf.Variable> = {};
  readonly bnParam: BnParam = { mode: 'train' };
  readonly convParam: ConvParam;
  readonly poolParam: PoolParam = { poolHeight: 2, poolWidth: 2, stride: 2 };

  constructor(options: ThreeLayerConvNetOptions = {}) {
    const o: Required<ThreeLayerConvNetOptions> = {
      inputDim: [32, 32, 3],
      numFilters: 32,
      filterSize: 7,
      hiddenDim: 100,
      numClasses: 10,
      weightScale: 1e-3,
      reg: 0,
      batchnorm: false,
      seed: 0,
      ...options,
    };
    const positive = (v: number) => Number.isInteger(v) && v > 0;
    if (!Array.isArray(o.inputDim) || o.inputDim.length !== 3 || !o.inputDim.every(positive)) {
      throw new Error(`ThreeLayerConvNet: inputDim must be three positive integers [H, W, C], got [${o.inputDim}]`);
    }
    for (const key of ['numFilters', 'filterSize', 'hiddenDim', 'numClasses'] as const) {
      if (!positive(o[key])) throw new Error(`ThreeLayerConvNet: ${key} must be a positive integer, got ${o[key]}`);
    }
    const [H, W, C] = o.inputDim;
    if (o.filterSize % 2 !== 1) throw new Error(`ThreeLayerConvNet: filterSize must be odd, got ${o.filterSize}`);
    if (H % 2 !== 0 || W % 2 !== 0) throw new Error(`ThreeLayerConvNet: H and W must be even for the 2x2 pool, got [${o.inputDim}]`);
    this.options = o;
    this.convParam = { stride: 1, pad: (o.filterSize - 1) / 2 };
    const rng = new Rng(o.seed);
    const F = o.numFilters;
    const pooled = (H / 2) * (W / 2) * F;
    this.params.W1 = param(rng.randn([o.filterSize, o.filterSize, C, F], o.weightScale));
    this.params.b1 = param(tf.zeros([F]));
    if (o.batchnorm) {
      this.params.gamma1 = param(tf.ones([F]));
      this.params.beta1 = param(tf.zeros([F]));
    }
    this.params.W2 = param(rng.randn([pooled, o.hiddenDim], o.weightScale));
    this.params.b2 = param(tf.zeros([o.hiddenDim]));
    this.params.W3 = param(rng.randn([o.hiddenDim, o.numClasses], o.weightScale));
    this.params.b3 = param(tf.zeros([o.numClasses]));
  }

  /**
   * X: [N, H, W, C] images. y: [N] int32 labels.
   * With y: training mode, returns { loss, grads }; without: test mode, returns scores [N, numClasses].
   */
  loss(X: tf.Tensor, y: tf.Tensor1D): LossAndGrads;
  loss(X: tf.Tensor): tf.Tensor2D;
  loss(X: tf.Tensor, y?: tf.Tensor1D): LossAndGrads | tf.Tensor2D {
    checkImages('ThreeLayerConvNet.loss', X, this.options.inputDim);
    if (y !== undefined) checkLabels('ThreeLayerConvNet.loss', y, X.shape[0], this.options.numClasses);
    const p = this.params;
    this.bnParam.mode = y === undefined ? 'test' : 'train';
    return tf.tidy(() => {
      const { scores, caches } = this.forward(X as tf.Tensor4D);
      if (y === undefined) return scores;

      const { loss: dataLoss, dscores } = softmaxLoss(scores, y);
      const { grads } = this.backward(dscores, caches);
      return { loss: addL2(dataLoss, grads, p, ['W1', 'W2', 'W3'], this.options.reg), grads };
    });
  }

  /**
   * The gradient of an objective of the class scores with respect to the input images, by the same hand-written
   * backward pass as loss() (the first layer's dx), in test mode (batchnorm's running statistics). This is what
   * saliency maps, fooling images and class visualisations ascend.
   *
   * X: [N, H, W, C] images. dscores: given the scores [N, numClasses], returns d(objective)/d(scores), the same
   * shape (a one-hot of the class whose score is the objective, for instance).
   * Returns scores [N, numClasses] and dX [N, H, W, C]; the parameters' gradients are computed and discarded.
   */
  inputGradient(X: tf.Tensor4D, dscores: (scores: tf.Tensor2D) => tf.Tensor2D): { scores: tf.Tensor2D; dX: tf.Tensor4D } {
    checkImages('ThreeLayerConvNet.inputGradient', X, this.options.inputDim);
    this.bnParam.mode = 'test';
    return tf.tidy(() => {
      const { scores, caches } = this.forward(X);
      const upstream = checkedUpstream('ThreeLayerConvNet.inputGradient', dscores, scores);
      return { scores, dX: this.backward(upstream, caches).dX };
    });
  }

  /** X [N, H, W, C] to scores [N, numClasses] in bnParam's mode, keeping every layer's cache. Call inside tf.tidy. */
  private forward(X: tf.Tensor4D): { scores: tf.Tensor2D; caches: ForwardCaches } {
    const p = this.params;
    const W1 = p.W1 as tf.Tensor4D;
    const b1 = p.b1 as tf.Tensor1D;
    let pooled: tf.Tensor4D;
    let first: ForwardCaches['first'];
    if (this.options.batchnorm) {
      const convBnRelu = convBnReluForward(X, W1, b1, p.gamma1 as tf.Tensor1D, p.beta1 as tf.Tensor1D, this.convParam, this.bnParam);
      const pool = maxPoolForwardFast(convBnRelu.out, this.poolParam);
      pooled = pool.out;
      first = { convBnRelu: convBnRelu.cache, pool: pool.cache };
    } else {
      const convReluPool = convReluPoolForward(X, W1, b1, this.convParam, this.poolParam);
      pooled = convReluPool.out;
      first = { convReluPool: convReluPool.cache };
    }
    const hidden = affineReluForward(pooled, p.W2 as tf.Tensor2D, p.b2 as tf.Tensor1D);
    const out = affineForward(hidden.out, p.W3 as tf.Tensor2D, p.b3 as tf.Tensor1D);
    return { scores: out.out, caches: { first, hidden: hidden.cache, out: out.cache } };
  }

  /**
   * dscores [N, numClasses] back through every layer: the data term's gradient of every parameter (no
   * regularisation) and dX [N, H, W, C], the first layer's dx (training discards it; saliency maps use it).
   * Call inside tf.tidy.
   */
  private backward(dscores: tf.Tensor2D, caches: ForwardCaches): { grads: Record<string, tf.Tensor>; dX: tf.Tensor4D } {
    const grads: Record<string, tf.Tensor> = {};
    const g3 = affineBackward(dscores, caches.out);
    grads.W3 = g3.dw;
    grads.b3 = g3.db;
    const g2 = affineReluBackward(g3.dx as tf.Tensor2D, caches.hidden);
    grads.W2 = g2.dw;
    grads.b2 = g2.db;
    // The affine layer flattened the pooled maps: its dx comes back in their shape [N, H/2, W/2, F].
    const dPooled = g2.dx as tf.Tensor4D;
    const { first } = caches;
    if ('convReluPool' in first) {
      const g1 = convReluPoolBackward(dPooled, first.convReluPool);
      grads.W1 = g1.dw;
      grads.b1 = g1.db;
      return { grads, dX: g1.dx };
    }
    const dConvBnRelu = maxPoolBackwardFast(dPooled, first.pool).dx;
    const g1 = convBnReluBackward(dConvBnRelu, first.convBnRelu);
    grads.W1 = g1.dw;
    grads.b1 = g1.db;
    grads.gamma1 = g1.dgamma;
    grads.beta1 = g1.dbeta;
    return { grads, dX: g1.dx };
  }

  /** Batchnorm running statistics, runningMean1 and runningVar1 (with batchnorm, once a training pass has made them). */
  state(): Record<string, tf.Tensor> {
    return runningStatistics(this.bnParams());
  }

  /** Restores state() output, taking ownership of the tensors; refuses names that are not this net's (bn_state.ts). */
  loadState(state: Record<string, tf.Tensor>): void {
    loadRunningStatistics('ThreeLayerConvNet.loadState', this.bnParams(), this.params, state);
  }

  dispose(): void {
    for (const v of Object.values(this.params)) v.dispose();
    disposeRunningStatistics([this.bnParam]);
  }

  /** The batchnorm layers by layer number - 1, as bn_state.ts takes them: layer 1's, or none without batchnorm. */
  private bnParams(): BnParam[] {
    return this.options.batchnorm ? [this.bnParam] : [];
  }
}
