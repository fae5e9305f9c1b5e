/**
 * The training losses of the playground's three models (web/models.ts) on plain JavaScript numbers (float64),
 * written as loops apart from src/, for the page's centred-difference gradient check. In float32 a loss near
 * ln 10 carries a rounding error of about 1e-7, as large as a fresh convnet's change in loss along a small step;
 * in float64 the rounding is 1e-16 and the centred difference is exact to many digits, so a correct backward pass
 * is never blamed.
 *
 * Layouts follow the library: images X [N, 32, 32, 3] NHWC row-major; conv filters [HH, WW, C, F]; the pooled maps
 * flattened in NHWC order before the affine layer.
 */

export interface PlainTensor {
  shape: number[];
  values: ArrayLike<number>;
}

/** Mean softmax cross-entropy of scores [N, C] (row-major) under labels y. */
function softmaxCrossEntropy(scores: Float64Array, n: number, c: number, y: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let j = 0; j < c; j++) max = Math.max(max, scores[i * c + j]);
    let sum = 0;
    for (let j = 0; j < c; j++) sum += Math.exp(scores[i * c + j] - max);
    total += Math.log(sum) - (scores[i * c + y[i]] - max);
  }
  return total / n;
}

/** x [n, d] times w [d, m] plus b [m] (b may be null). */
function affine(x: ArrayLike<number>, n: number, d: number, w: ArrayLike<number>, m: number, b: ArrayLike<number> | null): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < d; k++) {
      const xv = x[i * d + k];
      if (xv === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j] += xv * w[k * m + j];
    }
    if (b) for (let j = 0; j < m; j++) out[i * m + j] += b[j];
  }
  return out;
}

function relu(x: Float64Array): Float64Array {
  return x.map((v) => (v > 0 ? v : 0));
}

function sumOfSquares(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return s;
}

/** The linear softmax: scores = [x, 1] W with W [D + 1, C]; loss + reg * sum(W^2), bias row included. */
export function softmaxLossPlain(p: Record<string, PlainTensor>, X: ArrayLike<number>, n: number, y: ArrayLike<number>, reg: number): number {
  const [d1, c] = p.W.shape;
  const d = d1 - 1;
  const bias = Array.from({ length: c }, (_, j) => p.W.values[d * c + j]);
  const scores = affine(X, n, d, p.W.values, c, bias);
  return softmaxCrossEntropy(scores, n, c, y) + reg * sumOfSquares(p.W.values);
}

/** affine - relu - affine - softmax; loss + 0.5 reg (sum W1^2 + sum W2^2). */
export function twoLayerLossPlain(p: Record<string, PlainTensor>, X: ArrayLike<number>, n: number, y: ArrayLike<number>, reg: number): number {
  const [d, h] = p.W1.shape;
  const c = p.W2.shape[1];
  const hidden = relu(affine(X, n, d, p.W1.values, h, p.b1.values));
  const scores = affine(hidden, n, h, p.W2.values, c, p.b2.values);
  return softmaxCrossEntropy(scores, n, c, y) + 0.5 * reg * (sumOfSquares(p.W1.values) + sumOfSquares(p.W2.values));
}

/**
 * conv (stride 1, 'same' zero padding) - relu - 2x2 max pool - affine - relu - affine - softmax;
 * loss + 0.5 reg (sum W1^2 + sum W2^2 + sum W3^2). X: [n, 32, 32, 3] NHWC.
 */
export function threeLayerConvNetLossPlain(p: Record<string, PlainTensor>, X: ArrayLike<number>, n: number, y: ArrayLike<number>, reg: number): number {
  const [hh, ww, cin, f] = p.W1.shape;
  const H = 32;
  const W = 32;
  const pad = (hh - 1) / 2;
  const w1 = p.W1.values;
  const b1 = p.b1.values;
  const Hp = H / 2;
  const Wp = W / 2;
  const pooled = new Float64Array(n * Hp * Wp * f);
  const conv = new Float64Array(H * W * f);
  for (let i = 0; i < n; i++) {
    conv.fill(0);
    for (let r = 0; r < H; r++) {
      for (let q = 0; q < W; q++) {
        const o = (r * W + q) * f;
        for (let k = 0; k < f; k++) conv[o + k] = b1[k];
        for (let a = 0; a < hh; a++) {
          const rr = r + a - pad;
          if (rr < 0 || rr >= H) continue;
          for (let b = 0; b < ww; b++) {
            const qq = q + b - pad;
            if (qq < 0 || qq >= W) continue;
            for (let ch = 0; ch < cin; ch++) {
              const xv = X[((i * H + rr) * W + qq) * cin + ch];
              const wo = ((a * ww + b) * cin + ch) * f;
              for (let k = 0; k < f; k++) conv[o + k] += xv * w1[wo + k];
            }
          }
        }
      }
    }
    // relu then 2x2 max pool (max of relus = relu of max).
    for (let r = 0; r < Hp; r++) {
      for (let q = 0; q < Wp; q++) {
        for (let k = 0; k < f; k++) {
          let m = 0;
          for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) m = Math.max(m, conv[((2 * r + a) * W + 2 * q + b) * f + k]);
          pooled[((i * Hp + r) * Wp + q) * f + k] = m;
        }
      }
    }
  }
  const d = Hp * Wp * f;
  const h = p.W2.shape[1];
  const c = p.W3.shape[1];
  const hidden = relu(affine(pooled, n, d, p.W2.values, h, p.b2.values));
  const scores = affine(hidden, n, h, p.W3.values, c, p.b3.values);
  const l2 = sumOfSquares(w1) + sumOfSquares(p.W2.values) + sumOfSquares(p.W3.values);
  return softmaxCrossEntropy(scores, n, c, y) + 0.5 * reg * l2;
}

/** The loss of whichever page model the parameters describe (by their names and ranks). */
export function pageModelLossPlain(p: Record<string, PlainTensor>, X: ArrayLike<number>, n: number, y: ArrayLike<number>, reg: number): number {
  if (p.W && !p.W1) return softmaxLossPlain(p, X, n, y, reg);
  if (p.W1.shape.length === 2) return twoLayerLossPlain(p, X, n, y, reg);
  return threeLayerConvNetLossPlain(p, X, n, y, reg);
}
