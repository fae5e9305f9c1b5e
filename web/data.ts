/**
 * The page's data: the first training batch of CIFAR-10, fetched from the server in the official binary format
 * (the page bundles no data), decoded with the library's reader, split into a training and a validation subset,
 * and made into float32 tensors with the training mean image subtracted, as the course's get_CIFAR10_data does.
 *
 * A subset keeps the page responsive: 5,000 training and 500 validation images by default, both from
 * data_batch_1.bin (the course's validation images also come from the training batches). A smaller file (the
 * end-to-end spec serves one) gives smaller subsets: a tenth for validation, the rest for training.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CLASS_NAMES, IMAGE_BYTES, META_FILE, TRAIN_BATCH_FILES, checkBatchSize, decodeRecords, parseClassNames } from '../runtime/data/cifar10_format';
import { CifarSplit } from '../src/data/split';
import { meanImage, toFloatTensor } from '../src/data/preprocess';

/** data_batch_1.bin. */
export const TRAIN_FILE = TRAIN_BATCH_FILES[0];

export interface PageData {
  /** [NTrain, 32, 32, 3] float32, mean subtracted (NHWC; the course's are NCHW). */
  XTrain: tf.Tensor4D;
  /** [NTrain] int32. */
  yTrain: tf.Tensor1D;
  /** [NVal, 32, 32, 3] float32, the training mean subtracted. */
  XVal: tf.Tensor4D;
  /** [NVal] int32. */
  yVal: tf.Tensor1D;
  /** The validation images as bytes, for drawing. */
  val: CifarSplit;
  /** The training mean image [3072], NHWC. */
  mean: Float32Array;
  classNames: string[];
  /** Where the data came from, for the page's status line. */
  source: string;
}

/** Thrown when the server has no data to give; the message says what to run. */
export class NoDataError extends Error {
  override name = 'NoDataError';
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new NoDataError(`GET ${url} failed (${(e as Error).message}): is the server (npm run web) still running?`);
  }
  if (!res.ok) {
    const why = (await res.text()).trim();
    throw new NoDataError(`GET ${url}: ${res.status} ${res.statusText}. ${why}`);
  }
  return new Uint8Array(await res.arrayBuffer());
}

/** The class names from batches.meta.txt when the server has it, else the official ones. */
async function fetchClassNames(base: string): Promise<string[]> {
  const res = await fetch(`${base}/${META_FILE}`).catch(() => null);
  if (!res || !res.ok) return [...CLASS_NAMES];
  return parseClassNames(META_FILE, await res.text());
}

/**
 * Fetches `${base}/data_batch_1.bin`, decodes it and builds the tensors.
 * base: the URL folder the server serves the batches from ('/data'). maxTrain, maxVal: subset sizes.
 * Throws NoDataError when the server has no data, a DataError (from the reader) when the file is not CIFAR-10.
 */
export async function loadPageData(base: string, maxTrain = 5000, maxVal = 500): Promise<PageData> {
  const url = `${base}/${TRAIN_FILE}`;
  const bytes = await fetchBytes(url);
  const n = checkBatchSize(TRAIN_FILE, bytes.length, 'any');
  if (n < 2) throw new NoDataError(`${url} holds ${n} image; the page needs at least 2 (one to train on, one to validate)`);
  const images = new Uint8Array(n * IMAGE_BYTES);
  const labels = new Uint8Array(n);
  decodeRecords(TRAIN_FILE, bytes, images, labels, 0);
  const all = new CifarSplit(images, labels);

  const numVal = Math.max(1, Math.min(maxVal, Math.floor(n / 10)));
  const numTrain = Math.min(maxTrain, n - numVal);
  const train = all.subset({ start: 0, end: numTrain });
  const val = all.subset({ start: numTrain, end: numTrain + numVal });
  const mean = meanImage(train);
  return {
    XTrain: toFloatTensor(train, { mean, layout: 'images' }) as tf.Tensor4D,
    yTrain: train.labelsTensor(),
    XVal: toFloatTensor(val, { mean, layout: 'images' }) as tf.Tensor4D,
    yVal: val.labelsTensor(),
    val,
    mean,
    classNames: await fetchClassNames(base),
    source: `${TRAIN_FILE}: ${numTrain} training + ${numVal} validation images of ${n}`,
  };
}

export function disposePageData(d: PageData): void {
  tf.dispose([d.XTrain, d.yTrain, d.XVal, d.yVal]);
}
