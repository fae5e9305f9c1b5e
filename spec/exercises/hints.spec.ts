import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { partsHint, ratioHint, suspectHint } from '../../learn/hints';

beforeAll(() => useBackend());

describe('ratioHint', () => {
  const want = [0.5, -1.25, 2, 3.5, -0.75];
  const hint = (factor: number, noise = 0): string | undefined =>
    tf.tidy(() => ratioHint(tf.tensor1d(want.map((v, i) => v * factor + (i === 2 ? noise : 0))), tf.tensor1d(want)));

  it('names a flipped sign, a missing or extra 1/N and the unbiased variance', () => {
    expect(hint(-1)).toMatch(/a sign is flipped/);
    expect(hint(8)).toMatch(/8 times the expected value: a missing division by 8 /);
    expect(hint(1 / 8)).toMatch(/1\/8 of the expected value: an extra division by 8\?/);
    expect(hint(6 / 5)).toMatch(/N\/\(N-1\) of the expected value \(N = 6\): the unbiased variance/);
    expect(hint(1.0001)).toMatch(/1\.00010 times the expected value/);
  });

  it('says nothing when the error is not a constant factor, or when there is no error', () => {
    expect(hint(2, 0.5)).toBeUndefined();
    expect(hint(1)).toBeUndefined();
    expect(tf.memory().numTensors).toBe(0);
  });
});

describe('partsHint', () => {
  const data = [0.5, -1.25, 2, 3.5, -0.75, 1];
  const regular = [0.1, 0.2, -0.3, 0.05, 0.4, -0.2];
  const hint = (a: number, b: number, noise = 0): string | undefined =>
    tf.tidy(() =>
      partsHint(tf.tensor1d(data.map((v, i) => a * v + b * regular[i] + (i === 2 ? noise : 0))), { 'the data term': tf.tensor1d(data), "the regulariser's term": tf.tensor1d(regular) }, 8),
    );

  it('names the part that is off, and says the other is right', () => {
    expect(hint(8, 1)).toBe("the data term is 8 times too large (N = 8: a missing 1/N?) (the regulariser's term: right)");
    expect(hint(1, 0.5)).toBe("the regulariser's term is 0.5 times what it should be (the data term: right)");
    expect(hint(1, 0)).toBe("the regulariser's term is missing (the data term: right)");
    expect(hint(-1, 1)).toBe("the data term has the wrong sign (the regulariser's term: right)");
  });

  it('says nothing when no combination of the parts explains the tensor, or when it is right', () => {
    expect(hint(8, 1, 0.3)).toBeUndefined();
    expect(hint(1, 1)).toBeUndefined();
    expect(tf.memory().numTensors).toBe(0);
  });
});

describe('suspectHint', () => {
  it("names the suspect whose value matches, and only that one", () => {
    const got = tf.tensor1d([1, 2, 3]);
    const suspects = [
      { says: 'the first mistake', value: () => tf.tensor1d([1, 2, 4]) },
      { says: 'the second mistake', value: () => tf.tensor1d([1, 2, 3.00001]) },
    ];
    expect(suspectHint(got, suspects)).toBe('it matches the second mistake');
    expect(suspectHint(got, suspects.slice(0, 1))).toBeUndefined();
    expect(suspectHint(2.5, [{ says: 'a scalar', value: () => 2.5 }])).toBe('it matches a scalar');
    got.dispose();
    expect(tf.memory().numTensors).toBe(0);
  });
});
