/**
 * A configurable deeper convolutional net for "train your best model" (assignment 2's last notebook, which the
 * course does in PyTorch; here every layer is one of ours, with its hand-written backward pass):
 *
 *   {conv 3x3 - [spatial batchnorm] - relu - [2x2 max pool]} x B - {affine - [batchnorm] - relu} x A - affine - softmax
 *
 * `blocks` lists the convolutional blocks, each with its number of filters and whether a 2x2 max pool (stride 2)
 * follows it; `hiddenDims` lists the hidden affine layers of the head (none by default: the last feature map,
 * flattened, goes straight to the class scores). The convolutions keep the spatial size (stride 1, pad
 * (filterSize - 1) / 2), so only the pools shrink it: H x W becomes H / 2^P x W / 2^P after P pools.
 *
 * Images are NHWC [N, H, W, C] (the course's are NCHW); filters [HH, WW, C, F] (the course's [F, C, HH, WW]).
 * The flattening before the head is in (h, w, c) order.
 *
 * Parameters are numbered by layer, as the course's FullyConnectedNet: W1, b1, gamma1, beta1 for the first conv
 * block, ..., then the hidden affine layers, then the output layer W{L}, b{L} (L = B + A + 1). With batchnorm the
 * conv bias is kept, as the course's conv_bn_relu does, although batchnorm removes any constant shift (its
 * gradient is zero in exact arithmetic).
 *
 * Initialisation (He et al. 2015): every weight of a layer followed by a relu ~ N(0, 2 / fanIn), fanIn = HH * WW * C
 * for a convolution and D for an affine layer, so that each relu layer keeps the variance of its input; the output
 * layer, which no relu follows, ~ N(0, 1 / D) (LeCun), which keeps the first scores small (initial loss near
 * ln C + 0.5 rather than ln C + 1); biases and beta 0, gamma 1. `weightScale` replaces all of it with one fixed
 * standard deviation, as the course's models take it.
 *
 * See docs/convolution.md and docs/batchnorm.md for the layers it is built from.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Model, LossAndGrads } from '../model';
import { Rng } from '../random';
import { param } from './param';
import { addL2 } from './l2';
import { checkImages, checkedUpstream } from './check_input';
import { disposeRunningStatistics, loadRunningStatistics, runningStatistics } from './bn_state';
import { checkLabels } from '../layers/validate';
import { PoolCache, PoolParam, maxPoolBackwardFast, maxPoolForwardFast } from '../layers/pool_fast';
import { BnParam } from '../layers/batchnorm';
import { AffineCache, affineBackward, affineForward } from '../layers/affine';
import { ConvParam } from '../layers/conv_fast';
import {
  AffineBnReluCache,
  AffineReluCache,
  ConvBnReluCache,
  ConvReluCache,
  affineBnReluBackward,
  affineBnReluForward,
  affineReluBackward,
  affineReluForward,
  convBnReluBackward,
  convBnReluFirstLayerBackward,
  convBnReluForward,
  convReluBackward,
  convReluFirstLayerBackward,
  convReluForward,
} from '../layers/sandwich';
import { softmaxLoss } from '../layers/softmax_loss';

/** One convolutional block: `filters` filters of filterSize x filterSize, then a 2x2 max pool when `pool`. */
export interface ConvBlock {
  filters: number;
  pool?: boolean;
}

export interface ConvNetOptions {
  /** [H, W, C] of one input image (NHWC order). Default [32, 32, 3]. */
  inputDim?: [number, number, number];
  /** The convolutional blocks, first to last. Default: DEFAULT_BLOCKS. */
  blocks?: ConvBlock[];
  /** HH = WW of every filter, odd so that padding (HH - 1) / 2 keeps the spatial size. Default 3. */
  filterSize?: number;
  /** Sizes of the hidden affine layers of the head, e.g. [256]. Default [] (none). */
  hiddenDims?: number[];
  numClasses?: number;
  /** Batch normalisation after every convolution and hidden affine layer. Default true. */
  batchnorm?: boolean;
  /** L2 regularisation: loss += 0.5 * reg * sum(W^2) over every weight (conv filters and affine matrices). */
  reg?: number;
  /** null (default): He initialisation. A number: every weight ~ N(0, weightScale^2), as the course's models. */
  weightScale?: number | null;
  seed?: number;
}

/**
 * The default architecture, [conv32 conv32 pool] [conv64 conv64 pool] [conv128 pool]: chosen by the step times
 * measured on wasm (see scripts/train.ts) to train enough epochs in the time budget of `npm run train`.
 */
export const DEFAULT_BLOCKS: readonly ConvBlock[] = [
  { filters: 32 },
  { filters: 32, pool: true },
  { filters: 64 },
  { filters: 64, pool: true },
  { filters: 128, pool: true },
];

/** A short name for blocks, e.g. "32-32p-64-64p" (p: a 2x2 max pool follows). */
export function describeBlocks(blocks: readonly ConvBlock[]): string {
  return blocks.map((b) => `${b.filters}${b.pool ? 'p' : ''}`).join('-');
}

/** One conv block's caches: the conv-batchnorm-relu or conv-relu sandwich's, and the pool's when the block pools. */
interface BlockCache {
  conv: { convBnRelu: ConvBnReluCache } | { convRelu: ConvReluCache };
  pool?: PoolCache;
}

/** One hidden affine layer's cache: the affine-batchnorm-relu or affine-relu sandwich's. */
type HiddenCache = { affineBnRelu: AffineBnReluCache } | { affineRelu: AffineReluCache };

interface ForwardCaches {
  blocks: BlockCache[];
  hidden: HiddenCache[];
  out: AffineCache;
}

export class ConvNet implements Model {
  readonly kind = 'ConvNet';
  readonly options: Required<Omit<ConvNetOptions, 'weightScale'>> & { weightScale: number | null };
  params: Record<string, tf.Variable> = {};
  /** Number of layers with weights: blocks, hidden affine layers, the output layer. */
  readonly numLayers: number;
  /** One batchnorm param object per conv block and hidden layer (index = layer number - 1), with batchnorm. */
  readonly bnParams: BnParam[] = [];
  readonly convParam: ConvParam;
  readonly poolParam: PoolParam = { poolHeight: 2, poolWidth: 2, stride: 2 };
  /** [H, W, C] of the last block's output, which the head flattens. */
  readonly featureDim: [number, number, number];

  constructor(options: ConvNetOptions = {}) {
    const o = {
      inputDim: [32, 32, 3] as [number, number, number],
      blocks: DEFAULT_BLOCKS.map((b) => ({ ...b })),
      filterSize: 3,
      hiddenDims: [] as number[],
      numClasses: 10,
      batchnorm: true,
      reg: 0,
      weightScale: null as number | null,
      seed: 0,
      ...options,
    };
    const fn = 'ConvNet';
    const positive = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
    if (!Array.isArray(o.inputDim) || o.inputDim.length !== 3 || !o.inputDim.every(positive)) {
      throw new Error(`${fn}: inputDim must be three positive integers [H, W, C], got [${o.inputDim}]`);
    }
    if (!Array.isArray(o.blocks) || o.blocks.length === 0) {
      throw new Error(`${fn}: blocks must list at least one conv block { filters, pool? }, got ${JSON.stringify(o.blocks)}`);
    }
    o.blocks.forEach((b, i) => {
      if (typeof b !== 'object' || b === null || !positive(b.filters)) {
        throw new Error(`${fn}: blocks[${i}].filters must be a positive integer, got ${JSON.stringify(b)}`);
      }
    });
    if (!positive(o.filterSize) || o.filterSize % 2 !== 1) throw new Error(`${fn}: filterSize must be a positive odd integer, got ${o.filterSize}`);
    if (!Array.isArray(o.hiddenDims) || !o.hiddenDims.every(positive)) {
      throw new Error(`${fn}: hiddenDims must be positive integers, got [${o.hiddenDims}]`);
    }
    if (!positive(o.numClasses)) throw new Error(`${fn}: numClasses must be a positive integer, got ${o.numClasses}`);
    if (!(o.reg >= 0)) throw new Error(`${fn}: reg must be >= 0, got ${o.reg}`);
    if (o.weightScale !== null && !(o.weightScale > 0)) throw new Error(`${fn}: weightScale must be positive or null (He), got ${o.weightScale}`);

    let [H, W, C] = o.inputDim;
    o.blocks.forEach((b, i) => {
      if (b.pool) {
        if (H % 2 !== 0 || W % 2 !== 0) {
          throw new Error(`${fn}: blocks[${i}] pools 2x2, which needs an even height and width, but its input is ${H} x ${W} (inputDim [${o.inputDim}])`);
        }
        H /= 2;
        W /= 2;
      }
    });
    this.featureDim = [H, W, o.blocks[o.blocks.length - 1].filters];
    this.options = o;
    this.convParam = { stride: 1, pad: (o.filterSize - 1) / 2 };
    this.numLayers = o.blocks.length + o.hiddenDims.length + 1;

    const rng = new Rng(o.seed);
    const std = (fanIn: number, gain = 2) => o.weightScale ?? Math.sqrt(gain / fanIn);
    const k = o.filterSize;
    C = o.inputDim[2];
    let layer = 1;
    for (const b of o.blocks) {
      this.params[`W${layer}`] = param(rng.randn([k, k, C, b.filters], std(k * k * C)));
      this.params[`b${layer}`] = param(tf.zeros([b.filters]));
      this.addBatchnorm(layer, b.filters);
      C = b.filters;
      layer++;
    }
    let D = this.featureDim[0] * this.featureDim[1] * this.featureDim[2];
    for (const M of [...o.hiddenDims, o.numClasses]) {
      this.params[`W${layer}`] = param(rng.randn([D, M], std(D, layer < this.numLayers ? 2 : 1)));
      this.params[`b${layer}`] = param(tf.zeros([M]));
      if (layer < this.numLayers) this.addBatchnorm(layer, M);
      D = M;
      layer++;
    }
  }

  private addBatchnorm(layer: number, size: number): void {
    if (!this.options.batchnorm) return;
    this.params[`gamma${layer}`] = param(tf.ones([size]));
    this.params[`beta${layer}`] = param(tf.zeros([size]));
    this.bnParams[layer - 1] = { mode: 'train' };
  }

  /**
   * X: [N, H, W, C] images. y: [N] int32 labels.
   * With y: training mode (batch statistics, running statistics updated), returns { loss, grads };
   * without: test mode (running statistics), returns scores [N, numClasses].
   */
  loss(X: tf.Tensor, y: tf.Tensor1D): LossAndGrads;
  loss(X: tf.Tensor): tf.Tensor2D;
  loss(X: tf.Tensor, y?: tf.Tensor1D): LossAndGrads | tf.Tensor2D {
    const fn = 'ConvNet.loss';
    checkImages(fn, X, this.options.inputDim);
    if (y !== undefined) checkLabels(fn, y, X.shape[0], this.options.numClasses);
    const mode = y === undefined ? 'test' : 'train';
    for (const bnParam of this.bnParams) if (bnParam) bnParam.mode = mode;
    const p = this.params;
    const reg = this.options.reg;
    return tf.tidy(() => {
      const { scores, caches } = this.forward(X as tf.Tensor4D);
      if (y === undefined) return scores;

      const { loss: dataLoss, dscores } = softmaxLoss(scores, y);
      const weights = Array.from({ length: this.numLayers }, (_, i) => `W${i + 1}`);
      const { grads } = this.backward(dscores, caches);
      return { loss: addL2(dataLoss, grads, p, weights, reg), grads };
    });
  }

  /**
   * The gradient of an objective of the class scores with respect to the input images, for network
   * visualisation: the same hand-written backward pass as loss(), then the first block's full backward (its dx is
   * the gradient with respect to the images), in test mode (batchnorm's running statistics).
   *
   * X: [N, H, W, C] images. dscores: given the scores [N, numClasses], returns d(objective)/d(scores), the same
   * shape. Returns scores [N, numClasses] and dX [N, H, W, C]; the parameters' gradients are computed and discarded.
   */
  inputGradient(X: tf.Tensor4D, dscores: (scores: tf.Tensor2D) => tf.Tensor2D): { scores: tf.Tensor2D; dX: tf.Tensor4D } {
    const fn = 'ConvNet.inputGradient';
    checkImages(fn, X, this.options.inputDim);
    for (const bnParam of this.bnParams) if (bnParam) bnParam.mode = 'test';
    return tf.tidy(() => {
      const { scores, caches } = this.forward(X);
      const upstream = checkedUpstream(fn, dscores, scores);
      const { dFirst } = this.backward(upstream, caches);
      return { scores, dX: convSandwichBackward(dFirst, caches.blocks[0].conv).dx };
    });
  }

  /** X [N, H, W, C] to scores [N, numClasses] in the bnParams' mode, keeping every layer's cache. Call inside tf.tidy. */
  private forward(X: tf.Tensor4D): { scores: tf.Tensor2D; caches: ForwardCaches } {
    const p = this.params;
    const { blocks, hiddenDims, batchnorm } = this.options;
    const blockCaches: BlockCache[] = [];
    const hiddenCaches: HiddenCache[] = [];
    let h: tf.Tensor4D = X;
    let layer = 1;
    for (const block of blocks) {
      const w = p[`W${layer}`] as tf.Tensor4D;
      const b = p[`b${layer}`] as tf.Tensor1D;
      let cache: BlockCache;
      if (batchnorm) {
        const gamma = p[`gamma${layer}`] as tf.Tensor1D;
        const beta = p[`beta${layer}`] as tf.Tensor1D;
        const conv = convBnReluForward(h, w, b, gamma, beta, this.convParam, this.bnParams[layer - 1]);
        h = conv.out;
        cache = { conv: { convBnRelu: conv.cache } };
      } else {
        const conv = convReluForward(h, w, b, this.convParam);
        h = conv.out;
        cache = { conv: { convRelu: conv.cache } };
      }
      if (block.pool) {
        const pool = maxPoolForwardFast(h, this.poolParam);
        h = pool.out;
        cache.pool = pool.cache;
      }
      blockCaches.push(cache);
      layer++;
    }
    let a: tf.Tensor = h;
    for (let j = 0; j < hiddenDims.length; j++, layer++) {
      const w = p[`W${layer}`] as tf.Tensor2D;
      const b = p[`b${layer}`] as tf.Tensor1D;
      if (batchnorm) {
        const gamma = p[`gamma${layer}`] as tf.Tensor1D;
        const beta = p[`beta${layer}`] as tf.Tensor1D;
        const hidden = affineBnReluForward(a, w, b, gamma, beta, this.bnParams[layer - 1]);
        a = hidden.out;
        hiddenCaches.push({ affineBnRelu: hidden.cache });
      } else {
        const hidden = affineReluForward(a, w, b);
        a = hidden.out;
        hiddenCaches.push({ affineRelu: hidden.cache });
      }
    }
    const out = affineForward(a, p[`W${layer}`] as tf.Tensor2D, p[`b${layer}`] as tf.Tensor1D);
    return { scores: out.out, caches: { blocks: blockCaches, hidden: hiddenCaches, out: out.cache } };
  }

  /**
   * dscores [N, numClasses] back through every layer: the data term's gradient of every parameter, and dFirst
   * [N, H, W, F], the gradient at the output of the first block's conv sandwich (inputGradient carries it on to
   * the images). Call inside tf.tidy.
   */
  private backward(dscores: tf.Tensor2D, caches: ForwardCaches): { grads: Record<string, tf.Tensor>; dFirst: tf.Tensor4D } {
    const grads: Record<string, tf.Tensor> = {};
    let layer = this.numLayers;
    const out = affineBackward(dscores, caches.out);
    grads[`W${layer}`] = out.dw;
    grads[`b${layer}`] = out.db;
    let da: tf.Tensor = out.dx;
    for (let j = caches.hidden.length - 1; j >= 0; j--) {
      layer--;
      const c = caches.hidden[j];
      const g = 'affineBnRelu' in c ? affineBnReluBackward(da as tf.Tensor2D, c.affineBnRelu) : affineReluBackward(da as tf.Tensor2D, c.affineRelu);
      da = g.dx;
      setLayerGrads(grads, layer, g);
    }
    // The head flattened the last feature map: the gradient takes its shape back.
    let dh = tf.reshape(da, [da.shape[0], ...this.featureDim]) as tf.Tensor4D;
    for (let i = caches.blocks.length - 1; i >= 1; i--) {
      layer--;
      const c = caches.blocks[i];
      if (c.pool) dh = maxPoolBackwardFast(dh, c.pool).dx;
      const g = convSandwichBackward(dh, c.conv);
      dh = g.dx;
      setLayerGrads(grads, layer, g);
    }
    const first = caches.blocks[0];
    if (first.pool) dh = maxPoolBackwardFast(dh, first.pool).dx;
    // The first block's dx would be the images' gradient, which no update uses and which costs the step's least
    // efficient convolution (3 input channels): its sandwich's parameter-only backward skips it.
    setLayerGrads(grads, 1, 'convBnRelu' in first.conv ? convBnReluFirstLayerBackward(dh, first.conv.convBnRelu) : convReluFirstLayerBackward(dh, first.conv.convRelu));
    return { grads, dFirst: dh };
  }

  /** Batchnorm running statistics, runningMean{layer} and runningVar{layer} (once a training pass has made them). */
  state(): Record<string, tf.Tensor> {
    return runningStatistics(this.bnParams);
  }

  /** Restores state() output, taking ownership of the tensors. */
  loadState(state: Record<string, tf.Tensor>): void {
    loadRunningStatistics('ConvNet.loadState', this.bnParams, this.params, state);
  }

  dispose(): void {
    for (const v of Object.values(this.params)) v.dispose();
    disposeRunningStatistics(this.bnParams);
  }

}

/** Stores one layer's gradients under the layer's parameter names: W{layer}, b{layer}, and gamma/beta with batchnorm. */
function setLayerGrads(grads: Record<string, tf.Tensor>, layer: number, g: { dw: tf.Tensor; db: tf.Tensor; dgamma?: tf.Tensor; dbeta?: tf.Tensor }): void {
  grads[`W${layer}`] = g.dw;
  grads[`b${layer}`] = g.db;
  if (g.dgamma) grads[`gamma${layer}`] = g.dgamma;
  if (g.dbeta) grads[`beta${layer}`] = g.dbeta;
}

/** One conv block's sandwich backward, conv-batchnorm-relu or conv-relu as its cache says. dout: [N, H, W, F]. */
function convSandwichBackward(
  dout: tf.Tensor4D,
  cache: BlockCache['conv'],
): { dx: tf.Tensor4D; dw: tf.Tensor4D; db: tf.Tensor1D; dgamma?: tf.Tensor1D; dbeta?: tf.Tensor1D } {
  return 'convBnRelu' in cache ? convBnReluBackward(dout, cache.convBnRelu) : convReluBackward(dout, cache.convRelu);
}
