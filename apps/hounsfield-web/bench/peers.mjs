// The peer benchmark: Hounsfield's page (CPU path and WebGPU path), dwv and Cornerstone3D,
// built from npm at pinned versions by peers.sh, served together with the same files and
// measured in one headless Chromium run (WebGPU and WebGL on SwiftShader here). Prints one
// table per file: first image after navigation, window changes redrawn on screen per
// second, a forced render with one pixel read back, the JS + wasm downloaded (gzipped) and
// the private memory of the page's renderer process (with its workers; the GPU process,
// shared, is not counted) once the image is shown and windowed. Medians of
// --runs fresh page loads (browser contexts without cache).
//
//   bash apps/hounsfield-web/bench/peers.sh [--runs N] [--seconds S]
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, privateMemory, rendererProcesses as renderers, serveFiles } from '../tests/common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const require = createRequire(path.join(root, 'target/node/'));
const { chromium } = require('playwright-core');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const runs = arg('--runs', 5);
const seconds = arg('--seconds', 2);
const shared = process.env.HOUNSFIELD_SHARED_DATA || path.join(root, '../shared/data');
const testdata = process.env.HOUNSFIELD_TESTDATA || path.join(root, 'target/testdata');
const peers = process.env.HOUNSFIELD_PEERS || path.join(root, 'target/peers/dist');
const dist = path.join(root, 'dist/web');

const files = [
  ['512 x 512 CT (ct-philips-brain/I100)', path.join(shared, 'ct-philips-brain/I100'), [40, 400]],
  ['1841 x 1955 CR, Pixel Spacing 0\\0 (RG1_UNCR)', path.join(testdata, 'pydicom-data-1.0.0/data_store/data/RG1_UNCR.dcm'), [2000, 3000]],
  ['448 x 512 MR, JPEG-LS lossless (mr-transfer-syntaxes/7.dcm)', path.join(shared, 'mr-transfer-syntaxes/7.dcm'), [300, 600]],
];
const viewers = [
  ['Hounsfield (CPU path)', '/bench/hounsfield.js', '&renderer=cpu'],
  ['Hounsfield (WebGPU)', '/bench/hounsfield.js', '&renderer=webgpu'],
  ['dwv 0.36.4', '/peers/dwv/page.js', ''],
  ['Cornerstone3D 5.14.0', '/peers/cornerstone/page.js', ''],
];
for (const [, f] of files) if (!fs.existsSync(f)) throw new Error(`missing test file ${f} (bash scripts/setup-test-env.sh)`);
for (const p of [path.join(dist, 'index.html'), path.join(peers, 'dwv/page.js'), path.join(peers, 'cornerstone/page.js')]) {
  if (!fs.existsSync(p)) throw new Error(`missing ${p}: run bash apps/hounsfield-web/bench/peers.sh`);
}

// ---- one server for all pages and files ----
// Hounsfield's page preloads the component's modules and wasm as index.html does (its
// preload links but the page's own app.js), as the npm README asks of an embedding page
// (dwv and Cornerstone3D are one bundled script each).
const componentPreloads = (fs.readFileSync(path.join(dist, 'index.html'), 'utf8').match(/<link rel="(module)?preload"[^>]*>/g) || [])
  .filter((l) => !l.includes('href="app.js"'))
  .map((l) => l.replace(/href="/, 'href="/'))
  .join('');
const preloads = (script) => (script.startsWith('/bench/') ? componentPreloads : '');
const page = (script) =>
  `<!doctype html><meta charset="utf-8"><title>bench</title>${preloads(script)}<style>body{margin:0}#view{position:relative;width:1024px;height:1024px}</style><div id="view"></div><script type="module" src="${script}"></script>`;
function local(url) {
  if (url.startsWith('/data/')) return files[Number(url.slice(6))]?.[1];
  if (url.startsWith('/bench/')) return path.join(here, url.slice(7));
  if (url.startsWith('/peers/')) return path.join(peers, url.slice(7));
  return path.join(dist, url.slice(1));
}
const { server, base } = await serveFiles(local, (u, res) => {
  if (u.pathname !== '/page.html') return false;
  res.writeHead(200, { 'content-type': 'text/html' }).end(page(u.searchParams.get('script')));
  return true;
});
const gzipped = new Map();
const gz = (file) => {
  if (!gzipped.has(file)) gzipped.set(file, zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length);
  return gzipped.get(file);
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', ...CHROMIUM_ARGS],
});

// One fresh page load: what it measures, or {error}.
async function measure(script, extra, fileIndex, windows) {
  const context = await browser.newContext({ viewport: { width: 1024, height: 1024 } });
  const code = new Set();
  context.on('response', (r) => {
    const u = new URL(r.url());
    if (u.origin === base && /\.(m?js|wasm)$/.test(u.pathname)) code.add(local(decodeURIComponent(u.pathname)));
  });
  const before = new Set(renderers());
  const p = await context.newPage();
  const errors = [];
  p.on('pageerror', (e) => errors.push(String(e)));
  try {
    await p.goto(`${base}/page.html?script=${encodeURIComponent(script)}&file=/data/${fileIndex}${extra}`);
    const first = await p.evaluate(
      () => Promise.race([window.bench.ready, new Promise((_, no) => setTimeout(() => no(new Error('no image after 60 s')), 60000))]),
    );
    const name = await p.evaluate(() => window.bench.name);
    const fps = await p.evaluate(
      async ([s, [c, w]]) => {
        const t0 = performance.now();
        let n = 0;
        while (performance.now() - t0 < s * 1000) {
          await window.bench.window(n % 2 ? c : c + w / 10, n % 2 ? w : w * 0.8);
          n++;
        }
        return n / ((performance.now() - t0) / 1000);
      },
      [seconds, windows],
    );
    const forced = await p.evaluate(async () => {
      const out = document.createElement('canvas');
      out.width = out.height = 1;
      const g = out.getContext('2d', { willReadFrequently: true });
      const times = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        await window.bench.render();
        const c = window.bench.canvas();
        g.drawImage(c, c.width >> 1, c.height >> 1, 1, 1, 0, 0, 1, 1);
        g.getImageData(0, 0, 1, 1);
        times.push(performance.now() - t);
      }
      return times.sort((a, b) => a - b)[2];
    });
    const memory = privateMemory(renderers().filter((pid) => !before.has(pid)));
    const download = [...code].filter((f) => f && fs.existsSync(f)).reduce((s, f) => s + gz(f), 0);
    return { name, first, fps, forced, download, memory, errors };
  } catch (e) {
    return { error: String(e.message || e).split('\n')[0], errors };
  } finally {
    await context.close();
  }
}

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
let ownFailures = 0;
console.log(`peer benchmark: ${runs} fresh page load(s) per viewer and file, window changes for ${seconds} s, 1024 x 1024 CSS pixels, Chromium ${browser.version()}`);
for (const [fi, [label, , windows]] of files.entries()) {
  const columns = [];
  for (const [name, script, extra] of viewers) {
    const results = [];
    for (let r = 0; r < runs; r++) results.push(await measure(script, extra, fi, windows));
    const ok = results.filter((x) => !x.error);
    if (ok.length === 0) {
      columns.push({ name, error: results[0].error });
      continue;
    }
    columns.push({
      name,
      first: median(ok.map((x) => x.first)),
      fps: median(ok.map((x) => x.fps)),
      forced: median(ok.map((x) => x.forced)),
      download: median(ok.map((x) => x.download)),
      memory: median(ok.map((x) => x.memory)),
      failed: results.length - ok.length,
    });
  }
  const cell = (c, f) => (c.error ? 'fails' : f(c));
  console.log(`\n| ${label} | ${columns.map((c) => c.name).join(' | ')} |`);
  console.log(`| --- |${columns.map(() => ' --- |').join('')}`);
  const row = (what, f) => console.log(`| ${what} | ${columns.map((c) => cell(c, f)).join(' | ')} |`);
  row('first image after navigation', (c) => `${c.first.toFixed(0)} ms`);
  row('window change redrawn on screen', (c) => `${c.fps.toFixed(1)} fps`);
  row('forced render + read back one pixel', (c) => `${c.forced.toFixed(1)} ms`);
  row('JS + wasm downloaded, gzipped', (c) => `${(c.download / 1024).toFixed(0)} KiB`);
  row('renderer private memory (page and workers)', (c) => `${(c.memory / 1048576).toFixed(1)} MiB`);
  for (const c of columns) {
    if (c.name.startsWith('Hounsfield') && (c.error || c.failed)) ownFailures++;
    if (c.error) console.log(`  ${c.name}: ${c.error}`);
    else if (c.failed) console.log(`  ${c.name}: ${c.failed} of ${runs} loads failed`);
  }
}
await browser.close();
server.close();
// The peers' failures are findings; Hounsfield's own are errors (CI smoke-runs this).
if (ownFailures) {
  console.error(`Hounsfield failed ${ownFailures} time(s)`);
  process.exit(1);
}
