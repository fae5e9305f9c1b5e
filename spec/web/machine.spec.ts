/**
 * The page's state machine (web/machine.ts) driven without a browser: the learner's messages in, the worker's
 * reports played back by hand, the effects (what the page would post to the worker) read out. Each sequence is one
 * the page once got wrong: a refused field that threw the trained model away, a refused first model that left the
 * page with no way on, a stop whose markers and running mean mixed two models, New weights that gave the same
 * weights, an upload whose scores never followed the training.
 */
import { readUrlState } from '../../web/fields';
import { can, EXPLORE_ONLY, init, update, type Effect, type Msg, type PageState } from '../../web/machine';
import { MODELS, type Hyperparameters, type ModelName } from '../../web/models';
import type { ExploreSnapshot, FromWorker, ProgressData, SlowData, ToWorker } from '../../web/protocol';
import { segmentedRunningMean } from '../../web/charts';

const CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

function progress(iteration: number, newLosses: [number, number][] = [], phase: ProgressData['phase'] = 'paused'): ProgressData {
  return {
    phase,
    iteration,
    examplesSeen: iteration * 25,
    epoch: (iteration * 25) / 5000,
    batchSize: 25,
    newLosses,
    newChecks: [],
    examplesPerSecond: 100,
    numTensors: 12,
    heldTensors: 12,
    held: { data: 6, params: 4, solver: 2 },
    numBytes: 1e6,
    memory: [],
    initialLoss: 2.3,
  };
}

const SLOW: SlowData = {
  tiles: { values: new Float32Array(0), count: 0, h: 0, w: 0, caption: '' },
  stripProbs: new Float32Array(80),
  paramSums: {},
  confusion: null,
  confusionIteration: null,
  babysit: null,
};

const READY: FromWorker = {
  type: 'ready',
  backend: { name: 'wasm', requested: 'wasm', failures: [], simd: true, threads: true },
  source: 'synthetic',
  classNames: CLASS_NAMES,
  strip: { images: new Uint8Array(8 * 3072), labels: [0, 1, 2, 3, 4, 5, 6, 7], indices: [0, 1, 2, 3, 4, 5, 6, 7] },
  gflops: 20,
  numTrain: 5000,
};

function built(model: ModelName, hyper: Hyperparameters, iteration = 0): FromWorker {
  return { type: 'built', model, hyper, evalSizes: { train: 200, val: 200 }, restored: false, progress: progress(iteration), slow: SLOW };
}

/** A session: the state, and every message the page posted to the worker so far. */
class Session {
  state: PageState;
  sent: ToWorker[] = [];
  effects: Effect[] = [];

  constructor(search: string) {
    const first = init(readUrlState(search));
    this.state = first.state;
    this.take(first.effects);
  }

  private take(effects: Effect[]): void {
    this.effects.push(...effects);
    for (const e of effects) if (e.type === 'send') this.sent.push(e.msg);
  }

  do(msg: Msg): this {
    const step = update(this.state, msg);
    this.state = step.state;
    this.take(step.effects);
    return this;
  }

  worker(msg: FromWorker): this {
    return this.do({ type: 'worker', msg });
  }

  /** The last message of a type posted to the worker. */
  last<T extends ToWorker['type']>(type: T): Extract<ToWorker, { type: T }> | undefined {
    return [...this.sent].reverse().find((m) => m.type === type) as Extract<ToWorker, { type: T }> | undefined;
  }

  count(type: ToWorker['type']): number {
    return this.sent.filter((m) => m.type === type).length;
  }
}

/** A two-layer net built, trained to `iteration` and still training. */
function trainingTwoLayerNet(iteration: number): Session {
  const s = new Session('?model=two_layer_net');
  s.worker(READY);
  const asked = s.last('build');
  if (!asked) throw new Error('no build asked for');
  s.worker(built('two_layer_net', asked.hyper));
  s.do({ type: 'start' });
  const losses: [number, number][] = Array.from({ length: iteration }, (_, i) => [i + 1, 2.3 - i / 1000]);
  s.worker({ type: 'progress', progress: progress(iteration, losses, 'running') });
  return s;
}

describe('the page machine: phases', () => {
  it('loading -> ready -> training -> paused, with Start and Pause allowed only where they mean something', () => {
    const s = new Session('?model=softmax');
    expect(s.effects[0]).toEqual({ type: 'startWorker', backend: null });
    expect(s.state.phase).toBe('loading');
    expect(can(s.state).start).toBe(false);
    s.worker(READY);
    expect(s.last('build')?.model).toBe('softmax');
    s.worker(built('softmax', MODELS.softmax.defaults));
    expect(s.state.phase).toBe('ready');
    expect(can(s.state)).toMatchObject({ start: true, pause: false });
    s.do({ type: 'start' });
    expect(s.state.phase).toBe('training');
    expect(s.last('start')).toBeDefined();
    s.do({ type: 'pause' });
    expect(s.state.pausing).toBe(true);
    expect(s.effects.some((e) => e.type === 'pauseFlag')).toBe(true);
    s.worker({ type: 'progress', progress: progress(10, [], 'paused') });
    expect(s.state).toMatchObject({ phase: 'paused', pausing: false });
  });

  it('no backend or no data: failed, with nothing to press', () => {
    const s = new Session('');
    s.worker({ type: 'failed', stage: 'data', message: 'GET /data/data_batch_1.bin: 404' });
    expect(s.state.phase).toBe('failed');
    expect(s.state.error).toContain('No data: GET /data/data_batch_1.bin: 404');
    expect(can(s.state)).toMatchObject({ start: false, newWeights: false, inspect: false, save: false });
  });
});

describe('the page machine: the sequences the page once got wrong', () => {
  it('1. fixing a refused field keeps the trained model (hidden 0, then 20000 refused for time, then 100)', () => {
    const s = trainingTwoLayerNet(125);
    const builds = s.count('build');
    s.do({ type: 'field', field: 'hiddenDim', text: '0' });
    expect(s.state.refusal?.message).toBe("Cannot build the Two-layer net: hidden units must be an integer from 1 to 1000000, got '0'. The current model is kept.");
    expect(s.state.refusal?.field).toBe('hiddenDim');
    expect(s.count('build')).toBe(builds);
    s.do({ type: 'field', field: 'hiddenDim', text: '20000' });
    expect(s.count('build')).toBe(builds + 1);
    // The page does not pause for a build the worker may refuse: training goes on.
    expect(s.state.phase).toBe('training');
    expect(s.count('pause')).toBe(0);
    const hyper = s.state.model?.hyper ?? null;
    s.worker({ type: 'refused', message: 'Cannot build the Two-layer net: one training step would take about 3.1 s', hyper });
    expect(s.state.phase).toBe('training');
    expect(s.state.refusal?.message).toContain('The current model is kept.');
    s.do({ type: 'field', field: 'hiddenDim', text: '100' });
    // 100 is the running model's own: no new weights, the refusal cleared, iteration 125 kept.
    expect(s.count('build')).toBe(builds + 1);
    expect(s.state.refusal).toBeNull();
    expect(s.state.progress?.iteration).toBe(125);
    expect(s.state.phase).toBe('training');
  });

  it('2. a first model refused by a guard is the phase refused, with a way on: fix the field and the page builds it', () => {
    const s = new Session('?model=two_layer_net&hidden=1000000');
    s.worker(READY);
    expect(s.last('build')?.hyper.hiddenDim).toBe(1000000);
    s.worker({ type: 'refused', message: 'Cannot build the Two-layer net: it would need about 45.8 GiB', hyper: null });
    expect(s.state.phase).toBe('refused');
    expect(s.state.refusal?.message).not.toContain('current model is kept');
    expect(s.state.refusal?.message).toContain('There is no model yet: change the fields and the page builds it');
    expect(can(s.state)).toMatchObject({ start: false, newWeights: true });
    s.do({ type: 'field', field: 'hiddenDim', text: '100' });
    expect(s.last('build')?.hyper.hiddenDim).toBe(100);
    s.worker(built('two_layer_net', { ...MODELS.two_layer_net.defaults }));
    expect(s.state.phase).toBe('ready');
    expect(s.state.refusal).toBeNull();
    expect(can(s.state)).toMatchObject({ start: true, inspect: true });
  });

  it('2b. a batch too large for the convnet in the address: refused, then a smaller batch builds', () => {
    const s = new Session('?batch=5000&model=convnet');
    s.worker(READY);
    s.worker({ type: 'refused', message: 'Cannot build the Three-layer convnet: one training step would take about 40 s', hyper: null });
    expect(s.state.phase).toBe('refused');
    s.do({ type: 'field', field: 'batchSize', text: '25' });
    expect(s.last('build')?.hyper.batchSize).toBe(25);
  });

  it('3. a stop: the stopping loss is on the curve, the stop marker comes before new weights, the running mean restarts', () => {
    const s = trainingTwoLayerNet(20);
    s.worker({ type: 'stopped', message: 'Training stopped: the running mean of the loss ...', progress: progress(21, [[21, 40]], 'paused'), loss: 40 });
    expect(s.state.phase).toBe('stopped');
    expect(s.state.losses[20]).toBe(40);
    expect(s.state.stop?.loss).toBe(40);
    s.do({ type: 'start' });
    const asked = s.last('build');
    expect(asked).toBeDefined();
    s.worker(built('two_layer_net', asked?.hyper ?? MODELS.two_layer_net.defaults));
    // Start after a stop trains the new weights at once.
    expect(s.state.phase).toBe('training');
    s.worker({ type: 'progress', progress: progress(20, Array.from({ length: 20 }, (_, i) => [i + 1, 2.3] as [number, number]), 'running') });
    const events = s.state.timeline.events;
    const stop = events.find((e) => e.text.startsWith('stopped'));
    const fresh = events.find((e) => e.text.startsWith('new weights after the stop'));
    expect(stop && fresh && fresh.x >= stop.x).toBe(true);
    const { xs, ys } = s.state.timeline.losses.points();
    const mean = segmentedRunningMean(xs, ys, s.state.timeline.starts, 20);
    // The new model's running mean is its own losses' (2.3), not dragged up by the diverged ones (40).
    expect(mean[mean.length - 1]).toBeCloseTo(2.3, 6);
    expect(Math.max(...mean.slice(xs.length - 20))).toBeCloseTo(2.3, 6);
  });

  it('4. New weights draws new weights each press (the seed moves on), and reproducibly from the session seed', () => {
    const s = trainingTwoLayerNet(5);
    s.do({ type: 'newWeights' });
    const first = s.last('build');
    s.worker(built('two_layer_net', first?.hyper ?? MODELS.two_layer_net.defaults));
    s.do({ type: 'newWeights' });
    const second = s.last('build');
    expect(first?.seed).not.toBe(second?.seed);
    const again = trainingTwoLayerNet(5).do({ type: 'newWeights' }).last('build');
    expect(again?.seed).toBe(first?.seed);
    const seeded = new Session('?model=two_layer_net&seed=7').worker(READY).last('build');
    expect(seeded?.seed).toBe(7);
  });

  it("5. the upload's scores follow the training: each slow report asks again, one request at a time", () => {
    const s = trainingTwoLayerNet(5);
    const pixels = new Uint8Array(3072).fill(9);
    s.do({ type: 'upload', name: 'cat.png', pixels });
    expect(s.count('upload')).toBe(1);
    s.worker({ type: 'slow', slow: SLOW });
    // Still waiting for the first answer: no second request.
    expect(s.count('upload')).toBe(1);
    s.worker({ type: 'uploaded', probs: new Float32Array(10).fill(0.1), saliency: { map: new Float32Array(1024), h: 32, w: 32, label: 0, probs: new Float32Array(10) } });
    s.worker({ type: 'slow', slow: SLOW });
    expect(s.count('upload')).toBe(2);
    // A refused upload clears the previous image and its scores: the refusal is not read as theirs.
    s.do({ type: 'uploadRefused', message: 'Refused notes.txt: it is text/plain, not an image' });
    expect(s.state.upload).toMatchObject({ pixels: null, probs: null, refusal: 'Refused notes.txt: it is text/plain, not an image' });
    s.worker({ type: 'slow', slow: SLOW });
    expect(s.count('upload')).toBe(2);
  });

  it('a live change is marked when the worker takes it, and a refused one is not marked', () => {
    const s = trainingTwoLayerNet(30);
    s.do({ type: 'field', field: 'learningRate', text: '2e-4' });
    expect(s.last('live')?.hyper.learningRate).toBe(2e-4);
    expect(s.state.timeline.events).toHaveLength(0);
    s.worker({ type: 'live-done', hyper: { ...MODELS.two_layer_net.defaults, learningRate: 2e-4 }, progress: progress(31, [], 'running'), paramSums: {} });
    expect(s.state.timeline.events.map((e) => [e.x, e.text])).toEqual([[31, 'lr 1e-4 -> 2e-4']]);
    s.do({ type: 'field', field: 'batchSize', text: '5000' });
    s.worker({ type: 'refused', message: 'Cannot change the Two-layer net: one training step would take about 2 s', hyper: { ...MODELS.two_layer_net.defaults, learningRate: 2e-4 } });
    expect(s.state.timeline.events).toHaveLength(1);
    expect(s.state.model?.hyper.batchSize).toBe(MODELS.two_layer_net.defaults.batchSize);
  });

  it('a backend switch carries the weights to a new worker and continues the curves', () => {
    const s = trainingTwoLayerNet(40);
    s.do({ type: 'backend', backend: 'cpu' });
    expect(s.state.phase).toBe('loading');
    expect(s.last('export')).toEqual({ type: 'export', purpose: 'switch' });
    const weights = { model: 'two_layer_net' as const, hyper: MODELS.two_layer_net.defaults, iteration: 40, examplesSeen: 1000, initialLoss: 2.3, params: {} };
    s.worker({ type: 'exported', purpose: 'switch', weights });
    expect(s.effects[s.effects.length - 1]).toEqual({ type: 'startWorker', backend: 'cpu' });
    s.worker({ ...READY, backend: { name: 'cpu', requested: 'cpu', failures: [] } } as FromWorker);
    expect(s.last('build')?.weights).toBe(weights);
    s.worker({ ...built('two_layer_net', MODELS.two_layer_net.defaults, 40), restored: true } as FromWorker);
    expect(s.state.phase).toBe('paused');
    expect(s.state.losses).toHaveLength(40);
    expect(s.state.timeline.events.map((e) => e.text)).toEqual(['backend wasm -> cpu (update-rule state restarts)']);
  });

  it('a backend that refuses the carried model leaves the phase refused, not loading for ever', () => {
    const s = trainingTwoLayerNet(40);
    s.do({ type: 'backend', backend: 'cpu' });
    s.worker({ type: 'exported', purpose: 'switch', weights: { model: 'two_layer_net', hyper: MODELS.two_layer_net.defaults, iteration: 40, examplesSeen: 1000, initialLoss: 2.3, params: {} } });
    s.worker({ ...READY, backend: { name: 'cpu', requested: 'cpu', failures: [] } } as FromWorker);
    expect(s.state.phase).toBe('loading');
    expect(can(s.state).start).toBe(false);
    s.worker({ type: 'refused', message: 'Cannot build the Two-layer net: one training step would take about 2.0 s', hyper: null });
    expect(s.state.phase).toBe('refused');
    expect(s.state.model).toBeNull();
    expect(s.state.refusal?.message).toContain('There is no model yet');
  });
});

/** A model of `npm run train` as model_file.ts reads it (the shapes do not matter to the machine). */
const AIRBENCH: ExploreSnapshot = {
  kind: 'Airbench',
  options: { widths: [64, 256, 256] },
  params: {},
  state: {},
  description: 'Airbench, widths 64/256/256, trained by npm run train (epoch 10, validation accuracy 0.931)',
};

const EXPLORED: FromWorker = {
  type: 'explored',
  evalSizes: { train: 200, val: 200 },
  progress: { ...progress(0), newChecks: [{ iteration: 0, trainAcc: 0.97, valAcc: 0.95, confusion: [] }] },
  slow: SLOW,
};

describe("the page machine: exploring npm run train's model", () => {
  it('loading it pauses the training, then only what makes sense for a fixed model is allowed, with the reason on the page', () => {
    const s = trainingTwoLayerNet(40);
    const saliency = { map: new Float32Array(1024), h: 32, w: 32, label: 0, probs: new Float32Array(10) };
    s.worker({ type: 'inspected', position: 0, index: 0, label: 0, saliency, layers: [], loss: 2 });
    expect(s.state.inspected).not.toBeNull();
    s.do({ type: 'explore', name: 'ckpt_epoch_10', model: AIRBENCH });
    expect(s.effects.some((e) => e.type === 'pauseFlag')).toBe(true);
    expect(s.last('explore')?.model).toBe(AIRBENCH);
    s.worker({ type: 'progress', progress: progress(40, [], 'paused') });
    s.worker(EXPLORED);
    expect(s.state.phase).toBe('exploring');
    expect(s.state.explore?.name).toBe('ckpt_epoch_10');
    expect(s.state.model).toBeNull();
    expect(s.state.inspected).toBeNull();
    expect(s.state.checks.map((c) => c.valAcc)).toEqual([0.95]);
    expect(s.state.timeline.events.map((e) => e.text)).toContain(`loaded ckpt_epoch_10: ${AIRBENCH.description} (explore only)`);
    expect(EXPLORE_ONLY).toContain('trained by npm run train');
    expect(EXPLORE_ONLY).toContain('pick a page model above to train');
    expect(can(s.state)).toEqual({ start: false, pause: false, newWeights: false, inspect: true, gradcheck: false, edit: false, save: false, load: true, backend: true });
    // The layer view's first image is asked for at once; saliency and uploads go on.
    expect(s.last('inspect')).toEqual({ type: 'inspect', position: 0 });
    const sent = s.sent.length;
    s.do({ type: 'start' }).do({ type: 'newWeights' }).do({ type: 'gradcheck', mode: 'autodiff', plant: false }).do({ type: 'save' });
    s.do({ type: 'field', field: 'learningRate', text: '1e-2' }).do({ type: 'rule', rule: 'sgd' });
    expect(s.sent.length).toBe(sent);
    expect(s.state.phase).toBe('exploring');
    expect(s.state.refusal).toBeNull();
    s.do({ type: 'inspect', position: 3 });
    expect(s.last('inspect')).toEqual({ type: 'inspect', position: 3 });
    s.do({ type: 'upload', name: 'cat.png', pixels: new Uint8Array(3072) });
    expect(s.last('upload')).toBeDefined();
  });

  it('choosing a page model switches back to a trainable one', () => {
    const s = trainingTwoLayerNet(40);
    s.do({ type: 'explore', name: 'ckpt_epoch_10', model: AIRBENCH });
    s.worker({ type: 'progress', progress: progress(40, [], 'paused') });
    s.worker(EXPLORED);
    s.do({ type: 'model', model: 'convnet' });
    const asked = s.last('build');
    expect(asked?.model).toBe('convnet');
    s.worker(built('convnet', asked!.hyper));
    expect(s.state.phase).toBe('ready');
    expect(s.state.explore).toBeNull();
    expect(can(s.state)).toMatchObject({ start: true, newWeights: true, gradcheck: true, edit: true, save: true });
    s.do({ type: 'start' });
    expect(s.state.phase).toBe('training');
  });

  it('a backend switch carries the explored model to the new worker as it is', () => {
    const s = trainingTwoLayerNet(40);
    s.do({ type: 'explore', name: 'ckpt_epoch_10', model: AIRBENCH });
    s.worker({ type: 'progress', progress: progress(40, [], 'paused') });
    s.worker(EXPLORED);
    const explores = s.count('explore');
    s.do({ type: 'backend', backend: 'cpu' });
    expect(s.state.phase).toBe('loading');
    expect(s.effects[s.effects.length - 1]).toEqual({ type: 'startWorker', backend: 'cpu' });
    s.worker({ ...READY, backend: { name: 'cpu', requested: 'cpu', failures: [] } } as FromWorker);
    expect(s.count('explore')).toBe(explores + 1);
    expect(s.last('explore')?.model).toBe(AIRBENCH);
    expect(s.count('build')).toBe(1);
    s.worker(EXPLORED);
    expect(s.state.phase).toBe('exploring');
  });

  it('a model the worker cannot build is refused in the file line, and the trained model is kept', () => {
    const s = trainingTwoLayerNet(40);
    s.do({ type: 'explore', name: 'ckpt_epoch_10', model: AIRBENCH });
    s.worker({ type: 'progress', progress: progress(40, [], 'paused') });
    s.worker({ type: 'refused', message: "Cannot explore the Airbench: the Airbench's W1 is [3,3,24,64], and the file's is [3,3,24,32]", hyper: null });
    expect(s.state.phase).toBe('paused');
    expect(s.state.explore).toBeNull();
    expect(s.state.model?.name).toBe('two_layer_net');
    expect(s.state.fileNote).toContain('Cannot load the model: Cannot explore the Airbench');
    expect(can(s.state).start).toBe(true);
  });
});
