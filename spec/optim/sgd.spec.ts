import * as tf from '@tensorflow/tfjs-core';
import { getUpdateRule, sgd } from '../../src/optim';
import { useBackend } from '../support/backend';
import { expectClose, grid, linspace } from './notebook';

beforeAll(async () => {
  await useBackend();
});

describe('sgd', () => {
  it('takes w - lr * dw (float64 recomputation)', () => {
    const w = grid(-0.4, 0.6);
    const dw = grid(-0.6, 0.4);
    const before = tf.memory().numTensors;
    const { next, config } = sgd(w, dw, { learningRate: 1e-1 });
    const wv = linspace(-0.4, 0.6);
    const dwv = linspace(-0.6, 0.4);
    const expected = wv.map((wi, i) => wi - 1e-1 * dwv[i]);
    expectClose('sgd next_w', next, expected);
    expect(config).toEqual({ learningRate: 1e-1 });
    next.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([w, dw]);
  });

  it('uses the course default learning rate 1e-2 and leaves its inputs alone', () => {
    const w = grid(-0.4, 0.6);
    const dw = grid(-0.6, 0.4);
    const wBefore = Float32Array.from(w.dataSync());
    const { next, config } = sgd(w, dw);
    expect(config.learningRate).toBe(1e-2);
    const expected = linspace(-0.4, 0.6).map((wi, i) => wi - 1e-2 * linspace(-0.6, 0.4)[i]);
    expectClose('sgd default next_w', next, expected);
    expect(w.isDisposed).toBe(false);
    expect(dw.isDisposed).toBe(false);
    expect(Float32Array.from(w.dataSync())).toEqual(wBefore);
    tf.dispose([w, dw, next]);
  });

  it('refuses a gradient of the wrong shape and a non-numeric learning rate', () => {
    const w = tf.zeros([4, 5]);
    const dw = tf.zeros([5, 4]);
    expect(() => sgd(w, dw)).toThrow('sgd: dw [5,4] and w [4,5] must have the same shape');
    expect(() => sgd(w, w, { learningRate: NaN })).toThrow('sgd: config.learningRate must be a finite number, got NaN');
    tf.dispose([w, dw]);
  });

  it('is found by name in the registry, and unknown names are refused with the list', () => {
    expect(getUpdateRule('sgd')).toBe(sgd as unknown);
    expect(() => getUpdateRule('adagrad')).toThrow("unknown update rule 'adagrad'; choose one of sgd, sgd_momentum, rmsprop, adam");
  });
});
