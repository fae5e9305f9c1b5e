/**
 * features.extract: the course's HOG (9 orientation bins, 8 x 8 cells) and hue histogram (10 bins) of 1,000
 * seeded random 32 x 32 RGB images, by the library's extractFeatures (src/features/), one image at a time on
 * typed arrays, the images held as bytes as the CIFAR-10 reader gives them.
 */
import { extractFeatures } from '../src/features/extract';
import { hogFeature } from '../src/features/hog';
import { colorHistogramHsv } from '../src/features/color_histogram';
import { Prepared, SetupContext, Workload, scaled } from './harness';

export const featuresExtract: Workload = {
  name: 'features.extract',
  runs: 3,
  what: 'extractFeatures(images, [hogFeature, colorHistogramHsv]), 1000 images 32 x 32 x 3, uint8',
  setup({ rng, scale }: SetupContext): Prepared {
    const images = new Uint8Array(scaled(1000, scale) * 32 * 32 * 3);
    for (let i = 0; i < images.length; i++) images[i] = rng.int(256);
    return {
      run: () => {
        const features = extractFeatures(images, [hogFeature, colorHistogramHsv]);
        return features[features.length - 1];
      },
      dispose: () => {},
    };
  },
};
