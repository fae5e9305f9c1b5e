/**
 * Checkpoint files are input from outside: loading refuses what is not a regular file, compares sizes before it
 * reads, and validates the manifest before anything is built from it. Each case plants one hostile file a careless
 * or malicious user could hand the loader.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import {
  CheckpointError,
  checkpointPaths,
  cleanCheckpointDir,
  disposeCheckpoint,
  loadCheckpoint,
  prepareCheckpointDir,
  readManifest,
  saveCheckpoint,
} from '../runtime/checkpoint';
import { MAX_EPOCH } from '../runtime/checkpoint_schema';
import { useBackend } from './support/backend';
import { failFs } from './data/fixtures';

let dir: string;
let counter = 0;

beforeAll(async () => {
  await useBackend();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs231n-ckpt-untrusted-'));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Saves a small valid checkpoint (a ResNet spec, two parameters, Adam state) and returns its paths. */
function saveValid(): { base: string; manifestPath: string; weightsPath: string } {
  const base = path.join(dir, `ckpt${counter++}`);
  const W1 = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
  const b1 = tf.tensor1d([0.5, -0.5, 1]);
  const m = tf.zerosLike(W1);
  const v = tf.onesLike(W1);
  const saved = saveCheckpoint(base, {
    model: { kind: 'ResNet', options: { width: 4, reg: 0, seed: 1 } },
    run: { id: 'run-1', quick: true },
    params: { W1, b1 },
    modelState: {},
    bestParams: { W1 },
    optimizer: { updateRule: 'adam', configs: { W1: { learningRate: 1e-3, t: 3, m, v }, b1: { learningRate: 1e-3 } } },
    epoch: 2,
    iteration: 8,
    solver: { batchSize: 4, numEpochs: 5, lrDecay: 1, numTrainSamples: null, numValSamples: null, seed: 0, numTrain: 16 },
    lossHistory: Array(8).fill(1.5),
    trainAccHistory: [0.1, 0.2],
    valAccHistory: [0.1, 0.2],
    bestValAcc: 0.2,
  });
  tf.dispose([W1, b1, m, v]);
  return { base, ...saved };
}

/** A parsed manifest, edited as loosely as a hostile user would. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

/** Rewrites a saved manifest through edit. */
function editManifest(manifestPath: string, edit: (m: Loose) => void): void {
  const m = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  edit(m);
  fs.writeFileSync(manifestPath, JSON.stringify(m));
}

describe('loading an untrusted checkpoint', () => {
  it('loads a valid one, into records with no prototype', () => {
    const before = tf.memory().numTensors;
    const c = loadCheckpoint(saveValid().base);
    expect(Object.getPrototypeOf(c.params)).toBeNull();
    expect(Array.from(c.params.W1.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect((c.optimizer?.configs.W1.m as tf.Tensor).shape).toEqual([2, 3]);
    disposeCheckpoint(c);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses weights or a manifest that are a symlink to /dev/zero, or a FIFO, before reading them', () => {
    const a = saveValid();
    fs.rmSync(a.weightsPath);
    fs.symlinkSync('/dev/zero', a.weightsPath);
    expect(() => loadCheckpoint(a.base)).toThrow(`loadCheckpoint: ${a.weightsPath} is a character device, not a regular file; refusing to read it`);

    const b = saveValid();
    fs.rmSync(b.manifestPath);
    fs.symlinkSync('/dev/zero', b.manifestPath);
    expect(() => loadCheckpoint(b.base)).toThrow(`loadCheckpoint: ${b.manifestPath} is a character device, not a regular file; refusing to read it`);
    // A fresh run reads every manifest of the folder to clean up: it must not hang or fill memory either.
    expect(cleanCheckpointDir(dir)).toEqual(expect.any(Array));

    const c = saveValid();
    fs.rmSync(c.weightsPath);
    execFileSync('mkfifo', [c.weightsPath]);
    expect(() => loadCheckpoint(c.base)).toThrow('is a FIFO (named pipe), not a regular file');
  });

  it('compares the size on disk with the recorded one before reading the weights', () => {
    const a = saveValid();
    fs.appendFileSync(a.weightsPath, Buffer.alloc(4));
    expect(() => loadCheckpoint(a.base)).toThrow(
      `loadCheckpoint: ${a.weightsPath} has 112 bytes but ${a.manifestPath} records 108 (longer than recorded); the checkpoint is corrupt`,
    );
    const b = saveValid();
    editManifest(b.manifestPath, (m) => {
      m.weights.bytes = 2 ** 40;
    });
    expect(() => loadCheckpoint(b.base)).toThrow(/'weights' must be \{ bytes: 0 to 2147483647/);
  });

  it('never lets a name from the file reach Object.prototype', () => {
    const probe = {} as Record<string, unknown>;
    // Each edit names something 'polluted_key', which the file's text then turns into "__proto__" (as a hostile
    // file would carry it: JSON.parse keeps "__proto__" as an own key, which Object.entries hands on).
    const edits: [string, (m: Loose) => void][] = [
      ['optimizer state', (m) => {
        m.tensors.find((t: { field?: string }) => t.field === 'm').name = 'polluted_key';
        m.optimizer.configs.polluted_key = { m: { tensor: true } };
      }],
      ['a parameter', (m) => {
        m.tensors[0].name = 'polluted_key';
      }],
      ['every mention of a parameter, consistently', (m) => {
        const text = JSON.stringify(m).split('"W1"').join('"polluted_key"');
        for (const k of Object.keys(m)) delete m[k];
        Object.assign(m, JSON.parse(text));
      }],
      ['the run record', (m) => {
        m.run = { id: 'r', polluted_key: { polluted: 1 } };
      }],
      ['the model options', (m) => {
        m.model = { kind: 'TinyNet', options: { a: { polluted_key: { polluted: 1 } } } };
      }],
    ];
    for (const [what, edit] of edits) {
      const a = saveValid();
      const m = JSON.parse(fs.readFileSync(a.manifestPath, 'utf8'));
      edit(m);
      fs.writeFileSync(a.manifestPath, JSON.stringify(m).split('"polluted_key"').join('"__proto__"'));
      expect([what, () => loadCheckpoint(a.base)]).toEqual([what, expect.any(Function)]);
      expect(() => loadCheckpoint(a.base)).toThrow(/__proto__/);
      expect(probe.polluted).toBeUndefined();
      expect(probe.m).toBeUndefined();
    }
  });

  it('refuses names not on the update rule or the model lists', () => {
    const a = saveValid();
    editManifest(a.manifestPath, (m) => {
      m.optimizer.configs.W1.momentum = 0.9;
    });
    expect(() => loadCheckpoint(a.base)).toThrow("the adam config of 'W1' has field 'momentum' = 0.9; adam configs hold numbers learningRate, beta1, beta2, epsilon, t and tensors m, v");
    const b = saveValid();
    editManifest(b.manifestPath, (m) => {
      m.optimizer.configs.W9 = { learningRate: 1 };
    });
    expect(() => loadCheckpoint(b.base)).toThrow("the optimizer has a config for 'W9', which is not one of the parameters (W1, b1)");
    const c = saveValid();
    editManifest(c.manifestPath, (m) => {
      m.optimizer.updateRule = 'nesterov';
    });
    expect(() => loadCheckpoint(c.base)).toThrow("update rule 'nesterov' is not one of sgd, sgd_momentum, rmsprop, adam, sgd_nesterov, sgd_nesterov_lookahead");
  });

  it('refuses update-rule numbers out of their range, naming the field, in one line', () => {
    const cases: [string, number, string][] = [
      ['learningRate', -1, 'a number from 0 to 1e6'],
      ['beta1', 5, 'a number in [0, 1)'],
      ['beta2', 1, 'a number in [0, 1)'],
      ['epsilon', 0, 'a number above 0 and at most 1'],
      ['t', -7, 'an integer from 0 to 100000000'],
      ['t', 2.5, 'an integer from 0 to 100000000'],
    ];
    for (const [field, value, words] of cases) {
      const a = saveValid();
      editManifest(a.manifestPath, (m) => {
        m.optimizer.configs.W1[field] = value;
      });
      expect(() => loadCheckpoint(a.base)).toThrow(`: the adam config of 'W1' has ${field} = ${value}; it must be ${words}`);
    }
  });

  it('says in one line that a manifest holding a bare NaN is not JSON', () => {
    const a = saveValid();
    fs.writeFileSync(a.manifestPath, fs.readFileSync(a.manifestPath, 'utf8').replace('"bestValAcc": 0.2', '"bestValAcc": NaN'));
    let message = '';
    try {
      loadCheckpoint(a.base);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/is not valid JSON \(.*NaN.*\); the file is corrupt$/);
    expect(message.split('\n')).toHaveLength(1);
  });

  it('refuses model options out of bounds before any model is built', () => {
    const a = saveValid();
    editManifest(a.manifestPath, (m) => {
      m.model.options.width = 1500;
    });
    expect(() => readManifest(a.manifestPath)).toThrow("model options out of bounds: ResNet option 'width' must be an integer from 1 to 128, got 1500");
    const b = saveValid();
    editManifest(b.manifestPath, (m) => {
      m.model = { kind: 'ConvNet', options: { blocks: [{ filters: 1e6, pool: true }] } };
    });
    expect(() => readManifest(b.manifestPath)).toThrow("ConvNet option 'blocks' must be at most 16 blocks { filters: 1 to 512");
  });

  it('refuses an epoch or iteration that is negative, fractional or huge', () => {
    for (const [key, value] of [['epoch', -1], ['epoch', 1e9], ['epoch', 2.5], ['iteration', -3], ['iteration', 1e12]] as const) {
      const a = saveValid();
      editManifest(a.manifestPath, (m) => {
        m[key] = value;
      });
      expect(() => loadCheckpoint(a.base)).toThrow(new RegExp(`'${key}' must be an integer from 0 to \\d+, got ${value}`));
    }
    const b = saveValid();
    editManifest(b.manifestPath, (m) => {
      m.solver.numEpochs = MAX_EPOCH + 1;
    });
    expect(() => loadCheckpoint(b.base)).toThrow(`'solver.numEpochs' must be an integer from 1 to ${MAX_EPOCH}, got ${MAX_EPOCH + 1}`);
  });

  it('leaks no tensor when it refuses', () => {
    const before = tf.memory().numTensors;
    const a = saveValid();
    editManifest(a.manifestPath, (m) => {
      m.epoch = -1;
    });
    expect(() => loadCheckpoint(checkpointPaths(a.base).manifestPath)).toThrow(CheckpointError);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('a checkpoint folder that cannot be written', () => {
  it('is refused before training starts, naming the folder', () => {
    const file = path.join(dir, 'not-a-folder');
    fs.writeFileSync(file, 'x');
    expect(() => prepareCheckpointDir(file)).toThrow(`checkpoint folder ${file}: cannot use ${file}: it exists and is not a folder`);
    // Root may write anywhere: a read-only mount is seen through a refusing open().
    const restore = failFs('openSync', 'EROFS', (p) => p.includes('write-probe'));
    try {
      expect(() => prepareCheckpointDir(path.join(dir, 'ro'))).toThrow(
        `checkpoint folder ${path.join(dir, 'ro')}: cannot write in ${path.join(dir, 'ro')}: read-only file system (EROFS); no training was started`,
      );
    } finally {
      restore();
    }
    expect(prepareCheckpointDir(path.join(dir, 'ok'))).toBe(path.join(dir, 'ok'));
    expect(fs.readdirSync(path.join(dir, 'ok'))).toEqual([]);
  });
});
