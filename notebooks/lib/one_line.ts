/**
 * Errors a notebook cell raises on purpose, whose message is all a reader needs (no stack trace): a missing data
 * folder says how to get the data, a stub says which exercise to write. The kernel (notebooks/kernel.ts) prints
 * them as their one line.
 */
import { STUB_MESSAGE } from '../../learn/impl';

/** An error a notebook raises on purpose: the kernel prints its message alone. */
export class NotebookStop extends Error {
  override readonly name = 'NotebookStop';
}

/** True for a NotebookStop, for a stub's `not implemented yet` error, and for the data loader's DataError. */
export function isOneLineError(e: unknown): e is Error {
  if (!(e instanceof Error)) return false;
  return e.name === 'NotebookStop' || e.name === 'DataError' || STUB_MESSAGE.test(e.message);
}
