/**
 * Inverted dropout (Srivastava et al., 2014), as the course's current dropout_forward: p is the probability of
 * KEEPING a unit. At training time each unit is kept with probability p and the kept ones are divided by p, so
 * every unit's expected value is unchanged and test time needs no rescaling: the layer is then the identity.
 * (ConvNetJS scaled at test time by the wrong factor; scaling at training time leaves nothing to get wrong there.)
 *
 * See docs/dropout.md for why it works and the derivation.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { checkSameShape } from './validate';

export interface DropoutParam {
  /** 'train': drop units at random. 'test': identity. */
  mode: 'train' | 'test';
  /** Probability of keeping each unit, in (0, 1]. */
  p: number;
  /** Generator for the masks; each train-mode call draws a new mask from it. Takes precedence over seed. */
  rng?: Rng;
  /** Without rng: every call draws from a fresh Rng(seed), so the mask repeats (the course's seed, for gradient checks). */
  seed?: number;
}

export type DropoutCache = { mode: 'train'; mask: tf.Tensor } | { mode: 'test' };

const FWD = 'dropout forward';

/**
 * x: any shape. dropoutParam: mode, keep probability p, and rng or seed.
 * Returns out: x's shape, x * mask in train mode with mask = [u < p] / p for u ~ U[0, 1) per unit, and x itself
 * (a new handle on the same data) in test mode; and the cache holding the mask.
 */
export function dropoutForward(x: tf.Tensor, dropoutParam: DropoutParam): { out: tf.Tensor; cache: DropoutCache } {
  const { mode, p } = dropoutParam;
  if (!(p > 0 && p <= 1)) throw new Error(`${FWD}: dropoutParam.p (the keep probability) must be in (0, 1], got ${p}`);
  if (mode === 'test') return { out: tf.clone(x), cache: { mode } };
  if (mode !== 'train') throw new Error(`${FWD}: dropoutParam.mode must be 'train' or 'test', got '${mode}'`);
  let rng = dropoutParam.rng;
  if (!rng) {
    if (dropoutParam.seed === undefined) {
      throw new Error(`${FWD}: train mode needs dropoutParam.rng or dropoutParam.seed (all randomness is seeded)`);
    }
    rng = new Rng(dropoutParam.seed);
  }
  const scale = 1 / p;
  const values = new Float32Array(x.size);
  for (let i = 0; i < values.length; i++) values[i] = rng.uniform() < p ? scale : 0;
  return tf.tidy(() => {
    const mask = tf.tensor(values, x.shape, 'float32');
    return { out: tf.mul(x, mask), cache: { mode, mask } };
  });
}

/** dout: x's shape. Returns dx = dout * mask in train mode (dropped units pass no gradient), dout in test mode. */
export function dropoutBackward(dout: tf.Tensor, cache: DropoutCache): { dx: tf.Tensor } {
  if (cache.mode === 'test') return { dx: tf.clone(dout) };
  checkSameShape('dropout backward', 'dout', dout, 'mask', cache.mask);
  return { dx: tf.mul(dout, cache.mask) };
}
