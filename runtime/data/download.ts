/**
 * Downloads one file over HTTP(S) with Node's fetch (which follows redirects), checking its md5 as the bytes
 * arrive. The file appears at `dest` only when it is complete and its checksum matches (see atomic.ts).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { buildFileAtomic } from '../atomic';
import { DataError } from '../../src/data/errors';

export interface DownloadOptions {
  url: string;
  /** Final path of the file. */
  dest: string;
  /** Expected md5, lower-case hex; omit to skip the check. */
  md5?: string;
  /** Aborting stops the transfer and deletes the partial file. */
  signal?: AbortSignal;
  /** Called as bytes arrive; total is undefined when the server sends no Content-Length. */
  onProgress?: (received: number, total: number | undefined) => void;
}

/** The md5 of a file, lower-case hex, read as a stream. */
export async function md5File(file: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function describe(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string; code?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}

/** Downloads url to dest (all or nothing), verifying md5 when given. Throws a DataError saying what failed. */
export async function downloadFile(options: DownloadOptions): Promise<void> {
  const { url, dest, md5, signal, onProgress } = options;
  await buildFileAtomic(dest, async (tmp) => {
    let response: Response;
    try {
      response = await fetch(url, { redirect: 'follow', signal });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new DataError(
        `could not download ${url}: ${describe(err)}. If this machine is offline, fetch the archive elsewhere and run ` +
          '`npm run get-data -- --from PATH`.',
      );
    }
    if (!response.ok || response.body === null) {
      throw new DataError(`could not download ${url}: HTTP ${response.status} ${response.statusText}`);
    }
    const length = Number(response.headers.get('content-length'));
    const total = Number.isFinite(length) && length > 0 ? length : undefined;
    const hash = createHash('md5');
    let received = 0;
    await pipeline(
      Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>),
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          hash.update(chunk);
          received += chunk.length;
          onProgress?.(received, total);
          yield chunk;
        }
      },
      fs.createWriteStream(tmp),
      { signal },
    );
    if (total !== undefined && received !== total) {
      throw new DataError(`download of ${url} ended early: got ${received} of ${total} bytes (nothing kept)`);
    }
    const actual = hash.digest('hex');
    if (md5 !== undefined && actual !== md5.toLowerCase()) {
      throw new DataError(`download of ${url} is corrupt: md5 ${actual}, expected ${md5} (nothing kept); try again`);
    }
  });
}
