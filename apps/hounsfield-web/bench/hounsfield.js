// Hounsfield's page for the peer benchmark: the component of dist/web in a 1024 x 1024
// element (?renderer=cpu|webgpu), and the harness of peers.mjs.
import { mount, prefetch } from '../hounsfield.js';

const q = new URLSearchParams(location.search);
const element = document.getElementById('view');
const updated = (viewer) => new Promise((ok) => viewer.addEventListener('update', () => ok(), { once: true }));
let viewer;
const ready = (async () => {
  // The file is read while the module compiles (what an embedding page does).
  prefetch(q.get('file'));
  viewer = await mount(element, { renderer: q.get('renderer') || undefined });
  await viewer.open(q.get('file'));
  if (viewer.status().error) throw new Error(viewer.status().error);
  if (viewer.dirty) await updated(viewer);
})();
window.bench = {
  get name() {
    return `Hounsfield (${viewer ? viewer.renderer : '…'})`;
  },
  ready: ready.then(() => performance.now()),
  async window(center, width) {
    const drawn = updated(viewer);
    viewer.setWindow(center, width);
    await drawn;
  },
  async render() {
    viewer.render();
  },
  canvas: () => viewer.canvas,
};
