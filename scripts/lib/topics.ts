/**
 * The computations behind the course-topic figures of `npm run topics` (docs/training-practice.md,
 * docs/convolution.md): per-pixel normalisation, whitening of 2x2 patches turned back into an image, the
 * update-to-weight ratio of a step, grid and random hyperparameter trials, histograms, and the input region one
 * output of a conv stack depends on. Plain functions, specced in spec/scripts/topics.spec.ts; the script draws
 * what they return.
 */
import * as tf from '@tensorflow/tfjs-core';
import { symmetricEigen } from '../../src/linalg/symmetric_eigen';
import { patchCovariance, whiteningFilters } from '../../src/layers/patch_whitening';
import { ConvCache, convBackwardFast, convForwardFast } from '../../src/layers/conv_fast';
import { PoolCache, maxPoolBackwardFast, maxPoolForwardFast } from '../../src/layers/pool_fast';
import { ReluCache, reluBackward, reluForward } from '../../src/layers/relu';
import { Rng } from '../../src/random';

/**
 * The per-pixel standard deviation of centred rows: x [N, D] with each column's mean already subtracted
 * (np.std(X, axis=0) of the course's preprocessing). Returns [D], accumulated in float64.
 */
export function pixelStd(x: Float32Array, n: number): Float32Array {
  if (n <= 0 || x.length % n !== 0) throw new Error(`pixelStd: x must hold n = ${n} rows, got ${x.length} values`);
  const d = x.length / n;
  const sum = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let p = 0; p < d; p++) sum[p] += x[i * d + p] * x[i * d + p];
  return Float32Array.from(sum, (s) => Math.sqrt(s / n));
}

/** What whitenPatches finds. The caller disposes the tensors. */
export interface PatchWhitening {
  /** Eigenvalues of the 2x2 patch covariance, largest first: [d], d = 4C. */
  values: Float64Array;
  /** The d whitening filters (the layer's, without their negatives): [2, 2, C, d]. */
  filters: tf.Tensor4D;
  /** Every image whitened: [N, H - 1, W - 1, C], one pixel per 2x2 patch (its top-left entry, see below). */
  whitened: tf.Tensor4D;
}

/**
 * Whitening as the airbench net's first layer does it (src/layers/patch_whitening.ts), and turned back into an
 * image so that it can be looked at.
 *
 * The layer's d filters f_k = v_k / sqrt(lambda_k + eps mean(lambda)) give each 2x2 patch p the coordinates
 * r_k = f_k . p: PCA whitening, uncorrelated with unit variance, but in the eigenvectors' frame, which is no image.
 * Rotating back, z = sum_k r_k v_k (ZCA whitening, z = S^{-1/2} p), gives a patch again, whose covariance is still
 * the identity; its top-left pixel (entries 0..C-1 of z, [kh, kw, c] order) is the whitened image's pixel.
 *
 * images: [N, H, W, C] centred (mean image subtracted). eps: relative, as whiteningFilters'.
 */
export function whitenPatches(images: tf.Tensor4D, eps = 5e-4): PatchWhitening {
  const C = images.shape[3];
  const { cov, d } = patchCovariance(images, 2);
  const { values, vectors } = symmetricEigen(cov, d);
  const { filters, whitened } = tf.tidy(() => {
    const both = whiteningFilters(cov, 2, C, eps);
    const f = tf.slice(both, [0, 0, 0, 0], [2, 2, C, d]) as tf.Tensor4D;
    const r = tf.conv2d(images, f, 1, 'valid');
    // back[k, c] = v_k's entry for the top-left pixel's channel c.
    const back = new Float32Array(d * C);
    for (let k = 0; k < d; k++) for (let c = 0; c < C; c++) back[k * C + c] = vectors[k * d + c];
    const [N, Ho, Wo] = r.shape;
    const z = tf.matMul(tf.reshape(r, [N * Ho * Wo, d]), tf.tensor2d(back, [d, C]));
    return { filters: f, whitened: tf.reshape(z, [N, Ho, Wo, C]) as tf.Tensor4D };
  });
  return { values: Float64Array.from(values), filters, whitened };
}

/** The covariance (second moment) of the channels of x [N, H, W, C], every pixel one sample: [C * C], float64. */
export function channelCovariance(x: tf.Tensor4D): Float64Array {
  return patchCovariance(x, 1).cov;
}

/**
 * The course's update-to-weight ratio of one step: ||W_after - W_before|| / ||W_before|| (Frobenius norms).
 * Both tensors of one shape; the caller keeps W_before (e.g. a tf.clone before solver.step()).
 */
export function updateRatio(before: tf.Tensor, after: tf.Tensor): number {
  if (before.shape.join() !== after.shape.join()) throw new Error(`updateRatio: shapes differ, [${before.shape}] vs [${after.shape}]`);
  return tf.tidy(() => {
    const num = tf.norm(tf.sub(after, before)).dataSync()[0];
    const den = tf.norm(before).dataSync()[0];
    return den === 0 ? Infinity : num / den;
  });
}

/** One hyperparameter setting of a linear classifier's search. */
export interface Trial {
  learningRate: number;
  reg: number;
}

/** A range of exponents: [lo, hi] means 10^lo .. 10^hi. */
export type LogRange = [number, number];

/**
 * A k x k grid on a log scale, both ends of each range included (np.logspace): k values of each hyperparameter,
 * every pair once, learning rate major.
 */
export function gridTrials(logLr: LogRange, logReg: LogRange, k: number): Trial[] {
  if (!Number.isInteger(k) || k < 2) throw new Error(`gridTrials: k must be an integer of at least 2, got ${k}`);
  const at = ([lo, hi]: LogRange, i: number) => 10 ** (lo + ((hi - lo) * i) / (k - 1));
  return Array.from({ length: k * k }, (_, t) => ({ learningRate: at(logLr, Math.floor(t / k)), reg: at(logReg, t % k) }));
}

/** n random settings: each hyperparameter 10^u with u uniform over its range, drawn from rng (learning rate first). */
export function randomTrials(rng: Rng, logLr: LogRange, logReg: LogRange, n: number): Trial[] {
  const draw = ([lo, hi]: LogRange) => 10 ** (lo + (hi - lo) * rng.uniform());
  return Array.from({ length: n }, () => {
    const learningRate = draw(logLr);
    return { learningRate, reg: draw(logReg) };
  });
}

/** A histogram for a line chart: the centre of each of `bins` equal bins over [lo, hi] and the share of all values in it. */
export function histogram(values: ArrayLike<number>, lo: number, hi: number, bins: number): { centers: number[]; shares: number[] } {
  if (!(hi > lo) || !Number.isInteger(bins) || bins < 1) throw new Error(`histogram: needs lo < hi and a positive integer bins, got [${lo}, ${hi}], ${bins}`);
  const counts = new Array<number>(bins).fill(0);
  const width = (hi - lo) / bins;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    // Values outside [lo, hi] count in the total only: the caller says how many there are when it matters.
    if (v >= lo && v <= hi) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
  }
  return { centers: counts.map((_, b) => lo + (b + 0.5) * width), shares: counts.map((c) => c / Math.max(1, values.length)) };
}

/**
 * A layer of the stacks whose receptive fields npm run topics draws: a k x k convolution (stride 1, pad (k - 1) / 2,
 * so the size is kept) followed by a relu unless it is the stack's last layer, or a 2 x 2 max pool of stride 2.
 */
export type StackLayer = { kind: 'conv'; k: number } | { kind: 'pool' };

/**
 * The receptive field's side from the recurrence of docs/convolution.md: r_l = r_{l-1} + (k_l - 1) j_{l-1},
 * j_l = j_{l-1} s_l, r_0 = j_0 = 1 (a conv: k, s = 1; the pool: k = s = 2).
 */
export function receptiveFieldSide(layers: StackLayer[]): number {
  let r = 1;
  let j = 1;
  for (const l of layers) {
    const [k, s] = l.kind === 'conv' ? [l.k, 1] : [2, 2];
    r += (k - 1) * j;
    j *= s;
  }
  return r;
}

/** What influenceMap finds: where the input gradient of one output unit is non-zero. */
export interface InfluenceMap {
  /** |d unit / d x| of the first image, summed over its channels: [H * W], row-major. */
  single: Float32Array;
  /** The same, averaged over every image: [H * W]. */
  mean: Float32Array;
  /** Side of the smallest square holding every non-zero entry of mean (the measured receptive field). */
  side: number;
  /** Non-zero entries of single and of mean. */
  singleCount: number;
  meanCount: number;
  /** The stack's output [H', W'] and the unit's position in it. */
  outSize: [number, number];
  unit: [number, number];
}

/**
 * The input pixels that one output unit of a conv stack depends on, measured with the library's hand-written
 * backward passes: the stack (He-initialised weights from rng, `filters` channels per conv, zero biases) runs
 * forward on `images`, then a gradient of 1 on channel 0 of the unit nearest the centre of its output (0 elsewhere)
 * runs back through convBackwardFast, reluBackward and maxPoolBackwardFast to the images. The gradient is non-zero
 * exactly where the unit can see; one image shows only the pixels that pass its own relus and pool maxima, the mean
 * over many the whole field.
 *
 * images: [N, H, W, C]. Returns the maps and the measured side; no tensor outlives the call.
 */
export function influenceMap(images: tf.Tensor4D, layers: StackLayer[], filters: number, rng: Rng): InfluenceMap {
  const [N, H, W] = images.shape;
  const result = { single: new Float32Array(H * W), mean: new Float32Array(H * W), outSize: [0, 0] as [number, number], unit: [0, 0] as [number, number] };
  tf.tidy(() => {
    type Step = { conv: ConvCache } | { relu: ReluCache } | { pool: PoolCache };
    const steps: Step[] = [];
    let x: tf.Tensor4D = images;
    layers.forEach((l, i) => {
      if (l.kind === 'pool') {
        const p = maxPoolForwardFast(x, { poolHeight: 2, poolWidth: 2, stride: 2 });
        steps.push({ pool: p.cache });
        x = p.out;
        return;
      }
      const cin = x.shape[3];
      const w = rng.randn([l.k, l.k, cin, filters], Math.sqrt(2 / (l.k * l.k * cin))) as tf.Tensor4D;
      const c = convForwardFast(x, w, tf.zeros([filters]) as tf.Tensor1D, { stride: 1, pad: (l.k - 1) / 2 });
      steps.push({ conv: c.cache });
      x = c.out;
      if (i < layers.length - 1) {
        const r = reluForward(x);
        steps.push({ relu: r.cache });
        x = r.out as tf.Tensor4D;
      }
    });
    const [, Ho, Wo, F] = x.shape;
    const unit: [number, number] = [Math.floor((Ho - 1) / 2), Math.floor((Wo - 1) / 2)];
    const one = new Float32Array(Ho * Wo * F);
    one[(unit[0] * Wo + unit[1]) * F] = 1;
    let d: tf.Tensor4D = tf.tile(tf.tensor4d(one, [1, Ho, Wo, F]), [N, 1, 1, 1]) as tf.Tensor4D;
    for (const s of [...steps].reverse()) {
      if ('conv' in s) d = convBackwardFast(d, s.conv).dx;
      else if ('relu' in s) d = reluBackward(d, s.relu).dx as tf.Tensor4D;
      else d = maxPoolBackwardFast(d, s.pool).dx;
    }
    const perImage = tf.sum(tf.abs(d), 3); // [N, H, W]
    result.single.set(tf.slice(perImage, [0, 0, 0], [1, H, W]).dataSync());
    result.mean.set(tf.mean(perImage, 0).dataSync());
    result.outSize = [Ho, Wo];
    result.unit = unit;
  });
  const count = (m: Float32Array) => m.reduce((n, v) => n + (v > 0 ? 1 : 0), 0);
  const rows = new Set<number>();
  const cols = new Set<number>();
  result.mean.forEach((v, p) => {
    if (v > 0) {
      rows.add(Math.floor(p / W));
      cols.add(p % W);
    }
  });
  const extent = (s: Set<number>) => (s.size === 0 ? 0 : Math.max(...s) - Math.min(...s) + 1);
  return { ...result, side: Math.max(extent(rows), extent(cols)), singleCount: count(result.single), meanCount: count(result.mean) };
}
