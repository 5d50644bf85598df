// Decodes DICOM pixel data off the page's thread: receives the page's compiled module
// ({module}, first; answers {ready} once instantiated), then {id, name, buffer} (the
// buffer transferred), answers
// {id, frames} with each frame's samples transferred back, or {id, error}. JPEG 2000 and
// HTJ2K files load the codec module first (once).
import init, { decode_frames, use_jpeg2000_decoder } from './hounsfield_web.js';
import { loadCodecs } from './codecs.js';

// The page sends its compiled module first; without it the worker loads its own.
let ready = null;

function decode(name, buffer) {
  try {
    return decode_frames(name, new Uint8Array(buffer));
  } catch (error) {
    if (error?.name !== 'CodecNotBuilt') throw error;
    return loadCodecs(use_jpeg2000_decoder).then(() => decode_frames(name, new Uint8Array(buffer)));
  }
}

self.onmessage = async (event) => {
  if (event.data.module) {
    ready = init({ module_or_path: event.data.module });
    // The page decodes native files itself until a worker says it is ready.
    ready.then(() => self.postMessage({ ready: true }));
    return;
  }
  ready ||= init();
  await ready;
  const { id, name, buffer } = event.data;
  try {
    const frames = await decode(name, buffer);
    self.postMessage({ id, frames }, frames.map((f) => f.data));
  } catch (error) {
    // A trap (a panic aborts the module): this file's error, and the page replaces us.
    const trapped = error instanceof WebAssembly.RuntimeError;
    const message = error?.message ?? String(error);
    self.postMessage({
      id,
      error: trapped ? `${name}: decoding hit a bug in Hounsfield (${message}); the other files are not affected` : message,
      poisoned: trapped,
    });
  }
};
