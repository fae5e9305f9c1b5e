/**
 * The course's ThreeLayerConvNet:
 *
 *   conv - [spatial batchnorm] - relu - 2x2 max pool - affine - relu - affine - softmax
 *
 * Images are NHWC [N, H, W, C] (the course's are NCHW); filters are [HH, WW, C, F] (the course's [F, C, HH, WW]).
 * The convolution keeps the spatial size (stride 1, pad (HH - 1) / 2) and the pool halves it, so the first affine
 * layer sees F * H/2 * W/2 features per image, flattened in (h, w, f) order.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Model, LossAndGrads } from '../model';
import { Rng } from '../random';
import { param } from './param';
import { convForwardFast, convBackwardFast, ConvParam } from '../layers/conv_fast';
import { maxPoolForwardFast, maxPoolBackwardFast, PoolParam } from '../layers/pool_fast';
import { spatialBatchnormForward, spatialBatchnormBackward } from '../layers/spatial_batchnorm';
import { BnParam } from '../layers/batchnorm';
import { affineForward, affineBackward } from '../layers/affine';
import { reluForward, reluBackward } from '../layers/relu';
import { softmaxLoss } from '../layers/softmax_loss';
import { checkInput, checkLabels } from './check_input';

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
    const [H, W, C] = this.options.inputDim;
    checkInput('ThreeLayerConvNet.loss', X);
    if (X.rank !== 4 || X.shape[1] !== H || X.shape[2] !== W || X.shape[3] !== C) {
      throw new Error(`ThreeLayerConvNet.loss: X must be [N, ${H}, ${W}, ${C}] (NHWC), got shape [${X.shape}]`);
    }
    if (y !== undefined) checkLabels('ThreeLayerConvNet.loss', X, y);
    const p = this.params;
    const useBn = this.options.batchnorm;
    this.bnParam.mode = y === undefined ? 'test' : 'train';
    return tf.tidy(() => {
      const conv = convForwardFast(X as tf.Tensor4D, p.W1 as tf.Tensor4D, p.b1 as tf.Tensor1D, this.convParam);
      let h: tf.Tensor = conv.out;
      let bnCache: unknown;
      if (useBn) {
        const bn = spatialBatchnormForward(h as tf.Tensor4D, p.gamma1 as tf.Tensor1D, p.beta1 as tf.Tensor1D, this.bnParam);
        h = bn.out;
        bnCache = bn.cache;
      }
      const relu1 = reluForward(h);
      const pool = maxPoolForwardFast(relu1.out as tf.Tensor4D, this.poolParam);
      const hidden = affineForward(pool.out, p.W2 as tf.Tensor2D, p.b2 as tf.Tensor1D);
      const relu2 = reluForward(hidden.out);
      const out = affineForward(relu2.out, p.W3 as tf.Tensor2D, p.b3 as tf.Tensor1D);
      if (y === undefined) return out.out;

      const { loss: dataLoss, dscores } = softmaxLoss(out.out, y);
      const reg = this.options.reg;
      const regLoss = tf.add(tf.add(tf.sum(tf.square(p.W1)), tf.sum(tf.square(p.W2))), tf.sum(tf.square(p.W3)));
      const loss = tf.add(dataLoss, tf.mul(0.5 * reg, regLoss)) as tf.Scalar;

      const grads: Record<string, tf.Tensor> = {};
      const g3 = affineBackward(dscores, out.cache);
      grads.W3 = tf.add(g3.dw, tf.mul(reg, p.W3));
      grads.b3 = g3.db;
      const dRelu2 = reluBackward(g3.dx, relu2.cache).dx;
      const g2 = affineBackward(dRelu2 as tf.Tensor2D, hidden.cache);
      grads.W2 = tf.add(g2.dw, tf.mul(reg, p.W2));
      grads.b2 = g2.db;
      const dPool = maxPoolBackwardFast(g2.dx as tf.Tensor4D, pool.cache).dx;
      let dh = reluBackward(dPool, relu1.cache).dx;
      if (useBn) {
        const gbn = spatialBatchnormBackward(dh as tf.Tensor4D, bnCache as never);
        dh = gbn.dx;
        grads.gamma1 = gbn.dgamma;
        grads.beta1 = gbn.dbeta;
      }
      const g1 = convBackwardFast(dh as tf.Tensor4D, conv.cache);
      grads.W1 = tf.add(g1.dw, tf.mul(reg, p.W1));
      grads.b1 = g1.db;
      return { loss, grads };
    });
  }

  state(): Record<string, tf.Tensor> {
    const s: Record<string, tf.Tensor> = {};
    if (this.bnParam.runningMean) s.runningMean1 = this.bnParam.runningMean;
    if (this.bnParam.runningVar) s.runningVar1 = this.bnParam.runningVar;
    return s;
  }

  loadState(state: Record<string, tf.Tensor>): void {
    if (state.runningMean1) {
      this.bnParam.runningMean?.dispose();
      this.bnParam.runningMean = state.runningMean1 as tf.Tensor1D;
    }
    if (state.runningVar1) {
      this.bnParam.runningVar?.dispose();
      this.bnParam.runningVar = state.runningVar1 as tf.Tensor1D;
    }
  }

  dispose(): void {
    for (const v of Object.values(this.params)) v.dispose();
    this.bnParam.runningMean?.dispose();
    this.bnParam.runningVar?.dispose();
    this.bnParam.runningMean = undefined;
    this.bnParam.runningVar = undefined;
  }
}
