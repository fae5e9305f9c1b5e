/**
 * Hints for the usual mistakes, each said only when the learner's numbers are that mistake's: the tensor is the
 * expected one times a constant (a flipped sign, a missing 1/N, N/(N-1) of an unbiased variance: ratioHint); a
 * sum of parts with one part off (a gradient's data term not divided by N, the regulariser's term halved:
 * partsHint); or it equals what a named mistake computes, which the check computes too (suspectHint). When no
 * evidence points anywhere, a failure names the tensor and the case, and guesses nothing.
 */
import * as tf from '@tensorflow/tfjs-core';

/** How far got is from being c * want, relative; and c. */
function bestFactor(got: ArrayLike<number>, want: ArrayLike<number>): { c: number; residual: number } {
  let gw = 0;
  let ww = 0;
  let gg = 0;
  for (let i = 0; i < want.length; i++) {
    gw += got[i] * want[i];
    ww += want[i] * want[i];
    gg += got[i] * got[i];
  }
  if (ww === 0 || gg === 0) return { c: NaN, residual: Infinity };
  const c = gw / ww;
  let r = 0;
  for (let i = 0; i < want.length; i++) r += (got[i] - c * want[i]) ** 2;
  return { c, residual: Math.sqrt(r / gg) };
}

/** A hint when got is a constant multiple of want, else undefined. */
export function ratioHint(got: tf.Tensor, want: tf.Tensor): string | undefined {
  const { c, residual } = bestFactor(got.dataSync(), want.dataSync());
  if (!(residual < 1e-3) || Math.abs(c - 1) < 1e-4) return undefined;
  if (Math.abs(c + 1) < 1e-3) return 'it is exactly minus the expected value: a sign is flipped';
  const n = Math.round(c);
  if (n >= 2 && Math.abs(c - n) < 1e-3 * n) return `it is ${n} times the expected value: a missing division by ${n} (a batch size, or a count of positions)?`;
  const inv = Math.round(1 / c);
  if (inv >= 2 && Math.abs(1 / c - inv) < 1e-3 * inv) return `it is 1/${inv} of the expected value: an extra division by ${inv}?`;
  const unbiased = Math.round(1 / (c - 1)) + 1;
  if (unbiased >= 2 && unbiased <= 1000 && Math.abs(c - unbiased / (unbiased - 1)) < 1e-3 * (c - 1)) {
    return `it is N/(N-1) of the expected value (N = ${unbiased}): the unbiased variance? The course uses the biased one (divide by N)`;
  }
  return `it is ${c.toPrecision(6)} times the expected value: a scale factor is off`;
}

/**
 * The learner's tensor against a sum of named parts (a loss's gradient = the data term + the regulariser's term):
 * fits got = sum_i c_i part_i by least squares and, when the fit is exact (residual under 1e-3 of |got|) and some
 * c_i is not 1, names each part that is off and by what factor. Undefined when no such fit explains got (the
 * mistake is elsewhere, and the caller says nothing rather than guess).
 *
 * parts: name -> tensor, each of got's shape; want = the sum of the parts. n: the batch size of the case, so that
 * a factor of exactly n can be called a missing 1/N.
 */
export function partsHint(got: tf.Tensor, parts: Record<string, tf.Tensor>, n?: number): string | undefined {
  const names = Object.keys(parts);
  const g = Float64Array.from(got.dataSync());
  const cols = names.map((k) => Float64Array.from(parts[k].dataSync()));
  if (cols.some((c) => c.length !== g.length)) return undefined;
  const m = names.length;
  // Normal equations A^T A c = A^T g, solved by Gaussian elimination in float64 (m is 2 or 3).
  const ata = cols.map((a) => cols.map((b) => a.reduce((s, v, i) => s + v * b[i], 0)));
  const atg = cols.map((a) => a.reduce((s, v, i) => s + v * g[i], 0));
  const aug = ata.map((row, i) => [...row, atg[i]]);
  for (let i = 0; i < m; i++) {
    let p = i;
    for (let r = i + 1; r < m; r++) if (Math.abs(aug[r][i]) > Math.abs(aug[p][i])) p = r;
    [aug[i], aug[p]] = [aug[p], aug[i]];
    if (!(Math.abs(aug[i][i]) > 1e-12 * Math.max(1, Math.abs(ata[0][0])))) return undefined;
    for (let r = 0; r < m; r++) {
      if (r === i) continue;
      const f = aug[r][i] / aug[i][i];
      for (let c = i; c <= m; c++) aug[r][c] -= f * aug[i][c];
    }
  }
  const c = aug.map((row, i) => row[m] / row[i]);
  let res = 0;
  let gg = 0;
  for (let i = 0; i < g.length; i++) {
    let fit = 0;
    for (let k = 0; k < m; k++) fit += c[k] * cols[k][i];
    res += (g[i] - fit) ** 2;
    gg += g[i] * g[i];
  }
  if (!(gg > 0) || !(Math.sqrt(res / gg) < 1e-3)) return undefined;
  const off = names.map((name, k) => ({ name, c: c[k] })).filter((p) => Math.abs(p.c - 1) > 1e-3);
  if (off.length === 0) return undefined;
  const say = ({ name, c: f }: { name: string; c: number }): string => {
    if (Math.abs(f) < 1e-3) return `${name} is missing`;
    if (Math.abs(f + 1) < 1e-3) return `${name} has the wrong sign`;
    if (n !== undefined && Math.abs(f - n) < 1e-3 * n) return `${name} is ${n} times too large (N = ${n}: a missing 1/N?)`;
    if (n !== undefined && Math.abs(f * n - 1) < 1e-3) return `${name} is 1/${n} of what it should be (N = ${n}: divided by N twice?)`;
    return `${name} is ${Number(f.toPrecision(4))} times what it should be`;
  };
  const right = names.filter((name) => !off.some((p) => p.name === name));
  return `${off.map(say).join('; ')}${right.length > 0 ? ` (${right.join(', ')}: right)` : ''}`;
}

/** A mistake the check can test for: what it says, and the value a learner making it would have returned. */
export interface Suspect {
  says: string;
  value: () => tf.Tensor | number;
}

/**
 * The first suspect whose value got matches (norm-wise within bound), as its message; undefined when none does.
 * Each suspect is the evidence for its hint: a hint is said only when the learner's numbers are that mistake's.
 */
export function suspectHint(got: tf.Tensor | number, suspects: readonly Suspect[], bound = 1e-4): string | undefined {
  return tf.tidy(() => {
    const g = typeof got === 'number' ? tf.scalar(got) : got;
    for (const s of suspects) {
      const v = s.value();
      const w = typeof v === 'number' ? tf.scalar(v) : v;
      if (w.size !== g.size) continue;
      const num = tf.norm(tf.sub(tf.reshape(g, [-1]), tf.reshape(w, [-1]))).dataSync()[0];
      const den = Math.max(tf.norm(g).dataSync()[0], tf.norm(w).dataSync()[0]);
      if (den > 0 ? num / den <= bound : num === 0) return `it matches ${s.says}`;
    }
    return undefined;
  });
}

/**
 * For the case with scores in the hundreds, checked after the ordinary case passed: a NaN or an infinity in the
 * learner's tensor is exp overflowing, and the hint says so; finite values say nothing about overflow.
 */
export function overflowHint(got: tf.Tensor): string | undefined {
  return got.dataSync().some((v) => !Number.isFinite(v)) ? "subtract each row's maximum score before exp (softmax is unchanged by it, and exp no longer overflows)" : undefined;
}
