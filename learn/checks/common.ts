/**
 * What every exercise's check is built from. A check throws a CheckFailure naming the first wrong tensor, a
 * CheckProblem for anything that is no number (a missing throw, a leak, a disposed argument), or lets the
 * learner's own error through (a stub's `not implemented yet` makes it a todo).
 *
 * Nothing here, and nothing a check compares with, comes from the library's solutions: expected values come from
 * the autodiff twins of reference/, centred differences of the learner's own forward pass, plain-number
 * transcriptions of the course's formulas (reference/plain.ts), or the values the course's notebooks print.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../src/random';
import { AUTODIFF_BOUND, NUMERIC_BOUND, relError } from '../../src/gradcheck';
import { GradRow } from '../../reference/catalogue/harness';
import { autodiffGrads } from '../../reference/crosscheck';
import { ratioHint } from '../hints';

/** Forward values vs the reference: the same float32 maths in another order. */
export const FORWARD_BOUND = 1e-5;
/** A model's gradients vs autodiff: sums over a few layers, still the same maths. */
export const MODEL_BOUND = 1e-4;
export const SEED = 231;

/** A wrong value: which tensor, how far off, the bound, and against what. */
export class CheckFailure extends Error {
  constructor(
    readonly tensor: string,
    readonly relErr: number,
    readonly bound: number,
    readonly against: string,
    readonly hint?: string,
  ) {
    const err = Number.isFinite(relErr) ? relErr.toExponential(1) : String(relErr);
    super(`${tensor}: rel error ${err} > ${bound.toExponential(0)} vs ${against}${hint ? `; hint: ${hint}` : ''}`);
  }
}

/** A failure that is no number: a missing throw, a wrong shape, a leak, a disposed argument. */
export class CheckProblem extends Error {}

/**
 * Throws a CheckFailure unless got matches want (same shape, norm-wise relative error within bound). hint: given
 * the learner's tensor when the values differ and no constant factor explains it; it returns a hint only where the
 * numbers are evidence of one mistake (learn/hints.ts), else undefined.
 */
export function expectClose(
  tensor: string,
  got: tf.Tensor | number,
  want: tf.Tensor | number,
  bound: number,
  against: string,
  hint?: (got: tf.Tensor) => string | undefined,
): void {
  if (!(got instanceof tf.Tensor) && typeof got !== 'number') throw new CheckProblem(`${tensor}: got ${describe(got)}, expected ${typeof want === 'number' ? 'a number' : 'a tensor'}`);
  if (got instanceof tf.Tensor && got.isDisposed) throw new CheckProblem(`${tensor}: the returned tensor is already disposed (dispose only what you do not return)`);
  const g = typeof got === 'number' ? tf.scalar(got) : got;
  const w = typeof want === 'number' ? tf.scalar(want) : want;
  try {
    if (g.size !== w.size || (g.rank > 0 && w.rank > 0 && g.shape.join() !== w.shape.join())) {
      // Said only what the shapes show: the right entries in another shape, or how many entries there are.
      const why = g.size === w.size ? `the right number of entries in another shape: reshape it to [${w.shape}]` : `${g.size} entries for ${w.size}`;
      throw new CheckProblem(`${tensor}: shape [${g.shape}], expected [${w.shape}] (${why})`);
    }
    const err = relError(g, w).norm;
    if (!(err <= bound)) {
      // Any two numbers are multiples of each other: for a scalar, only a telling factor (-1, N, 1/N) is a hint.
      const ratio = ratioHint(g, w);
      const telling = ratio !== undefined && !(g.size === 1 && ratio.endsWith('a scale factor is off'));
      throw new CheckFailure(tensor, err, bound, against, (telling ? ratio : undefined) ?? hint?.(g));
    }
  } finally {
    if (g !== got) g.dispose();
    if (w !== want) w.dispose();
  }
}

function describe(v: unknown): string {
  if (v === undefined || v === null) return String(v);
  return typeof v === 'object' ? `an object with keys [${Object.keys(v as object).join(', ')}]` : `${typeof v} ${String(v)}`;
}

/** Throws unless f throws an error of its own (a stub's error counts as not done). */
export function expectThrows(what: string, f: () => unknown): void {
  try {
    tf.tidy(() => {
      f();
    });
  } catch (err) {
    if (err instanceof Error && /not implemented yet/.test(err.message)) throw err;
    return;
  }
  throw new CheckProblem(`${what} did not throw (a call with a wrong shape must fail, naming the shapes)`);
}

/** The first failing row of a catalogue case as a CheckFailure; a row that errored rethrows its error. */
export function gradients(caseName: string): void {
  // Loaded on first use: the catalogue imports every layer, and most checks need none of it.
  const { runCatalogue } = require('../../reference/catalogue/run') as typeof import('../../reference/catalogue/run');
  const rows: GradRow[] = runCatalogue({ seed: SEED, filter: (layer) => layer === caseName });
  if (rows.length === 0) throw new Error(`no gradient check named '${caseName}' in reference/catalogue/`);
  for (const row of rows) {
    if (row.error !== undefined) throw new Error(row.error);
    if (row.pass) continue;
    const viaAutodiff = !(row.relErrAutodiff <= AUTODIFF_BOUND) && !row.zeroGradient;
    if (viaAutodiff) throw new CheckFailure(`${row.param} (${caseName})`, row.relErrAutodiff, AUTODIFF_BOUND, 'autodiff');
    throw new CheckFailure(`${row.param} (${caseName})`, row.relErrNumeric, NUMERIC_BOUND, 'centred differences');
  }
}

/** Every tensor reachable from v through plain objects, arrays and class fields (a few levels deep). */
function reachable(v: unknown, into: Map<number, tf.Tensor>, depth = 0, seen = new Set<object>()): Map<number, tf.Tensor> {
  if (v instanceof tf.Tensor) into.set(v.id, v);
  else if (v !== null && typeof v === 'object' && depth < 6 && !seen.has(v)) {
    seen.add(v);
    for (const x of Array.isArray(v) ? v : Object.values(v)) reachable(x, into, depth + 1, seen);
  }
  return into;
}

/**
 * Calls a learner's function and checks what tfjs cannot: that it disposed none of its inputs (each named, as
 * `x` or `config.m`) and left no tensor behind that it does not hand back. Tensors are counted around the call,
 * not inside a tf.tidy, so a leak shows. holders: the objects the function may keep new tensors in (a bnParam,
 * the instance of a method); the tensors they held before may be replaced and disposed.
 */
export function call<T>(fn: string, inputs: Record<string, tf.Tensor | undefined>, f: () => T, holders: unknown[] = []): T {
  const probe = tf.scalar(0);
  const firstNew = probe.id + 1;
  probe.dispose();
  const held = reachable(holders, new Map());
  const live = tf.memory().numTensors;
  const result = f();
  for (const [name, t] of Object.entries(inputs)) {
    if (t?.isDisposed) throw new CheckProblem(`${fn} disposed its argument ${name}: the caller still uses it; dispose only tensors you made`);
  }
  const after = reachable([result, holders], new Map());
  const fresh = [...after.values()].filter((t) => t.id >= firstNew && !t.isDisposed).length;
  const dropped = [...held.values()].filter((t) => t.isDisposed).length;
  const leaked = tf.memory().numTensors - live - fresh + dropped;
  if (leaked > 0) {
    throw new CheckProblem(`${fn} leaks ${leaked} tensor(s) per call: wrap its work in tf.tidy, or dispose what it makes and does not return`);
  }
  return result;
}

/** Euclidean norm of a tensor, accumulated in float64. */
export function norm(t: tf.Tensor): number {
  return Math.hypot(...t.dataSync());
}

export function labels(rng: Rng, n: number, c: number): tf.Tensor1D {
  return tf.tensor1d(Array.from({ length: n }, () => rng.int(c)), 'int32');
}

/** np.linspace(lo, hi, num=size).reshape(shape), as the notebooks build their inputs (in float32 here). */
export function linspace(lo: number, hi: number, shape: number[]): tf.Tensor {
  return tf.reshape(tf.linspace(lo, hi, shape.reduce((a, b) => a * b)), shape);
}

/** The learner's forward output against the autodiff reference's, within FORWARD_BOUND. */
export function layerForward(tensor: string, got: tf.Tensor, want: () => tf.Tensor, hint?: (got: tf.Tensor) => string | undefined): void {
  tf.tidy(() => expectClose(tensor, got, want(), FORWARD_BOUND, 'autodiff reference', hint));
}

/**
 * A backward pass against tf.grads of the reference: grads maps each of the learner's gradient names (dx, dw) to
 * the input it differentiates (x, w); dout is drawn from the seed. The learner's backward is called outside any
 * tf.tidy (see call), then every gradient compared within AUTODIFF_BOUND.
 */
export function backwardVsAutodiff(
  what: string,
  inputs: Record<string, tf.Tensor>,
  outShape: number[],
  backward: (dout: tf.Tensor) => object,
  ref: (p: Record<string, tf.Tensor>) => tf.Tensor,
  grads: Record<string, string>,
  fn: string,
): void {
  const dout = new Rng(SEED + 7).randn(outShape);
  try {
    const got = call(fn, { dout, ...inputs }, () => backward(dout)) as Record<string, tf.Tensor>;
    if (got === null || typeof got !== 'object') throw new CheckProblem(`${fn} returned ${String(got)}; expected an object of gradients (${Object.keys(grads).join(', ')})`);
    try {
      tf.tidy(() => {
        const auto = autodiffGrads(ref, inputs, dout);
        for (const [mine, input] of Object.entries(grads)) {
          if (!(got[mine] instanceof tf.Tensor)) throw new CheckProblem(`${mine} (${what}): missing from what ${fn} returns`);
          expectClose(`${mine} (${what})`, got[mine], auto[input], AUTODIFF_BOUND, 'autodiff');
        }
      });
    } finally {
      tf.dispose(Object.values(got).filter((t): t is tf.Tensor => t instanceof tf.Tensor));
    }
  } finally {
    dout.dispose();
  }
}

/** Disposes every tensor reachable from v (a forward pass's out and cache), except those in keep. */
export function disposeAll(v: unknown, keep: Array<tf.Tensor | undefined> = []): void {
  const ids = new Set(keep.filter((t): t is tf.Tensor => t instanceof tf.Tensor).map((t) => t.id));
  for (const t of reachable(v, new Map()).values()) if (!ids.has(t.id) && !t.isDisposed) t.dispose();
}

/**
 * A correct answer's speed at one realistic size: times f once on a slice of a script's input (1/scale of it) and,
 * when the whole would take longer than budgetS, returns a note for the pass line (the check still passes: the
 * answer is right, only too slow for the script). what: the call as the script makes it; script: the command.
 * The checks run on tfjs's plain cpu backend, about as fast per op as a script's wasm one for such loops.
 */
export function speedNote(what: string, script: string, scale: number, budgetS: number, f: () => unknown): string | undefined {
  const start = performance.now();
  tf.tidy(() => {
    f();
  });
  const seconds = ((performance.now() - start) / 1000) * scale;
  if (seconds <= budgetS) return undefined;
  return `but slow: ${what} would take about ${seconds < 120 ? `${Math.round(seconds)} s` : `${Math.round(seconds / 60)} min`} per call in \`${script}\` (read each tensor once with dataSync() and loop over plain numbers, or use whole-tensor ops; a tfjs op per element costs microseconds each)`;
}
