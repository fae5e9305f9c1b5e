/**
 * airbench's augmentations (src/data/augment.ts): reflect-padded translation against a hand-built reflection,
 * alternating flips that mirror each image exactly once in any two consecutive epochs, and no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import { alternatingFlip, alternatingFlipCoins, randomTranslateReflect, translateReflect } from '../../src/data/augment';

beforeAll(async () => {
  await useBackend();
});

const [H, W] = [5, 6];

/** Images whose every value is distinct. */
function distinct(n: number): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from({ length: n * H * W }, (_, i) => i + 1), [n, H, W, 1]);
}

/** PyTorch's 'reflect': -1 -> 1, n -> n - 2. */
const reflect = (i: number, n: number) => (i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i);

describe('translateReflect and randomTranslateReflect', () => {
  it('shift the picture and fill the border with its mirror image', () => {
    tf.tidy(() => {
      const x = distinct(1);
      const v = x.dataSync();
      const out = translateReflect(x, 1, -2).dataSync();
      for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) expect(out[i * W + j]).toBe(v[reflect(i - 1, H) * W + reflect(j + 2, W)]);
    });
  });

  it('draw one shift per image within maxShift, each image a reflect-shifted copy of itself', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const n = 30;
      const x = distinct(n);
      const v = x.dataSync();
      const out = randomTranslateReflect(x, new Rng(3), 2).dataSync();
      const seen = new Set<string>();
      for (let k = 0; k < n; k++) {
        const matches: string[] = [];
        for (let dy = -2; dy <= 2; dy++) {
          for (let dx = -2; dx <= 2; dx++) {
            let same = true;
            for (let i = 0; i < H && same; i++) for (let j = 0; j < W && same; j++) same = out[(k * H + i) * W + j] === v[(k * H + reflect(i + dy, H)) * W + reflect(j + dx, W)];
            if (same) matches.push(`${dy},${dx}`);
          }
        }
        expect(matches).toHaveLength(1);
        seen.add(matches[0]);
      }
      expect(seen.size).toBeGreaterThan(10);
      expect(() => randomTranslateReflect(x, new Rng(1), 5)).toThrow('randomTranslateReflect: maxShift must be an integer from 0 to 4, got 5');
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('alternatingFlip', () => {
  it('mirrors each image by its coin in even epochs and the other way in odd ones', () => {
    tf.tidy(() => {
      const n = 8;
      const coins = alternatingFlipCoins(n, new Rng(5));
      expect(new Set(coins).size).toBe(2);
      const x = distinct(n);
      const v = x.dataSync();
      const indices = Int32Array.from([3, 0, 7, 5]);
      const batch = tf.gather(x, indices);
      for (const epoch of [0, 1, 2, 3]) {
        const out = alternatingFlip(batch as tf.Tensor4D, indices, coins, epoch).dataSync();
        indices.forEach((index, row) => {
          const flipped = out[row * H * W] === v[index * H * W + W - 1];
          expect(flipped).toBe((coins[index] ^ epoch % 2) === 1);
        });
      }
      expect(() => alternatingFlip(batch as tf.Tensor4D, [3, 0, 7, 9], coins, 0)).toThrow('alternatingFlip: index 9 is outside the 8 coins');
    });
  });
});
