/**
 * What the course's code needs to know about CIFAR-10 images: 32x32 RGB, ten classes. Images are held NHWC
 * ([N, 32, 32, 3], tfjs's layout); the course's numpy loader ends with the same layout after its transpose.
 * The file layout on disk and the loader live in the machinery wing (runtime/data/).
 */
export const IMAGE_SIZE = 32;
export const IMAGE_CHANNELS = 3;
/** Bytes (uint8 pixels) of one image: 32 * 32 * 3. */
export const IMAGE_BYTES = IMAGE_SIZE * IMAGE_SIZE * IMAGE_CHANNELS;
export const NUM_CLASSES = 10;

/** The class names in label order 0..9. */
export const CLASS_NAMES: readonly string[] = [
  'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck',
];
