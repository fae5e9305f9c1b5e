/**
 * The doc comments that stubs get instead of the library's where the library's derives the answer: what goes in,
 * what comes out with its shape, and the goal in words, as the course's stubs say it. The derivations are in the
 * docs/ page each stub names.
 */
export const STUB_DOCS: Record<string, string> = {
  'KNearestNeighbor.computeDistancesTwoLoops': [
    'L2 distances between every test row and every training row, one pair at a time: a loop over the test rows and',
    'a loop over the training rows, each distance summed over the D values of the pair (docs/knn-distances.md).',
    'Slow on purpose: it is the baseline the other two are timed against. Read each tensor once (dataSync) and',
    'loop over plain numbers; a tfjs op per pair would take hours on the script\'s 500 x 5,000 pairs.',
    '',
    'X: [Nte, D] test rows. Returns dists [Nte, Ntr], dists[i, j] = ||X[i] - Xtr[j]||.',
  ].join('\n'),
  'KNearestNeighbor.computeDistancesOneLoop': [
    'L2 distances with one loop, over the test rows: each test row against the whole training set at once, by',
    'broadcasting (docs/knn-distances.md).',
    '',
    'X: [Nte, D]. Returns dists [Nte, Ntr], dists[i, j] = ||X[i] - Xtr[j]||.',
  ].join('\n'),
  svmLossNaive: [
    'SVM loss and its gradient with explicit loops over plain arrays, one example and one class at a time: the mean',
    'over the batch of sum over j != y_i of max(0, s_j - s_{y_i} + 1), plus reg * sum(W * W). The gradient of each',
    'term is derived in docs/svm-softmax-gradients.md.',
    '',
    'W: [D, C] weights. X: [N, D] examples, one per row. y: [N] labels in 0..C-1. reg: L2 strength.',
    'Returns the loss and dW [D, C].',
  ].join('\n'),
  svmLossVectorized: [
    'The same loss and gradient as svmLossNaive, without loops: a few whole-matrix operations',
    '(docs/svm-softmax-gradients.md works out which).',
    '',
    'W: [D, C]. X: [N, D]. y: [N] labels. reg: L2 strength. Returns the loss and dW [D, C].',
  ].join('\n'),
  softmaxLossNaive: [
    'Softmax loss and its gradient with explicit loops over plain arrays, one example and one class at a time: the',
    'mean cross-entropy -log p_{y_i} over the batch plus reg * sum(W * W), where p = softmax of the scores x_i W.',
    'Keep exp from overflowing when scores are large (docs/svm-softmax-gradients.md derives the gradient and says',
    'how).',
    '',
    'W: [D, C] weights. X: [N, D] examples. y: [N] labels in 0..C-1. reg: L2 strength.',
    'Returns the loss and dW [D, C].',
  ].join('\n'),
  nearestIndices: [
    "For every row of a distance matrix, the indices of its k smallest entries, nearest first (ties: the lower index",
    'first). predictLabels and crossValidate (`npm run knn`) both call it.',
    '',
    'dists: [Nte * Ntr] row-major. Returns [Nte * k] row-major.',
  ].join('\n'),
  voteLabels: [
    "Majority vote over the first k of each row's kMax nearest indices (nearest first); vote ties go to the smallest",
    'label. crossValidate passes kMax > k, to vote for several k from one list of neighbours.',
    '',
    'nearest: [Nte * kMax]. Returns labels [Nte].',
  ].join('\n'),
  'KNearestNeighbor.computeDistancesNoLoops': [
    'L2 distances between every test row and every training row, with no loop in JavaScript: a few whole-tensor',
    'operations (docs/knn-distances.md has the idea). Mind rounding where two rows are equal.',
    '',
    'X: [Nte, D]. Returns dists [Nte, Ntr], dists[i, j] = ||X[i] - Xtr[j]||.',
  ].join('\n'),
  softmaxLossVectorized: [
    'Softmax loss and its gradient without loops: the mean cross-entropy over the batch plus reg * sum(W * W).',
    '',
    'W: [D, C]. X: [N, D]. y: [N] labels. reg: L2 strength. Returns the loss and dW [D, C].',
  ].join('\n'),
  affineBackward: 'dout: [N, M], the upstream gradient. cache: from affineForward.\nReturns dx: x\'s shape, dw: [D, M], db: [M].',
  reluBackward: 'dout: x\'s shape. cache: from reluForward. Returns dx, x\'s shape (the subgradient at 0 is taken as 0).',
  testModeBackward: 'Backward in test mode, where the mean and variance were fixed numbers, not functions of x.\ndout: [N, D]. Returns dx [N, D], dgamma [D], dbeta [D].',
  batchnormBackward: [
    'Backward through the graph of the forward pass, one node at a time (the course\'s batchnorm_backward): draw the',
    'graph from x to out first; where a node feeds two others, the gradients along both branches add.',
    '',
    'dout: [N, D]. cache: from batchnormForward. Returns dx [N, D], dgamma [D], dbeta [D].',
  ].join('\n'),
  batchnormBackwardAlt: [
    'The same gradients as batchnormBackward in one closed form, derived on paper (the course\'s',
    'batchnorm_backward_alt); docs/batchnorm.md walks through it.',
    '',
    'dout: [N, D]. cache: from batchnormForward. Returns dx [N, D], dgamma [D], dbeta [D].',
  ].join('\n'),
  layernormBackward: 'dout: [N, D]. cache: from layernormForward. Returns dx [N, D], dgamma [D], dbeta [D].',
  dropoutBackward: 'dout: x\'s shape. cache: from dropoutForward. Returns dx, x\'s shape, in train and in test mode.',
  convBackwardNaive: [
    'Backward pass of convForwardNaive, with plain loops.',
    '',
    'dout: [N, H\', W\', F]. cache: from convForwardNaive. Returns dx: [N, H, W, C], dw: [HH, WW, C, F], db: [F].',
  ].join('\n'),
  'KNearestNeighbor.predictLabels': [
    'Majority vote among the k nearest training rows of each test row: the most common label among them, ties in',
    'the vote going to the smallest label and ties in distance to the earlier training row (docs/knn-distances.md).',
    '',
    'dists: [Nte, Ntr] from one of the computeDistances* methods. k: neighbours, 1..Ntr. Returns labels [Nte].',
  ].join('\n'),
  geluBackward: "dout: x's shape. cache: from geluForward. Returns dx, x's shape: dout times the derivative of x * Phi(x)\n(docs/best-model.md derives it).",
  globalAvgPoolBackward: 'dout: [N, C]. cache: from globalAvgPoolForward. Returns dx: [N, H, W, C], how much each position moved its\nchannel\'s mean, times dout (docs/best-model.md).',
  spatialGroupnormBackward: 'dout: [N, H, W, C]. cache: from spatialGroupnormForward. Returns dx: [N, H, W, C], dgamma: [C], dbeta: [C].',
};
