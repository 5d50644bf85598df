// The page with a whole series (prints a table; never a test): a folder opened through the
// page's folder input in headless Chromium, on the CPU path and on WebGPU (SwiftShader
// here). Per path: time to the first image and to every slice decoded, window changes
// redrawn on screen per second while the mouse drags, time to the planes layout (M), and
// memory beside the series' pixel bytes: the page's own figure (`memory()`: WebAssembly
// memory and JS heap) and the renderer process's private memory (page and workers; the GPU
// process, where WebGPU keeps the volume, is not counted).
//
//   node apps/hounsfield-web/bench/series.mjs [FOLDER] [--seconds S]
//
// FOLDER defaults to ../shared/data/ct-philips-brain (28 slices); a 1,000-slice series is
// made by `hounsfield bench series --slices 1000` (it prints the folder).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, privateMemory, rendererProcesses as renderers, serveFiles } from '../tests/common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const require = createRequire(path.join(root, 'target/node/'));
const { chromium } = require('playwright-core');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args.splice(i, 2)[1]) : fallback;
};
const seconds = option('--seconds', 2);
const shared = process.env.HOUNSFIELD_SHARED_DATA || path.join(root, '../shared/data');
const folder = path.resolve(args[0] || path.join(shared, 'ct-philips-brain'));
const dist = path.join(root, 'dist/web');
for (const p of [folder, path.join(dist, 'index.html')]) {
  if (!fs.existsSync(p)) throw new Error(`missing ${p} (bash apps/hounsfield-web/build.sh builds the page)`);
}
const files = fs.readdirSync(folder).filter((f) => fs.statSync(path.join(folder, f)).isFile());

const { server, base } = await serveFiles((p) => path.join(dist, p === '/' ? 'index.html' : p.slice(1)));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', ...CHROMIUM_ARGS],
});

async function measure(renderer) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1024 } });
  const before = new Set(renderers());
  const page = await context.newPage();
  const status = () => page.evaluate(() => window.hounsfield?.status() ?? {});
  const waitFor = async (what, ok, timeout = 600000) => {
    const t = Date.now();
    for (;;) {
      const s = await status();
      if (ok(s)) return s;
      if (s.error) throw new Error(`${what}: ${s.error}`);
      if (Date.now() - t > timeout) throw new Error(`timed out waiting for ${what}`);
      await page.waitForTimeout(20);
    }
  };
  try {
    await page.goto(`${base}/?empty&renderer=${renderer}`);
    await waitFor('the page', (s) => s.canvas !== undefined);
    const t0 = performance.now();
    await page.setInputFiles('#folder', folder);
    await waitFor('the first image', (s) => s.image_drawn && s.slices > 0);
    const first = performance.now() - t0;
    let s = await waitFor('every slice', (s) => s.loaded);
    const all = performance.now() - t0;
    const slices = s.slices;
    const ownAfterLoad = await page.evaluate(() => window.hounsfield.memory());
    const processAfterLoad = privateMemory(renderers().filter((p) => !before.has(p)));
    // A window drag over the image: redraws on screen per second.
    const box = await page.locator('#viewport').boundingBox();
    const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    const drawn0 = s.frames_drawn;
    const d0 = performance.now();
    let k = 0;
    while (performance.now() - d0 < seconds * 1000) {
      await page.mouse.move(cx + ((k % 40) - 20) * 4, cy + ((k % 30) - 15) * 3);
      await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => ok())));
      k++;
    }
    await page.mouse.up();
    s = await status();
    const fps = (s.frames_drawn - drawn0) / ((performance.now() - d0) / 1000);
    // The planes layout.
    const drawn = s.frames_drawn;
    const m0 = performance.now();
    await page.keyboard.press('m');
    s = await waitFor(
      'the planes',
      (s) => s.layout === 'Planes' && s.crosshair && s.image_drawn && s.frames_drawn > drawn,
    );
    const planes = performance.now() - m0;
    const ownPlanes = await page.evaluate(() => window.hounsfield.memory());
    const processPlanes = privateMemory(renderers().filter((p) => !before.has(p)));
    return {
      path: s.renderer,
      slices,
      first,
      all,
      fps,
      planes,
      reduced: s.mpr_reduction,
      ownAfterLoad,
      processAfterLoad,
      ownPlanes,
      processPlanes,
    };
  } finally {
    await context.close();
  }
}

const results = [];
for (const renderer of ['cpu', 'webgpu']) results.push(await measure(renderer));
await browser.close();
server.close();

// The folder's bytes (for uncompressed slices, about the pixels).
const folderBytes = files.reduce((sum, f) => sum + fs.statSync(path.join(folder, f)).size, 0);
const mib = (b) => (b === null || b === undefined ? '?' : `${(b / 1048576).toFixed(1)} MiB`);
const ms = (t) => `${t.toFixed(0)} ms`;
console.log(`series bench: ${folder} (${results[0].slices} slices, ${mib(folderBytes)} of files), 1280 x 1024 page, Chromium ${browser.version()}`);
console.log(`\n| measure | ${results.map((r) => r.path).join(' | ')} |`);
console.log(`| --- |${results.map(() => ' --- |').join('')}`);
const row = (what, f) => console.log(`| ${what} | ${results.map(f).join(' | ')} |`);
row('first image', (r) => ms(r.first));
row('every slice decoded', (r) => ms(r.all));
row('window drag: redraws a second', (r) => r.fps.toFixed(1));
row('planes layout (M) drawn', (r) => ms(r.planes));
row("planes' volume", (r) => r.reduced ?? 'full resolution');
row('wasm memory, stack / planes', (r) => `${mib(r.ownAfterLoad.wasm)} / ${mib(r.ownPlanes.wasm)}`);
row('JS heap, stack / planes', (r) => `${mib(r.ownAfterLoad.jsHeap)} / ${mib(r.ownPlanes.jsHeap)}`);
row('renderer private memory, stack / planes', (r) => `${mib(r.processAfterLoad)} / ${mib(r.processPlanes)}`);
