/**
 * The error every data function throws for bad or missing input, and the one hint that tells a user how to get
 * the data. Scripts print a DataError's message alone (no stack): it is meant for the user, not the developer.
 */

export class DataError extends Error {
  override name = 'DataError';
}

/** How to get CIFAR-10, appended to every "not found" message. */
export const HOW_TO_GET_DATA =
  'Get it with `npm run get-data` (downloads the official archive, about 170 MB), ' +
  'or offline with `npm run get-data -- --from PATH` (a local cifar-10-binary.tar.gz or an image-folder archive), ' +
  'or set CIFAR10_DIR to a folder holding data_batch_1.bin..data_batch_5.bin, test_batch.bin and batches.meta.txt.';
