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
import { CLASS_NAMES, META_FILE, TEST_BATCH_FILE, TRAIN_BATCH_FILES, encodeRecords, formatClassNames } from '../../runtime/data/cifar10_format';
import { syntheticImages } from '../web/synthetic_cifar';

const root = path.resolve(__dirname, '../..');
const tsxCli = require.resolve('tsx/cli');
/** Records per batch file: 100 training images (the quick split shrinks to 76 train, 23 val) and 20 test images. */
const RECORDS = 20;

let dir: string;
let dataDir: string;
/** The same kind of data with 30 records per batch: another training-set size. */
let biggerDataDir: string;
/** The same images in another order (as get-data with another --seed writes them): the same sizes, other data. */
let shuffledDataDir: string;

function writeData(folder: string, records: number, reversed = false): void {
  fs.mkdirSync(folder);
  // One seed for every file: the same class patterns in training and test images, so the net can learn them.
  const { images, labels } = syntheticImages(records, 3);
  const order = Array.from({ length: records }, (_, i) => (reversed ? records - 1 - i : i));
  for (const file of [...TRAIN_BATCH_FILES, TEST_BATCH_FILE]) fs.writeFileSync(path.join(folder, file), encodeRecords(images, labels, order));
  fs.writeFileSync(path.join(folder, META_FILE), formatClassNames(CLASS_NAMES));
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs231n-train-'));
  dataDir = path.join(dir, 'cifar');
  biggerDataDir = path.join(dir, 'cifar30');
  writeData(dataDir, RECORDS);
  writeData(biggerDataDir, 30);
  shuffledDataDir = path.join(dir, 'cifar-reversed');
  writeData(shuffledDataDir, RECORDS, true);
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function train(args: string[], data = dataDir, timeout = 60000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [tsxCli, path.join(root, 'scripts', 'train.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, CIFAR10_DIR: data, CIFAR10_RECORDS_PER_BATCH: 'any', TFJS_BACKEND: '', TFJS_WASM_THREADS: '1' },
    timeout,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const TINY = ['--quick', '--backend', 'wasm', '--model', 'convnet', '--blocks', '8p-16p', '--batch-size', '16', '--no-progress'];
/** The ResNet, narrow enough to train in seconds. */
const TINY_RESNET = ['--quick', '--backend', 'wasm', '--model', 'resnet', '--width', '2', '--batch-size', '16', '--no-progress'];
/** The default model (airbench), narrow enough to train in seconds. */
const TINY_AIRBENCH = ['--quick', '--backend', 'wasm', '--widths', '2,3,3', '--batch-size', '16', '--no-progress'];

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
    expect(m.config).toMatchObject({
      model: 'ConvNet',
      architecture: 'ConvNet 8p-16p',
      batch_size: 16,
      update_rule: 'adam',
      lr_schedule: { kind: 'step-decay', start: 1e-3, decay: 0.8 },
      augment: true,
      epochs_planned: 2,
    });

    const checkpoints = fs.readdirSync(path.join(out, 'checkpoints')).sort();
    expect(checkpoints).toEqual([
      expect.stringMatching(/^ckpt_epoch_1\.[0-9a-f]{12}\.bin$/),
      'ckpt_epoch_1.json',
      expect.stringMatching(/^ckpt_epoch_2\.[0-9a-f]{12}\.bin$/),
      'ckpt_epoch_2.json',
    ]);
    const runId = m.run_id as string;
    expect(first.stderr).toContain(`new run ${runId} (its checkpoints record it`);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'checkpoints', 'ckpt_epoch_2.json'), 'utf8')).run).toEqual({
      id: runId,
      script: 'train',
      quick: true,
      seed: 1,
      augment: true,
      tta: true,
      data: { train: 76, val: 23, test: 20, digest: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    for (const png of ['loss.png', 'accuracy.png', 'lr.png', 'confusion.png', 'filters.png']) expect(isPng(path.join(out, png))).toBe(true);

    // A fresh run into the same --out is refused: --resume would otherwise find another run's checkpoints.
    const fresh = train([...TINY, '--out', out, '--seed', '1', '--blocks', '16p', '--epochs', '1']);
    expect(fresh.status).not.toBe(0);
    expect(fresh.stderr).toContain(
      `${path.join(out, 'checkpoints')} already holds the checkpoints of run ${runId} (ConvNet 8p-16p, quick, seed 1), up to epoch 2. ` +
        'Continue that run with --resume (with its --quick and --seed), pass --restart to delete them and start a new run, or choose another --out',
    );
    // --resume continues only a run the command agrees with: the same --quick, --seed and data, no contrary flag.
    const resume = ['--backend', 'wasm', '--no-progress', '--out', out, '--resume', '--epochs', '3'];
    const notQuick = train([...resume, '--seed', '1']);
    expect(notQuick.status).not.toBe(0);
    expect(notQuick.stderr).toContain(`--resume: ckpt_epoch_2.json belongs to run ${runId}, which this command does not continue:\n  it was a --quick run: add --quick\n`);
    const contrary = train([...resume, '--quick', '--blocks', '16p', '--batch-size', '32']);
    expect(contrary.status).not.toBe(0);
    expect(contrary.stderr).toContain(
      '  it used --seed 1, this command --seed 0\n  it trained --blocks 8p-16p, this command asks for --blocks 16p\n  it trained --batch-size 16, this command asks for --batch-size 32\n',
    );
    const otherData = train([...resume, '--quick', '--seed', '1'], biggerDataDir);
    expect(otherData.status).not.toBe(0);
    expect(otherData.stderr).toContain(
      '--resume: ckpt_epoch_2.json trained on 76 / 23 / 20 train / val / test images, but this data has 114 / 35 / 30; its epochs would count passes over another set',
    );
    const otherOrder = train([...resume, '--quick', '--seed', '1'], shuffledDataDir);
    expect(otherOrder.status).not.toBe(0);
    expect(otherOrder.stderr).toContain('--resume: ckpt_epoch_2.json trained on other images than this data holds (same sizes, data digest ');
    expect(fs.readdirSync(path.join(out, 'checkpoints'))).toHaveLength(4);

    // Resume: the model and the Solver's settings come from the checkpoint; --epochs 3 adds one epoch. Temporaries
    // of a killed save are removed and named first; a weights file no save journal records is left alone (it may be
    // the user's); a corrupt newest checkpoint is skipped, saying why.
    const ckptDir = path.join(out, 'checkpoints');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    fs.writeFileSync(path.join(ckptDir, `.ckpt_epoch_3.json.tmp-${dead}-abc-0`), 'partial');
    fs.writeFileSync(path.join(ckptDir, 'ckpt_epoch_3.0123456789ab.bin'), 'orphan');
    fs.writeFileSync(path.join(ckptDir, 'ckpt_epoch_3.json'), '{"format": "cs231n-tfjs-checkp');
    const second = train([...resume, '--quick', '--seed', '1']);
    expect(second.stderr).toContain(`removed .ckpt_epoch_3.json.tmp-${dead}-abc-0: a temporary of a save that was killed (process ${dead})`);
    expect(second.stderr).not.toContain('ckpt_epoch_3.0123456789ab.bin');
    expect(fs.readFileSync(path.join(ckptDir, 'ckpt_epoch_3.0123456789ab.bin'), 'utf8')).toBe('orphan');
    expect(second.stderr).toMatch(/--resume: skipping ckpt_epoch_3\.json: .*ckpt_epoch_3\.json is not valid JSON/);
    expect(second.stderr).toContain('--resume: falling back to ckpt_epoch_2.json, the newest checkpoint that loads');
    expect(second.stderr).toContain(`resumed run ${runId} from ${path.join(out, 'checkpoints', 'ckpt_epoch_2')}.json: epoch 2 of 3, iteration 8`);
    expect(second.stderr).toContain('(Epoch 3 / 3) train acc:');
    expect(second.status).toBe(0);
    const r = readMetrics(out);
    expect(r.epochs).toBe(3);
    expect(r.resumed_from_epoch).toBe(2);
    expect((r.loss_history as number[]).slice(0, 8)).toEqual(losses);
    expect(r.loss_history as number[]).toHaveLength(12);
    expect(r.val_acc_history as number[]).toHaveLength(4);
    expect(r.config).toMatchObject({ architecture: 'ConvNet 8p-16p', batch_size: 16 });
    expect(r.run_id).toBe(runId);
    expect(fs.readdirSync(ckptDir)).toHaveLength(7);
    expect(JSON.parse(fs.readFileSync(path.join(ckptDir, 'ckpt_epoch_3.json'), 'utf8')).run.id).toBe(runId);

    // --restart deletes the old run's checkpoints and starts a new run.
    const restart = train([...TINY, '--out', out, '--restart', '--epochs', '1']);
    expect(restart.status).toBe(0);
    expect(restart.stderr).toContain(`--restart: deleted the checkpoints of run ${runId} (ConvNet 8p-16p, quick, seed 1), up to epoch 3`);
    expect(readMetrics(out).run_id).not.toBe(runId);
    expect(fs.readdirSync(ckptDir).sort()).toEqual([expect.stringMatching(/^ckpt_epoch_1\.[0-9a-f]{12}\.bin$/), 'ckpt_epoch_1.json']);
  }, 300000);

  it('trains the default ResNet on a one-cycle schedule, evaluates with and without flip averaging, and resumes on the same schedule', () => {
    const out = path.join(dir, 'resnet');
    const first = train([...TINY_RESNET, '--out', out, '--seed', '2']);
    expect(first.stderr).toContain('ResNet-9 width 2');
    expect(first.stderr).toContain('sgd_momentum, one-cycle learning rate 0 -> 0.2 (epoch 0.4) -> 0 (epoch 2), batch 16, 2 epochs of 4 iterations');
    expect(first.stderr).toContain('one-cycle schedule completed: evaluating the last parameters (epoch 2;');
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('== Train your best model: ResNet on CIFAR-10 ==');
    expect(first.stdout).toContain('test acc without TTA');
    const m = readMetrics(out);
    expect(m.config).toMatchObject({
      model: 'ResNet',
      architecture: 'ResNet-9 width 2',
      options: { width: 2, residual: true, labelSmoothing: 0.2, reg: 5e-4 },
      update_rule: 'sgd_momentum',
      lr_schedule: { kind: 'one-cycle', start: 0, peak: 0.2, end: 0, warmupEpochs: 0.4, totalEpochs: 2 },
      // The rate of the last step, iteration 8 of 8 at epoch 7/4, on the way down from 0.2 at epoch 0.4 to 0 at 2.
      learning_rate_final: expect.closeTo(0.2 * (1 - (7 / 4 - 0.4) / 1.6), 6),
      tta: true,
    });
    for (const key of ['test_acc', 'test_acc_without_tta']) {
      expect(m[key] as number).toBeGreaterThanOrEqual(0);
      expect(m[key] as number).toBeLessThanOrEqual(1);
    }
    // Rows: true class; every test image counted once.
    const confusion = m.confusion_matrix as number[][];
    expect(confusion).toHaveLength(10);
    expect(confusion.flat().reduce((a, b) => a + b, 0)).toBe(20);
    for (const png of ['loss.png', 'accuracy.png', 'lr.png', 'confusion.png', 'filters.png']) expect(isPng(path.join(out, png))).toBe(true);

    // A resumed run continues on the checkpoint's schedule: --epochs 3 trains one more epoch at its end rate, 0.
    const resumed = train(['--backend', 'wasm', '--no-progress', '--out', out, '--resume', '--epochs', '3', '--quick', '--seed', '2']);
    expect(resumed.status).toBe(0);
    expect(resumed.stderr).toContain('epoch 2 of 3, iteration 8');
    const r = readMetrics(out);
    expect(r.epochs).toBe(3);
    expect((r.config as { lr_schedule: unknown }).lr_schedule).toEqual((m.config as { lr_schedule: unknown }).lr_schedule);
    expect((r.config as { learning_rate_final: number }).learning_rate_final).toBe(0);
    const noSkip = train([...TINY_RESNET, '--out', path.join(dir, 'plain'), '--no-residual', '--no-tta', '--epochs', '1']);
    expect(noSkip.status).toBe(0);
    expect(noSkip.stdout).toContain('ResNet-9 width 2 without skip connections');
    expect(noSkip.stdout).not.toContain('test acc without TTA');
  }, 300000);

  it("trains airbench's recipe by default: Nesterov with lookahead, its schedule, frozen whitening bias, six-view TTA, and resumes", () => {
    const out = path.join(dir, 'airbench');
    const first = train([...TINY_AIRBENCH, '--out', out, '--seed', '3', '--epochs', '3', '--tta-shifts'], dataDir, 240000);
    expect(first.stderr).toContain('airbench net, widths 2/3/3');
    // Rates per 1024 examples scaled to batch 16: peak 1.5 * 16 / 1024; start 0.2 and end 0.07 of it.
    expect(first.stderr).toContain(
      'sgd_nesterov_lookahead, one-cycle learning rate 0.0046875 -> 0.0234375 (epoch 0.69) -> 0.00164063 (epoch 3), batch 16, 3 epochs of 4 iterations, ' +
        'augmentation alternating flip + reflect-padded translation (2), test-time augmentation flips and 1-pixel shifts',
    );
    expect(first.stderr).toContain('whitening bias frozen after epoch 3');
    expect(first.stderr).toContain('lookahead: the 14 parameters take their slow weights');
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('== Train your best model: Airbench on CIFAR-10 ==');
    const m = readMetrics(out);
    expect(m.config).toMatchObject({ model: 'Airbench', architecture: 'airbench net, widths 2/3/3', update_rule: 'sgd_nesterov_lookahead', batch_size: 16, tta: true });
    const ckpt = JSON.parse(fs.readFileSync(path.join(out, 'checkpoints', 'ckpt_epoch_3.json'), 'utf8'));
    expect(ckpt.optimizer.configs.b0).toMatchObject({ lrScale: 0, weightDecay: 0, lookaheadStep: 12, lookaheadSteps: 12 });
    expect(ckpt.optimizer.configs.beta1).toMatchObject({ lrScale: 64, weightDecay: 0.00887, momentum: 0.85 });
    // An ablation flag the run did not train with is refused before anything is loaded.
    const ablated = train(['--backend', 'wasm', '--no-progress', '--out', out, '--resume', '--quick', '--seed', '3', '--no-whitening'], dataDir);
    expect(ablated.status).not.toBe(0);
    expect(ablated.stderr).toContain('it trained without --no-whitening: drop --no-whitening');
    expect(ablated.stderr).not.toContain('loaded');
    // --resume rebuilds the net (whitening filters from the checkpoint) and continues its optimiser state.
    const resumed = train(['--backend', 'wasm', '--no-progress', '--out', out, '--resume', '--epochs', '4', '--quick', '--seed', '3'], dataDir, 240000);
    expect(resumed.stderr).toContain('epoch 3 of 4, iteration 12');
    expect(resumed.status).toBe(0);
    expect(readMetrics(out).epochs).toBe(4);
  }, 300000);

  it('refuses --resume without a checkpoint and bad flags, before loading any data', () => {
    const empty = train(['--backend', 'wasm', '--out', path.join(dir, 'empty'), '--resume']);
    expect(empty.status).not.toBe(0);
    expect(empty.stderr).toContain(`--resume: no checkpoint ckpt_epoch_<e>.json in ${path.join(dir, 'empty', 'checkpoints')}`);
    expect(empty.stderr).not.toContain('loaded');
    const badBlocks = train(['--blocks', '32,3x']);
    expect(badBlocks.status).not.toBe(0);
    expect(badBlocks.stderr).toContain("--blocks takes filters per block with p for a pool, e.g. 32,32p,64,64p; got '32,3x' (bad part '3x')");
    const badModel = train(['--model', 'vgg']);
    expect(badModel.status).not.toBe(0);
    expect(badModel.stderr).toContain("--model must be airbench, resnet or convnet, got 'vgg'");
    const badSmoothing = train(['--label-smoothing', '1']);
    expect(badSmoothing.status).not.toBe(0);
    expect(badSmoothing.stderr).toContain("--label-smoothing must be a number >= 0 and < 1, got '1'");
    const convnetSmoothing = train(['--model', 'convnet', '--label-smoothing', '0.1']);
    expect(convnetSmoothing.status).not.toBe(0);
    expect(convnetSmoothing.stderr).toContain('--label-smoothing is an airbench and resnet option');
    const convnetWidth = train(['--model', 'convnet', '--width', '32']);
    expect(convnetWidth.status).not.toBe(0);
    expect(convnetWidth.stderr).toContain('--width is a resnet option; this run trains --model convnet, which has no use for it');
    const resnetBlocks = train(['--blocks', '16p']);
    expect(resnetBlocks.status).not.toBe(0);
    expect(resnetBlocks.stderr).toContain('--blocks is a convnet option; this run trains --model airbench, which has no use for it');
    const resnetWhitening = train(['--model', 'resnet', '--no-whitening']);
    expect(resnetWhitening.status).not.toBe(0);
    expect(resnetWhitening.stderr).toContain('--no-whitening is an airbench option; this run trains --model resnet, which has no use for it');
    const airbenchWidth = train(['--width', '32']);
    expect(airbenchWidth.status).not.toBe(0);
    expect(airbenchWidth.stderr).toContain('--width is a resnet option; this run trains --model airbench, which has no use for it');
    const hexRate = train(['--lr', '0x10']);
    expect(hexRate.status).not.toBe(0);
    expect(hexRate.stderr).toContain("--lr must be a number > 0, got '0x10'");
    const badBudget = train(['--time-budget', '0']);
    expect(badBudget.status).not.toBe(0);
    expect(badBudget.stderr).toContain("--time-budget must be a number > 0, got '0'");
  }, 90000);
});
