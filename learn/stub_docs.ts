/**
 * The doc comments that stubs get instead of the library's where the library's derives the answer: what goes in,
 * what comes out with its shape, and the goal in words, as the course's stubs say it. The derivations are in the
 * docs/ page each stub names.
 */
export const STUB_DOCS: Record<string, string> = {
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
  spatialGroupnormBackward: 'dout: [N, H, W, C]. cache: from spatialGroupnormForward. Returns dx: [N, H, W, C], dgamma: [C], dbeta: [C].',
};
