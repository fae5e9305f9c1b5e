/** Image grids and heatmaps: PNG size from the layout, tile pixels placed and upscaled exactly, min-max rescaling. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { GridImage, heatmap, imageGrid, normalizeToUint8 } from '../../runtime/vis/image_grid';
import { Rng } from '../../src/random';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grid-spec-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function raw(file: string): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

describe('normalizeToUint8', () => {
  it('maps min to 0 and max to 255 linearly, as 255 * (w - min) / (max - min)', () => {
    expect(Array.from(normalizeToUint8(new Float32Array([-1, 0, 1, 0.5])))).toEqual([0, 128, 255, 191]);
  });
  it('maps a constant array to zeros and non-finite values to 0, ignoring them for min and max', () => {
    expect(Array.from(normalizeToUint8([3, 3, 3]))).toEqual([0, 0, 0]);
    expect(Array.from(normalizeToUint8([NaN, 10, 20, Infinity]))).toEqual([0, 0, 255, 0]);
  });
  it('uses a given range and clamps outside it', () => {
    expect(Array.from(normalizeToUint8([-5, 0, 5, 10, 15], [0, 10]))).toEqual([0, 0, 128, 255, 255]);
    expect(() => normalizeToUint8([1], [2, 1])).toThrow('normalizeToUint8: range must be [lo, hi] with lo <= hi, got [2,1]');
  });
});

describe('imageGrid', () => {
  it('places each tile, upscaled by nearest neighbour, on the padded background', async () => {
    // Three 2x3 RGB images, each pixel's red channel encoding image and position.
    const images: GridImage[] = [0, 1, 2].map((n) => {
      const data = new Uint8Array(2 * 3 * 3);
      for (let p = 0; p < 6; p++) data.set([n * 60 + p * 10, 100, 200], p * 3);
      return { data, h: 2, w: 3, c: 3 };
    });
    const file = path.join(dir, 'grid.png');
    const result = await imageGrid(file, images, { cols: 2, scale: 2, padding: 1, background: [0, 0, 0] });
    // Width: padding + 2 * (3*2 + padding); height: padding + 2 rows * (2*2 + padding).
    expect([result.width, result.height]).toEqual([15, 11]);
    const img = await raw(file);
    expect([img.width, img.height, img.channels]).toEqual([15, 11, 3]);
    const px = (x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));
    expect(px(0, 0)).toEqual([0, 0, 0]);
    // Image 0, source pixel (row 0, col 0) fills canvas (1..2, 1..2); source (row 1, col 2) is pixel 5.
    expect(px(1, 1)).toEqual([0, 100, 200]);
    expect(px(2, 2)).toEqual([0, 100, 200]);
    expect(px(6, 4)).toEqual([50, 100, 200]);
    // Image 1 starts at x = 1 + 7 = 8; image 2 at row 1, y = 1 + 5 = 6.
    expect(px(8, 1)).toEqual([60, 100, 200]);
    expect(px(1, 6)).toEqual([120, 100, 200]);
    // The empty fourth cell stays background.
    expect(px(10, 8)).toEqual([0, 0, 0]);
    expect(fs.readdirSync(dir)).toEqual(['grid.png']);
  });

  it('adds room for labels and normalises float images globally or per image', async () => {
    const rng = new Rng(0);
    const images: GridImage[] = ['plane', 'car', 'bird', 'cat'].map((label) => ({
      data: rng.normalArray(4 * 4, 0, 1e-3),
      h: 4,
      w: 4,
      c: 1,
      label,
    }));
    const plain = await imageGrid(path.join(dir, 'plain.png'), images.map(({ label: _l, ...rest }) => rest), { cols: 2, scale: 8, normalize: 'per-image' });
    const labelled = await imageGrid(path.join(dir, 'labelled.png'), images, {
      cols: 2,
      scale: 8,
      normalize: 'global',
      title: 'Weights',
      colLabels: ['a', 'b'],
      rowLabels: ['first', 'second'],
    });
    expect([plain.width, plain.height]).toEqual([2 + 2 * 34, 2 + 2 * 34]);
    expect(labelled.width).toBeGreaterThan(plain.width);
    expect(labelled.height).toBeGreaterThan(plain.height + 2 * 12);
    const meta = await sharp(labelled.path).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', labelled.width, labelled.height]);
    // Per-image normalisation stretches each tile to the full 0..255 range.
    const img = await raw(plain.path);
    const tile = [];
    for (let y = 2; y < 34; y++) for (let x = 2; x < 34; x++) tile.push(img.data[(y * img.width + x) * 3]);
    expect([Math.min(...tile), Math.max(...tile)]).toEqual([0, 255]);
  });

  it('names the image and the sizes when images disagree', async () => {
    const a: GridImage = { data: new Uint8Array(4), h: 2, w: 2, c: 1 };
    const b: GridImage = { data: new Uint8Array(9), h: 3, w: 3, c: 1 };
    await expect(imageGrid(path.join(dir, 'x.png'), [a, b], { cols: 2 })).rejects.toThrow(
      'imageGrid: every image must be 2x2 like image 0, image 1 is 3x3',
    );
    await expect(imageGrid(path.join(dir, 'x.png'), [{ ...a, data: new Uint8Array(5) }], { cols: 2 })).rejects.toThrow(
      'imageGrid: image 0: data must have h*w*c = 2*2*1 = 4 values, got 5',
    );
  });
});

describe('heatmap', () => {
  it('block-averages a large matrix by one factor on both axes (kNN distances: 500 x 5000)', async () => {
    const rows = 500;
    const cols = 5000;
    const data = new Float32Array(rows * cols);
    for (let i = 0; i < data.length; i++) data[i] = i % 7;
    const result = await heatmap(path.join(dir, 'dists.png'), data, rows, cols, { maxSide: 1000 });
    expect([result.width, result.height]).toEqual([1000, 100]);
    const meta = await sharp(result.path).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['png', 1000, 100, 1]);
  });

  it('maps block means min..max to black..white and upscales small matrices', async () => {
    // 4x4 in 2x2 blocks with means 0, 1 / 2, 3.
    const m = [0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3];
    const result = await heatmap(path.join(dir, 'small.png'), m, 4, 4, { maxSide: 2, scale: 3 });
    expect([result.width, result.height]).toEqual([6, 6]);
    const img = await raw(result.path);
    const at = (x: number, y: number) => img.data[(y * img.width + x) * img.channels];
    expect([at(0, 0), at(5, 0), at(0, 5), at(5, 5)]).toEqual([0, 85, 170, 255]);
  });

  it('checks that data matches rows x cols', async () => {
    await expect(heatmap(path.join(dir, 'bad.png'), [1, 2, 3], 2, 2)).rejects.toThrow(
      'heatmap: data must have rows*cols = 2*2 = 4 values, got 3',
    );
  });
});
