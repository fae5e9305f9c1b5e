/**
 * Checks of A2 Q3 (Dropout): inverted dropout's values and keep rate, the mask drawn from the seed (same seed,
 * same mask; one Rng, a new mask per call), test mode as the identity; the backward pass through the catalogue
 * (a layer and a whole net with dropout) and in test mode.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../src/random';
import { dropoutBackward, dropoutForward } from '../../src/layers/dropout';
import { CheckProblem, call, disposeAll, expectClose, gradients } from './common';

function dropoutForwardCheck(): void {
  const x = tf.fill([100, 50], 10);
  const p = 0.6;
  const outs: tf.Tensor[] = [];
  const run = (param: Parameters<typeof dropoutForward>[1]): tf.Tensor => {
    const r = call('dropoutForward', { x }, () => dropoutForward(x, param), [param]);
    if (r === null || typeof r !== 'object' || !(r.out instanceof tf.Tensor)) throw new CheckProblem(`dropoutForward returned ${String(r)}; expected { out, cache }`);
    disposeAll(r.cache, [x, r.out]);
    outs.push(r.out);
    return r.out;
  };
  try {
    const out = run({ mode: 'train', p, seed: 1 });
    const values = out.dataSync();
    let kept = 0;
    for (const v of values) {
      if (Math.abs(v - 10 / p) < 1e-4) kept++;
      else if (v !== 0) throw new CheckProblem(`out (train): an entry ${v} is neither 0 nor x / p = ${(10 / p).toFixed(4)} (inverted dropout scales the kept units by 1 / p)`);
    }
    const frac = kept / values.length;
    if (Math.abs(frac - p) > 0.03) throw new CheckProblem(`out (train): kept ${frac.toFixed(3)} of the units with p = ${p} (p is the probability of keeping a unit)`);
    const same = run({ mode: 'train', p, seed: 1 });
    if (same.dataSync().some((v, i) => v !== values[i])) throw new CheckProblem('out (train, seed 1 twice): two masks differ; draw the mask from dropoutParam.seed (a new Rng(seed) per call), never from Math.random');
    const other = run({ mode: 'train', p, seed: 2 });
    if (other.dataSync().every((v, i) => v === values[i])) throw new CheckProblem('out (train, seeds 1 and 2): the same mask for two seeds; draw the mask from dropoutParam.seed');
    const rng = new Rng(7);
    const a = run({ mode: 'train', p, rng }).dataSync();
    const b = run({ mode: 'train', p, rng }).dataSync();
    if (b.every((v, i) => v === a[i])) throw new CheckProblem('out (train, one rng twice): the same mask twice; with dropoutParam.rng each call draws a new mask from it');
    tf.tidy(() => expectClose('out (test)', run({ mode: 'test', p }), x, 0, 'x itself', () => 'test mode is the identity (inverted dropout already scaled the training outputs)'));
  } finally {
    tf.dispose([x, ...outs]);
  }
}

function dropoutBackwardTest(): void {
  const x = new Rng(3).randn([4, 5]);
  const dout = new Rng(4).randn([4, 5]);
  const fwd = dropoutForward(x, { mode: 'test', p: 0.5 });
  try {
    const got = call('dropoutBackward', { dout }, () => dropoutBackward(dout, fwd.cache));
    tf.tidy(() => expectClose('dx (test mode)', got?.dx, dout, 0, 'dout itself', () => 'test mode passes dout through unchanged'));
    disposeAll(got, [dout]);
  } finally {
    disposeAll(fwd, [x]);
    tf.dispose([x, dout]);
  }
}

export const CHECKS: Record<string, () => void> = {
  dropout_forward: dropoutForwardCheck,
  dropout_backward: () => {
    dropoutBackwardTest();
    ['dropout (fixed seed, keep 0.6)', 'FullyConnectedNet (none, dropout keep 0.75, reg 0.1)'].forEach(gradients);
  },
};
