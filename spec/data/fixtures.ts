/**
 * Synthetic CIFAR-10 for the data specs: tiny batches written in the official format, image-folder trees of real
 * PNG/JPEG files made with sharp, and a check that a folder holds no leftovers of an interrupted write.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tar from 'tar';
import sharp from 'sharp';
import { Rng } from '../../src/random';
import { isTempName } from '../../runtime/atomic';
import {
  CLASS_NAMES,
  META_FILE,
  RECORD_BYTES,
  TEST_BATCH_FILE,
  TRAIN_BATCH_FILES,
  formatClassNames,
} from '../../runtime/data/cifar10_format';

export function makeTmpDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `cifar-spec-${tag}-`));
}

/** Random official-format records: [records * 3073] bytes with labels 0..9. */
export function randomBatch(rng: Rng, records: number): Uint8Array {
  const bytes = new Uint8Array(records * RECORD_BYTES);
  for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(256);
  for (let r = 0; r < records; r++) bytes[r * RECORD_BYTES] = rng.int(10);
  return bytes;
}

/** Writes a complete official folder with `records` per batch; returns each file's bytes by name. */
export function writeOfficialDir(dir: string, records: number, seed = 1): Map<string, Uint8Array> {
  fs.mkdirSync(dir, { recursive: true });
  const rng = new Rng(seed);
  const files = new Map<string, Uint8Array>();
  for (const f of [...TRAIN_BATCH_FILES, TEST_BATCH_FILE]) {
    const bytes = randomBatch(rng, records);
    fs.writeFileSync(path.join(dir, f), bytes);
    files.set(f, bytes);
  }
  fs.writeFileSync(path.join(dir, META_FILE), formatClassNames(CLASS_NAMES) + '\n');
  return files;
}

/** One source image of an image-folder tree: where it is, its label and its exact RGB pixels [32 * 32 * 3]. */
export interface SourceImage {
  rel: string;
  label: number;
  pixels: Buffer;
}

/**
 * Writes `<root>/train/<class>/NNN.png|jpg` and `<root>/test/...` under dir: trainPerClass[label] and
 * testPerClass[label] images per class, random pixels, every third one a JPEG (lossy: not in `exact`).
 * Returns the losslessly stored (PNG) images, whose decoded pixels must come back exactly.
 */
export async function writeImageTree(
  dir: string,
  root: string,
  trainPerClass: number[],
  testPerClass: number[],
  seed = 2,
): Promise<{ exact: SourceImage[]; all: string[] }> {
  const rng = new Rng(seed);
  const exact: SourceImage[] = [];
  const all: string[] = [];
  let k = 0;
  for (const [split, perClass] of [['train', trainPerClass], ['test', testPerClass]] as const) {
    for (let label = 0; label < perClass.length; label++) {
      const classDir = path.join(dir, root, split, CLASS_NAMES[label]);
      fs.mkdirSync(classDir, { recursive: true });
      for (let i = 0; i < perClass[label]; i++) {
        const pixels = Buffer.alloc(32 * 32 * 3);
        for (let p = 0; p < pixels.length; p++) pixels[p] = rng.int(256);
        const jpeg = k++ % 3 === 2;
        const name = `${String(i).padStart(3, '0')}.${jpeg ? 'jpg' : 'png'}`;
        const img = sharp(pixels, { raw: { width: 32, height: 32, channels: 3 } });
        await (jpeg ? img.jpeg({ quality: 90 }) : img.png()).toFile(path.join(classDir, name));
        const rel = `${root}/${split}/${CLASS_NAMES[label]}/${name}`;
        all.push(rel);
        if (!jpeg) exact.push({ rel, label, pixels });
      }
    }
  }
  return { exact, all };
}

/** Writes a single image file of any size and channel count (for the error cases). */
export async function writeOddImage(file: string, width: number, height: number, channels: 1 | 3 | 4): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const pixels = Buffer.alloc(width * height * channels, 128);
  const img = sharp(pixels, { raw: { width, height, channels } });
  // Without 'b-w' sharp would store one channel as RGB.
  await (channels === 1 ? img.toColourspace('b-w') : img).png().toFile(file);
}

/** A .tar.gz of `entries` (paths relative to cwd), in the order given. */
export async function makeArchive(file: string, cwd: string, entries: string[]): Promise<string> {
  await tar.c({ gzip: true, file, cwd, portable: true }, entries);
  return file;
}

/** Names in dir (recursively) that an interrupted write could have left: temporaries. */
export function leftoverTemps(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => isTempName(path.basename(p)));
}

/** Every file under dir with its bytes, for before/after comparisons. */
export function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (!fs.existsSync(dir)) return out;
  for (const rel of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const p = path.join(dir, rel);
    if (fs.statSync(p).isFile()) out.set(rel, fs.readFileSync(p));
  }
  return out;
}

/** Node's fs module itself (an `import * as fs` is a copy whose properties cannot be replaced). Under jest only. */
const nodeFs = (): typeof fs => jest.requireActual('node:fs');

/** An fs error as Node makes them: message and code, e.g. fsError('ENOSPC', 'write'). */
export function fsError(code: string, syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated, ${syscall}`), { code, syscall, errno: -1 });
}

/**
 * Makes fs.<name> fail with `code` for paths `when` accepts, until the returned function is called. style: how
 * the function reports errors: 'sync' (throws), 'promise' (fs.promises.<name> rejects) or 'callback' (its last
 * argument gets the error). For errors these machines cannot produce on demand: a full disk, and permission
 * denied (tests run as root, which may read and write anything).
 */
export function failFs(name: string, code: string, when: (p: string) => boolean = () => true, style: 'sync' | 'promise' | 'callback' = 'sync'): () => void {
  const target = (style === 'promise' ? nodeFs().promises : nodeFs()) as unknown as Record<string, (...args: unknown[]) => unknown>;
  const original = target[name];
  const spy = jest.spyOn(target, name).mockImplementation((...args: unknown[]) => {
    if (!when(String(args[0]))) return original.apply(target, args);
    if (style === 'promise') return Promise.reject(fsError(code, name));
    if (style === 'callback') {
      process.nextTick(args[args.length - 1] as (err: Error) => void, fsError(code, name));
      return undefined;
    }
    throw fsError(code, name);
  });
  return () => spy.mockRestore();
}
