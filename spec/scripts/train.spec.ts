/**
 * npm run train, end to end on a tiny synthetic data set in the official format (CIFAR10_DIR in a temporary
 * folder): a --quick run writes metrics.json with the expected keys, a checkpoint per epoch and the figures, and
 * --resume continues from the latest checkpoint. The script runs through tsx in a child process, as npm runs it, on
 * wasm (its default backend here) with a small net so that each run takes seconds.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLASS_NAMES, META_FILE, TEST_BATCH_FILE, TRAIN_BATCH_FILES, encodeRecords, formatClassNames } from '../../src/data/cifar10_format';
import { syntheticImages } from '../web/synthetic_cifar';

const root = path.resolve(__dirname, '../..');
const tsxCli = require.resolve('tsx/cli');
/** Records per batch file: 100 training images (the quick split shrinks to 76 train, 23 val) and 20 test images. */
const RECORDS = 20;

let dir: string;
let dataDir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs231n-train-'));
  dataDir = path.join(dir, 'cifar');
  fs.mkdirSync(dataDir);
  // One seed for every file: the same class patterns in training and test images, so the net can learn them.
  const { images, labels } = syntheticImages(RECORDS, 3);
  const order = Array.from({ length: RECORDS }, (_, i) => i);
  for (const file of [...TRAIN_BATCH_FILES, TEST_BATCH_FILE]) fs.writeFileSync(path.join(dataDir, file), encodeRecords(images, labels, order));
  fs.writeFileSync(path.join(dataDir, META_FILE), formatClassNames(CLASS_NAMES));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function train(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [tsxCli, path.join(root, 'scripts', 'train.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, CIFAR10_DIR: dataDir, CIFAR10_RECORDS_PER_BATCH: 'any', TFJS_BACKEND: '' },
    timeout: 60000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const TINY = ['--quick', '--backend', 'wasm', '--blocks', '8p-16p', '--batch-size', '16', '--no-progress'];

function readMetrics(out: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
}

function isPng(file: string): boolean {
  const head = fs.readFileSync(file).subarray(0, 8);
  return head.equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
}

describe('npm run train', () => {
  it('--quick trains, checkpoints every epoch, evaluates, writes metrics and figures; --resume continues', () => {
    const out = path.join(dir, 'run');
    const first = train([...TINY, '--out', out, '--seed', '1']);
    expect(first.stderr).toContain('(Epoch 2 / 2) train acc:');
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('== Train your best model: ConvNet on CIFAR-10 ==');

    const m = readMetrics(out);
    for (const key of ['test_acc', 'test_acc_course_1000', 'val_acc', 'best_val_acc', 'epochs', 'seconds', 'epoch_seconds', 'val_acc_history', 'train_acc_history', 'loss_history', 'config']) {
      expect(m).toHaveProperty(key);
    }
    expect(m.epochs).toBe(2);
    expect(m.stopped_by).toBe('epochs');
    for (const key of ['test_acc', 'test_acc_course_1000', 'val_acc']) {
      expect(m[key] as number).toBeGreaterThanOrEqual(0);
      expect(m[key] as number).toBeLessThanOrEqual(1);
    }
    expect(m.seconds as number).toBeGreaterThan(0);
    expect(m.val_acc_history as number[]).toHaveLength(3);
    expect(m.epoch_seconds as number[]).toHaveLength(2);
    // 76 training images in batches of 16: 4 iterations per epoch.
    const losses = m.loss_history as number[];
    expect(losses).toHaveLength(8);
    expect(m.data).toEqual({ train: 76, val: 23, test: 20, official: false });
    expect(m.config).toMatchObject({ model: 'ConvNet', blocks: '8p-16p', batch_size: 16, update_rule: 'adam', augment: true, epochs_planned: 2 });

    const checkpoints = fs.readdirSync(path.join(out, 'checkpoints')).sort();
    expect(checkpoints).toEqual(['ckpt_epoch_1.bin', 'ckpt_epoch_1.json', 'ckpt_epoch_2.bin', 'ckpt_epoch_2.json']);
    for (const png of ['loss.png', 'accuracy.png', 'filters.png']) expect(isPng(path.join(out, png))).toBe(true);

    // Resume: the model and the Solver's settings come from the checkpoint; --epochs 3 adds one epoch.
    const second = train(['--backend', 'wasm', '--no-progress', '--quick', '--out', out, '--resume', '--epochs', '3']);
    expect(second.stderr).toContain(`resumed from ${path.join(out, 'checkpoints', 'ckpt_epoch_2')}.json: epoch 2 of 3, iteration 8`);
    expect(second.stderr).toContain('(Epoch 3 / 3) train acc:');
    expect(second.status).toBe(0);
    const r = readMetrics(out);
    expect(r.epochs).toBe(3);
    expect(r.resumed_from_epoch).toBe(2);
    expect((r.loss_history as number[]).slice(0, 8)).toEqual(losses);
    expect(r.loss_history as number[]).toHaveLength(12);
    expect(r.val_acc_history as number[]).toHaveLength(4);
    expect(r.config).toMatchObject({ blocks: '8p-16p', batch_size: 16 });
    expect(fs.existsSync(path.join(out, 'checkpoints', 'ckpt_epoch_3.json'))).toBe(true);
  }, 150000);

  it('refuses --resume without a checkpoint and bad flags, before loading any data', () => {
    const empty = train(['--backend', 'wasm', '--out', path.join(dir, 'empty'), '--resume']);
    expect(empty.status).not.toBe(0);
    expect(empty.stderr).toContain(`--resume: no checkpoint ckpt_epoch_<e>.json in ${path.join(dir, 'empty', 'checkpoints')}`);
    expect(empty.stderr).not.toContain('loaded');
    const badBlocks = train(['--blocks', '32,3x']);
    expect(badBlocks.status).not.toBe(0);
    expect(badBlocks.stderr).toContain("--blocks takes filters per block with p for a pool, e.g. 32,32p,64,64p; got '32,3x' (bad part '3x')");
    const badBudget = train(['--time-budget', '0']);
    expect(badBudget.status).not.toBe(0);
    expect(badBudget.stderr).toContain('--time-budget must be a positive number of minutes, got 0');
  }, 90000);
});
