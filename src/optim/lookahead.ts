/**
 * Lookahead (Zhang et al. 2019, "Lookahead Optimizer: k steps forward, 1 step back"), in airbench's form: an
 * exponential moving average of the weights, blended in every k steps, with a decay that grows over training.
 *
 *   every k-th step t:   ema <- decay(t) * ema + (1 - decay(t)) * w,   then  w <- ema
 *   decay(t) = base * (t / T)^3                  (T: the run's total steps, base = 0.95^5 by default)
 *
 * The fast weights w explore for k steps; the slow weights ema then take a fraction of that move and the fast
 * weights restart from them. Early on decay is near 0 and lookahead changes almost nothing (the net moves fast);
 * towards the end decay nears base and the average smooths away the noise of the last steps' large-batch SGD,
 * much like averaging the weights of the final epochs. At the end of training the caller copies ema into w
 * (lookaheadWeights).
 *
 * Written as a wrapper of an update rule, so that its state (ema, the step count) lives in each parameter's config
 * beside the inner rule's: a checkpoint saves it and a resumed run continues it with nothing else to do.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkHyper, stateOrZeros } from './config';
import type { OptimConfig } from './config';

export type LookaheadFields = {
  /** Blend every this many steps (k). Default 5. */
  lookaheadEvery: number;
  /** The run's total steps T, at which decay reaches base. Default 1 (set it to the run's length). */
  lookaheadSteps: number;
  /** decay at t = T. Default 0.95^5. */
  lookaheadBase: number;
  /** Steps taken so far (t). Starts at 0. */
  lookaheadStep: number;
  /** The slow weights, w's shape. Starts as a copy of w. */
  ema: tf.Tensor;
};

export const LOOKAHEAD_DEFAULTS = { lookaheadEvery: 5, lookaheadSteps: 1, lookaheadBase: 0.95 ** 5, lookaheadStep: 0 };

type Rule = (w: tf.Tensor, dw: tf.Tensor, config?: Partial<OptimConfig>) => { next: tf.Tensor; config: OptimConfig };

/** decay(t) = base * min(t / T, 1)^3. */
export function lookaheadDecay(t: number, T: number, base: number): number {
  return base * Math.min(t / T, 1) ** 3;
}

/**
 * rule, followed every lookaheadEvery-th step by the blend above. The returned rule takes rule's config plus
 * LookaheadFields, and returns both (the inner rule's state tensors and the new ema).
 */
export function withLookahead(rule: Rule): Rule {
  return function lookahead(w: tf.Tensor, dw: tf.Tensor, config: Partial<OptimConfig> = {}) {
    const fn = 'lookahead';
    const every = checkHyper(fn, 'lookaheadEvery', config.lookaheadEvery ?? LOOKAHEAD_DEFAULTS.lookaheadEvery);
    const T = checkHyper(fn, 'lookaheadSteps', config.lookaheadSteps ?? LOOKAHEAD_DEFAULTS.lookaheadSteps);
    const base = checkHyper(fn, 'lookaheadBase', config.lookaheadBase ?? LOOKAHEAD_DEFAULTS.lookaheadBase);
    const t = checkHyper(fn, 'lookaheadStep', config.lookaheadStep ?? LOOKAHEAD_DEFAULTS.lookaheadStep) + 1;
    if (!Number.isInteger(every) || every < 1) throw new Error(`${fn}: config.lookaheadEvery must be a positive integer, got ${every}`);
    if (!(T > 0)) throw new Error(`${fn}: config.lookaheadSteps must be positive, got ${T}`);
    return tf.tidy(() => {
      // The slow weights start where the fast ones do (the first call's w).
      const ema = config.ema === undefined ? tf.clone(w) : stateOrZeros(fn, 'ema', config.ema, w);
      const inner = rule(w, dw, config);
      const fields = { lookaheadEvery: every, lookaheadSteps: T, lookaheadBase: base, lookaheadStep: t };
      if (t % every !== 0) return { next: inner.next, config: { ...inner.config, ...fields, ema } as OptimConfig };
      const decay = lookaheadDecay(t, T, base);
      const blended = tf.add(tf.mul(ema, decay), tf.mul(inner.next, 1 - decay));
      // next and ema hold the same values but are separate tensors: the caller frees each on its own.
      return { next: tf.clone(blended), config: { ...inner.config, ...fields, ema: blended } as OptimConfig };
    });
  };
}

/** The slow weights of a parameter's lookahead config (the weights to keep at the end of training), or null. */
export function lookaheadWeights(config: Partial<OptimConfig>): tf.Tensor | null {
  return config.ema instanceof tf.Tensor ? config.ema : null;
}
