/**
 * Reads a .tar / .tar.gz that holds CIFAR-10 in one of two layouts, and tells which:
 *
 * - official: the cifar-10-binary.tar.gz release, `<root>/data_batch_1.bin .. test_batch.bin, batches.meta.txt`;
 * - images: one folder per class, `<root>/train/<class>/*.jpg|png` and `<root>/test/<class>/*.jpg|png`.
 *
 * One streaming pass keeps image files in memory (60,000 small JPEGs are ~25 MB) and only the names of everything
 * else; an official archive is then extracted by a second pass straight to disk (see extractOfficial).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tar from 'tar';
import { BuildOptions, buildDirAtomic, describeFsError } from '../atomic';
import { DataError } from '../../src/data/errors';
import { BATCHES_DIR_NAME, META_FILE, RECORDS_PER_BATCH, TEST_BATCH_FILE, TRAIN_BATCH_FILES } from './cifar10_format';
import { checkCifar10Dir } from './reader';
import { printable } from '../printable';

const OFFICIAL_FILES = [...TRAIN_BATCH_FILES, TEST_BATCH_FILE, META_FILE];
const IMAGE_EXT = /\.(jpe?g|png)$/i;

export interface ArchiveScan {
  /** Every regular file's path, normalised (no leading './'). */
  names: string[];
  /** Contents of the image files (.jpg, .jpeg, .png), by path. */
  images: Map<string, Buffer>;
}

export type ArchiveLayout = { kind: 'official'; root: string } | { kind: 'images' };

/** 'a/./b' and './a/b' -> 'a/b'; macOS resource forks and hidden files are reported as null (skipped). */
export function normaliseEntryPath(p: string): string | null {
  const norm = path.posix.normalize(p.replace(/\\/g, '/')).replace(/^(\.\/)+/, '');
  if (norm.split('/').some((part) => part.startsWith('.') || part === '__MACOSX')) return null;
  return norm;
}

/** The largest image entry kept: a 32x32 CIFAR image is a few KB; a bigger entry is refused before it is read. */
export const MAX_IMAGE_ENTRY_BYTES = 10 * 1024 * 1024;
/** The most image bytes kept in all (60,000 small JPEGs are ~25 MB). */
export const MAX_IMAGE_TOTAL_BYTES = 1024 * 1024 * 1024;
/** The most entries listed (CIFAR-10 as images has 60,000 plus folders). */
export const MAX_ENTRIES = 1_000_000;

/**
 * Lists an archive, keeping image files' bytes. Throws a DataError naming the file if it is not a readable tar,
 * and naming the entry (its control characters escaped) for an image entry larger than MAX_IMAGE_ENTRY_BYTES, which
 * is refused from its header, before its data is decompressed or held, and for a file that appears twice.
 */
export async function scanArchive(file: string, signal?: AbortSignal): Promise<ArchiveScan> {
  const stat = await fs.promises.stat(file).catch(() => null);
  if (stat === null || !stat.isFile()) throw new DataError(`archive ${file}: no such file`);
  const names: string[] = [];
  const seen = new Set<string>();
  const images = new Map<string, Buffer>();
  let kept = 0;
  let refusal: DataError | null = null;
  const parser = new tar.Parser({
    onReadEntry: (entry) => {
      const name = normaliseEntryPath(entry.path);
      const image = name !== null && (entry.type === 'File' || entry.type === 'OldFile') && IMAGE_EXT.test(name);
      if (name !== null && (entry.type === 'File' || entry.type === 'OldFile')) names.push(name);
      const refuse = (why: string) => {
        refusal ??= new DataError(`archive ${file}: ${printable(name ?? entry.path)}: ${why}`);
        parser.abort(refusal);
      };
      const isFile = name !== null && (entry.type === 'File' || entry.type === 'OldFile');
      // A second copy of a name would silently win on extraction: which copy is meant cannot be known.
      if (isFile && seen.has(name)) refuse('appears twice in the archive; refusing it rather than guess which copy is meant');
      else if (isFile) seen.add(name);
      if (refusal !== null) {
        entry.resume();
        return;
      }
      if (names.length > MAX_ENTRIES) refuse(`more than ${MAX_ENTRIES} files; this is not CIFAR-10`);
      else if (image && entry.size > MAX_IMAGE_ENTRY_BYTES) {
        refuse(`an image entry of ${entry.size} bytes, more than ${MAX_IMAGE_ENTRY_BYTES} (a CIFAR-10 image is a few KB); refusing it unread`);
      } else if (image && kept + entry.size > MAX_IMAGE_TOTAL_BYTES) refuse(`the images so far exceed ${MAX_IMAGE_TOTAL_BYTES} bytes; this is not CIFAR-10`);
      if (!image || refusal !== null) {
        entry.resume();
        return;
      }
      kept += entry.size;
      const chunks: Buffer[] = [];
      entry.on('data', (c: Buffer) => chunks.push(c));
      entry.on('end', () => images.set(name, Buffer.concat(chunks)));
    },
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const stream = fs.createReadStream(file);
      const fail = (err: unknown) => {
        stream.destroy();
        reject(err);
      };
      parser.on('abort', fail);
      parser.on('error', fail);
      parser.on('end', () => resolve());
      stream.on('error', fail);
      signal?.addEventListener('abort', () => fail(signal.reason), { once: true });
      stream.pipe(parser);
    });
  } catch (err) {
    if (signal?.aborted || refusal !== null) throw refusal ?? err;
    throw new DataError(`archive ${file}: cannot read it as a tar or tar.gz file (${printable((err as Error).message)})`);
  }
  signal?.throwIfAborted();
  return { names, images };
}

/** Decides the layout from the names, or throws a DataError saying what was expected. */
export function detectLayout(file: string, scan: ArchiveScan): ArchiveLayout {
  const batch = scan.names.filter((n) => path.posix.basename(n) === TRAIN_BATCH_FILES[0]);
  if (batch.length === 1) {
    const root = path.posix.dirname(batch[0]);
    const inRoot = (f: string) => (root === '.' ? f : `${root}/${f}`);
    const missing = OFFICIAL_FILES.filter((f) => !scan.names.includes(inRoot(f)));
    if (missing.length > 0) throw new DataError(`archive ${file}: has ${printable(batch[0])} but lacks ${printable(missing.map(inRoot).join(', '))}`);
    return { kind: 'official', root };
  }
  if (scan.images.size > 0) return { kind: 'images' };
  throw new DataError(
    `archive ${file}: neither the official layout (${BATCHES_DIR_NAME}/data_batch_1.bin ...) nor an image-folder ` +
      'layout (<root>/train/<class>/*.jpg|png, <root>/test/<class>/...)',
  );
}

/**
 * Extracts an official archive's seven files into `destDir` (all or nothing), then validates them with the
 * reader (sizes, labels, class names). recordsPerBatch: 10,000 for the real data; tests use less.
 */
export async function extractOfficial(
  file: string,
  root: string,
  destDir: string,
  recordsPerBatch: number = RECORDS_PER_BATCH,
  signal?: AbortSignal,
  onStep?: BuildOptions['onStep'],
): Promise<void> {
  const prefix = root === '.' ? '' : `${root}/`;
  const wanted = new Set(OFFICIAL_FILES.map((f) => prefix + f));
  await buildDirAtomic(
    destDir,
    async (tmp) => {
      // tar reports a file it could not write as a warning and goes on; a full disk must not pass for a bad archive.
      let writeError: unknown = null;
      await tar.x({
        file,
        cwd: tmp,
        strip: prefix === '' ? 0 : root.split('/').length,
        filter: (p) => {
          const name = normaliseEntryPath(p);
          return name !== null && wanted.has(name) && !signal?.aborted;
        },
        onwarn: (_code, _message, data) => {
          if (writeError === null && describeFsError(data) !== null) writeError = data;
        },
      });
      signal?.throwIfAborted();
      if (writeError !== null) throw writeError;
      try {
        await checkCifar10Dir(tmp, recordsPerBatch);
      } catch (err) {
        // Name the file inside the archive, not the temporary folder it was extracted to.
        if (err instanceof DataError) throw new DataError(`archive ${file}: ${err.message.split(tmp).join(printable(root))}`);
        throw err;
      }
    },
    { onStep },
  );
}
