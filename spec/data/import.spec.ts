/**
 * `get-data --from`: image-folder archives (real PNG/JPEG files made with sharp, tarred) become the official
 * layout, shuffled deterministically; official archives are extracted; every bad input fails with a clear error
 * and leaves the destination exactly as it was.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getCifar10 } from '../../runtime/data/get_data';
import { loadCifar10 } from '../../runtime/data/reader';
import { CLASS_NAMES } from '../../runtime/data/cifar10_format';
import { leftoverTemps, makeArchive, makeTmpDir, snapshot, writeImageTree, writeOddImage, writeOfficialDir, type SourceImage } from './fixtures';

const R = 4; // records per batch: 20 train images (2 per class), 4 test images
const TRAIN_PER_CLASS = new Array(10).fill(2);
const TEST_PER_CLASS = [1, 0, 1, 0, 0, 1, 0, 0, 0, 1];

describe('get-data --from an archive', () => {
  let tmp: string;
  let archive: string;
  let reversedArchive: string;
  let exact: SourceImage[];
  let all: string[];

  beforeAll(async () => {
    tmp = makeTmpDir('import');
    const src = path.join(tmp, 'src');
    ({ exact, all } = await writeImageTree(src, 'cifar-10-images', TRAIN_PER_CLASS, TEST_PER_CLASS));
    archive = await makeArchive(path.join(tmp, 'images.tar.gz'), src, ['cifar-10-images']);
    reversedArchive = await makeArchive(path.join(tmp, 'images-reversed.tar.gz'), src, [...all].reverse());
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const fresh = (name: string) => path.join(tmp, name);
  const bytesOf = (out: string) => snapshot(path.join(out, 'cifar-10-batches-bin'));

  it('imports an image-folder archive: every image once, exact pixels, labels from folders', async () => {
    const out = fresh('out-a');
    const result = await getCifar10({ from: archive, out, recordsPerBatch: R, seed: 0 });
    expect(result.action).toBe('imported-images');
    expect(result.trainPerClass).toEqual(TRAIN_PER_CLASS);
    expect(result.testPerClass).toEqual(TEST_PER_CLASS);
    const data = await loadCifar10({ dir: result.dir, recordsPerBatch: R });
    expect(data.classNames).toEqual(CLASS_NAMES);
    expect([data.train.n, data.test.n]).toEqual([20, 4]);
    // Each losslessly stored (PNG) source image appears exactly once, with its folder's label.
    for (const img of exact) {
      const split = img.rel.includes('/train/') ? data.train : data.test;
      const hits: number[] = [];
      for (let i = 0; i < split.n; i++) {
        if (Buffer.from(split.images.subarray(i * 3072, (i + 1) * 3072)).equals(img.pixels)) hits.push(i);
      }
      expect({ image: img.rel, hits: hits.length }).toEqual({ image: img.rel, hits: 1 });
      expect(split.labels[hits[0]]).toBe(img.label);
    }
    // The shuffle mixes classes: the first batch is not simply the first two classes.
    expect(new Set(data.train.labels.subarray(0, R)).size).toBeGreaterThan(1);
    expect(leftoverTemps(out)).toEqual([]);
  });

  it('is deterministic: same seed, same bytes, whatever the archive order; another seed, another order', async () => {
    await getCifar10({ from: archive, out: fresh('out-b1'), recordsPerBatch: R, seed: 0 });
    await getCifar10({ from: reversedArchive, out: fresh('out-b2'), recordsPerBatch: R, seed: 0 });
    await getCifar10({ from: archive, out: fresh('out-b3'), recordsPerBatch: R, seed: 1 });
    const [a, b, c] = ['out-b1', 'out-b2', 'out-b3'].map((n) => bytesOf(fresh(n)));
    expect([...a.keys()].sort()).toEqual(['batches.meta.txt', 'data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin']);
    for (const [name, bytes] of a) expect({ name, same: bytes.equals(b.get(name)!) }).toEqual({ name, same: true });
    expect(a.get('data_batch_1.bin')!.equals(c.get('data_batch_1.bin')!)).toBe(false);
  });

  it('leaves valid data alone unless forced', async () => {
    const out = fresh('out-c');
    await getCifar10({ from: archive, out, recordsPerBatch: R, seed: 0 });
    const lines: string[] = [];
    const again = await getCifar10({ from: archive, out, recordsPerBatch: R, seed: 5, log: (l) => lines.push(l) });
    expect(again.action).toBe('already-present');
    expect(lines.join('\n')).toMatch(/already holds valid CIFAR-10; nothing to do/);
    const before = bytesOf(out);
    await getCifar10({ from: archive, out, recordsPerBatch: R, seed: 5, force: true });
    expect(bytesOf(out).get('data_batch_1.bin')!.equals(before.get('data_batch_1.bin')!)).toBe(false);
    expect(leftoverTemps(out)).toEqual([]);
  });

  it('extracts an official binary archive unchanged', async () => {
    const src = path.join(tmp, 'official-src');
    const files = writeOfficialDir(path.join(src, 'cifar-10-batches-bin'), R);
    fs.writeFileSync(path.join(src, 'cifar-10-batches-bin', 'readme.html'), '<p>not copied</p>');
    const official = await makeArchive(path.join(tmp, 'official.tar.gz'), src, ['cifar-10-batches-bin']);
    const out = fresh('out-d');
    const result = await getCifar10({ from: official, out, recordsPerBatch: R });
    expect(result.action).toBe('extracted-official');
    const got = bytesOf(out);
    expect([...got.keys()].sort()).toEqual([...files.keys(), 'batches.meta.txt'].sort());
    for (const [name, bytes] of files) expect(got.get(name)!.equals(Buffer.from(bytes))).toBe(true);
  });

  describe('bad input: a clear error and nothing changed', () => {
    /** Runs an import expected to fail into a destination that already holds valid data; checks nothing moved. */
    async function expectFailureLeavesNothing(from: string, expected: RegExp | string, extra: Parameters<typeof getCifar10>[0] = {}) {
      const out = fresh(`out-err-${path.basename(from)}-${Math.floor(Date.now() % 1e6)}`);
      await expect(getCifar10({ from, out, recordsPerBatch: R, ...extra })).rejects.toThrow(expected);
      expect(fs.existsSync(out) ? fs.readdirSync(out) : []).toEqual([]);
      // With valid data already there and --force, a failed rebuild keeps the old data byte for byte.
      const kept = fresh(`out-kept-${path.basename(from)}-${Math.floor(Date.now() % 1e6)}`);
      await getCifar10({ from: archive, out: kept, recordsPerBatch: R });
      const before = snapshot(kept);
      await expect(getCifar10({ from, out: kept, recordsPerBatch: R, force: true, ...extra })).rejects.toThrow(expected);
      const after = snapshot(kept);
      expect([...after.keys()]).toEqual([...before.keys()]);
      for (const [name, bytes] of before) expect(after.get(name)!.equals(bytes)).toBe(true);
    }

    /** An archive like the good one but with one image replaced or added. */
    async function variant(name: string, change: (srcDir: string) => Promise<void>): Promise<string> {
      const src = path.join(tmp, `src-${name}`);
      await writeImageTree(src, 'cifar-10-images', TRAIN_PER_CLASS, TEST_PER_CLASS);
      await change(src);
      return makeArchive(path.join(tmp, `${name}.tar.gz`), src, ['cifar-10-images']);
    }

    it('an image that is not 32x32 names the file', async () => {
      const bad = await variant('big', (src) => writeOddImage(path.join(src, 'cifar-10-images/train/cat/001.png'), 33, 32, 3));
      await expectFailureLeavesNothing(bad, 'cifar-10-images/train/cat/001.png: image is 33x32 with 3 channels (srgb); CIFAR-10 images must be 32x32 RGB (3 channels)');
    });

    it('an image that is not RGB (greyscale, or with alpha) names the file', async () => {
      const grey = await variant('grey', (src) => writeOddImage(path.join(src, 'cifar-10-images/test/dog/000.png'), 32, 32, 1));
      await expectFailureLeavesNothing(grey, /test\/dog\/000\.png: image is 32x32 with 1 channels \(b-w\)/);
      const alpha = await variant('alpha', (src) => writeOddImage(path.join(src, 'cifar-10-images/train/frog/001.png'), 32, 32, 4));
      await expectFailureLeavesNothing(alpha, /train\/frog\/001\.png: image is 32x32 with 4 channels/);
    });

    it('a class folder outside CIFAR-10 is named', async () => {
      const bad = await variant('class', async (src) => {
        fs.renameSync(path.join(src, 'cifar-10-images/train/ship'), path.join(src, 'cifar-10-images/train/boat'));
      });
      await expectFailureLeavesNothing(bad, /train\/boat\/000\.png is in class folder 'boat', which is not one of airplane/);
    });

    it('a missing class folder is named, with the count of every class', async () => {
      const bad = await variant('no-truck', async (src) => {
        fs.rmSync(path.join(src, 'cifar-10-images/train/truck'), { recursive: true });
      });
      await expectFailureLeavesNothing(
        bad,
        /has 18 train and 4 test images; the official layout needs 5 x 4 = 20 train and 4 test images; train\/ has no class folder 'truck'; .*images per class in train\/: airplane 2, automobile 2, bird 2, cat 2, deer 2, dog 2, frog 2, horse 2, ship 2, truck 0;/,
      );
    });

    it('the wrong number of images says what the layout needs', async () => {
      const bad = await variant('extra', (src) => writeOddImage(path.join(src, 'cifar-10-images/train/cat/009.png'), 32, 32, 3));
      await expectFailureLeavesNothing(bad, /has 21 train and 4 test images; the official layout needs 5 x 4 = 20 train and 4 test images/);
    });

    it('an official archive with a truncated batch names the file', async () => {
      const src = path.join(tmp, 'official-trunc');
      writeOfficialDir(path.join(src, 'cifar-10-batches-bin'), R);
      fs.truncateSync(path.join(src, 'cifar-10-batches-bin', 'test_batch.bin'), 100);
      const bad = await makeArchive(path.join(tmp, 'official-trunc.tar.gz'), src, ['cifar-10-batches-bin']);
      await expectFailureLeavesNothing(bad, /cifar-10-batches-bin\/test_batch\.bin: size is 100 bytes, expected 12,292/);
    });

    it('a file that is not an archive, or a missing one, is named', async () => {
      const notTar = path.join(tmp, 'not-a.tar.gz');
      fs.writeFileSync(notTar, 'hello');
      await expectFailureLeavesNothing(notTar, `archive ${notTar}: neither the official layout`);
      const badGzip = path.join(tmp, 'bad-gzip.tar.gz');
      fs.writeFileSync(badGzip, Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.alloc(100, 7)]));
      await expectFailureLeavesNothing(badGzip, `archive ${badGzip}: cannot read it as a tar or tar.gz file`);
      await expect(getCifar10({ from: path.join(tmp, 'absent.tar.gz'), out: fresh('out-absent') })).rejects.toThrow(/--from .*absent\.tar\.gz: no such file/);
    });

    it('an import interrupted while decoding or while writing leaves nothing', async () => {
      for (const at of [3, 24]) {
        const controller = new AbortController();
        const onProgress = (_phase: string, done: number) => {
          if (done === at) controller.abort();
        };
        await expectFailureLeavesNothing(archive, /aborted/i, { signal: controller.signal, onProgress });
      }
    });
  });
});
