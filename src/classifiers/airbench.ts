/**
 * The airbench net (Keller Jordan's cifar10-airbench, 2024: 93% on CIFAR-10 in 11 epochs, 94% in 10 with wider
 * layers), `npm run train`'s default model, with every layer one of ours and its backward pass written by hand:
 *
 *   whiten   2x2 conv, frozen patch-whitening filters (24), trained bias; GELU     31 x 31
 *   group 1  conv 3x3 -> 2x2 max pool -> batchnorm -> GELU -> conv 3x3 -> batchnorm -> GELU    w1 = 64, 15 x 15
 *   group 2  the same                                                                         w2, 7 x 7
 *   group 3  the same                                                                         w3, 3 x 3
 *   head     max pool over the whole 3 x 3 map, affine without bias, scores / 9
 *   loss     softmax with label smoothing eps (0.2)
 *
 * widths [w1, w2, w3] = [64, 128, 128] is airbench93, [64, 256, 256] airbench94. No residual connections: each
 * conv starts as the identity instead (Dirac initialisation: filter f copies input channel f, for as many filters
 * as there are input channels; the rest are drawn as PyTorch draws a conv's weights, uniform in +-1/sqrt(fan_in)).
 * The convolutions have no bias (the batchnorm after each has one), and every batchnorm's scale is frozen at 1:
 * only its bias (beta) trains. Batchnorm momentum 0.6: running = 0.6 running + 0.4 batch.
 *
 * A 2x2 max pool on an odd size keeps floor(H / 2) rows, as PyTorch's does: the last row and column are cut off
 * before pooling (31 -> 30 -> 15), and the backward pass pads their zero gradient back.
 *
 * The whitening filters are not parameters: initWhitening(images) computes them from training images
 * (src/layers/patch_whitening.ts), and state() carries them into checkpoints with the batchnorm statistics. Until
 * then they are the plain patch basis and its negative.
 *
 * Parameters: b0 (whitening bias, [24]), W1..W6 ([3, 3, C_in, C_out], group g's convs are W(2g-1), W(2g)),
 * beta1..beta6 ([C], the batchnorm after W1..W6), W7 ([w3, numClasses], the head). No L2 term in the loss: the
 * recipe's weight decay is decoupled, in the update rule (src/optim/sgd_nesterov.ts).
 *
 * Images are NHWC [N, H, W, C] (the course's are NCHW); filters [HH, WW, C, F] (the course's [F, C, HH, WW]).
 * docs/best-model.md explains every ingredient.
 *
 * Speed: the layers are the fast variants (conv_fast, pool_fast, spatial_batchnorm_fast, gelu_fast), each the
 * same numbers as its course-style twin (conv_naive, pool_naive, spatial_batchnorm, gelu) and specced against it;
 * sameConv below is the one piece of plumbing of this file. docs/performance.md has the step's profile.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LossAndGrads, Model } from '../model';
import { Rng } from '../random';
import { param } from './param';
import { checkImages, checkedUpstream } from './check_input';
import { disposeRunningStatistics, loadRunningStatistics, runningStatistics } from './bn_state';
import { checkLabels } from '../layers/validate';
import { BnParam } from '../layers/batchnorm';
import { ConvCache, ConvParam, convBackwardFast, convForwardFast } from '../layers/conv_fast';
import { PoolCache, PoolParam, maxPoolBackwardFast, maxPoolForwardFast } from '../layers/pool_fast';
import { SpatialBatchnormFastCache, spatialBatchnormBackwardFast, spatialBatchnormForwardFast } from '../layers/spatial_batchnorm_fast';
import { GeluFastCache, geluBackwardFast, geluForwardFast } from '../layers/gelu_fast';
import { patchCovariance, whiteningFilters } from '../layers/patch_whitening';
import { smoothedSoftmaxLoss } from '../layers/label_smoothing';
import { columnSum } from '../layers/reduce';

export interface AirbenchOptions {
  /** [H, W, C] of one input image (NHWC), square, H >= 16 (three floor-halvings of H - 1 leave at least 1). Default [32, 32, 3]. */
  inputDim?: [number, number, number];
  /** Channels of the three groups. Default [64, 128, 128] (airbench93); [64, 256, 256] is airbench94. */
  widths?: [number, number, number];
  numClasses?: number;
  /** Label smoothing eps of the softmax loss, in [0, 1). Default 0.2. */
  labelSmoothing?: number;
  /** Batchnorm running-average momentum. Default 0.6. */
  bnMomentum?: number;
  /** The scores are the head's output times this. Default 1/9. */
  scoreScale?: number;
  /** Whitening eps, relative to the mean eigenvalue of the patch covariance. Default 5e-4. */
  whiteningEps?: number;
  seed?: number;
}

const WHITEN_K = 2;
const SAME: ConvParam = { stride: 1, pad: 1 };
const VALID: ConvParam = { stride: 1, pad: 0 };
const POOL: PoolParam = { poolHeight: 2, poolWidth: 2, stride: 2 };
/** Batchnorm eps: PyTorch's 1e-5 (airbench's 1e-12 leaves a batch of identical pixels nothing to divide by). */
const BN_EPS = 1e-5;

/** conv -> (crop to even) -> pool -> bn -> gelu -> conv -> bn -> gelu: one group's caches. */
interface GroupCache {
  conv1: ConvCache;
  /** [N, H, W, C] before the crop, when H was odd. */
  uncropped: [number, number, number, number] | null;
  pool: PoolCache;
  bn1: SpatialBatchnormFastCache;
  gelu1: GeluFastCache;
  conv2: ConvCache;
  bn2: SpatialBatchnormFastCache;
  gelu2: GeluFastCache;
}

interface ForwardCaches {
  whiten: ConvCache;
  gelu0: GeluFastCache;
  groups: GroupCache[];
  head: PoolCache;
  /** [N, w3], the pooled features the affine head reads. */
  features: tf.Tensor2D;
}

export class Airbench implements Model {
  readonly kind = 'Airbench';
  readonly options: Required<AirbenchOptions>;
  params: Record<string, tf.Variable> = {};
  /** One batchnorm param object per conv W1..W6 (index = layer - 1). */
  readonly bnParams: BnParam[] = [];
  /** The frozen whitening filters [2, 2, C, 8C]. */
  whitenW: tf.Tensor4D;
  /** The frozen batchnorm scales (ones) and the convs' absent biases (zeros), by width. */
  private readonly ones = new Map<number, tf.Tensor1D>();
  private readonly zeros = new Map<number, tf.Tensor1D>();
  /** 8C: the whitening layer's channels. */
  readonly whitenWidth: number;

  constructor(options: AirbenchOptions = {}) {
    const o: Required<AirbenchOptions> = {
      inputDim: [32, 32, 3],
      widths: [64, 128, 128],
      numClasses: 10,
      labelSmoothing: 0.2,
      bnMomentum: 0.6,
      scoreScale: 1 / 9,
      whiteningEps: 5e-4,
      seed: 0,
      ...options,
    };
    const fn = 'Airbench';
    const positive = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
    if (!Array.isArray(o.inputDim) || o.inputDim.length !== 3 || !o.inputDim.every(positive) || o.inputDim[0] !== o.inputDim[1] || o.inputDim[0] < 16) {
      throw new Error(`${fn}: inputDim must be [H, H, C], square with H >= 16, got [${o.inputDim}]`);
    }
    if (!Array.isArray(o.widths) || o.widths.length !== 3 || !o.widths.every(positive)) throw new Error(`${fn}: widths must be three positive integers, got [${o.widths}]`);
    if (!positive(o.numClasses)) throw new Error(`${fn}: numClasses must be a positive integer, got ${o.numClasses}`);
    if (!(o.labelSmoothing >= 0 && o.labelSmoothing < 1)) throw new Error(`${fn}: labelSmoothing must be in [0, 1), got ${o.labelSmoothing}`);
    if (!(o.bnMomentum >= 0 && o.bnMomentum < 1)) throw new Error(`${fn}: bnMomentum must be in [0, 1), got ${o.bnMomentum}`);
    if (!(o.scoreScale > 0 && Number.isFinite(o.scoreScale))) throw new Error(`${fn}: scoreScale must be a positive number, got ${o.scoreScale}`);
    if (!(o.whiteningEps >= 0 && Number.isFinite(o.whiteningEps))) throw new Error(`${fn}: whiteningEps must be a number >= 0, got ${o.whiteningEps}`);
    this.options = o;

    const rng = new Rng(o.seed);
    const C = o.inputDim[2];
    const d = WHITEN_K * WHITEN_K * C;
    this.whitenWidth = 2 * d;
    this.whitenW = tf.tidy(() => {
      const eye = tf.reshape(tf.eye(d), [WHITEN_K, WHITEN_K, C, d]);
      return tf.concat([eye, tf.neg(eye)], 3) as tf.Tensor4D;
    });
    this.params.b0 = param(tf.zeros([this.whitenWidth]));
    let cin = this.whitenWidth;
    let layer = 1;
    for (const width of o.widths) {
      for (const cout of [width, width]) {
        this.params[`W${layer}`] = param(diracConv(rng, cin, cout));
        this.params[`beta${layer}`] = param(tf.zeros([cout]));
        this.bnParams.push({ mode: 'train', momentum: o.bnMomentum, eps: BN_EPS });
        for (const [map, value] of [
          [this.ones, 1],
          [this.zeros, 0],
        ] as const) {
          if (!map.has(cout)) map.set(cout, tf.keep(tf.fill([cout], value)) as tf.Tensor1D);
        }
        cin = cout;
        layer++;
      }
    }
    const bound = 1 / Math.sqrt(cin);
    this.params.W7 = param(rng.rand([cin, o.numClasses], -bound, bound));
  }

  /**
   * Sets the whitening filters from training images (airbench uses 5,000): the eigenvectors of their 2x2 patches'
   * covariance, scaled to unit variance, and their negatives. images: [N, H, W, C], preprocessed as the training
   * data the net will see.
   */
  initWhitening(images: tf.Tensor4D): void {
    const C = this.options.inputDim[2];
    checkImages('Airbench.initWhitening', images, [images.shape[1], images.shape[2], C]);
    const { cov } = patchCovariance(images, WHITEN_K);
    const w = whiteningFilters(cov, WHITEN_K, C, this.options.whiteningEps);
    this.whitenW.dispose();
    this.whitenW = w;
  }

  /**
   * X: [N, H, W, C] images. y: [N] int32 labels.
   * With y: training mode (batch statistics, running statistics updated), returns { loss, grads }; without: test
   * mode, returns scores [N, numClasses].
   */
  loss(X: tf.Tensor, y: tf.Tensor1D): LossAndGrads;
  loss(X: tf.Tensor): tf.Tensor2D;
  loss(X: tf.Tensor, y?: tf.Tensor1D): LossAndGrads | tf.Tensor2D {
    const fn = 'Airbench.loss';
    checkImages(fn, X, this.options.inputDim);
    if (y !== undefined) checkLabels(fn, y, X.shape[0], this.options.numClasses);
    const mode = y === undefined ? 'test' : 'train';
    for (const bnParam of this.bnParams) bnParam.mode = mode;
    return tf.tidy(() => {
      const { scores, caches } = this.forward(X as tf.Tensor4D, y !== undefined);
      if (y === undefined) return scores;
      const { loss, dscores } = smoothedSoftmaxLoss(scores, y, this.options.labelSmoothing);
      const { grads } = this.backward(dscores, caches);
      return { loss, grads };
    });
  }

  /**
   * The gradient of an objective of the class scores with respect to the input images (network visualisation),
   * in test mode. X: [N, H, W, C]. dscores: d(objective)/d(scores) given the scores [N, numClasses].
   * Returns scores and dX [N, H, W, C].
   */
  inputGradient(X: tf.Tensor4D, dscores: (scores: tf.Tensor2D) => tf.Tensor2D): { scores: tf.Tensor2D; dX: tf.Tensor4D } {
    const fn = 'Airbench.inputGradient';
    checkImages(fn, X, this.options.inputDim);
    for (const bnParam of this.bnParams) bnParam.mode = 'test';
    return tf.tidy(() => {
      const { scores, caches } = this.forward(X, true);
      const upstream = checkedUpstream(fn, dscores, scores);
      const { dWhiten } = this.backward(upstream, caches);
      return { scores, dX: convBackwardFast(dWhiten, caches.whiten).dx };
    });
  }

  /**
   * X [N, H, W, C] to scores [N, numClasses] in the bnParams' mode, keeping every layer's cache. withBackward: a
   * backward pass follows (the GELUs keep their slopes, gelu_fast.ts). Call inside tf.tidy.
   */
  private forward(X: tf.Tensor4D, withBackward: boolean): { scores: tf.Tensor2D; caches: ForwardCaches } {
    const p = this.params;
    const whiten = convForwardFast(X, this.whitenW, p.b0 as tf.Tensor1D, VALID);
    const gelu0 = geluForwardFast(whiten.out, withBackward);
    let h = gelu0.out as tf.Tensor4D;
    const groups: GroupCache[] = [];
    for (let g = 0; g < 3; g++) {
      const { out, cache } = this.groupForward(h, 2 * g + 1, withBackward);
      h = out;
      groups.push(cache);
    }
    const [N, H, , C] = h.shape;
    const head = maxPoolForwardFast(h, { poolHeight: H, poolWidth: H, stride: H });
    const features = tf.reshape(head.out, [N, C]) as tf.Tensor2D;
    const scores = tf.mul(tf.matMul(features, p.W7), this.options.scoreScale) as tf.Tensor2D;
    return { scores, caches: { whiten: whiten.cache, gelu0: gelu0.cache, groups, head: head.cache, features } };
  }

  /** Group with convs `layer` and `layer + 1`: h [N, H, H, C_in] to [N, floor(H / 2), ., w]. Call inside tf.tidy. */
  private groupForward(h: tf.Tensor4D, layer: number, withBackward: boolean): { out: tf.Tensor4D; cache: GroupCache } {
    const p = this.params;
    const w1 = p[`W${layer}`] as tf.Tensor4D;
    const w2 = p[`W${layer + 1}`] as tf.Tensor4D;
    const F = w1.shape[3];
    const [N, H, W] = h.shape;
    const uncropped: GroupCache['uncropped'] = H % 2 === 1 ? [N, H, W, F] : null;
    const conv1 = this.sameConv(h, w1, uncropped !== null);
    const pool = maxPoolForwardFast(conv1.out, POOL);
    const bn1 = spatialBatchnormForwardFast(pool.out, this.ones.get(F) as tf.Tensor1D, p[`beta${layer}`] as tf.Tensor1D, this.bnParams[layer - 1]);
    const gelu1 = geluForwardFast(bn1.out, withBackward);
    const conv2 = this.sameConv(gelu1.out as tf.Tensor4D, w2, false);
    const bn2 = spatialBatchnormForwardFast(conv2.out, this.ones.get(F) as tf.Tensor1D, p[`beta${layer + 1}`] as tf.Tensor1D, this.bnParams[layer]);
    const gelu2 = geluForwardFast(bn2.out, withBackward);
    return {
      out: gelu2.out as tf.Tensor4D,
      cache: { conv1: conv1.cache, uncropped, pool: pool.cache, bn1: bn1.cache, gelu1: gelu1.cache, conv2: conv2.cache, bn2: bn2.cache, gelu2: gelu2.cache },
    };
  }

  /**
   * x [N, H, W, C] convolved with w [3, 3, C, F], padding 1, no bias: [N, H, W, F], or with crop [N, H - 1, W - 1, F]
   * (the last row and column cut off). The cache is that of convForwardFast(x, w, zeros, SAME), so convBackwardFast
   * is the backward pass (of the uncropped conv: pad the gradient back first). Call inside tf.tidy.
   * Backend plumbing (docs/performance.md): the cropped conv is one conv padded 1 at the top and left and 0 at the
   * bottom and right, which computes only the rows and columns kept (wasm's Slice copies its whole source first), and
   * no zero bias is added (one pass over the output less).
   */
  private sameConv(x: tf.Tensor4D, w: tf.Tensor4D, crop: boolean): { out: tf.Tensor4D; cache: ConvCache } {
    const F = w.shape[3];
    const padding: [[number, number], [number, number], [number, number], [number, number]] = [
      [0, 0],
      [1, crop ? 0 : 1],
      [1, crop ? 0 : 1],
      [0, 0],
    ];
    return { out: tf.conv2d(x, w, 1, padding), cache: { x, w, b: this.zeros.get(F) as tf.Tensor1D, convParam: SAME } };
  }

  /**
   * dscores [N, numClasses] back through every layer: every parameter's gradient, and dWhiten [N, H-1, W-1, 8C],
   * the gradient at the whitening conv's output (inputGradient carries it on to the images). Call inside tf.tidy.
   */
  private backward(dscores: tf.Tensor2D, caches: ForwardCaches): { grads: Record<string, tf.Tensor>; dWhiten: tf.Tensor4D } {
    const grads: Record<string, tf.Tensor> = {};
    const W7 = this.params.W7 as tf.Tensor2D;
    // scores = scale * features @ W7.
    const dz = tf.mul(dscores, this.options.scoreScale) as tf.Tensor2D;
    grads.W7 = tf.matMul(caches.features, dz, true, false);
    const dfeatures = tf.matMul(dz, W7, false, true);
    const pooled = caches.head.out.shape as [number, number, number, number];
    let dh = maxPoolBackwardFast(tf.reshape(dfeatures, pooled) as tf.Tensor4D, caches.head).dx;
    for (let g = 2; g >= 0; g--) dh = this.groupBackward(dh, caches.groups[g], 2 * g + 1, grads);
    const dWhiten = geluBackwardFast(dh, caches.gelu0).dx as tf.Tensor4D;
    // The whitening filters are frozen: only the bias's gradient, the sum of dWhiten over images and pixels.
    const [N, H, W, F] = dWhiten.shape;
    grads.b0 = columnSum(tf.reshape(dWhiten, [N * H * W, F]) as tf.Tensor2D);
    return { grads, dWhiten };
  }

  /** groupForward's backward: dout [N, H', W', w] to the group input's gradient; stores W, beta gradients. */
  private groupBackward(dout: tf.Tensor4D, c: GroupCache, layer: number, grads: Record<string, tf.Tensor>): tf.Tensor4D {
    let d = geluBackwardFast(dout, c.gelu2).dx as tf.Tensor4D;
    const bn2 = spatialBatchnormBackwardFast(d, c.bn2);
    grads[`beta${layer + 1}`] = bn2.dbeta;
    const conv2 = convBackwardFast(bn2.dx, c.conv2);
    grads[`W${layer + 1}`] = conv2.dw;
    d = geluBackwardFast(conv2.dx, c.gelu1).dx as tf.Tensor4D;
    const bn1 = spatialBatchnormBackwardFast(d, c.bn1);
    grads[`beta${layer}`] = bn1.dbeta;
    d = maxPoolBackwardFast(bn1.dx, c.pool).dx;
    // The cropped last row and column reached no pooling window: their gradient is zero.
    if (c.uncropped) d = tf.pad(d, [[0, 0], [0, 1], [0, 1], [0, 0]]);
    const conv1 = convBackwardFast(d, c.conv1);
    grads[`W${layer}`] = conv1.dw;
    return conv1.dx;
  }

  /** The whitening filters (whitenW) and the batchnorm running statistics (runningMean{layer}, runningVar{layer}). */
  state(): Record<string, tf.Tensor> {
    return { whitenW: this.whitenW, ...runningStatistics(this.bnParams) };
  }

  /** Restores state() output, taking ownership of the tensors. */
  loadState(state: Record<string, tf.Tensor>): void {
    const fn = 'Airbench.loadState';
    const { whitenW, ...running } = state;
    if (whitenW !== undefined && (whitenW.dtype !== 'float32' || whitenW.shape.join() !== this.whitenW.shape.join())) {
      throw new Error(`${fn}: 'whitenW' must be float32 [${this.whitenW.shape}], got ${whitenW.dtype} [${whitenW.shape}]`);
    }
    // bn_state checks each layer's statistics against params.gamma{layer}: the frozen scales stand in for them.
    const gammas = Object.fromEntries(this.bnParams.map((_, i) => [`gamma${i + 1}`, this.params[`beta${i + 1}`]]));
    loadRunningStatistics(fn, this.bnParams, gammas, running);
    if (whitenW !== undefined && whitenW !== this.whitenW) {
      this.whitenW.dispose();
      this.whitenW = whitenW as tf.Tensor4D;
    }
  }

  dispose(): void {
    for (const v of Object.values(this.params)) v.dispose();
    disposeRunningStatistics(this.bnParams);
    this.whitenW.dispose();
    for (const t of [...this.ones.values(), ...this.zeros.values()]) t.dispose();
  }
}

/**
 * A 3x3 conv's filters [3, 3, cin, cout] as airbench starts them: the first min(cin, cout) filters are Dirac
 * deltas (filter f is 1 at the centre of input channel f, 0 elsewhere: the conv passes channel f through), the
 * others uniform in +-1/sqrt(9 cin) (PyTorch's default for a conv).
 */
export function diracConv(rng: Rng, cin: number, cout: number): tf.Tensor4D {
  const bound = 1 / Math.sqrt(9 * cin);
  const w = rng.uniformArray(9 * cin * cout, -bound, bound);
  for (let f = 0; f < Math.min(cin, cout); f++) {
    for (let tap = 0; tap < 9; tap++) for (let c = 0; c < cin; c++) w[(tap * cin + c) * cout + f] = 0;
    w[(4 * cin + f) * cout + f] = 1;
  }
  return tf.tensor4d(w, [3, 3, cin, cout]);
}
