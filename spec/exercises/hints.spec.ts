import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { ratioHint } from '../../learn/hints';

beforeAll(() => useBackend());

describe('ratioHint', () => {
  const want = [0.5, -1.25, 2, 3.5, -0.75];
  const hint = (factor: number, noise = 0): string | undefined =>
    tf.tidy(() => ratioHint(tf.tensor1d(want.map((v, i) => v * factor + (i === 2 ? noise : 0))), tf.tensor1d(want)));

  it('names a flipped sign, a missing or extra 1/N and the unbiased variance', () => {
    expect(hint(-1)).toMatch(/a sign is flipped/);
    expect(hint(8)).toMatch(/8 times the expected value: a missing 1\/N \(N = 8\)/);
    expect(hint(1 / 8)).toMatch(/1\/8 of the expected value: an extra division by N/);
    expect(hint(6 / 5)).toMatch(/N\/\(N-1\) of the expected value \(N = 6\): the unbiased variance/);
    expect(hint(1.0001)).toMatch(/1\.00010 times the expected value/);
  });

  it('says nothing when the error is not a constant factor, or when there is no error', () => {
    expect(hint(2, 0.5)).toBeUndefined();
    expect(hint(1)).toBeUndefined();
    expect(tf.memory().numTensors).toBe(0);
  });
});
