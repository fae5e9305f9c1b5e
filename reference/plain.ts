/**
 * The course's formulas on plain JavaScript numbers (float64), for the checks of exercises whose answer is no
 * differentiable function: kNN's distances and votes, the update rules, batchnorm's running averages. Each is a
 * transcription of the course's numpy, written apart from src/ so that a check never compares the learner's code
 * with the library's.
 */

/** Squared-root L2 distances between the rows of X [nte, d] and Xtr [ntr, d], both row-major. Returns [nte, ntr]. */
export function distancesPlain(X: ArrayLike<number>, Xtr: ArrayLike<number>, nte: number, ntr: number, d: number): Float64Array {
  const out = new Float64Array(nte * ntr);
  for (let i = 0; i < nte; i++) {
    for (let j = 0; j < ntr; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += (X[i * d + k] - Xtr[j * d + k]) ** 2;
      out[i * ntr + j] = Math.sqrt(s);
    }
  }
  return out;
}

/**
 * The course's predict_labels: the labels of the k nearest training rows (stable order of distance), the most
 * common one, ties going to the smaller label (np.argmax of np.bincount). dists: [nte, ntr] row-major.
 */
export function predictLabelsPlain(dists: ArrayLike<number>, ytr: ArrayLike<number>, nte: number, k: number): number[] {
  const ntr = ytr.length;
  const out: number[] = [];
  for (let i = 0; i < nte; i++) {
    const order = Array.from({ length: ntr }, (_, j) => j).sort((a, b) => dists[i * ntr + a] - dists[i * ntr + b] || a - b);
    const counts = new Map<number, number>();
    for (const j of order.slice(0, k)) counts.set(ytr[j], (counts.get(ytr[j]) ?? 0) + 1);
    let best = -1;
    let bestCount = 0;
    for (const [label, c] of counts) if (c > bestCount || (c === bestCount && label < best)) [best, bestCount] = [label, c];
    out.push(best);
  }
  return out;
}

/** One step of an update rule on plain arrays: the new weights and the new state, by name. */
export interface PlainStep {
  next: number[];
  state: Record<string, number[] | number>;
}

const zip = (a: readonly number[], f: (v: number, i: number) => number): number[] => a.map(f);

/** The course's sgd_momentum: v = momentum v - lr dw; w = w + v. */
export function sgdMomentumPlain(w: number[], dw: number[], c: { learningRate: number; momentum: number; velocity: number[] }): PlainStep {
  const v = zip(dw, (g, i) => c.momentum * c.velocity[i] - c.learningRate * g);
  return { next: zip(w, (x, i) => x + v[i]), state: { velocity: v } };
}

/** The course's rmsprop: cache = decay cache + (1 - decay) dw^2; w -= lr dw / (sqrt(cache) + eps). */
export function rmspropPlain(w: number[], dw: number[], c: { learningRate: number; decayRate: number; epsilon: number; cache: number[] }): PlainStep {
  const cache = zip(dw, (g, i) => c.decayRate * c.cache[i] + (1 - c.decayRate) * g * g);
  return { next: zip(w, (x, i) => x - (c.learningRate * dw[i]) / (Math.sqrt(cache[i]) + c.epsilon)), state: { cache } };
}

/** The course's adam: t += 1 first; bias-corrected moments divided by 1 - beta^t; eps added to sqrt(vt). */
export function adamPlain(
  w: number[],
  dw: number[],
  c: { learningRate: number; beta1: number; beta2: number; epsilon: number; m: number[]; v: number[]; t: number },
): PlainStep {
  const t = c.t + 1;
  const m = zip(dw, (g, i) => c.beta1 * c.m[i] + (1 - c.beta1) * g);
  const v = zip(dw, (g, i) => c.beta2 * c.v[i] + (1 - c.beta2) * g * g);
  const next = zip(w, (x, i) => x - (c.learningRate * (m[i] / (1 - c.beta1 ** t))) / (Math.sqrt(v[i] / (1 - c.beta2 ** t)) + c.epsilon));
  return { next, state: { m, v, t } };
}

/** Per column of x [n, d]: the mean and the biased variance (divide by n). */
export function columnStatsPlain(x: ArrayLike<number>, n: number, d: number): { mean: number[]; variance: number[] } {
  const mean = new Array<number>(d).fill(0);
  const variance = new Array<number>(d).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) variance[j] += (x[i * d + j] - mean[j]) ** 2 / n;
  return { mean, variance };
}

/**
 * Max pool backward as plain loops over NHWC arrays, for the two valid ways to treat tied maxima: 'first' gives
 * a window's gradient to its first maximum (row by row, as autodiff and an argmax do), 'split' shares it evenly
 * among the window's maxima (the course's fast reshape layer). Both are subgradients of the max; 'all' gives the
 * whole gradient to every tied maximum, which is not (the mistake a check recognises). x: [N, H, W, C];
 * dout: [N, HO, WO, C]; returns dx [N, H, W, C].
 */
export function maxPoolBackwardPlain(
  x: ArrayLike<number>,
  dout: ArrayLike<number>,
  [N, H, W, C]: number[],
  pp: { poolHeight: number; poolWidth: number; stride: number },
  ties: 'first' | 'split' | 'all',
): Float64Array {
  const HO = Math.floor((H - pp.poolHeight) / pp.stride) + 1;
  const WO = Math.floor((W - pp.poolWidth) / pp.stride) + 1;
  const at = (n: number, h: number, w: number, c: number) => ((n * H + h) * W + w) * C + c;
  const dx = new Float64Array(N * H * W * C);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < HO; i++) {
      for (let j = 0; j < WO; j++) {
        for (let c = 0; c < C; c++) {
          const cells: number[] = [];
          for (let a = 0; a < pp.poolHeight; a++) {
            for (let b = 0; b < pp.poolWidth; b++) cells.push(at(n, i * pp.stride + a, j * pp.stride + b, c));
          }
          const max = Math.max(...cells.map((k) => x[k]));
          const maxima = cells.filter((k) => x[k] === max);
          const g = dout[((n * HO + i) * WO + j) * C + c];
          if (ties === 'first') dx[maxima[0]] += g;
          else for (const k of maxima) dx[k] += ties === 'split' ? g / maxima.length : g;
        }
      }
    }
  }
  return dx;
}
