// The codec module (JPEG 2000, HTJ2K): imported the first time a file needs it, by the
// page or by a decoding worker, and its decoder handed to that thread's viewer module.
let loading = null;

/** Loads the codec module once; `use` receives its decoder (`use_jpeg2000_decoder`). */
export function loadCodecs(use) {
  loading ||= import('./hounsfield_web_codecs.js').then(async (codecs) => {
    await codecs.default();
    use(codecs.decode_jpeg2000);
  });
  return loading;
}
