/**
 * The harness of the gradient catalogue: how one layer or one model is checked, and the row it reports. The cases
 * themselves are in layer_cases.ts and model_cases.ts, the runner that goes through them in run.ts.
 *
 * Every gradient a hand-written backward pass returns is checked two ways:
 *
 *   relErrAutodiff  hand-written vs tf.grads of the autodiff twin (reference/layers_*.ts, reference/models.ts,
 *                   reference/convnet.ts); the same float32 maths in a different order, so they agree to ~1e-7 and
 *                   must to AUTODIFF_BOUND.
 *   relErrNumeric   hand-written vs centred differences (src/gradcheck.ts, step NUMERIC_STEP) of the hand-written
 *                   forward pass itself, as the course's notebooks check: must agree to NUMERIC_BOUND.
 *
 * Both errors are src/gradcheck.ts's relError, norm-wise ||a - b|| / max(||a||, ||b||); the element-wise maxima
 * are reported beside them for reading. A layer's check differentiates sum(out * dout) for a random dout (the
 * course's eval_numerical_gradient_array), a loss's and a model's the loss itself. Layers are checked on every
 * entry; models on up to NUMERIC_SAMPLES distinct random entries per parameter (the course's grad_check_sparse;
 * all of a smaller parameter), since each entry costs two forward passes of the whole model.
 *
 * Kinks (kinks.ts). Rather than loosen the bound, every check whose function has kinks records where each one sits
 * at the point of the check and at every numerically perturbed point. If any perturbed point lies in a different
 * piece, a layer's inputs are redrawn from the case's generator and the check starts again (`redraws` counts how
 * often); a model's entry is passed over for another random entry (`kinkSkips`), and the model is redrawn only when
 * half its wanted entries cross. So the numeric check only ever compares gradients inside one smooth piece.
 *
 * Gradients that are zero in exact arithmetic (the bias of a layer followed by batchnorm: batchnorm removes any
 * constant shift) are float32 rounding noise on every side. crosscheck.ts's ABS_FLOOR covers the autodiff
 * comparison; the numeric one gets NUMERIC_FLOOR, below which a centred difference cannot be told from zero.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../src/random';
import { NUMERIC_BOUND, NUMERIC_STEP, AUTODIFF_BOUND, gradCheckSparse, numericGradientArray, relError } from '../../src/gradcheck';
import { ABS_FLOOR, autodiffGrads } from '../crosscheck';
import { Model } from '../../src/model';
import { cacheKinks, positiveTies } from './kinks';

/**
 * Below this norm a numeric gradient cannot be told from zero. A centred difference of a float32 function f
 * carries a rounding error of about eps32 * |f| / h per entry (src/gradcheck.ts): with |f| ~ 10 and h = 1e-2
 * that is ~6e-5, and ~2e-4 over a dozen entries. Real gradients in the catalogue are of order 1e-2 and above.
 * Used only where the gradient is zero in exact arithmetic (both autodiff and hand-written below ABS_FLOOR).
 */
export const NUMERIC_FLOOR = 1e-3;
/** Entries checked numerically per model parameter (grad_check_sparse); all entries of a smaller parameter. */
export const NUMERIC_SAMPLES = 10;
/** How often a case's inputs may be redrawn because a numeric step crossed a kink, before the case fails. */
export const MAX_REDRAWS = 20;

/** One gradient of one layer or model, checked both ways. */
export interface GradRow {
  /** The layer or model, with the variant checked ('conv fast (stride 2, pad 1)'). */
  layer: string;
  /** The gradient: 'dx', 'dw', ... for layers, 'dscores' for losses, the parameter name ('W1') for models. */
  param: string;
  shape: number[];
  /** Norm-wise relative error, hand-written vs autodiff. */
  relErrAutodiff: number;
  /** Largest element-wise relative error, hand-written vs autodiff (for reading, not for passing). */
  maxElemAutodiff: number;
  /** Norm-wise relative error, hand-written vs centred differences. */
  relErrNumeric: number;
  /** Largest element-wise relative error, hand-written vs centred differences, over the entries checked. */
  maxElemNumeric: number;
  /** Entries compared with centred differences: all of a layer input, up to NUMERIC_SAMPLES of a model parameter. */
  numericEntries: number;
  /** The gradient is zero in exact arithmetic: hand-written and autodiff both below ABS_FLOOR. */
  zeroGradient: boolean;
  /** How often the inputs were redrawn because a numeric step crossed a kink. */
  redraws: number;
  /** Model parameters checked on random entries: entries passed over because their step crossed a kink. */
  kinkSkips?: number;
  pass: boolean;
  /** Set when the check itself threw: the message. */
  error?: string;
}

/** A named check. `run` draws its inputs from rng, checks every gradient and returns one row per gradient. */
export interface CatalogueCase {
  layer: string;
  run: (rng: Rng) => GradRow[];
}

/** Thrown inside a check when a numerically perturbed point lies in a different smooth piece: redraw the inputs. */
class KinkCrossed extends Error {}

/**
 * Compares a kink signature taken at a perturbed point with the one at the point of the check, and throws
 * KinkCrossed on a difference. Signatures are strings such as '0110' (which relu inputs are positive).
 */
function guardKinks(base: string | undefined, now: string | undefined): void {
  if (base !== now) throw new KinkCrossed();
}

/** A row's pass rule, shared by layers and models (see the file comment). */
function makeRow(
  layer: string,
  param: string,
  hand: tf.Tensor,
  auto: tf.Tensor,
  numeric: ArrayLike<number>,
  analyticAtNumeric: ArrayLike<number>,
  redraws: number,
  numericBound = NUMERIC_BOUND,
  absFloor = ABS_FLOOR,
  autodiffBound = AUTODIFF_BOUND,
): GradRow {
  if (hand.size !== auto.size) throw new Error(`${layer} ${param}: hand-written gradient [${hand.shape}] vs autodiff [${auto.shape}]`);
  const a = relError(hand, auto);
  const n = relError(Array.from(numeric), Array.from(analyticAtNumeric));
  // a.scale = max(||hand||, ||auto||); where both are below ABS_FLOOR, n.scale is the numeric gradient's norm.
  const zeroGradient = a.scale <= absFloor;
  const autodiffOk = a.norm <= autodiffBound || zeroGradient;
  const numericOk = n.norm <= numericBound || (zeroGradient && n.scale <= NUMERIC_FLOOR);
  return {
    layer,
    param,
    shape: hand.shape,
    relErrAutodiff: a.norm,
    maxElemAutodiff: a.maxElementwise,
    relErrNumeric: n.norm,
    maxElemNumeric: n.maxElementwise,
    numericEntries: numeric.length,
    zeroGradient,
    redraws,
    pass: autodiffOk && numericOk,
  };
}

/**
 * The norm below which a gradient counts as zero in exact arithmetic. Rounding noise grows with the gradients: where
 * the largest gradient of a check has norm G above 1, one that is zero in exact arithmetic (a bias before
 * batchnorm) comes out near eps32 * G, so the floor is ABS_FLOOR * max(1, G).
 */
function noiseFloor(auto: Record<string, tf.Tensor>): number {
  return ABS_FLOOR * Math.max(1, ...Object.values(auto).map((g) => tf.tidy(() => tf.norm(g).dataSync()[0])));
}

/** A row for a check that threw: it fails, and says why. */
export function errorRow(layer: string, err: unknown): GradRow {
  return {
    layer,
    param: '(error)',
    shape: [],
    relErrAutodiff: NaN,
    maxElemAutodiff: NaN,
    relErrNumeric: NaN,
    maxElemNumeric: NaN,
    numericEntries: 0,
    zeroGradient: false,
    redraws: 0,
    pass: false,
    error: err instanceof Error ? err.message : String(err),
  };
}

/**
 * Runs a check, redrawing its inputs while a numeric step crosses a kink. draw(rng, redraws) builds inputs and
 * checks them; it throws KinkCrossed to ask for new ones.
 */
function withRedraws(layer: string, rng: Rng, draw: (rng: Rng, redraws: number) => GradRow[]): GradRow[] {
  for (let redraws = 0; redraws <= MAX_REDRAWS; redraws++) {
    try {
      // Everything a draw creates (inputs, upstream gradients, masks) is freed with this scope, thrown or not.
      let rows: GradRow[] = [];
      tf.tidy(() => {
        rows = draw(rng, redraws);
      });
      return rows;
    } catch (err) {
      if (!(err instanceof KinkCrossed)) return [errorRow(layer, err)];
    }
  }
  return [errorRow(layer, `every one of ${MAX_REDRAWS + 1} draws put a kink within a numeric step`)];
}

/** y: n labels in 0..c-1. */
export function labels(rng: Rng, n: number, c: number): tf.Tensor1D {
  return tf.tensor1d(Array.from({ length: n }, () => rng.int(c)), 'int32');
}

// ---------------------------------------------------------------------------------------------------------------
// Layers

/**
 * One layer's check. inputs: every differentiated input by name ('x', 'w', ...); its gradient is 'd' + name.
 * forward: the hand-written forward pass, returning its output and whatever the backward pass needs.
 * backward: the hand-written backward pass, returning one gradient per input, keyed 'dx', 'dw', ...
 * twin: the autodiff twin's forward. signature: where the kinks sit, for functions that have them.
 * dout: the upstream gradient; omitted for a loss, whose forward returns the scalar loss itself.
 */
export interface LayerSpec<C> {
  inputs: Record<string, tf.Tensor>;
  forward: (inputs: Record<string, tf.Tensor>) => { out: tf.Tensor; cache: C };
  /** Returns an object of gradients ({ dx, dw, db } or a layer's own gradient type), read by key. */
  backward: (dout: tf.Tensor | undefined, cache: C) => object;
  twin: (inputs: Record<string, tf.Tensor>) => tf.Tensor;
  signature?: (cache: C, inputs: Record<string, tf.Tensor>) => string;
  dout?: tf.Tensor;
}

/**
 * Checks one layer: hand-written backward vs autodiff twin, and vs centred differences of the hand-written forward
 * on every entry of every input. Runs inside withRedraws's tf.tidy, which frees every tensor made here.
 */
function checkLayer<C>(layer: string, spec: LayerSpec<C>, redraws: number): GradRow[] {
  const { inputs, dout } = spec;
  const fwd = spec.forward(inputs);
  const base = spec.signature?.(fwd.cache, inputs);
  const handByD = spec.backward(dout, fwd.cache) as Record<string, tf.Tensor>;
  const auto = autodiffGrads(spec.twin, inputs, dout);
  const floor = noiseFloor(auto);
  const rows: GradRow[] = [];
  for (const name of Object.keys(inputs)) {
    const hand = handByD[`d${name}`];
    if (!hand) throw new Error(`${layer}: the backward pass returned no d${name}`);
    const numeric = numericGradientArray(
      (t) => {
        const moved = { ...inputs, [name]: t };
        const r = spec.forward(moved);
        if (spec.signature) guardKinks(base, spec.signature(r.cache, moved));
        return r.out;
      },
      inputs[name],
      dout,
      NUMERIC_STEP,
    );
    rows.push(makeRow(layer, `d${name}`, hand, auto[name], numeric, hand.dataSync(), redraws, NUMERIC_BOUND, floor));
  }
  for (const key of Object.keys(handByD)) {
    if (!(key.slice(1) in inputs)) throw new Error(`${layer}: the backward pass returned ${key}, which no check covers`);
  }
  return rows;
}

/**
 * A layer case: draw(rng) builds the spec from seeded inputs; kinked specs are redrawn as needed. Exported so that
 * the spec can check the harness itself on a deliberately wrong layer.
 */
export function layerCase<C>(layer: string, draw: (rng: Rng) => LayerSpec<C>): CatalogueCase {
  return { layer, run: (rng) => withRedraws(layer, rng, (r, redraws) => checkLayer(layer, draw(r), redraws)) };
}

// ---------------------------------------------------------------------------------------------------------------
// Models

/**
 * One model's check. model: a freshly built model (disposed by the check). X, y: a small batch.
 * twin: the model's loss as an autodiff twin of its parameters. caches: the caches of the model's own forward pass
 * at its current parameters (train mode), from which kinks.ts reads where every kink sits.
 */
export interface ModelSpec {
  model: Model & { dispose(): void };
  X: tf.Tensor;
  y: tf.Tensor1D;
  twin: (params: Record<string, tf.Tensor>) => tf.Scalar;
  caches: () => object;
  /**
   * The centred differences' step, NUMERIC_STEP unless given. A model with hundreds of relus and pooling windows
   * (ResNet) puts some kink within NUMERIC_STEP of nearly every parameter entry; a smaller step crosses fewer, at
   * the price of more float32 rounding in each difference.
   */
  numericStep?: number;
  /** relErrNumeric's bound, NUMERIC_BOUND unless given: a smaller numericStep leaves more float32 rounding. */
  numericBound?: number;
  /** relErrAutodiff's bound, AUTODIFF_BOUND unless given: float32 rounding grows with a model's depth. */
  autodiffBound?: number;
}

/**
 * grad_check_sparse with kinks stepped around: centred differences, each by gradCheckSparse, at distinct entries
 * of x taken in random order until NUMERIC_SAMPLES of them (or all of x, if smaller) are compared. An entry whose
 * step crosses a kink (f throws KinkCrossed) is passed over for the next one: among a model's many relu inputs
 * some step often moves one across zero, and redrawing the whole model for each would be wasteful. If fewer than
 * half the wanted entries are smooth, the inputs sit too close to kinks and the model is redrawn.
 * Returns the numeric and analytic values compared, and how many entries were passed over.
 */
function sparseNumeric(
  f: (x: tf.Tensor) => number,
  x: tf.Tensor,
  analytic: tf.Tensor,
  rng: Rng,
  step = NUMERIC_STEP,
): { numeric: number[]; analytic: number[]; kinkSkips: number } {
  const wanted = Math.min(NUMERIC_SAMPLES, x.size);
  const order = rng.permutation(x.size);
  const numeric: number[] = [];
  const picked: number[] = [];
  let kinkSkips = 0;
  for (let k = 0; k < order.length && numeric.length < wanted; k++) {
    try {
      const r = gradCheckSparse(f, x, analytic, 1, () => order[k], step);
      numeric.push(r.numeric[0]);
      picked.push(r.analytic[0]);
    } catch (err) {
      if (!(err instanceof KinkCrossed)) throw err;
      kinkSkips++;
    }
  }
  if (numeric.length < Math.ceil(wanted / 2)) throw new KinkCrossed();
  return { numeric, analytic: picked, kinkSkips };
}

/**
 * Checks one model: its loss's hand-written gradients vs tf.grads of the twin, and vs centred differences of the
 * model's own loss at up to NUMERIC_SAMPLES random entries per parameter (sparseNumeric). Each perturbed
 * evaluation writes the parameter with Variable.assign; the original value is restored afterwards.
 */
function checkModel(layer: string, spec: ModelSpec, pickRng: Rng, redraws: number): GradRow[] {
  const { model, X, y } = spec;
  try {
    if (tf.tidy(() => positiveTies(spec.caches())) > 0) throw new KinkCrossed();
    const { grads } = model.loss(X, y);
    const signature = () => tf.tidy(() => cacheKinks(spec.caches()));
    const base = signature();
    const auto = autodiffGrads((p) => spec.twin(p), model.params);
    const floor = noiseFloor(auto);
    const lossAt = (name: string, value: tf.Tensor): number => {
      model.params[name].assign(value);
      guardKinks(base, signature());
      return model.loss(X, y).loss.dataSync()[0];
    };
    const rows: GradRow[] = [];
    for (const name of Object.keys(model.params)) {
      const param = model.params[name];
      const original = tf.clone(param);
      const hand = grads[name];
      if (!hand) throw new Error(`${layer}: loss returned no gradient for ${name}`);
      let numeric: ReturnType<typeof sparseNumeric>;
      try {
        numeric = sparseNumeric((t) => lossAt(name, t), original, hand, pickRng, spec.numericStep);
      } finally {
        param.assign(original);
      }
      const row = makeRow(layer, name, hand, auto[name], numeric.numeric, numeric.analytic, redraws, spec.numericBound, floor, spec.autodiffBound);
      rows.push({ ...row, kinkSkips: numeric.kinkSkips });
    }
    for (const key of Object.keys(grads)) {
      if (!(key in model.params)) throw new Error(`${layer}: loss returned a gradient for ${key}, which is no parameter`);
    }
    return rows;
  } finally {
    // Variables outlive tf.tidy: the model frees its own, and its batchnorm running statistics.
    model.dispose();
  }
}

/** A model case: draw(rng) builds a fresh model and its batch; the model is redrawn when its kinks crowd the steps. */
export function modelCase(layer: string, draw: (rng: Rng) => ModelSpec): CatalogueCase {
  return { layer, run: (rng) => withRedraws(layer, rng, (r, redraws) => checkModel(layer, draw(r), r, redraws)) };
}

