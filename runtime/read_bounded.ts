/**
 * Reading a file handed in from outside without trusting it: the file is opened once, must be a regular file on
 * that open descriptor (a symlink to /dev/zero, a FIFO or a folder is refused before a byte is read: /dev/zero
 * alone would fill memory), its size on the descriptor must be within a bound and, when the caller knows it,
 * equal to the expected size, and exactly that many bytes are read from the same descriptor, so a file that grows
 * or shrinks meanwhile is noticed instead of read half-and-half.
 */
import * as fs from 'node:fs';

export interface BoundedReadOptions {
  /** The largest size accepted, in bytes. */
  maxBytes: number;
  /** The size the file must have, when the caller knows it, and the file that records it (for the message). */
  expect?: { bytes: number; recordedIn: string };
  /**
   * Builds the error thrown for a refusal; the message says what was wrong with the file, and kind which check
   * failed: 'type' (not a regular file), 'size' (over the bound or not the expected size), 'changed' (while read).
   */
  error: (message: string, kind: 'type' | 'size' | 'changed') => Error;
}

/** O_NONBLOCK so that opening a FIFO returns at once (to be refused) instead of waiting for a writer. */
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

/** "a character device" for a Stats that is not a regular file, for a message. */
export function describeFileType(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Reads `file` whole after the checks above. Throws options.error(message) naming the file for each refusal, and
 * passes file-system errors (ENOENT, EACCES) through as they are for the caller to word.
 */
export function readBoundedFileSync(file: string, options: BoundedReadOptions): Buffer {
  const fd = fs.openSync(file, OPEN_FLAGS);
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw options.error(`${file} is ${describeFileType(stat)}, not a regular file; refusing to read it`, 'type');
    if (stat.size > options.maxBytes) {
      throw options.error(`${file} has ${stat.size} bytes, more than the ${options.maxBytes} this reader accepts; refusing to read it`, 'size');
    }
    const expect = options.expect;
    if (expect !== undefined && stat.size !== expect.bytes) {
      const why = stat.size < expect.bytes ? 'truncated' : 'longer than recorded';
      throw options.error(`${file} has ${stat.size} bytes but ${expect.recordedIn} records ${expect.bytes} (${why})`, 'size');
    }
    const buf = Buffer.alloc(stat.size);
    let got = 0;
    while (got < buf.length) {
      const n = fs.readSync(fd, buf, got, buf.length - got, got);
      if (n === 0) throw options.error(`${file} shrank from ${stat.size} to ${got} bytes while being read`, 'changed');
      got += n;
    }
    if (fs.readSync(fd, Buffer.alloc(1), 0, 1, got) !== 0) throw options.error(`${file} grew beyond ${stat.size} bytes while being read`, 'changed');
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}
