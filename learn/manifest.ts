/**
 * The exercises: what assignments 1 and 2 of cs231n ask a learner to write, in the course's order, each with the
 * functions of src/ that hold its solution. `npm run exercises -- init` strips those bodies; `npm run check`
 * checks them (learn/checks/, one file per notebook, named by each exercise's `checks`). The last five go beyond
 * the course: the layers of the residual net and of the airbench net that `npm run train` trains, and the
 * airbench recipe's Nesterov update (docs/best-model.md). What the course
 * hands out ready-made (HOG, the Solver, data loading, the fast layers, the sandwich layers) is not here, so it
 * always comes from src/.
 *
 * A function is named as written in its file: `affineForward`, or `Class.method` for a method.
 */

export interface Exercise {
  /** The course's name, in snake_case: `npm run check -- affine_forward`. */
  id: string;
  assignment: 'A1' | 'A2';
  /** The course notebook (A1 Q1..Q5, A2 Q1..Q5) that asks for it. */
  notebook: string;
  /** The file under src/ (and under the workspace) that holds it. */
  file: string;
  /** The functions whose bodies the learner writes: the exercise's own, and the helpers that are part of it. */
  functions: string[];
  /** The page of docs/ that explains the derivation. */
  doc: string;
  /** The file of learn/checks/ whose CHECKS holds this exercise's check, by id (one file per notebook). */
  checks: string;
}

/** Which file of learn/checks/ checks a notebook's exercises. */
const CHECK_FILES: Record<string, string> = {
  'Q1 knn': 'a1_knn',
  'Q2 svm': 'a1_linear',
  'Q3 softmax': 'a1_linear',
  'Q4 two_layer_net': 'a1_two_layer_net',
  'Q1 FullyConnectedNets': 'a2_fc',
  'Q2 BatchNormalization': 'a2_batchnorm',
  'Q3 Dropout': 'a2_dropout',
  'Q4 ConvolutionalNetworks': 'a2_conv',
  'Q5 Network Visualization': 'a2_vis',
};

function ex(id: string, assignment: 'A1' | 'A2', notebook: string, file: string, functions: string[], doc: string): Exercise {
  return { id, assignment, notebook, file, functions, doc, checks: CHECK_FILES[notebook] ?? 'beyond' };
}

const KNN = 'classifiers/knn.ts';
const FC = 'fully-connected-nets.md';
const BN = 'batchnorm.md';
const CONV = 'convolution.md';
const VIS = 'network-visualization.md';
const BEST = 'best-model.md';
/** Beyond the course: the layers of `npm run train`'s nets and the airbench recipe's update rule. */
const BEYOND = 'Q5 best model (beyond the course)';

/** Every exercise, in the order the course asks for them. */
export const EXERCISES: readonly Exercise[] = [
  ex('compute_distances_two_loops', 'A1', 'Q1 knn', KNN, ['KNearestNeighbor.computeDistancesTwoLoops'], 'knn-distances.md'),
  ex('compute_distances_one_loop', 'A1', 'Q1 knn', KNN, ['KNearestNeighbor.computeDistancesOneLoop'], 'knn-distances.md'),
  ex('compute_distances_no_loops', 'A1', 'Q1 knn', KNN, ['KNearestNeighbor.computeDistancesNoLoops'], 'knn-distances.md'),
  ex('knn_predict_labels', 'A1', 'Q1 knn', KNN, ['KNearestNeighbor.predictLabels', 'nearestIndices', 'voteLabels'], 'knn-distances.md'),
  ex('svm_loss_naive', 'A1', 'Q2 svm', 'classifiers/linear_svm.ts', ['svmLossNaive'], 'svm-softmax-gradients.md'),
  ex('svm_loss_vectorized', 'A1', 'Q2 svm', 'classifiers/linear_svm.ts', ['svmLossVectorized'], 'svm-softmax-gradients.md'),
  ex('softmax_loss_naive', 'A1', 'Q3 softmax', 'classifiers/softmax.ts', ['softmaxLossNaive'], 'svm-softmax-gradients.md'),
  ex('softmax_loss_vectorized', 'A1', 'Q3 softmax', 'classifiers/softmax.ts', ['softmaxLossVectorized'], 'svm-softmax-gradients.md'),
  ex('linear_classifier_train', 'A1', 'Q2 svm', 'classifiers/linear_classifier.ts', ['LinearClassifier.train'], 'svm-softmax-gradients.md'),
  ex('linear_classifier_predict', 'A1', 'Q2 svm', 'classifiers/linear_classifier.ts', ['LinearClassifier.predict'], 'svm-softmax-gradients.md'),
  ex('two_layer_net_loss', 'A1', 'Q4 two_layer_net', 'classifiers/two_layer_net.ts', ['TwoLayerNet.loss'], FC),
  ex('affine_forward', 'A2', 'Q1 FullyConnectedNets', 'layers/affine.ts', ['affineForward'], FC),
  ex('affine_backward', 'A2', 'Q1 FullyConnectedNets', 'layers/affine.ts', ['affineBackward'], FC),
  ex('relu_forward', 'A2', 'Q1 FullyConnectedNets', 'layers/relu.ts', ['reluForward'], FC),
  ex('relu_backward', 'A2', 'Q1 FullyConnectedNets', 'layers/relu.ts', ['reluBackward'], FC),
  ex('softmax_loss', 'A2', 'Q1 FullyConnectedNets', 'layers/softmax_loss.ts', ['softmaxLoss'], FC),
  ex('svm_loss', 'A2', 'Q1 FullyConnectedNets', 'layers/svm_loss.ts', ['svmLoss'], FC),
  ex('fc_net_loss', 'A2', 'Q1 FullyConnectedNets', 'classifiers/fc_net.ts', ['FullyConnectedNet.loss', 'FullyConnectedNet.forward', 'FullyConnectedNet.backward'], FC),
  ex('sgd_momentum', 'A2', 'Q1 FullyConnectedNets', 'optim/sgd_momentum.ts', ['sgdMomentum'], 'optimizers.md'),
  ex('rmsprop', 'A2', 'Q1 FullyConnectedNets', 'optim/rmsprop.ts', ['rmsprop'], 'optimizers.md'),
  ex('adam', 'A2', 'Q1 FullyConnectedNets', 'optim/adam.ts', ['adam'], 'optimizers.md'),
  ex('batchnorm_forward', 'A2', 'Q2 BatchNormalization', 'layers/batchnorm.ts', ['batchnormForward'], BN),
  ex('batchnorm_backward', 'A2', 'Q2 BatchNormalization', 'layers/batchnorm.ts', ['batchnormBackward', 'testModeBackward'], BN),
  ex('batchnorm_backward_alt', 'A2', 'Q2 BatchNormalization', 'layers/batchnorm.ts', ['batchnormBackwardAlt'], BN),
  ex('layernorm_forward', 'A2', 'Q2 BatchNormalization', 'layers/layernorm.ts', ['layernormForward'], BN),
  ex('layernorm_backward', 'A2', 'Q2 BatchNormalization', 'layers/layernorm.ts', ['layernormBackward'], BN),
  ex('dropout_forward', 'A2', 'Q3 Dropout', 'layers/dropout.ts', ['dropoutForward'], 'dropout.md'),
  ex('dropout_backward', 'A2', 'Q3 Dropout', 'layers/dropout.ts', ['dropoutBackward'], 'dropout.md'),
  ex('conv_forward_naive', 'A2', 'Q4 ConvolutionalNetworks', 'layers/conv_naive.ts', ['convForwardNaive'], CONV),
  ex('conv_backward_naive', 'A2', 'Q4 ConvolutionalNetworks', 'layers/conv_naive.ts', ['convBackwardNaive'], CONV),
  ex('max_pool_forward_naive', 'A2', 'Q4 ConvolutionalNetworks', 'layers/pool_naive.ts', ['maxPoolForwardNaive'], CONV),
  ex('max_pool_backward_naive', 'A2', 'Q4 ConvolutionalNetworks', 'layers/pool_naive.ts', ['maxPoolBackwardNaive'], CONV),
  ex('three_layer_convnet_loss', 'A2', 'Q4 ConvolutionalNetworks', 'classifiers/cnn.ts', ['ThreeLayerConvNet.loss', 'ThreeLayerConvNet.forward', 'ThreeLayerConvNet.backward'], CONV),
  ex('spatial_batchnorm_forward', 'A2', 'Q4 ConvolutionalNetworks', 'layers/spatial_batchnorm.ts', ['spatialBatchnormForward'], BN),
  ex('spatial_batchnorm_backward', 'A2', 'Q4 ConvolutionalNetworks', 'layers/spatial_batchnorm.ts', ['spatialBatchnormBackward'], BN),
  ex('spatial_groupnorm_forward', 'A2', 'Q4 ConvolutionalNetworks', 'layers/spatial_groupnorm.ts', ['spatialGroupnormForward'], BN),
  ex('spatial_groupnorm_backward', 'A2', 'Q4 ConvolutionalNetworks', 'layers/spatial_groupnorm.ts', ['spatialGroupnormBackward'], BN),
  ex('compute_saliency_maps', 'A2', 'Q5 Network Visualization', 'vis/saliency.ts', ['computeSaliencyMaps'], VIS),
  ex('make_fooling_image', 'A2', 'Q5 Network Visualization', 'vis/fooling.ts', ['makeFoolingImages'], VIS),
  ex('class_visualization_update', 'A2', 'Q5 Network Visualization', 'vis/class_visualization.ts', ['createClassVisualization'], VIS),
  ex('global_avg_pool', 'A2', BEYOND, 'layers/global_avg_pool.ts', ['globalAvgPoolForward', 'globalAvgPoolBackward'], BEST),
  ex('smoothed_softmax_loss', 'A2', BEYOND, 'layers/label_smoothing.ts', ['smoothedSoftmaxLoss'], BEST),
  ex('residual_block_backward', 'A2', BEYOND, 'layers/residual.ts', ['residualBlockBackward'], BEST),
  ex('gelu_backward', 'A2', BEYOND, 'layers/gelu.ts', ['geluBackward'], BEST),
  ex('sgd_nesterov', 'A2', BEYOND, 'optim/sgd_nesterov.ts', ['sgdNesterov'], BEST),
];

/** The exercise with this id; throws naming the known ids otherwise. */
export function exerciseById(id: string): Exercise {
  const found = EXERCISES.find((e) => e.id === id);
  if (!found) throw new Error(`unknown exercise '${id}'; the exercises are: ${EXERCISES.map((e) => e.id).join(', ')}`);
  return found;
}

/** The exercise a function belongs to ('affineForward' or 'TwoLayerNet.loss'), if any. */
export function exerciseOfFunction(name: string): Exercise | undefined {
  return EXERCISES.find((e) => e.functions.includes(name));
}

/** The files that hold exercises, each once, in course order. */
export function exerciseFiles(): string[] {
  return [...new Set(EXERCISES.map((e) => e.file))];
}

/**
 * Exercises picked by the words a learner types: an exact id, or every id that contains the word
 * (`affine` -> affine_forward, affine_backward). No words: all of them.
 */
export function selectExercises(words: readonly string[]): Exercise[] {
  if (words.length === 0) return [...EXERCISES];
  const picked = new Set<Exercise>();
  for (const w of words) {
    const exact = EXERCISES.find((e) => e.id === w);
    const matches = exact ? [exact] : EXERCISES.filter((e) => e.id.includes(w));
    if (matches.length === 0) exerciseById(w);
    matches.forEach((m) => picked.add(m));
  }
  return EXERCISES.filter((e) => picked.has(e));
}
