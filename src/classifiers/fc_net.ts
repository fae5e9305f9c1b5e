/**
 * A fully-connected network of any depth (the course's FullyConnectedNet):
 *
 *   {affine - [batch/layer norm] - relu - [dropout]} x (L - 1) - affine - softmax
 *
 * Every forward and backward step is a hand-written layer from ../layers; the gradients are checked against
 * tfjs autodiff in reference/ and spec/classifiers/fc_net.spec.ts.
 *
 * See docs/fully-connected-nets.md for the derivation.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Model, LossAndGrads } from '../model';
import { Rng } from '../random';
import { param } from './param';
import { addL2 } from './l2';
import { affineForward, affineBackward, AffineCache } from '../layers/affine';
import { reluForward, reluBackward, ReluCache } from '../layers/relu';
import { batchnormForward, batchnormBackwardAlt, BatchnormCache, BnParam } from '../layers/batchnorm';
import { layernormForward, layernormBackward, LayernormCache } from '../layers/layernorm';
import { dropoutForward, dropoutBackward, DropoutCache, DropoutParam } from '../layers/dropout';
import { softmaxLoss } from '../layers/softmax_loss';
import { checkInput, checkedUpstream } from './check_input';
import { disposeRunningStatistics, loadRunningStatistics, runningStatistics } from './bn_state';
import { checkLabels } from '../layers/validate';

export type Normalization = 'none' | 'batchnorm' | 'layernorm';

export interface FullyConnectedNetOptions {
  /** Sizes of the hidden layers, e.g. [100, 100]. */
  hiddenDims: number[];
  /** D, the size of one flattened input (3072 for CIFAR-10). */
  inputDim?: number;
  /** C, the number of classes. */
  numClasses?: number;
  /** Dropout keep probability; 1 means no dropout. */
  dropoutKeepRatio?: number;
  normalization?: Normalization;
  /** L2 regularisation strength: loss += 0.5 * reg * sum(W^2) over every weight matrix. */
  reg?: number;
  /** Standard deviation of the normal initialisation of the weights. */
  weightScale?: number;
  /** Seed for initialisation and dropout masks. */
  seed?: number;
  /**
   * Gradient checks only: when set, every forward pass draws the same dropout masks from Rng(dropoutSeed), as the
   * course's dropout_param['seed'], so that repeated evaluations of the loss see one fixed function.
   */
  dropoutSeed?: number;
}

/** One hidden layer's caches: affine, the normalisation when there is one, relu, dropout when there is one. */
interface LayerCache {
  affine: AffineCache;
  batchnorm?: BatchnormCache;
  layernorm?: LayernormCache;
  relu: ReluCache;
  dropout?: DropoutCache;
}

export class FullyConnectedNet implements Model {
  readonly kind: string = 'FullyConnectedNet';
  readonly options: Required<Omit<FullyConnectedNetOptions, 'dropoutSeed'>> & { dropoutSeed?: number };
  params: Record<string, tf.Variable> = {};
  /** One batchnorm param object per hidden layer (mode and running statistics), when normalization is 'batchnorm'. */
  readonly bnParams: BnParam[] = [];
  readonly numLayers: number;
  private readonly dropoutRng: Rng;

  constructor(options: FullyConnectedNetOptions) {
    const o: Required<Omit<FullyConnectedNetOptions, 'dropoutSeed'>> & { dropoutSeed?: number } = {
      inputDim: 3 * 32 * 32,
      numClasses: 10,
      dropoutKeepRatio: 1,
      normalization: 'none',
      reg: 0,
      weightScale: 1e-2,
      seed: 0,
      ...options,
    };
    if (!Array.isArray(o.hiddenDims) || o.hiddenDims.some((h) => !Number.isInteger(h) || h <= 0)) {
      throw new Error(`FullyConnectedNet: hiddenDims must be positive integers, got [${o.hiddenDims}]`);
    }
    if (!(o.dropoutKeepRatio > 0 && o.dropoutKeepRatio <= 1)) {
      throw new Error(`FullyConnectedNet: dropoutKeepRatio must be in (0, 1], got ${o.dropoutKeepRatio}`);
    }
    if (!['none', 'batchnorm', 'layernorm'].includes(o.normalization)) {
      throw new Error(`FullyConnectedNet: normalization must be none, batchnorm or layernorm, got '${o.normalization}'`);
    }
    this.options = o;
    this.numLayers = o.hiddenDims.length + 1;
    const rng = new Rng(o.seed);
    this.dropoutRng = rng.fork();
    const dims = [o.inputDim, ...o.hiddenDims, o.numClasses];
    for (let i = 1; i <= this.numLayers; i++) {
      const [din, dout] = [dims[i - 1], dims[i]];
      this.params[`W${i}`] = param(rng.randn([din, dout], o.weightScale));
      this.params[`b${i}`] = param(tf.zeros([dout]));
      if (o.normalization !== 'none' && i < this.numLayers) {
        this.params[`gamma${i}`] = param(tf.ones([dout]));
        this.params[`beta${i}`] = param(tf.zeros([dout]));
      }
    }
    if (o.normalization === 'batchnorm') {
      for (let i = 0; i < this.numLayers - 1; i++) this.bnParams.push({ mode: 'train' });
    }
  }

  /**
   * X: [N, D] rows, or [N, H, W, C] images that flatten to D. y: [N] int32 labels.
   * With y: training mode, returns { loss, grads }; without: test mode, returns scores [N, C].
   */
  loss(X: tf.Tensor, y: tf.Tensor1D): LossAndGrads;
  loss(X: tf.Tensor): tf.Tensor2D;
  loss(X: tf.Tensor, y?: tf.Tensor1D): LossAndGrads | tf.Tensor2D {
    checkInput('FullyConnectedNet.loss', X, this.options.inputDim);
    if (y !== undefined) checkLabels('FullyConnectedNet.loss', y, X.shape[0], this.options.numClasses);
    const o = this.options;
    const p = this.params;
    return tf.tidy(() => {
      const { scores, caches, last } = this.forward(X, y === undefined ? 'test' : 'train');
      if (y === undefined) return scores;

      const { loss: dataLoss, dscores } = softmaxLoss(scores, y);
      const weights = Array.from({ length: this.numLayers }, (_, i) => `W${i + 1}`);
      const { grads } = this.backward(dscores, caches, last);
      return { loss: addL2(dataLoss, grads, p, weights, o.reg), grads };
    });
  }

  /**
   * The gradient of an objective of the class scores with respect to the input, by the same hand-written backward
   * pass as loss() (the first affine layer's dx), in test mode (batchnorm's running statistics, no dropout): what
   * saliency maps and fooling images ascend.
   *
   * X: [N, D] rows or [N, H, W, C] images that flatten to D. dscores: given the scores [N, C], returns
   * d(objective)/d(scores), the same shape. Returns scores [N, C] and dX in X's shape; the parameters' gradients
   * are computed and discarded.
   */
  inputGradient<T extends tf.Tensor>(X: T, dscores: (scores: tf.Tensor2D) => tf.Tensor2D): { scores: tf.Tensor2D; dX: T } {
    checkInput('FullyConnectedNet.inputGradient', X, this.options.inputDim);
    return tf.tidy(() => {
      const { scores, caches, last } = this.forward(X, 'test');
      const upstream = checkedUpstream('FullyConnectedNet.inputGradient', dscores, scores);
      return { scores, dX: this.backward(upstream, caches, last).dX as T };
    });
  }

  /**
   * X [N, ...] to scores [N, C] in the given mode, keeping each hidden layer's caches and the last affine layer's.
   * Call inside tf.tidy.
   */
  private forward(X: tf.Tensor, mode: 'train' | 'test'): { scores: tf.Tensor2D; caches: LayerCache[]; last: AffineCache } {
    const o = this.options;
    const p = this.params;
    const caches: LayerCache[] = [];
    let h: tf.Tensor = X;
    for (let i = 1; i < this.numLayers; i++) {
      const a = affineForward(h, p[`W${i}`] as tf.Tensor2D, p[`b${i}`] as tf.Tensor1D);
      h = a.out;
      let batchnorm: BatchnormCache | undefined;
      let layernorm: LayernormCache | undefined;
      if (o.normalization === 'batchnorm') {
        const bnParam = this.bnParams[i - 1];
        bnParam.mode = mode;
        const n = batchnormForward(h as tf.Tensor2D, p[`gamma${i}`] as tf.Tensor1D, p[`beta${i}`] as tf.Tensor1D, bnParam);
        h = n.out;
        batchnorm = n.cache;
      } else if (o.normalization === 'layernorm') {
        const n = layernormForward(h as tf.Tensor2D, p[`gamma${i}`] as tf.Tensor1D, p[`beta${i}`] as tf.Tensor1D, {});
        h = n.out;
        layernorm = n.cache;
      }
      const r = reluForward(h);
      h = r.out;
      const cache: LayerCache = { affine: a.cache, batchnorm, layernorm, relu: r.cache };
      if (o.dropoutKeepRatio < 1) {
        const dropoutParam: DropoutParam =
          o.dropoutSeed === undefined
            ? { mode, p: o.dropoutKeepRatio, rng: this.dropoutRng }
            : { mode, p: o.dropoutKeepRatio, seed: o.dropoutSeed };
        const d = dropoutForward(h, dropoutParam);
        h = d.out;
        cache.dropout = d.cache;
      }
      caches.push(cache);
    }
    const L = this.numLayers;
    const last = affineForward(h, p[`W${L}`] as tf.Tensor2D, p[`b${L}`] as tf.Tensor1D);
    return { scores: last.out, caches, last: last.cache };
  }

  /**
   * dscores [N, C] back through every layer: the data term's gradient of every parameter (no regularisation) and
   * dX in the input's shape, the first affine layer's dx (training discards it; saliency maps use it).
   * Call inside tf.tidy.
   */
  private backward(dscores: tf.Tensor2D, caches: LayerCache[], last: AffineCache): { grads: Record<string, tf.Tensor>; dX: tf.Tensor } {
    const L = this.numLayers;
    const grads: Record<string, tf.Tensor> = {};
    const back = affineBackward(dscores, last);
    grads[`W${L}`] = back.dw;
    grads[`b${L}`] = back.db;
    let dh: tf.Tensor = back.dx;
    for (let i = L - 1; i >= 1; i--) {
      const cache = caches[i - 1];
      if (cache.dropout) dh = dropoutBackward(dh, cache.dropout).dx;
      dh = reluBackward(dh, cache.relu).dx;
      if (cache.batchnorm) {
        const g = batchnormBackwardAlt(dh as tf.Tensor2D, cache.batchnorm);
        [dh, grads[`gamma${i}`], grads[`beta${i}`]] = [g.dx, g.dgamma, g.dbeta];
      } else if (cache.layernorm) {
        const g = layernormBackward(dh as tf.Tensor2D, cache.layernorm);
        [dh, grads[`gamma${i}`], grads[`beta${i}`]] = [g.dx, g.dgamma, g.dbeta];
      }
      const a = affineBackward(dh as tf.Tensor2D, cache.affine);
      grads[`W${i}`] = a.dw;
      grads[`b${i}`] = a.db;
      dh = a.dx;
    }
    return { grads, dX: dh };
  }

  /** Batchnorm running statistics by name ('runningMean1', 'runningVar1', ...), for checkpoints. */
  state(): Record<string, tf.Tensor> {
    return runningStatistics(this.bnParams);
  }

  /** Restores state() output, taking ownership of the tensors; refuses names that are not this net's (bn_state.ts). */
  loadState(state: Record<string, tf.Tensor>): void {
    loadRunningStatistics('FullyConnectedNet.loadState', this.bnParams, this.params, state);
  }

  dispose(): void {
    for (const v of Object.values(this.params)) v.dispose();
    disposeRunningStatistics(this.bnParams);
  }
}
