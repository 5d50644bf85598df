// Decodes DICOM pixel data off the page's thread: receives {id, name, buffer} (the
// buffer transferred), answers {id, frames} with each frame's samples transferred back,
// or {id, error}.
import init, { decode_frames } from './hounsfield_web.js';

const ready = init();

self.onmessage = async (event) => {
  await ready;
  const { id, name, buffer } = event.data;
  try {
    const frames = decode_frames(name, new Uint8Array(buffer));
    self.postMessage({ id, frames }, frames.map((f) => f.data));
  } catch (error) {
    self.postMessage({ id, error: String(error) });
  }
};
