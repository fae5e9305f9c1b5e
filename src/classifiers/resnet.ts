/**
 * A small residual net for "train your best model", ResNet-9 in the shape of Page's DAWNBench entry ("How to train
 * your ResNet", 2018), with every layer one of ours and its backward pass written by hand:
 *
 *   prep     conv-bn-relu                       w channels          32 x 32
 *   layer 1  conv-bn-relu, 2x2 max pool          2w                  16 x 16
 *            residual block (2 conv-bn-relu)     2w
 *   layer 2  conv-bn-relu, 2x2 max pool          4w                   8 x 8
 *   layer 3  conv-bn-relu, 2x2 max pool          8w                   4 x 4
 *            residual block (2 conv-bn-relu)     8w
 *   head     global average pool, affine         numClasses
 *   loss     softmax, with label smoothing eps (0: the course's softmax loss)
 *
 * Every convolution is 3x3, stride 1, pad 1. `width` w sets every layer's channels (Page's is w = 64; a width
 * that trains in two hours on two CPU cores is smaller, see docs/best-model.md). With `residual` false the
 * residual blocks lose their skip connection: the same layers as a plain 9-layer net.
 *
 * Images are NHWC [N, H, W, C] (the course's are NCHW); filters [HH, WW, C, F] (the course's [F, C, HH, WW]).
 *
 * Parameters are numbered by layer, as the course's nets: W1, b1, gamma1, beta1 for the prep layer, then 2 for
 * layer 1's conv, 3 and 4 for its residual block, 5 for layer 2, 6 for layer 3, 7 and 8 for its residual block, and
 * W9, b9 for the affine head. Initialisation as ConvNet's (He for the convolutions, LeCun for the head); weight
 * decay as the course writes it, 0.5 * reg * sum(W^2) over the conv filters and the head's matrix.
 *
 * See docs/best-model.md for what each ingredient adds, and docs/convolution.md and docs/batchnorm.md for the
 * layers underneath.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LossAndGrads, Model } from '../model';
import { Rng } from '../random';
import { param } from './param';
import { addL2 } from './l2';
import { checkImages, checkedUpstream } from './check_input';
import { disposeRunningStatistics, loadRunningStatistics, runningStatistics } from './bn_state';
import { checkLabels } from '../layers/validate';
import { BnParam } from '../layers/batchnorm';
import { ConvParam } from '../layers/conv_fast';
import { PoolCache, PoolParam, maxPoolBackwardFast, maxPoolForwardFast } from '../layers/pool_fast';
import { AffineCache, affineBackward, affineForward } from '../layers/affine';
import { ConvBnReluCache, convBnReluBackward, convBnReluFirstLayerBackward, convBnReluForward } from '../layers/sandwich';
import { ConvBnParams, ResidualCache, residualBlockBackward, residualBlockForward } from '../layers/residual';
import { GlobalAvgPoolCache, globalAvgPoolBackward, globalAvgPoolForward } from '../layers/global_avg_pool';
import { smoothedSoftmaxLoss } from '../layers/label_smoothing';

export interface ResNetOptions {
  /** [H, W, C] of one input image (NHWC order), H and W divisible by 8. Default [32, 32, 3]. */
  inputDim?: [number, number, number];
  /** Channels of the prep layer; layers 1, 2, 3 have 2, 4 and 8 times as many. Default 16. */
  width?: number;
  numClasses?: number;
  /** Skip connections in the two residual blocks. Default true. */
  residual?: boolean;
  /** Label smoothing eps of the softmax loss, in [0, 1). Default 0. */
  labelSmoothing?: number;
  /** L2 regularisation (weight decay): loss += 0.5 * reg * sum(W^2) over the conv filters and W9. Default 0. */
  reg?: number;
  seed?: number;
}

/** The layers after the prep layer, in order: a conv-bn-relu sandwich (with a pool after it or not) or a residual block. */
const LAYOUT = [
  { kind: 'conv', channels: 2, pool: true },
  { kind: 'residual', channels: 2 },
  { kind: 'conv', channels: 4, pool: true },
  { kind: 'conv', channels: 8, pool: true },
  { kind: 'residual', channels: 8 },
] as const;

type StageCache = { conv: ConvBnReluCache; pool?: PoolCache } | { residual: ResidualCache };

interface ForwardCaches {
  prep: ConvBnReluCache;
  stages: StageCache[];
  gap: GlobalAvgPoolCache;
  head: AffineCache;
}

export class ResNet implements Model {
  readonly kind = 'ResNet';
  readonly options: Required<ResNetOptions>;
  params: Record<string, tf.Variable> = {};
  /** One batchnorm param object per conv layer (index = layer number - 1). */
  readonly bnParams: BnParam[] = [];
  readonly convParam: ConvParam = { stride: 1, pad: 1 };
  readonly poolParam: PoolParam = { poolHeight: 2, poolWidth: 2, stride: 2 };
  /** Conv layers plus the head: 9. */
  readonly numLayers: number;

  constructor(options: ResNetOptions = {}) {
    const o: Required<ResNetOptions> = {
      inputDim: [32, 32, 3],
      width: 16,
      numClasses: 10,
      residual: true,
      labelSmoothing: 0,
      reg: 0,
      seed: 0,
      ...options,
    };
    const fn = 'ResNet';
    const positive = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
    if (!Array.isArray(o.inputDim) || o.inputDim.length !== 3 || !o.inputDim.every(positive) || o.inputDim[0] % 8 !== 0 || o.inputDim[1] % 8 !== 0) {
      throw new Error(`${fn}: inputDim must be [H, W, C] with H and W divisible by 8 (three 2x2 pools), got [${o.inputDim}]`);
    }
    if (!positive(o.width)) throw new Error(`${fn}: width must be a positive integer, got ${o.width}`);
    if (!positive(o.numClasses)) throw new Error(`${fn}: numClasses must be a positive integer, got ${o.numClasses}`);
    if (typeof o.residual !== 'boolean') throw new Error(`${fn}: residual must be true or false, got ${String(o.residual)}`);
    if (!(o.labelSmoothing >= 0 && o.labelSmoothing < 1)) throw new Error(`${fn}: labelSmoothing must be in [0, 1), got ${o.labelSmoothing}`);
    if (!(o.reg >= 0)) throw new Error(`${fn}: reg must be >= 0, got ${o.reg}`);
    this.options = o;

    const rng = new Rng(o.seed);
    let C = o.inputDim[2];
    let layer = 1;
    const addConv = (F: number) => {
      this.params[`W${layer}`] = param(rng.randn([3, 3, C, F], Math.sqrt(2 / (9 * C))));
      this.params[`b${layer}`] = param(tf.zeros([F]));
      this.params[`gamma${layer}`] = param(tf.ones([F]));
      this.params[`beta${layer}`] = param(tf.zeros([F]));
      this.bnParams[layer - 1] = { mode: 'train' };
      C = F;
      layer++;
    };
    addConv(o.width);
    for (const stage of LAYOUT) {
      addConv(stage.channels * o.width);
      if (stage.kind === 'residual') addConv(stage.channels * o.width);
    }
    this.params[`W${layer}`] = param(rng.randn([C, o.numClasses], Math.sqrt(1 / C)));
    this.params[`b${layer}`] = param(tf.zeros([o.numClasses]));
    this.numLayers = layer;
  }

  /**
   * X: [N, H, W, C] images. y: [N] int32 labels.
   * With y: training mode (batch statistics, running statistics updated), returns { loss, grads };
   * without: test mode (running statistics), returns scores [N, numClasses].
   */
  loss(X: tf.Tensor, y: tf.Tensor1D): LossAndGrads;
  loss(X: tf.Tensor): tf.Tensor2D;
  loss(X: tf.Tensor, y?: tf.Tensor1D): LossAndGrads | tf.Tensor2D {
    const fn = 'ResNet.loss';
    checkImages(fn, X, this.options.inputDim);
    if (y !== undefined) checkLabels(fn, y, X.shape[0], this.options.numClasses);
    const mode = y === undefined ? 'test' : 'train';
    for (const bnParam of this.bnParams) bnParam.mode = mode;
    return tf.tidy(() => {
      const { scores, caches } = this.forward(X as tf.Tensor4D);
      if (y === undefined) return scores;
      const { loss: dataLoss, dscores } = smoothedSoftmaxLoss(scores, y, this.options.labelSmoothing);
      const { grads } = this.backward(dscores, caches);
      const weights = Array.from({ length: this.numLayers }, (_, i) => `W${i + 1}`);
      return { loss: addL2(dataLoss, grads, this.params, weights, this.options.reg), grads };
    });
  }

  /**
   * The gradient of an objective of the class scores with respect to the input images (network visualisation),
   * in test mode: the backward pass of loss(), then the prep layer's full backward (its dx is the gradient with
   * respect to the images). X: [N, H, W, C]. dscores: d(objective)/d(scores) given the scores [N, numClasses].
   * Returns scores and dX [N, H, W, C].
   */
  inputGradient(X: tf.Tensor4D, dscores: (scores: tf.Tensor2D) => tf.Tensor2D): { scores: tf.Tensor2D; dX: tf.Tensor4D } {
    const fn = 'ResNet.inputGradient';
    checkImages(fn, X, this.options.inputDim);
    for (const bnParam of this.bnParams) bnParam.mode = 'test';
    return tf.tidy(() => {
      const { scores, caches } = this.forward(X);
      const upstream = checkedUpstream(fn, dscores, scores);
      const { dPrep } = this.backward(upstream, caches);
      return { scores, dX: convBnReluBackward(dPrep, caches.prep).dx };
    });
  }

  /** One conv layer's parameters by layer number. */
  private convParams(layer: number): ConvBnParams {
    const p = this.params;
    return {
      w: p[`W${layer}`] as tf.Tensor4D,
      b: p[`b${layer}`] as tf.Tensor1D,
      gamma: p[`gamma${layer}`] as tf.Tensor1D,
      beta: p[`beta${layer}`] as tf.Tensor1D,
    };
  }

  /** X [N, H, W, C] to scores [N, numClasses] in the bnParams' mode, keeping every layer's cache. Call inside tf.tidy. */
  private forward(X: tf.Tensor4D): { scores: tf.Tensor2D; caches: ForwardCaches } {
    const stages: StageCache[] = [];
    const { w: w1, b: b1, gamma: gamma1, beta: beta1 } = this.convParams(1);
    const prep = convBnReluForward(X, w1, b1, gamma1, beta1, this.convParam, this.bnParams[0]);
    let h = prep.out;
    let layer = 2;
    for (const stage of LAYOUT) {
      if (stage.kind === 'residual') {
        const bn: [BnParam, BnParam] = [this.bnParams[layer - 1], this.bnParams[layer]];
        const res = residualBlockForward(h, this.convParams(layer), this.convParams(layer + 1), this.convParam, bn, this.options.residual);
        h = res.out;
        stages.push({ residual: res.cache });
        layer += 2;
        continue;
      }
      const { w, b, gamma, beta } = this.convParams(layer);
      const conv = convBnReluForward(h, w, b, gamma, beta, this.convParam, this.bnParams[layer - 1]);
      h = conv.out;
      const cache: StageCache = { conv: conv.cache };
      if (stage.pool) {
        const pool = maxPoolForwardFast(h, this.poolParam);
        h = pool.out;
        cache.pool = pool.cache;
      }
      stages.push(cache);
      layer++;
    }
    const gap = globalAvgPoolForward(h);
    const head = affineForward(gap.out, this.params[`W${layer}`] as tf.Tensor2D, this.params[`b${layer}`] as tf.Tensor1D);
    return { scores: head.out, caches: { prep: prep.cache, stages, gap: gap.cache, head: head.cache } };
  }

  /**
   * dscores [N, numClasses] back through every layer: the data term's gradient of every parameter, and dPrep
   * [N, H, W, width], the gradient at the prep layer's output (inputGradient carries it on to the images). Call
   * inside tf.tidy.
   */
  private backward(dscores: tf.Tensor2D, caches: ForwardCaches): { grads: Record<string, tf.Tensor>; dPrep: tf.Tensor4D } {
    const grads: Record<string, tf.Tensor> = {};
    let layer = this.numLayers;
    const head = affineBackward(dscores, caches.head);
    grads[`W${layer}`] = head.dw;
    grads[`b${layer}`] = head.db;
    let dh = globalAvgPoolBackward(head.dx as tf.Tensor2D, caches.gap).dx;
    for (let i = caches.stages.length - 1; i >= 0; i--) {
      const c = caches.stages[i];
      if ('residual' in c) {
        layer -= 2;
        const g = residualBlockBackward(dh, c.residual);
        setConvGrads(grads, layer, g.first);
        setConvGrads(grads, layer + 1, g.second);
        dh = g.dx;
        continue;
      }
      layer--;
      if (c.pool) dh = maxPoolBackwardFast(dh, c.pool).dx;
      const g = convBnReluBackward(dh, c.conv);
      setConvGrads(grads, layer, g);
      dh = g.dx;
    }
    // The prep layer's dx would be the images' gradient, which no update uses and which costs the step's least
    // efficient convolution (3 input channels): its sandwich's parameter-only backward skips it.
    setConvGrads(grads, 1, convBnReluFirstLayerBackward(dh, caches.prep));
    return { grads, dPrep: dh };
  }

  /** Batchnorm running statistics, runningMean{layer} and runningVar{layer} (once a training pass has made them). */
  state(): Record<string, tf.Tensor> {
    return runningStatistics(this.bnParams);
  }

  /** Restores state() output, taking ownership of the tensors. */
  loadState(state: Record<string, tf.Tensor>): void {
    loadRunningStatistics('ResNet.loadState', this.bnParams, this.params, state);
  }

  dispose(): void {
    for (const v of Object.values(this.params)) v.dispose();
    disposeRunningStatistics(this.bnParams);
  }

}

/** Stores one conv layer's gradients under its parameter names. */
function setConvGrads(grads: Record<string, tf.Tensor>, layer: number, g: { dw: tf.Tensor; db: tf.Tensor; dgamma: tf.Tensor; dbeta: tf.Tensor }): void {
  grads[`W${layer}`] = g.dw;
  grads[`b${layer}`] = g.db;
  grads[`gamma${layer}`] = g.dgamma;
  grads[`beta${layer}`] = g.dbeta;
}
