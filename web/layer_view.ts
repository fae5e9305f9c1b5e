/**
 * The layer view: one image through the model, layer by layer, with the library's own forward and backward
 * functions (the same ones the model's loss calls): what each layer outputs for this image, and how large the
 * gradient of the loss is as it flows back into each layer's output. The gradient shrinking (or exploding) from
 * the scores back towards the image is what the course's "vanishing gradients" discussion is about.
 *
 * The models are told apart by their parameters: W [3073, C] (softmax, bias row last), W1 [D, H] (two-layer
 * net), W1 [HH, WW, 3, F] (convnet).
 */
import * as tf from '@tensorflow/tfjs-core';
import { affineBackward, affineForward } from '../src/layers/affine';
import { convBackwardFast, convForwardFast } from '../src/layers/conv_fast';
import { maxPoolBackwardFast, maxPoolForwardFast } from '../src/layers/pool_fast';
import { reluBackward, reluForward } from '../src/layers/relu';
import { softmaxLoss } from '../src/layers/softmax_loss';
import type { PageModel } from './models';

export interface LayerRow {
  /** 'conv 5x5x3x8', 'relu', 'scores', ... */
  name: string;
  /** The output's shape for this one image (batch dimension dropped). */
  shape: number[];
  /** The output for the image: [H * W * F] (NHWC, maps) or [M] (a vector). */
  values: Float32Array;
  /** ||d loss / d output||: the size of the gradient flowing back into this layer's output. */
  gradNorm: number;
  /** The layer's weights, when it has some: their size and the size of their gradient for this image. */
  weights?: { name: string; shape: number[]; norm: number; gradNorm: number };
}

/** Norm of a tensor, read back. */
const norm = (t: tf.Tensor) => tf.tidy(() => tf.sqrt(tf.sum(tf.square(t))).dataSync()[0]);

export interface Stage {
  name: string;
  out: tf.Tensor;
  dout: tf.Tensor;
  /** The output of a ReLU: the babysitting view counts its dead units. */
  relu?: boolean;
  weights?: { name: string; w: tf.Tensor; dw: tf.Tensor };
}

/**
 * The model's layers, forward then backward, on a minibatch, with the library's own layer functions: each
 * layer's output and the gradient of the mean loss flowing back into it. Call inside tf.tidy: the stages' tensors
 * belong to the caller's scope.
 * x: [N, 32, 32, 3], preprocessed as the training data; y: [N] int32 labels.
 */
export function layerStages(model: PageModel, x: tf.Tensor4D, y: tf.Tensor1D): { stages: Stage[]; loss: tf.Scalar } {
  const p = model.params;
  const stages: Stage[] = [];
  let loss: tf.Scalar;
  if (p.W && !p.W1) {
    // Softmax: scores = [x, 1] W.
    const W = p.W as tf.Tensor2D;
    const d = W.shape[0] - 1;
    const rows = tf.reshape(x, [x.shape[0], d]);
    const a = affineForward(rows, tf.slice(W, [0, 0], [d, W.shape[1]]), tf.reshape(tf.slice(W, [d, 0], [1, W.shape[1]]), [W.shape[1]]) as tf.Tensor1D);
    const l = softmaxLoss(a.out, y);
    loss = l.loss;
    const g = affineBackward(l.dscores, a.cache);
    stages.push(
      { name: 'image', out: x, dout: tf.reshape(g.dx, x.shape) },
      { name: `scores = [x, 1] W`, out: a.out, dout: l.dscores, weights: { name: 'W (bias row aside)', w: a.cache.w, dw: g.dw } },
    );
  } else if (p.W1.rank === 2) {
    const a1 = affineForward(x, p.W1 as tf.Tensor2D, p.b1 as tf.Tensor1D);
    const r1 = reluForward(a1.out);
    const a2 = affineForward(r1.out, p.W2 as tf.Tensor2D, p.b2 as tf.Tensor1D);
    const l = softmaxLoss(a2.out, y);
    loss = l.loss;
    const g2 = affineBackward(l.dscores, a2.cache);
    const dr = reluBackward(g2.dx, r1.cache).dx;
    const g1 = affineBackward(dr as tf.Tensor2D, a1.cache);
    stages.push(
      { name: 'image', out: x, dout: g1.dx },
      { name: `affine ${p.W1.shape[0]} -> ${p.W1.shape[1]}`, out: a1.out, dout: dr, weights: { name: 'W1', w: p.W1, dw: g1.dw } },
      { name: 'relu (hidden units)', out: r1.out, dout: g2.dx, relu: true },
      { name: `scores: affine ${p.W2.shape[0]} -> ${p.W2.shape[1]}`, out: a2.out, dout: l.dscores, weights: { name: 'W2', w: p.W2, dw: g2.dw } },
    );
  } else {
    const [hh, ww, , f] = p.W1.shape;
    const conv = convForwardFast(x, p.W1 as tf.Tensor4D, p.b1 as tf.Tensor1D, { stride: 1, pad: (hh - 1) / 2 });
    const r1 = reluForward(conv.out);
    const pool = maxPoolForwardFast(r1.out as tf.Tensor4D, { poolHeight: 2, poolWidth: 2, stride: 2 });
    const a2 = affineForward(pool.out, p.W2 as tf.Tensor2D, p.b2 as tf.Tensor1D);
    const r2 = reluForward(a2.out);
    const a3 = affineForward(r2.out, p.W3 as tf.Tensor2D, p.b3 as tf.Tensor1D);
    const l = softmaxLoss(a3.out, y);
    loss = l.loss;
    const g3 = affineBackward(l.dscores, a3.cache);
    const dr2 = reluBackward(g3.dx, r2.cache).dx;
    const g2 = affineBackward(dr2 as tf.Tensor2D, a2.cache);
    const dr1 = maxPoolBackwardFast(g2.dx as tf.Tensor4D, pool.cache).dx;
    const dconv = reluBackward(dr1, r1.cache).dx;
    const g1 = convBackwardFast(dconv as tf.Tensor4D, conv.cache);
    stages.push(
      { name: 'image', out: x, dout: g1.dx },
      { name: `conv ${hh}x${ww}x3x${f}`, out: conv.out, dout: dconv, weights: { name: 'W1', w: p.W1, dw: g1.dw } },
      { name: 'relu (conv)', out: r1.out, dout: dr1, relu: true },
      { name: '2x2 max pool', out: pool.out, dout: g2.dx },
      { name: `affine ${p.W2.shape[0]} -> ${p.W2.shape[1]} + relu`, out: r2.out, dout: g3.dx, relu: true, weights: { name: 'W2', w: p.W2, dw: g2.dw } },
      { name: `scores: affine ${p.W3.shape[0]} -> ${p.W3.shape[1]}`, out: a3.out, dout: l.dscores, weights: { name: 'W3', w: p.W3, dw: g3.dw } },
    );
  }
  return { stages, loss };
}

/**
 * x: one image [1, 32, 32, 3], preprocessed as the training data. label: its class.
 * Returns one row per layer, from the image to the scores, with the loss of this image under its label.
 */
export function layerRows(model: PageModel, x: tf.Tensor4D, label: number): { rows: LayerRow[]; loss: number } {
  return tf.tidy(() => {
    const { stages, loss } = layerStages(model, x, tf.tensor1d([label], 'int32'));
    const rows = stages.map((s) => ({
      name: s.name,
      shape: s.out.shape.slice(1),
      values: s.out.dataSync() as Float32Array,
      gradNorm: norm(s.dout),
      weights: s.weights && { name: s.weights.name, shape: s.weights.w.shape, norm: norm(s.weights.w), gradNorm: norm(s.weights.dw) },
    }));
    return { rows, loss: loss.dataSync()[0] };
  });
}

/** Feature maps drawn per layer; the page says when a layer has more. */
export const MAX_MAPS = 16;

/** A canvas for one row's activations: feature maps as a grid of small grey images, a vector as a strip of cells. */
export function drawActivations(canvas: HTMLCanvasElement, row: LayerRow, maxMaps = MAX_MAPS): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const v = row.values;
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of v) {
    if (a < lo) lo = a;
    if (a > hi) hi = a;
  }
  const span = hi - lo || 1;
  if (row.shape.length === 3) {
    const [h, w, c] = row.shape;
    const maps = c === 3 ? 1 : Math.min(c, maxMaps);
    const perRow = Math.min(maps, 8);
    canvas.width = perRow * (w + 1);
    canvas.height = Math.ceil(maps / perRow) * (h + 1);
    const img = ctx.createImageData(canvas.width, canvas.height);
    for (let m = 0; m < maps; m++) {
      const ox = (m % perRow) * (w + 1);
      const oy = Math.floor(m / perRow) * (h + 1);
      for (let i = 0; i < h; i++) {
        for (let j = 0; j < w; j++) {
          const o = ((oy + i) * canvas.width + ox + j) * 4;
          for (let k = 0; k < 3; k++) {
            const a = c === 3 ? v[(i * w + j) * 3 + k] : v[(i * w + j) * c + m];
            img.data[o + k] = (255 * (a - lo)) / span;
          }
          img.data[o + 3] = 255;
        }
      }
    }
    ctx.putImageData(img, 0, 0);
    return;
  }
  const n = Math.min(v.length, 200);
  canvas.width = n;
  canvas.height = 1;
  const img = ctx.createImageData(n, 1);
  for (let i = 0; i < n; i++) {
    const t = (v[i] - lo) / span;
    img.data[i * 4] = 255 * t;
    img.data[i * 4 + 1] = 255 * t;
    img.data[i * 4 + 2] = 255 * t;
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}
