// Cornerstone3D's page for the peer benchmark (bundled by peers.sh): a stack viewport with
// the DICOM image loader (its codecs' wasm under wasm/), and the harness of peers.mjs.
import { init, RenderingEngine, Enums } from '@cornerstonejs/core';
import { init as loaderInit } from '@cornerstonejs/dicom-image-loader';

const file = new URLSearchParams(location.search).get('file');
const element = document.getElementById('view');
const rendered = () => new Promise((ok) => element.addEventListener(Enums.Events.IMAGE_RENDERED, () => ok(), { once: true }));
let viewport;
const ready = (async () => {
  await init();
  loaderInit({ maxWebWorkers: 1, wasmBasePath: new URL('wasm/', import.meta.url).href });
  const engine = new RenderingEngine('bench');
  engine.enableElement({ viewportId: 'stack', type: Enums.ViewportType.STACK, element });
  viewport = engine.getViewport('stack');
  const drawn = rendered();
  await viewport.setStack([`wadouri:${new URL(file, location.href).href}`]);
  viewport.render();
  await drawn;
})();
window.bench = {
  name: 'Cornerstone3D',
  ready: ready.then(() => new Promise((ok) => requestAnimationFrame(ok))).then(() => performance.now()),
  async window(center, width) {
    const drawn = rendered();
    viewport.setProperties({ voiRange: { lower: center - width / 2, upper: center + width / 2 } });
    viewport.render();
    await drawn;
  },
  async render() {
    const drawn = rendered();
    viewport.render();
    await drawn;
  },
  canvas: () => element.querySelector('canvas'),
};
