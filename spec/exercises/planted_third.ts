/**
 * A third batch of learners' mistakes, none of them planted.ts's or planted_more.ts's: each [exercise, file,
 * solution text, what the learner wrote instead, what the check must say]. As in planted_more.ts, the message is
 * a hint that names the mistake where the checker has evidence for it, else the tensor and case with no hint.
 */
import { Plant } from './planted';

const NO_HINT = (tensor: string) => new RegExp(`^FAILS ${tensor.replace(/[()[\]]/g, (c) => `\\${c}`)}[^;]*$`);

export const THIRD_PLANTS: Plant[] = [
  // Off by one: votes k + 1 neighbours (the last one is the next test row's nearest). voteLabels is checked alone.
  ['knn_predict_labels', 'classifiers/knn.ts', 'for (let m = 0; m < k; m++) counts[ytr[nearest[i * kMax + m]]]++;', 'for (let m = 0; m <= k; m++) counts[ytr[nearest[i * kMax + m]]]++;', /^FAILS voteLabels \(k=1 of kMax=6 neighbours per row\): \[/],
  // The correct class not skipped: every row adds a margin of exactly 1 (its dW terms cancel).
  ['svm_loss_naive', 'classifiers/linear_svm.ts', '      if (j === yi) continue;\n', '', /^FAILS loss/],
  // >= 0 counts the masked correct-class margin (and ties) as violated.
  ['svm_loss_vectorized', 'classifiers/linear_svm.ts', "const violated = tf.cast(tf.greater(margins, 0), 'float32'); // [N, C]", "const violated = tf.cast(tf.greaterEqual(margins, 0), 'float32'); // [N, C]", /^FAILS dW/],
  // The max shifted out of the log-sum-exp but not out of the correct score.
  ['softmax_loss_naive', 'classifiers/softmax.ts', 'loss += -(scores[yi] - maxScore) + Math.log(sumExp);', 'loss += -scores[yi] + Math.log(sumExp);', /^FAILS loss/],
  // Unnormalised probabilities in the gradient: exp(shifted) instead of exp(logProbs).
  ['softmax_loss_vectorized', 'classifiers/softmax.ts', 'const dScores = tf.sub(tf.exp(logProbs), isCorrect); // p - 1{y}, [N, C]', 'const dScores = tf.sub(tf.exp(shifted), isCorrect); // p - 1{y}, [N, C]', NO_HINT('dW')],
  // Off by one: numIters + 1 steps.
  ['linear_classifier_train', 'classifiers/linear_classifier.ts', 'for (let it = 0; it < numIters; it++) {', 'for (let it = 0; it <= numIters; it++) {', /^FAILS lossHistory/],
  // reg * sum(W^2) in the loss while the gradient keeps reg * W: the loss's regulariser at twice the course's.
  ['two_layer_net_loss', 'classifiers/two_layer_net.ts', 'const regLoss = tf.mul(0.5 * reg, tf.add(tf.sum(tf.square(W1)), tf.sum(tf.square(W2))));', 'const regLoss = tf.mul(reg, tf.add(tf.sum(tf.square(W1)), tf.sum(tf.square(W2))));', /^FAILS loss: .*(hint: it matches the regulariser at (double|twice)|regulari[sz]er)/],
  // Transposed operands: dout^T x is [M, D], not [D, M].
  ['affine_backward', 'layers/affine.ts', 'const dw = tf.matMul(tf.transpose(xFlat), dout) as tf.Tensor2D;', 'const dw = tf.matMul(tf.transpose(dout), xFlat) as tf.Tensor2D;', /^FAILS dw/],
  // relu(x) as the gate instead of the indicator x > 0.
  ['relu_backward', 'layers/relu.ts', 'tf.mul(dout, tf.step(cache.x, 0))', 'tf.mul(dout, tf.relu(cache.x))', NO_HINT('dx (x [4, 5])')],
  // The loss summed over the batch, not averaged (the gradient is right).
  ['softmax_loss', 'layers/softmax_loss.ts', 'const loss = tf.div(tf.neg(tf.sum(tf.mul(oneHot, logProbs))), n) as tf.Scalar;', 'const loss = tf.neg(tf.sum(tf.mul(oneHot, logProbs))) as tf.Scalar;', /^FAILS loss: .*hint: it is 5 times the expected value/],
  // Dropout forgotten in the backward pass: the gradient flows through the dropped units too. Once passed: the
  // check ran the net without dropout only.
  ['fc_net_loss', 'classifiers/fc_net.ts', '      if (cache.dropout) dh = dropoutBackward(dh, cache.dropout).dx;\n', '', /^FAILS grads\.W\d \(dropout keep 0\.75\): rel error [^;]*vs autodiff(; hint: grads [\w, ]+ are right)?$/],
  // Momentum in the wrong order: w moves by the old velocity, then the velocity is updated.
  ['sgd_momentum', 'optim/sgd_momentum.ts', 'const next = tf.add(w, velocity);', 'const next = tf.add(w, v);', /^FAILS next_w/],
  // beta1 for the second moment as well.
  ['adam', 'optim/adam.ts', "const v = tf.add(tf.mul(stateOrZeros('adam', 'v', config.v, w), beta2), tf.mul(tf.square(dw), 1 - beta2));", "const v = tf.add(tf.mul(stateOrZeros('adam', 'v', config.v, w), beta1), tf.mul(tf.square(dw), 1 - beta1));", /^FAILS (next_w|v)/],
  // The running average of the standard deviation (with eps) in place of the variance's.
  ['batchnorm_forward', 'layers/batchnorm.ts', 'tf.mul(variance, 1 - momentum)', 'tf.mul(std, 1 - momentum)', /^FAILS bnParam\.runningVar/],
  // Test-mode backward without 1/std: gamma alone scales dout.
  ['batchnorm_backward', 'layers/batchnorm.ts', 'dx: tf.mul(dout, tf.mul(cache.gamma, cache.invStd)) as tf.Tensor2D,', 'dx: tf.mul(dout, cache.gamma) as tf.Tensor2D,', /^FAILS dx \(test/],
  // gamma forgotten in the closed form.
  ['batchnorm_backward_alt', 'layers/batchnorm.ts', 'const dx = tf.mul(centred, tf.mul(gamma, invStd)) as tf.Tensor2D;', 'const dx = tf.mul(centred, invStd) as tf.Tensor2D;', /^FAILS dx \(train\)/],
  // dout instead of dxhat in the xhat term: gamma forgotten there.
  ['layernorm_backward', 'layers/layernorm.ts', 'tf.mul(xhat, tf.mean(tf.mul(dxhat, xhat), 1, true))', 'tf.mul(xhat, tf.mean(tf.mul(dout, xhat), 1, true))', /^FAILS dx/],
  // Old-style dropout at test time: x scaled by p, though the inverted dropout already scaled at training.
  ['dropout_forward', 'layers/dropout.ts', "if (mode === 'test') return { out: tf.clone(x), cache: { mode } };", "if (mode === 'test') return { out: tf.mul(x, p), cache: { mode } };", /^FAILS out \(test/],
  // The mask's 0/1 pattern without its 1/p scale (the catalogue's gradient check names the case, no hint).
  ['dropout_backward', 'layers/dropout.ts', 'return { dx: tf.mul(dout, cache.mask) };', "return { dx: tf.mul(dout, tf.cast(tf.greater(cache.mask, 0), 'float32')) };", NO_HINT('dx (dropout (fixed seed, keep 0.6))')],
  // A true convolution: the kernel flipped.
  ['conv_forward_naive', 'layers/conv_naive.ts', 'for (let c = 0; c < C; c++) sum += xp[xRow + c] * wv[(wRow + c) * F + f];', 'for (let c = 0; c < C; c++) sum += xp[xRow + c] * wv[(((HH - 1 - kh) * WW + WW - 1 - kw) * C + c) * F + f];', /^FAILS out/],
  // Windows placed by the pool size instead of the stride, in the backward pass only.
  ['max_pool_backward_naive', 'layers/pool_naive.ts', 'const k = ((n * H + i * stride + a) * W + j * stride + b) * C + c;', 'const k = ((n * H + i * poolHeight + a) * W + j * poolWidth + b) * C + c;', /^FAILS dx \(2x2, stride 1/],
  // Train mode at test time: the scores use the batch's statistics. Once passed: the check ran the net without
  // batchnorm, and never in test mode.
  ['three_layer_convnet_loss', 'classifiers/cnn.ts', "this.bnParam.mode = y === undefined ? 'test' : 'train';", "this.bnParam.mode = 'train';", /^FAILS scores \(test mode, batchnorm\): row 0 scores .* alone: test mode .* running statistics/],
  // dout flattened in NCHW order, the cache's rows in NHWC.
  ['spatial_batchnorm_backward', 'layers/spatial_batchnorm.ts', 'batchnormBackwardAlt(tf.reshape(dout, [N * H * W, C]), cache.bnCache)', 'batchnormBackwardAlt(tf.reshape(tf.transpose(dout, [0, 3, 1, 2]), [N * H * W, C]), cache.bnCache)', /^FAILS (dx|dgamma)/],
  // The mean over space only (per channel), the variance over the group.
  ['spatial_groupnorm_forward', 'layers/spatial_groupnorm.ts', 'const mean = tf.mean(xg, GROUP_AXES, true);', 'const mean = tf.mean(xg, [1, 2], true);', /^FAILS out/],
  // 1/M forgotten in the closed form: M = H W C/G = 60 with G = 1.
  ['spatial_groupnorm_backward', 'layers/spatial_groupnorm.ts', 'const dx = tf.reshape(tf.mul(inner, tf.div(invStd, M)), [N, H, W, C]) as tf.Tensor4D;', 'const dx = tf.reshape(tf.mul(inner, invStd), [N, H, W, C]) as tf.Tensor4D;', /^FAILS dx \(G=1, x \[2, 3, 5, 4\]\): .*hint: it is 60 times the expected value: a missing division by 60/],
  // The channels summed instead of maxed.
  ['compute_saliency_maps', 'vis/saliency.ts', 'return tf.max(tf.abs(dX), 3) as tf.Tensor3D;', 'return tf.sum(tf.abs(dX), 3) as tf.Tensor3D;', /^FAILS saliency/],
  // One norm over the whole batch instead of one per image.
  ['make_fooling_image', 'vis/fooling.ts', 'const norm = tf.sqrt(tf.sum(tf.square(dX), [1, 2, 3], true));', 'const norm = tf.sqrt(tf.sum(tf.square(dX)));', /^FAILS (iterations|XFooling)/],
  // The jitter never undone.
  ['class_visualization_update', 'vis/class_visualization.ts', 'let out = roll(stepped, -oy, -ox);', 'let out: tf.Tensor4D = stepped;', /^FAILS X/],
  // The gradient against the one-hot target though the loss smooths it.
  ['smoothed_softmax_loss', 'layers/label_smoothing.ts', 'const dscores = tf.div(tf.sub(tf.exp(logProbs), target), n) as tf.Tensor2D;', 'const dscores = tf.div(tf.sub(tf.exp(logProbs), oneHot), n) as tf.Tensor2D;', /^FAILS dscores/],
  // Weight decay without the learning rate.
  ['sgd_nesterov', 'optim/sgd_nesterov.ts', 'tf.mul(w, 1 - learningRate * weightDecay)', 'tf.mul(w, 1 - weightDecay)', /^FAILS next_w/],
];
