/**
 * The filter-gradient kernel that tfjs 4.22's wasm backend lacks (Conv2DBackpropFilter, tensorflow/tfjs#8474), so
 * that `--compare-autodiff` can time tf.grad through conv2d on wasm at all. Registered by the benchmark only, for
 * the conv3.step.autodiff.patched line, and removed afterwards; the library never needs it (its convolution
 * backward, src/layers/conv_fast.ts, is written as forward convolutions).
 *
 * It computes the gradient the way conv_fast.ts does: dw[kh, kw, c, f] = sum over (n, i, j) of
 * xPadded[n, i*s + kh, j*s + kw, c] * dy[n, i, j, f] is a convolution of x^T [C, H, W, N] (batch C, channels N,
 * padded as the forward pass was) with dy^T [H', W', N, F] as the filter, dilated by the stride s, whose output
 * [C, HH', WW', F] is cropped to the filter size and transposed to [HH, WW, C, F]. Everything else tf.grad uses
 * (Conv2DBackpropInput for dx, MaxPoolGrad, ...) is tfjs's own.
 */
import * as tf from '@tensorflow/tfjs-core';

type KernelFunc = (params: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }) => tf.TensorInfo | tf.TensorInfo[];

function wasmKernel(name: string): KernelFunc {
  const k = tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`wasm filter gradient: the wasm backend has no ${name} kernel to build on`);
  return k.kernelFunc as KernelFunc;
}

/** Registers the kernel on wasm if it is missing; returns a function that removes it again (a no-op otherwise). */
export function registerWasmFilterGradient(): () => void {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm') !== undefined) return () => {};
  const conv2d = wasmKernel('Conv2D');
  const transpose = wasmKernel('Transpose');
  const slice = wasmKernel('Slice');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend: anyBackend, attrs }) => {
      const backend = anyBackend as tf.KernelBackend;
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as {
        strides: [number, number] | number;
        pad: 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
        dataFormat: 'NHWC' | 'NCHW';
        dimRoundingMode?: 'floor' | 'round' | 'ceil';
        filterShape: [number, number, number, number];
      };
      if (dataFormat !== 'NHWC') throw new Error(`wasm filter gradient: only NHWC is supported, got ${dataFormat}`);
      const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode);
      const { top, bottom, left, right } = info.padInfo;
      const [HH, WW, C, F] = filterShape;
      const xT = transpose({ inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } }) as tf.TensorInfo;
      const dyT = transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } }) as tf.TensorInfo;
      const full = conv2d({
        inputs: { x: xT, filter: dyT },
        backend,
        attrs: {
          strides: [1, 1],
          pad: [
            [0, 0],
            [top, bottom],
            [left, right],
            [0, 0],
          ],
          dataFormat: 'NHWC',
          dilations: [info.strideHeight, info.strideWidth],
        },
      }) as tf.TensorInfo;
      const cropped = slice({ inputs: { x: full }, backend, attrs: { begin: [0, 0, 0, 0], size: [C, HH, WW, F] } }) as tf.TensorInfo;
      const dw = transpose({ inputs: { x: cropped }, backend, attrs: { perm: [1, 2, 0, 3] } }) as tf.TensorInfo;
      const temporaries = [xT, dyT, full, cropped].filter((t, i, all) => all.findIndex((u) => u.dataId === t.dataId) === i);
      for (const t of temporaries) backend.disposeData(t.dataId);
      return dw;
    },
  });
  return () => tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
}
