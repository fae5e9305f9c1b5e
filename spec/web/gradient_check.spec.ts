/**
 * The page's gradient check (web/gradient_check.ts) against centred differences of the loss in float64: correct
 * code passes at any point of training, with the library's bound, and a planted sign fails its row. The page once
 * differenced float32 scores and, after some training, marked correct biases as failing (b1 1.1e-1 with no bug).
 */
import * as tf from '@tensorflow/tfjs-core';
import { NUMERIC_BOUND } from '../../src/gradcheck';
import { gradientCheck } from '../../web/gradient_check';
import { MODELS, type Hyperparameters, type ModelName } from '../../web/models';
import { Trainer } from '../../web/trainer';
import { useBackend } from '../support/backend';
import { syntheticPageData } from './synthetic_cifar';

// wasm: the numeric check needs no autodiff, and training the three models first is quicker there.
beforeAll(() => useBackend('wasm'));

/** Small versions of the page's models (the convnet's filters and hidden units cut, to keep the spec quick). */
const SETTINGS: Record<ModelName, Partial<Hyperparameters>> = {
  softmax: {},
  two_layer_net: { hiddenDim: 30, updateRule: 'rmsprop', learningRate: 1e-5 },
  convnet: { numFilters: 4, filterSize: 3, hiddenDim: 20, updateRule: 'rmsprop', learningRate: 1e-4 },
};

describe.each(['softmax', 'two_layer_net', 'convnet'] as const)('the %s', (name) => {
  it('passes the float64 centred differences after 30 steps of training, far inside the bound; a planted sign fails', async () => {
    const before = tf.memory().numTensors;
    const data = syntheticPageData(40);
    const h: Hyperparameters = { ...MODELS[name].defaults, batchSize: 10, ...SETTINGS[name] };
    const t = new Trainer((reg) => MODELS[name].build({ ...h, reg }, 0), data, h, 0, 1000);
    try {
      for (let i = 0; i < 30; i++) t.step();
      const X = tf.slice(data.XTrain, 0, 8) as tf.Tensor4D;
      const y = tf.slice(data.yTrain, 0, 8) as tf.Tensor1D;
      const clean = await gradientCheck(t.model, () => MODELS[name].build(h, 0), X, y, h.reg, { mode: 'numeric', plant: false });
      const planted = await gradientCheck(t.model, () => MODELS[name].build(h, 0), X, y, h.reg, { mode: 'numeric', plant: true });
      tf.dispose([X, y]);
      expect(clean.bound).toBe(NUMERIC_BOUND);
      for (const r of clean.rows) {
        // The parameter and its error ride along, so that a failure names them.
        expect({ param: r.param, relError: r.relError, pass: r.pass, tight: r.relError < 1e-4 }).toEqual({ param: r.param, relError: r.relError, pass: true, tight: true });
      }
      for (const r of planted.rows) {
        const wrong = r.param === planted.planted;
        expect({ param: r.param, pass: r.pass, large: wrong ? r.relError > 1 : true }).toEqual({ param: r.param, pass: !wrong, large: true });
      }
    } finally {
      t.dispose();
      tf.dispose([data.XTrain, data.yTrain, data.XVal, data.yVal]);
    }
    expect(tf.memory().numTensors).toBe(before);
  }, 120000);
});
