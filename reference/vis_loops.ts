/**
 * The course's make_fooling_image and create_class_visualization loops, written apart from src/vis/ for the
 * exercise checks: the input gradient comes from a scores function by tf.grads (inputGradientRef), the roll and
 * the Gaussian blur are transcribed here (the blur on plain numbers, scipy's 'reflect' borders). Images NHWC.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../src/random';
import { inputGradientRef } from './vis';

type Scores = (X: tf.Tensor) => tf.Tensor;

/** Gradient of sum over images of score[i, target[i]] w.r.t. X. */
function targetGradient(scores: Scores, X: tf.Tensor, target: number[]): { s: tf.Tensor; dX: tf.Tensor } {
  const s = scores(X);
  const onehot = tf.oneHot(tf.tensor1d(target, 'int32'), s.shape[1] as number);
  return { s, dX: inputGradientRef(scores, X, onehot) };
}

/**
 * Fooling images: each image steps X += lr dX / ||dX|| (dX the gradient of its target's score) until the model
 * predicts the target, at most maxIters steps (stopAtTarget false: every image takes maxIters steps). Returns the
 * images, whether each was fooled and its steps.
 */
export function foolingRef(
  scores: Scores,
  X: tf.Tensor4D,
  target: number[],
  o: { maxIters: number; learningRate: number; stopAtTarget?: boolean },
): { XFooling: tf.Tensor4D; fooled: boolean[]; iterations: number[] } {
  const n = X.shape[0];
  const done = new Array<boolean>(n).fill(false);
  const iterations = new Array<number>(n).fill(0);
  let current = tf.clone(X);
  for (let it = 0; ; it++) {
    const { s, dX } = targetGradient(scores, current, target);
    const pred = tf.argMax(s, 1).dataSync();
    // stopAtTarget false: the loop without its stopping test (a learner's mistake the checker recognises).
    for (let i = 0; i < n; i++) if (pred[i] === target[i] && o.stopAtTarget !== false) done[i] = true;
    if (done.every(Boolean) || it === o.maxIters) break;
    const steps: tf.Tensor[] = [];
    for (let i = 0; i < n; i++) {
      const g = tf.slice(dX, [i, 0, 0, 0], [1, -1, -1, -1]);
      steps.push(done[i] ? tf.zerosLike(g) : tf.mul(tf.div(g, tf.maximum(tf.norm(g), 1e-12)), o.learningRate));
      if (!done[i]) iterations[i]++;
    }
    current = tf.add(current, tf.concat(steps)) as tf.Tensor4D;
  }
  return { XFooling: current as tf.Tensor4D, fooled: done, iterations };
}

/** np.roll of x [N, H, W, C] by dy rows and dx columns. */
function rollRef(x: tf.Tensor4D, dy: number, dx: number): tf.Tensor4D {
  const [, H, W] = x.shape;
  const idx = (len: number, d: number): tf.Tensor1D => tf.tensor1d(Array.from({ length: len }, (_, i) => (((i - d) % len) + len) % len), 'int32');
  return tf.gather(tf.gather(x, idx(H, dy), 1), idx(W, dx), 2) as tf.Tensor4D;
}

/** scipy.ndimage.gaussian_filter on axes 1 and 2 of x [N, H, W, C] (truncate 4, 'reflect' borders), in float64. */
export function gaussianBlurPlain(x: tf.Tensor4D, sigma: number): tf.Tensor4D {
  const [N, H, W, C] = x.shape;
  const radius = Math.ceil(4 * sigma);
  const kernel = (r: number): number[] => {
    const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp((-0.5 * (i - r) ** 2) / (sigma * sigma)));
    const s = k.reduce((a, b) => a + b, 0);
    return k.map((v) => v / s);
  };
  const reflect = (j: number, len: number): number => (j < 0 ? -j - 1 : j >= len ? 2 * len - j - 1 : j);
  let v = Float64Array.from(x.dataSync());
  const pass = (axisLen: number, at: (n: number, a: number, b: number, c: number) => number, otherLen: number): void => {
    const r = Math.min(radius, axisLen);
    const k = kernel(r);
    const out = new Float64Array(v.length);
    for (let n = 0; n < N; n++)
      for (let a = 0; a < axisLen; a++)
        for (let b = 0; b < otherLen; b++)
          for (let c = 0; c < C; c++) {
            let s = 0;
            for (let t = -r; t <= r; t++) s += k[t + r] * v[at(n, reflect(a + t, axisLen), b, c)];
            out[at(n, a, b, c)] = s;
          }
    v = out;
  };
  pass(H, (n, a, b, c) => ((n * H + a) * W + b) * C + c, W);
  pass(W, (n, a, b, c) => ((n * H + b) * W + a) * C + c, H);
  return tf.tensor4d(Float32Array.from(v), [N, H, W, C]);
}

export interface ClassVisOptionsRef {
  l2Reg: number;
  learningRate: number;
  numIterations: number;
  blurEvery: number;
  blurSigma: number;
  maxJitter: number;
  initStd: number;
}

/**
 * Class visualisation: noise of initStd drawn from rng ([N, H, W, C], clamped to [-mean, 255 - mean]), then each
 * iteration: jitter offsets oy, ox drawn in 0..maxJitter (in that order), roll, a step of learningRate along the
 * normalised gradient of score_target - l2Reg ||I||^2, roll back, blur every blurEvery iterations (from 0), clamp.
 */
export function classVisualizationRef(scores: Scores, target: number[], mean: tf.Tensor3D, rng: Rng, o: ClassVisOptionsRef): tf.Tensor4D {
  const [H, W, C] = mean.shape;
  const lo = tf.neg(mean);
  const hi = tf.sub(255, mean);
  let img = tf.minimum(tf.maximum(rng.randn([target.length, H, W, C], o.initStd), lo), hi) as tf.Tensor4D;
  for (let t = 0; t < o.numIterations; t++) {
    const oy = rng.int(o.maxJitter + 1);
    const ox = rng.int(o.maxJitter + 1);
    const jittered = rollRef(img, oy, ox);
    const g = tf.sub(targetGradient(scores, jittered, target).dX, tf.mul(2 * o.l2Reg, jittered));
    const norms = tf.maximum(tf.sqrt(tf.sum(tf.square(g), [1, 2, 3], true)), 1e-12);
    let out = rollRef(tf.add(jittered, tf.mul(tf.div(g, norms), o.learningRate)) as tf.Tensor4D, -oy, -ox);
    if (t % o.blurEvery === 0) out = gaussianBlurPlain(out, o.blurSigma);
    img = tf.minimum(tf.maximum(out, lo), hi) as tf.Tensor4D;
  }
  return img;
}
