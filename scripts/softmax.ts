/**
 * npm run softmax [-- --quick] [--seed N] [--out DIR] [--iters N] [--batch-size N]
 *
 * Assignment 1's softmax notebook: a linear classifier with the softmax (cross-entropy) loss on raw pixels.
 *   1. data: 49,000 train / 1,000 val / 1,000 test / 500 dev, the training mean image subtracted, a bias column;
 *   2. the naive loss on the dev set with small random weights (about -log(0.1): ten nearly equal scores give every
 *      class probability 0.1), and a sparse numeric gradient check (reg 0 and 5e1);
 *   3. naive vs vectorised loss and gradient: values, times, difference;
 *   4. a search over learning rate x regularisation strength, SGD for 5,000 iterations each, keeping the model
 *      with the best validation accuracy, evaluated once on the test set; its weights drawn as ten class templates.
 *      The grid holds the notebook's first setting (lr 1e-7, reg 2.5e4), whose loss curve is drawn beside the best.
 *
 * The course suggests learning rates [1e-7, 5e-7] and strengths [2.5e4, 5e4], 1,500 iterations at a constant rate:
 * about 0.33-0.36 validation accuracy here. Weaker regularisation, larger rates, 5,000 iterations and a step decay
 * of the rate (SCHEDULE) reach about 0.39; the grid keeps the notebook's setting lr 1e-7, reg 2.5e4 for comparison.
 *
 * Writes to runs/softmax/: metrics.json, loss.png (minibatch loss), search.png (accuracy over the grid), weights.png (templates).
 */
import { runLinearNotebook } from './lib/linear_notebook';
import { Softmax } from '../src/classifiers/linear_classifier';
import { softmaxLossNaive, softmaxLossVectorized } from '../src/classifiers/softmax';

const LEARNING_RATES = [1e-7, 1e-6, 2e-6];
const REGULARIZATION_STRENGTHS = [5e2, 1e3, 2.5e4];
/** The notebook's first setting; the grid includes it, and loss.png shows its curve beside the best one. */
const NOTEBOOK_SETTING = { learningRate: 1e-7, reg: 2.5e4 };

async function main(): Promise<void> {
  await runLinearNotebook({
    name: 'softmax',
    description: 'softmax classifier on CIFAR-10 pixels (assignment 1, softmax notebook)',
    displayName: 'softmax',
    classifier: () => new Softmax(),
    lossNaive: softmaxLossNaive,
    lossVectorized: softmaxLossVectorized,
    learningRates: LEARNING_RATES,
    regs: REGULARIZATION_STRENGTHS,
    notebookSetting: NOTEBOOK_SETTING,
    initialLossReg: 0,
    // Small random weights: all scores near 0, every class probability near 1 / C, so the loss is near -log(1 / C).
    sanityCheck: { label: 'sanity check: -log(0.1)', expected: (numClasses) => -Math.log(1 / numClasses) },
    summaryTitle: 'softmax classifier',
  });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
