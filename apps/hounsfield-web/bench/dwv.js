// dwv's page for the peer benchmark (bundled by peers.sh): the viewer in a 1024 x 1024
// element, and the harness every page of the benchmark gives (see peers.mjs).
import { App, AppOptions, ViewConfig, WindowLevel } from 'dwv';

const file = new URLSearchParams(location.search).get('file');
const app = new App();
app.init(new AppOptions({ '*': [new ViewConfig('view')] }));
const frame = () => new Promise((ok) => requestAnimationFrame(ok));
let dataId = null;
const ready = new Promise((ok, fail) => {
  app.addEventListener('renderend', (e) => {
    if (dataId === null) {
      dataId = e.dataid;
      ok();
    }
  });
  app.addEventListener('error', (e) => fail(new Error(`dwv: ${e.error?.message || e.error || 'error'}`)));
  app.addEventListener('loadend', () => setTimeout(() => dataId === null && fail(new Error('dwv: nothing rendered')), 5000));
});
const controller = () => app.getViewLayersByDataId(dataId)[0].getViewController();
window.bench = {
  name: 'dwv',
  // Resolves when the first image is on screen.
  ready: ready.then(frame).then(() => performance.now()),
  // The window set and on screen.
  async window(center, width) {
    controller().setWindowLevel(new WindowLevel(center, width));
    await frame();
  },
  // Draws now; the canvas holding the image.
  async render() {
    app.render(dataId);
  },
  canvas: () => document.querySelector('#view canvas'),
};
app.loadURLs([file]);
