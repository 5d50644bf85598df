// The browser viewer end to end, in Debian's Chromium (headless, WebGPU on SwiftShader)
// driven by Playwright: the page built by `apps/hounsfield-web/build.sh` is served from a
// local server with test data, and every check compares the canvas with the native
// `hounsfield render` (GPU) or its CPU reference (`--cpu`) of the same file, window and
// size, within 2 grey levels.
//
//   node apps/hounsfield-web/tests/e2e.mjs
//
// Environment: HOUNSFIELD_BIN (default target/release/hounsfield), HOUNSFIELD_SHARED_DATA,
// HOUNSFIELD_TESTDATA, HOUNSFIELD_PYTHON, CHROMIUM (default /usr/bin/chromium).
import { createRequire } from 'node:module';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const require = createRequire(path.join(root, 'target/node/'));
const { chromium } = require('playwright-core');
import { CHROMIUM_ARGS, canvasPixels, checker, maxDiff, nativeRenderer, requirePaths, serveFiles } from './common.mjs';

const bin = process.env.HOUNSFIELD_BIN || path.join(root, 'target/release/hounsfield');
const shared = process.env.HOUNSFIELD_SHARED_DATA || path.join(root, '../shared/data');
const testdata = process.env.HOUNSFIELD_TESTDATA || path.join(root, 'target/testdata');
const python = process.env.HOUNSFIELD_PYTHON || path.join(root, 'target/venv/bin/python');
const dist = path.join(root, 'dist/web');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hounsfield-web-e2e-'));
const pydicomFiles = path.join(testdata, 'pydicom-3.0.2/pydicom/data/test_files');
const pydicomData = path.join(testdata, 'pydicom-data-1.0.0/data_store/data');

const nativeRender = nativeRenderer(bin, tmp);
// The drawing path under test: HOUNSFIELD_RENDERER=webgpu or cpu (the page's `?renderer=`);
// unset, the page chooses (on SwiftShader, a software adapter: the CPU path).
const renderer = process.env.HOUNSFIELD_RENDERER || '';
const withRenderer = (u) => (renderer ? `${u}${u.includes('?') ? '&' : '?'}renderer=${renderer}` : u);
console.log(`drawing path: ${renderer || 'chosen by the page'}`);
const { check, failures } = checker();
let memoryLine = 'page memory: not measured';

requirePaths([
  [path.join(dist, 'index.html'), 'the built page (bash apps/hounsfield-web/build.sh)'],
  [bin, 'the native hounsfield binary (cargo build --release -p hounsfield)'],
  [shared, '../shared/data'],
  [pydicomFiles, 'the pydicom wheel (bash scripts/setup-test-env.sh)'],
]);

// ---- a file with markup in Patient's Name, for the XSS check ----
const xssFile = path.join(tmp, 'xss.dcm');
execFileSync(python, [
  '-c',
  'import sys, pydicom; ds = pydicom.dcmread(sys.argv[1]); ds.PatientName = sys.argv[3]; ds.save_as(sys.argv[2])',
  path.join(pydicomFiles, 'CT_small.dcm'),
  xssFile,
  '<img src=x onerror=alert(1)>',
]);

// ---- the server ----
const mounts = [
  ['/shared/', shared],
  ['/pydicom/', pydicomFiles],
  ['/pydicom-data/', pydicomData],
  ['/gen/', tmp],
  ['/', dist],
];
const { server, base } = await serveFiles((url) => {
  const [prefix, dir] = mounts.find(([p]) => url.startsWith(p));
  const file = path.join(dir, url.slice(prefix.length) || 'index.html');
  return file.startsWith(dir) ? file : null;
});

const context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1100, height: 760 },
  args: ['--headless', ...CHROMIUM_ARGS],
});
const page = context.pages()[0] || (await context.newPage());
let dialogs = 0;
page.on('dialog', (d) => {
  dialogs++;
  d.dismiss();
});
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
// What the page and its workers fetched (the codec module only when a file needs it).
const requested = [];
context.on('request', (r) => requested.push(r.url()));
// Requests made and finished, in order.
const traffic = [];
context.on('request', (r) => traffic.push(`request ${r.url()}`));
context.on('requestfinished', (r) => traffic.push(`finished ${r.url()}`));
const codecModuleFetched = () => requested.some((u) => u.endsWith('/hounsfield_web_codecs_bg.wasm'));
page.on('console', (m) => {
  if (m.type() === 'error') errors.push(m.text());
});

const status = () => page.evaluate(() => window.hounsfield.status());
async function waitFor(what, ok, timeout = 60000) {
  const t = Date.now();
  for (;;) {
    const s = await status();
    if (ok(s)) return s;
    if (s.error) throw new Error(`${what}: ${s.error}`);
    if (Date.now() - t > timeout) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s)}`);
    await page.waitForTimeout(50);
  }
}
const pixels = () => canvasPixels(page);
// The pixels and plane pane `k`'s rectangle of one layout (the page may still be settling
// its size after a layout change).
async function settledPane(k) {
  let px, rect;
  for (let attempt = 0; attempt < 20; attempt++) {
    const before = JSON.stringify(await page.evaluate(() => window.hounsfield.panes()));
    px = await pixels();
    const after = await page.evaluate(() => window.hounsfield.panes());
    rect = after.find((p) => p.pane && p.pane.Plane === k).rect.map(Math.round);
    if (before === JSON.stringify(after) && rect[1] + rect[3] <= px.height) break;
    await page.waitForTimeout(200);
  }
  return [px, rect];
}

// The status and pixels of a canvas that keeps its size (panels that appear with a load
// can resize it after the image is drawn).
async function settledCanvas() {
  let s, px;
  for (let attempt = 0; attempt < 20; attempt++) {
    s = await status();
    px = await pixels();
    const again = await status();
    const same = JSON.stringify(s.canvas) === JSON.stringify(again.canvas);
    if (same && s.canvas[0] === px.width && s.canvas[1] === px.height) break;
    await page.waitForTimeout(200);
  }
  return [s, px];
}

// Orthanc on free ports with its own storage under tmp, serving dist/web at /web.
async function freePort() {
  const s = net.createServer();
  await new Promise((ok) => s.listen(0, '127.0.0.1', ok));
  const port = s.address().port;
  await new Promise((ok) => s.close(ok));
  return port;
}
async function startOrthanc() {
  const binary = ['/usr/sbin/Orthanc', '/usr/bin/Orthanc'].find((p) => fs.existsSync(p));
  const plugins = ['/usr/share/orthanc/plugins/libOrthancDicomWeb.so', '/usr/share/orthanc/plugins/libServeFolders.so'];
  if (!binary || !plugins.every((p) => fs.existsSync(p))) return null;
  const port = await freePort();
  const dir = path.join(tmp, 'orthanc');
  fs.mkdirSync(dir, { recursive: true });
  const config = {
    Name: 'hounsfield-web-test',
    StorageDirectory: path.join(dir, 'db'),
    IndexDirectory: path.join(dir, 'db'),
    HttpPort: port,
    DicomPort: await freePort(),
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    Plugins: plugins,
    DicomWeb: { Enable: true, Root: '/dicom-web/' },
    ServeFolders: { AllowCache: false, Extensions: { '.wasm': 'application/wasm', '.js': 'text/javascript' }, Folders: { '/web': dist } },
  };
  fs.writeFileSync(path.join(dir, 'orthanc.json'), JSON.stringify(config));
  const child = spawn(binary, [path.join(dir, 'orthanc.json')], { stdio: ['ignore', 'ignore', fs.openSync(path.join(dir, 'orthanc.log'), 'w')] });
  const base = `http://127.0.0.1:${port}`;
  const t = Date.now();
  for (;;) {
    try {
      if ((await fetch(`${base}/system`)).ok) break;
    } catch {}
    if (Date.now() - t > 30000) {
      child.kill();
      throw new Error(`Orthanc did not start: ${fs.readFileSync(path.join(dir, 'orthanc.log'), 'utf8').slice(-2000)}`);
    }
    await new Promise((ok) => setTimeout(ok, 100));
  }
  return {
    base,
    async upload(file) {
      const r = await fetch(`${base}/instances`, { method: 'POST', body: fs.readFileSync(file) });
      if (!r.ok) throw new Error(`upload ${file}: HTTP ${r.status}`);
    },
    async json(p) {
      const r = await fetch(`${base}${p}`, { headers: { Accept: 'application/dicom+json' } });
      if (!r.ok) throw new Error(`GET ${p}: HTTP ${r.status}`);
      return r.json();
    },
    stop() {
      child.kill();
    },
  };
}
const same = (a, b) => Math.abs(a - b) < 1e-6;

try {
  // 1. ?url= loads a real CT; the canvas equals the native GPU render at the file's window.
  const ct = path.join(shared, 'ct-philips-brain/I100');
  const t0 = Date.now();
  await page.goto(withRenderer(`${base}/?url=/shared/ct-philips-brain/I100`));
  let s = await waitFor('the first image', (s) => s.loaded);
  const firstMs = Date.now() - t0;
  console.log(`adapter: ${s.adapter}; canvas ${s.canvas[0]} x ${s.canvas[1]}`);
  // SwiftShader is a software adapter: left to itself, the page draws on the CPU.
  check(s.renderer === (renderer || 'cpu'), `status() reports the drawing path: ${s.renderer}`);
  const size = s.canvas;
  let px = await pixels();
  let d = maxDiff(px, nativeRender(ct, size, ['--window', `${s.window[0]},${s.window[1]}`]));
  check(d <= 2, `?url= CT at the file's window ${s.window}: max diff ${d} vs native render`);
  check(!codecModuleFetched(), 'an uncompressed CT does not load the codec module');
  // One uncompressed file decodes on the page's thread: no decoding worker starts (they
  // start with a load of several files, or for a file that needs one).
  check(!requested.some((u) => u.endsWith('/worker.js')), 'one uncompressed file starts no decoding worker');
  // The file is read once, and while the module is still arriving: with the wasm's
  // response held back, the page asks for the file before the wasm has arrived. The page
  // preloads its wasm, and the preload is the one download.
  await context.route('**/hounsfield_web_bg.wasm', async (route) => {
    await new Promise((ok) => setTimeout(ok, 500));
    await route.continue();
  });
  requested.length = 0;
  traffic.length = 0;
  await page.goto(withRenderer(`${base}/?url=/shared/ct-philips-brain/I100`));
  s = await waitFor('the first image, the wasm held back', (s) => s.loaded);
  await context.unroute('**/hounsfield_web_bg.wasm');
  const reads = requested.filter((u) => u.endsWith('/shared/ct-philips-brain/I100'));
  const order = [
    traffic.findIndex((e) => e.startsWith('request ') && e.endsWith('/shared/ct-philips-brain/I100')),
    traffic.findIndex((e) => e.startsWith('finished ') && e.endsWith('/hounsfield_web_bg.wasm')),
  ];
  check(reads.length === 1 && order[0] >= 0 && order[0] < order[1], `?url= file read once (${reads.length}), before the wasm arrived (events ${order})`);
  const wasmReads = requested.filter((u) => u.endsWith('/hounsfield_web_bg.wasm')).length;
  check(wasmReads === 1, `the page's wasm downloaded once (${wasmReads}) though preloaded`);

  // 2. A left drag of (+120, +60) CSS pixels: width + 120 s, centre + 60 s with
  //    s = data range / 1024 (the data range from pydicom), and the pixels follow the CPU reference.
  const range = JSON.parse(
    execFileSync(python, [
      '-c',
      'import sys, json, pydicom, numpy as np; ds = pydicom.dcmread(sys.argv[1]); a = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept); print(json.dumps([float(a.min()), float(a.max())]))',
      ct,
    ]).toString(),
  );
  const sens = (range[1] - range[0] + 1) / 1024;
  const before = s.window;
  const box = await page.locator('#viewport').boundingBox();
  const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  for (let i = 1; i <= 30; i++) await page.mouse.move(cx + 4 * i, cy + 2 * i);
  await page.mouse.up();
  const expected = [before[0] + 60 * sens, before[1] + 120 * sens];
  s = await waitFor('the dragged window', (s) => same(s.window[0], expected[0]) && same(s.window[1], expected[1]), 10000).catch(async (e) => {
    check(false, `${e.message}; expected ${expected}`);
    return status();
  });
  px = await pixels();
  d = maxDiff(px, nativeRender(ct, size, ['--cpu', '--window', `${s.window[0]},${s.window[1]}`]));
  check(d <= 2, `drag: window ${before} -> ${s.window} (expected ${expected.map((v) => v.toFixed(3))}); max diff ${d} vs CPU reference`);

  // 3. Preset 4 (lung).
  await page.keyboard.press('4');
  s = await waitFor('the lung preset', (s) => s.window[0] === -600 && s.window[1] === 1500, 10000);
  px = await pixels();
  d = maxDiff(px, nativeRender(ct, size, ['--preset', 'lung']));
  check(d <= 2, `preset 4: window ${s.window}; max diff ${d} vs native render`);

  // Two fingers (touch points through the DevTools protocol): spreading them from 100 to
  // 200 px apart zooms by 2 about them, moving their midpoint moves the image with it;
  // then a double click fits again. One finger alone is the left button.
  {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 5 });
    const before = await status();
    const touch = (type, points) =>
      cdp.send('Input.dispatchTouchEvent', { type, touchPoints: points.map(([x, y], id) => ({ x, y, id })) });
    await touch('touchStart', [[cx - 50, cy]]);
    await touch('touchStart', [[cx - 50, cy], [cx + 50, cy]]);
    for (let k = 1; k <= 5; k++) await touch('touchMove', [[cx - 50 - 10 * k, cy + 4 * k], [cx + 50 + 10 * k, cy + 4 * k]]);
    await touch('touchEnd', []);
    s = await waitFor('the pinch', (s) => Math.abs(s.zoom / before.zoom - 2) < 1e-3, 5000);
    // The image follows the fingers: the point under their first midpoint (cx, cy) ends
    // under their last one (cx, cy + 20), at twice the zoom. With the pane's centre at c
    // and a = (cx, cy) - c: pan' = 2 pan - a + (0, 20).
    const pane = (await page.evaluate(() => window.hounsfield.panes()))[0].rect;
    const a = [cx - (box.x + pane[0] + pane[2] / 2), cy - (box.y + pane[1] + pane[3] / 2)];
    const expected = [2 * before.pan[0] - a[0], 2 * before.pan[1] - a[1] + 20];
    check(
      Math.abs(s.zoom / before.zoom - 2) < 1e-3 &&
        Math.abs(s.pan[0] - expected[0]) < 0.05 && Math.abs(s.pan[1] - expected[1]) < 0.05 &&
        s.window[0] === before.window[0] && s.window[1] === before.window[1],
      `pinch: zoom ${before.zoom} -> ${s.zoom.toFixed(4)}, pan ${s.pan.map((v) => v.toFixed(3))} (expected ${expected.map((v) => v.toFixed(3))}), window unchanged`,
    );
    await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: false });
    await cdp.detach();
    await page.mouse.dblclick(cx, cy);
    s = await waitFor('fit after the pinch', (s) => s.zoom === 1 && s.pan[0] === 0 && s.pan[1] === 0, 5000);
  }

  // Re-render speed at this size (SwiftShader: a CPU device; reported, not asserted).
  const fps = await page.evaluate(() => {
    const h = window.hounsfield;
    const t = performance.now();
    for (let i = 0; i < 20; i++) {
      h.setWindow(40 + i, 400);
      h.pixels();
    }
    return 20000 / (performance.now() - t);
  });

  // The same without reading the pixels back: the redraw alone.
  const redrawFps = await page.evaluate(() => {
    const h = window.hounsfield;
    const t = performance.now();
    for (let i = 0; i < 20; i++) {
      h.setWindow(40 + i, 400);
      h.render();
    }
    return 20000 / (performance.now() - t);
  });

  // 4. A multi-frame file: the wheel moves through its frames.
  const mf = path.join(pydicomData, 'emri_small.dcm');
  await page.evaluate(() => window.hounsfield.open('/pydicom-data/emri_small.dcm'));
  s = await waitFor('the multi-frame file', (s) => s.loaded && s.frames === 10);
  await page.mouse.move(cx, cy);
  await page.mouse.wheel(0, 100);
  await page.mouse.wheel(0, 100);
  s = await waitFor('two frames on', (s) => s.frame === 2, 10000);
  px = await pixels();
  d = maxDiff(px, nativeRender(mf, size, ['--frame', '3', '--window', `${s.window[0]},${s.window[1]}`]));
  check(d <= 2, `multi-frame: frame ${s.frame + 1}/${s.frames} after two wheel notches; max diff ${d}`);

  // 5. Files and a folder through the file inputs.
  await page.goto(withRenderer(`${base}/?empty`));
  await waitFor('the empty page', (s) => s.canvas !== undefined);
  await page.setInputFiles('#folder', path.join(shared, 'ct-philips-brain'));
  s = await waitFor('the folder', (s) => s.loaded && s.slices === 28);
  check(s.series.length === 1 && s.slices === 28, `folder input: ${s.series.length} series, ${s.slices} slices`);
  // The page's memory with the series (reported at the end, a figure, not a check).
  const mib = (b) => (b === null || b === undefined ? '?' : (b / 1048576).toFixed(1));
  const memoryOf = async () => page.evaluate(() => window.hounsfield.memory());
  const stackMemory = await memoryOf();
  await page.keyboard.press('End');
  s = await waitFor('the last slice', (s) => s.slice === 27, 10000);
  check(s.slice === 27, 'End goes to the last slice of the folder');
  // The planes of the folder (M): the sagittal pane equals the native plane through the
  // same point.
  await page.keyboard.press('m');
  s = await waitFor('the planes', (s) => s.layout === 'Planes' && s.crosshair && s.image_drawn, 20000);
  let sag;
  [px, sag] = await settledPane(1);
  d = maxDiff(
    px,
    nativeRender(path.join(shared, 'ct-philips-brain'), [sag[2], sag[3]], [
      '--plane', 'sagittal', '--position', `${s.crosshair[0]}`, '--window', `${s.plane_window[0]},${s.plane_window[1]}`,
    ]),
    sag,
  );
  check(d <= 2, `M: sagittal pane ${sag[2]} x ${sag[3]} through x = ${s.crosshair[0].toFixed(2)} mm; max diff ${d} vs native plane`);
  // Pane heights at which the plane's top and bottom edges fall near pixel centres (716
  // is one): the pane still equals the native plane there, edge rows included.
  const sizes = [];
  let worstEdge = 0;
  for (const height of [742, 743, 744, 745, 746, 747]) {
    await page.setViewportSize({ width: 1100, height });
    await page.waitForTimeout(150);
    [px, sag] = await settledPane(1);
    s = await status();
    const edge = maxDiff(
      px,
      nativeRender(path.join(shared, 'ct-philips-brain'), [sag[2], sag[3]], [
        '--plane', 'sagittal', '--position', `${s.crosshair[0]}`, '--window', `${s.plane_window[0]},${s.plane_window[1]}`,
      ]),
      sag,
    );
    sizes.push(`${sag[3]}: ${edge}`);
    worstEdge = Math.max(worstEdge, edge);
  }
  await page.setViewportSize({ width: 1100, height: 760 });
  check(worstEdge <= 2, `M: sagittal pane at other heights (height: max diff vs native plane) ${sizes.join(', ')}`);
  s = await waitFor('the planes again', (s) => s.layout === 'Planes' && s.crosshair && s.image_drawn, 20000);
  const planesMemory = await memoryOf();
  // A volume budget under the series' 14 MiB: the planes' volume keeps every 2nd column
  // and row, and the status says so; the still planes are then refined from every voxel
  // by themselves (the WebGPU path; the CPU path resamples every voxel anyway), so the
  // pane equals the native plane of the full series. (That a moving plane shows the
  // reduced volume is the scene's unit test.)
  const crosshairBefore = s.crosshair;
  await page.evaluate(() => window.hounsfield.setVolumeBudget(4));
  const reducedSaid = '256 x 256 x 28 of 512 x 512 x 28 voxels (memory budget 4 MiB)';
  s = await waitFor(
    'the reduced planes, refined',
    (s) => s.mpr_reduction === reducedSaid && s.crosshair && s.image_drawn && s.mpr_refined.every((r) => r) && s.planes_redraw_after_ms === null,
    20000,
  );
  [px, sag] = await settledPane(1);
  d = maxDiff(
    px,
    nativeRender(path.join(shared, 'ct-philips-brain'), [sag[2], sag[3]], [
      '--plane', 'sagittal', '--position', `${s.crosshair[0]}`, '--window', `${s.plane_window[0]},${s.plane_window[1]}`,
    ]),
    sag,
  );
  check(
    s.mpr_reduction === reducedSaid && d <= 2,
    `volume budget 4 MiB: "${s.mpr_reduction}"; still planes refined from every voxel: sagittal pane max diff ${d} vs native plane of the full series (crosshair ${crosshairBefore[0].toFixed(2)} -> ${s.crosshair[0].toFixed(2)} mm)`,
  );
  await page.evaluate(() => window.hounsfield.setVolumeBudget(0));
  s = await waitFor('the full planes again', (s) => s.mpr_reduction === null && s.crosshair && s.image_drawn, 20000);
  check(s.mpr_reduction === null, 'no volume budget: the full volume again');
  memoryLine = `page memory with the 28-slice 512 x 512 CT: wasm ${mib(stackMemory.wasm)} MiB, JS heap ${mib(stackMemory.jsHeap)} MiB; with the planes: wasm ${mib(planesMemory.wasm)} MiB, JS heap ${mib(planesMemory.jsHeap)} MiB`;
  await page.keyboard.press('m');
  await page.keyboard.press('m');
  await page.setInputFiles('#files', [path.join(pydicomFiles, 'CT_small.dcm'), path.join(pydicomFiles, 'MR_small.dcm')]);
  s = await waitFor('two files', (s) => s.loaded && s.series.length === 3);
  check(s.series.length === 3, `file input with two files: ${s.series.length} series in all`);

  // A 4D series (8 positions x 3 time points, made from real slices): one series; N goes
  // to the next time point at the same slice, and its planes are those of that time point.
  const made4d = path.join(tmp, '4d');
  const organised = JSON.parse(
    execFileSync(python, [path.join(root, 'tests/scripts/make_4d.py'), path.join(shared, 'ct-philips-brain'), made4d]).toString(),
  );
  await page.goto(withRenderer(`${base}/?empty`));
  await waitFor('the empty page', (s) => s.canvas !== undefined);
  await page.setInputFiles('#folder', path.join(made4d, 'classic-temporal'));
  s = await waitFor('the 4D folder', (s) => s.loaded && s.slices === 8);
  check(
    s.series.length === 1 && s.series[0].time_points === 3 && s.time_point === 0,
    `4D folder: ${s.series.length} series of ${s.series[0].time_points} time points (${s.series[0].time_axis})`,
  );
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('n');
  s = await waitFor('time point 2', (s) => s.time_point === 1 && s.slice === 2 && s.image_drawn);
  const timeFile = organised['classic-temporal'][0][1][2][0];
  px = await pixels();
  d = maxDiff(px, nativeRender(path.join(made4d, 'classic-temporal', timeFile), s.canvas, ['--window', `${s.window[0]},${s.window[1]}`]));
  check(
    path.basename(s.file) === timeFile && d <= 2,
    `4D: N shows time point 2 at slice 3 (${path.basename(s.file)}, expected ${timeFile}); max diff ${d} vs native render`,
  );
  await page.keyboard.press('m');
  s = await waitFor('the planes of time point 2', (s) => s.layout === 'Planes' && s.crosshair && s.image_drawn && s.time_point === 1, 20000);
  // The axial pane: a plane inside the stack, so that its edges are image edges, not
  // the ends of the stack, where two GPUs may round a boundary sample differently.
  let ax4;
  [px, ax4] = await settledPane(0);
  d = maxDiff(
    px,
    nativeRender(path.join(made4d, 'classic-temporal'), [ax4[2], ax4[3]], [
      '--plane', 'axial', '--time', '2', '--position', `${s.crosshair[2]}`, '--window', `${s.plane_window[0]},${s.plane_window[1]}`,
    ]),
    ax4,
  );
  check(d <= 2, `4D: the axial plane of time point 2 (z = ${s.crosshair[2].toFixed(2)} mm) equals render --plane axial --time 2; max diff ${d}`);
  await page.keyboard.press('m');
  await page.keyboard.press('m');

  // A series by ?manifest= (URLs relative to the manifest, in reverse name order).
  const names = fs.readdirSync(path.join(shared, 'ct-philips-brain')).sort().reverse();
  fs.writeFileSync(path.join(tmp, 'series.json'), JSON.stringify({ urls: names.map((n) => `../shared/ct-philips-brain/${n}`) }));
  await page.goto(withRenderer(`${base}/?manifest=/gen/series.json`));
  s = await waitFor('the manifest series', (s) => s.loaded && s.slices === 28);
  check(s.series.length === 1 && s.slices === 28 && s.slice === 0, `?manifest=: ${s.series.length} series, ${s.slices} slices, shown from slice ${s.slice + 1}`);
  // The decode budget of a load (?decode-budget-load=MIB): room for ten 512 x 512 16-bit
  // slices of the 28; the others are not decoded and say why.
  await page.goto(withRenderer(`${base}/?manifest=/gen/series.json&decode-budget-load=5`));
  s = await waitFor('the manifest series over budget', (s) => s.loaded && s.slices === 28);
  const overBudget = s.messages.filter((m) => m.includes('decode budget of 5 MiB per load')).length;
  check(
    s.series[0].decoded === 10 && overBudget === 18,
    `?decode-budget-load=5: ${s.series[0].decoded} of 28 slices decoded, ${overBudget} refused naming the budget`,
  );

  // Overlay planes (60xx): shown over the image like `render --overlays`; O hides them.
  {
    const file = path.join(pydicomData, 'MR-SIEMENS-DICOM-WithOverlays.dcm');
    await page.goto(withRenderer(`${base}/?url=/pydicom-data/MR-SIEMENS-DICOM-WithOverlays.dcm`));
    s = await waitFor('the MR with overlays', (s) => s.loaded);
    const win = ['--window', `${s.window[0]},${s.window[1]}`];
    px = await pixels();
    const on = maxDiff(px, nativeRender(file, s.canvas, [...win, '--overlays']));
    const plain = maxDiff(px, nativeRender(file, s.canvas, win));
    check(s.overlay_planes && on <= 2 && plain > 100, `overlays on: max diff ${on} vs render --overlays (${plain} vs the plain image)`);
    await page.keyboard.press('o');
    s = await waitFor('overlays off', (s) => s.overlay_planes === false);
    px = await pixels();
    d = maxDiff(px, nativeRender(file, s.canvas, win));
    check(d <= 2, `O hides the overlays: max diff ${d} vs the plain native render`);
  }

  // A display shutter (added by pydicom to a real CT): applied as `render` applies it;
  // Shift+O lifts it.
  {
    const file = path.join(tmp, 'shutter.dcm');
    execFileSync(python, ['-c', `
import sys, pydicom
d = pydicom.dcmread(sys.argv[1])
d.ShutterShape = ["RECTANGULAR", "CIRCULAR"]
d.ShutterLeftVerticalEdge, d.ShutterRightVerticalEdge = 10, 120
d.ShutterUpperHorizontalEdge, d.ShutterLowerHorizontalEdge = 4, 110
d.CenterOfCircularShutter, d.RadiusOfCircularShutter = [60, 66], 58
d.ShutterPresentationValue = 40000
d.save_as(sys.argv[2])
`, path.join(pydicomFiles, 'CT_small.dcm'), file]);
    await page.goto(withRenderer(`${base}/?url=/gen/shutter.dcm`));
    s = await waitFor('the CT with a shutter', (s) => s.loaded);
    const win = ['--window', `${s.window[0]},${s.window[1]}`];
    px = await pixels();
    const on = maxDiff(px, nativeRender(file, s.canvas, win));
    const open = maxDiff(px, nativeRender(file, s.canvas, [...win, '--no-shutters']));
    await page.keyboard.press('Shift+O');
    s = await waitFor('the shutter lifted', (s) => s.shutters === false);
    px = await pixels();
    const off = maxDiff(px, nativeRender(file, s.canvas, [...win, '--no-shutters']));
    check(on <= 2 && open > 100 && off <= 2, `display shutter: max diff ${on} vs render (${open} vs the open image); Shift+O lifts it: ${off}`);
  }

  // A segmentation (made by highdicom from three slices of a real CT) opened with one of
  // its images: its three segments over it as `render --segmentation` paints them; J hides
  // them.
  {
    const dir = path.join(tmp, 'seg');
    fs.mkdirSync(dir, { recursive: true });
    const made = JSON.parse(execFileSync(python, [path.join(root, 'tests/scripts/make_seg.py'), path.join(shared, 'ct-philips-brain'), dir]));
    const image = path.join(dir, 'slice.dcm');
    fs.copyFileSync(made.slices[1].path, image);
    const seg = path.join(dir, 'binary.seg.dcm');
    await page.goto(withRenderer(`${base}/?url=/gen/seg/slice.dcm`));
    await waitFor('the CT', (s) => s.loaded && (s.file || '').endsWith('slice.dcm'));
    await page.evaluate(() => window.hounsfield.open(['/gen/seg/binary.seg.dcm']));
    await waitFor('the CT with its segments', (s) => s.segments.length === 3);
    [s, px] = await settledCanvas();
    const win = ['--window', `${s.window[0]},${s.window[1]}`];
    const on = maxDiff(px, nativeRender(image, s.canvas, [...win, '--segmentation', seg]));
    const plain = maxDiff(px, nativeRender(image, s.canvas, win));
    await page.keyboard.press('j');
    s = await waitFor('the segments hidden', (s) => s.segments.length === 0);
    px = await pixels();
    const off = maxDiff(px, nativeRender(image, s.canvas, win));
    check(on <= 2 && plain > 100 && off <= 2, `segmentation: max diff ${on} vs render --segmentation (${plain} vs the plain image); J hides it: ${off}`);
    // The segment list: J shows them again; the page's box hides segment 2, the API fades
    // segments 1 and 3 to 0.4: as `render --segments 1,3 --segment-opacity 0.4`.
    await page.keyboard.press('j');
    await waitFor('the segments shown', (s) => s.segments.length === 3 && s.segment_list.length === 3);
    await page.evaluate(() => document.querySelector('#segments li:nth-child(2) input[type=checkbox]').click());
    const set = await page.evaluate(() => [0, 2].map((i) => window.hounsfield.setSegment(i, { opacity: 0.4 })));
    s = await waitFor('segment 2 hidden, 1 and 3 faded', (s) => s.segments.length === 2 && s.segment_list[2].opacity === 0.4);
    [s, px] = await settledCanvas();
    const list = maxDiff(px, nativeRender(image, s.canvas, [...win, '--segmentation', seg, '--segments', '1,3', '--segment-opacity', '0.4']));
    const listed = s.segment_list.map((e) => `${e.number} ${e.label} ${e.visible ? 'shown' : 'hidden'} ${e.opacity}`).join('; ');
    check(set.every((x) => x) && list <= 2 && !s.segment_list[1].visible, `segment list (${listed}): max diff ${list} vs render --segments 1,3 --segment-opacity 0.4`);
    // Over the planes (M) of the whole CT: the sagittal pane with the segments placed on
    // it (on the GPU path, placed and composed by the GPU) as `render --plane sagittal
    // --segmentation` paints them.
    await page.goto(withRenderer(`${base}/?empty`));
    await waitFor('the empty page', (s) => s.canvas !== undefined);
    const folder = path.join(shared, 'ct-philips-brain');
    await page.setInputFiles('#folder', folder);
    await waitFor('the folder', (s) => s.loaded && s.slices === 28);
    await page.evaluate(() => window.hounsfield.open(['/gen/seg/binary.seg.dcm']));
    await waitFor('the segment list', (s) => s.segment_list.length === 3);
    await page.keyboard.press('m');
    s = await waitFor('the planes', (s) => s.layout === 'Planes' && s.crosshair && s.image_drawn, 20000);
    let sag;
    [px, sag] = await settledPane(1);
    const planeArgs = ['--plane', 'sagittal', '--position', `${s.crosshair[0]}`, '--window', `${s.plane_window[0]},${s.plane_window[1]}`];
    const onPlane = maxDiff(px, nativeRender(folder, [sag[2], sag[3]], [...planeArgs, '--segmentation', seg]), sag);
    const plainPlane = maxDiff(px, nativeRender(folder, [sag[2], sag[3]], planeArgs), sag);
    check(onPlane <= 2 && plainPlane > 100, `segmentation over the planes: sagittal pane max diff ${onPlane} vs render --plane sagittal --segmentation (${plainPlane} vs the plain plane)`);
  }

  // An RT Structure Set (written by pydicom from known points) opened after its CT
  // slice: its contours drawn over it as `render --structures` draws them; J hides them.
  {
    const dir = path.join(tmp, 'rt');
    fs.mkdirSync(dir, { recursive: true });
    const made = JSON.parse(execFileSync(python, [path.join(root, 'tests/scripts/make_rtstruct.py'), path.join(shared, 'ct-philips-brain'), dir]));
    const image = path.join(dir, 'slice.dcm');
    fs.copyFileSync(made.slices[0], image);
    await page.goto(withRenderer(`${base}/?url=/gen/rt/slice.dcm`));
    await waitFor('the CT slice', (s) => s.loaded && (s.file || '').endsWith('slice.dcm'));
    await page.evaluate(() => window.hounsfield.open(['/gen/rt/structures.dcm']));
    await waitFor('its contours', (s) => s.contours.length === 2);
    [s, px] = await settledCanvas();
    const win = ['--window', `${s.window[0]},${s.window[1]}`];
    const on = maxDiff(px, nativeRender(image, s.canvas, [...win, '--structures', made.path]));
    const plain = maxDiff(px, nativeRender(image, s.canvas, win));
    const names = s.contours.join(', ');
    await page.keyboard.press('j');
    s = await waitFor('the contours hidden', (s) => s.contours.length === 0);
    px = await pixels();
    const off = maxDiff(px, nativeRender(image, s.canvas, win));
    check(on <= 2 && plain > 100 && off <= 2, `structure set (${names}): max diff ${on} vs render --structures (${plain} vs the plain image); J hides it: ${off}`);
  }

  // Fusion: a coarser, mirrored map of the CT (make_fusion.py, same Frame of Reference)
  // opened after a CT slice and fused over it through the API, as `render --fuse` draws
  // it (its default window, then another colour map and opacity); none lifts it.
  {
    const dir = path.join(tmp, 'fusion');
    fs.mkdirSync(dir, { recursive: true });
    const made = JSON.parse(execFileSync(python, [path.join(root, 'tests/scripts/make_fusion.py'), path.join(shared, 'ct-philips-brain'), dir]));
    const image = path.join(dir, 'slice.dcm');
    fs.copyFileSync(made.slices[13], image);
    const maps = fs.readdirSync(made.map).sort().map((n) => `/gen/fusion/map/${n}`);
    await page.goto(withRenderer(`${base}/?url=/gen/fusion/slice.dcm`));
    await waitFor('the CT slice', (s) => s.loaded && (s.file || '').endsWith('slice.dcm'));
    // The CT in hot iron, as `render --colormap hot-iron` shows it: each pixel the colour
    // of the native render's level (or of the next level, as grey allows a level's
    // difference).
    await page.evaluate(() => window.hounsfield.setColormap('hot-iron'));
    s = await waitFor('the CT in hot iron', (s) => s.colormap === 'hot-iron');
    [s, px] = await settledCanvas();
    const ctWin = ['--window', `${s.window[0]},${s.window[1]}`];
    const hot = nativeRender(image, s.canvas, [...ctWin, '--colormap', 'hot-iron']);
    const grey = nativeRender(image, s.canvas, ctWin);
    const table = await page.evaluate(() => Array.from(window.hounsfield.viewer.colormapTable('hot-iron')));
    const nearest = { width: hot.width, height: hot.height, rgb: Buffer.from(hot.rgb) };
    for (let k = 0; k < hot.width * hot.height; k++) {
      const seen = px.data.subarray(4 * k, 4 * k + 3);
      const g = grey.rgb[3 * k];
      let best = null;
      let bestD = 999;
      for (const l of [g - 1, g, g + 1]) {
        if (l < 0 || l > 255 || (hot.rgb[3 * k] === 0 && hot.rgb[3 * k + 1] === 0 && hot.rgb[3 * k + 2] === 0 && g === 0)) continue;
        const c = table.slice(3 * l, 3 * l + 3);
        const d = Math.max(...c.map((v, i) => Math.abs(v - seen[i])));
        if (d < bestD) [best, bestD] = [c, d];
      }
      if (best) nearest.rgb.set(best, 3 * k);
    }
    const coloured = maxDiff(px, nearest);
    const exactly = maxDiff(px, hot);
    const barShown = s.colour_bar;
    await page.evaluate(() => window.hounsfield.setColormap(null));
    s = await waitFor('grey again', (s) => s.colormap === null);
    check(coloured <= 2 && barShown && barShown.colormap === 'hot-iron' && s.colour_bar === null, `colour map: hot iron within a level of render --colormap hot-iron: max diff ${coloured} (the same level: ${exactly}); colour bar ${barShown && `${barShown.low} .. ${barShown.high}`}`);
    await page.evaluate((m) => window.hounsfield.open(m), maps);
    s = await waitFor('the map loaded', (s) => s.loaded && s.series.length === 2 && s.series.every((x) => x.decoded === x.instances));
    const ct = s.series.findIndex((x) => x.instances === 1);
    await page.evaluate((i) => window.hounsfield.viewer.selectSeries(i), ct);
    s = await waitFor('the CT slice again, the map a candidate', (s) => s.current_series === ct && s.fusion.candidates.length === 1);
    const why = await page.evaluate((i) => window.hounsfield.setFusion(i), s.fusion.candidates[0]);
    s = await waitFor('the map fused', (s) => s.fusion.series !== null);
    [s, px] = await settledCanvas();
    const win = ['--window', `${s.window[0]},${s.window[1]}`];
    const fused = maxDiff(px, nativeRender(image, s.canvas, [...win, '--fuse', made.map]));
    const plain = maxDiff(px, nativeRender(image, s.canvas, win));
    const bar = `${s.fusion.style.colormap} ${s.fusion.style.window.map((v) => v.toFixed(1)).join('/')} ${s.fusion.units}`;
    // The fused colour bar the page shows is the status' (one formatting, in the model).
    const fusedBar = s.fusion.colour_bar;
    const barText = await page.evaluate(() => [document.getElementById('fusion-low').textContent, document.getElementById('fusion-high').textContent]);
    const barOk = fusedBar !== null && fusedBar.colormap === s.fusion.style.colormap && barText[0] === fusedBar.low && barText[1] === fusedBar.high;
    await page.evaluate(() => window.hounsfield.setFusionStyle({ colormap: 'viridis', opacity: 0.7 }));
    s = await waitFor('viridis at 0.7', (s) => s.fusion.style.colormap === 'viridis' && s.fusion.style.opacity === 0.7);
    [s, px] = await settledCanvas();
    const styled = maxDiff(px, nativeRender(image, s.canvas, [...win, '--fuse', made.map, '--fuse-colormap', 'viridis', '--fuse-opacity', '0.7']));
    await page.evaluate(() => window.hounsfield.setFusion(null));
    s = await waitFor('fusion off', (s) => s.fusion.series === null);
    [s, px] = await settledCanvas();
    const off = maxDiff(px, nativeRender(image, s.canvas, win));
    check(why === '' && fused <= 2 && plain > 100 && styled <= 2 && off <= 2 && barOk && s.fusion.colour_bar === null,
      `fusion (${bar}): max diff ${fused} vs render --fuse (${plain} vs the plain image); viridis at 0.7: ${styled}; off: ${off}; colour bar ${barText.join(' .. ')}${why ? `; ${why}` : ''}`);
  }

  // A Parametric Map (highdicom, a Real World Value Mapping "ADC" in um2/s) in viridis:
  // as `render --colormap viridis` draws it, with a colour bar in real-world units.
  {
    const dir = path.join(tmp, 'pmap');
    fs.mkdirSync(dir, { recursive: true });
    execFileSync(python, [path.join(root, 'tests/scripts/make_pmap.py'), path.join(shared, 'ct-philips-brain'), dir]);
    const map = path.join(dir, 'linear.pm.dcm');
    await page.goto(withRenderer(`${base}/?url=/gen/pmap/linear.pm.dcm`));
    await waitFor('the parametric map', (s) => s.loaded);
    await page.evaluate(() => window.hounsfield.setColormap('viridis'));
    s = await waitFor('the map in viridis with its colour bar', (s) => s.colour_bar !== null);
    [s, px] = await settledCanvas();
    const diff = maxDiff(px, nativeRender(map, s.canvas, ['--window', `${s.window[0]},${s.window[1]}`, '--colormap', 'viridis']));
    const bar = s.colour_bar;
    check(diff <= 4 && bar.low.includes('ADC') && bar.high.includes('um2/s'),
      `parametric map in viridis: max diff ${diff} vs render --colormap viridis (within a level); colour bar ${bar.low} .. ${bar.high}`);
  }

  // A presentation state (made by highdicom) opened with its image: its window,
  // Presentation LUT Shape, rotation, flip and displayed area, as `render
  // --presentation-state` into the canvas' size; Y lifts it.
  {
    const image = path.join(pydicomFiles, 'CT_small.dcm');
    const gsps = path.join(tmp, 'gsps.dcm');
    execFileSync(python, ['-c', `
import sys, numpy as np, highdicom as hd, pydicom
img = pydicom.dcmread(sys.argv[1])
layer = hd.pr.GraphicLayer(layer_name="FINDINGS", order=1)
note = hd.pr.GraphicAnnotation(
    referenced_images=[img], graphic_layer=layer,
    text_objects=[hd.pr.TextObject(text_value="LESION", units=hd.pr.AnnotationUnitsValues.PIXEL, anchor_point=(40.0, 50.0))],
    graphic_objects=[hd.pr.GraphicObject(graphic_type=hd.pr.GraphicTypeValues.POLYLINE,
                                         graphic_data=np.array([[30.0, 40.0], [60.0, 40.0], [60.0, 80.0]]),
                                         units=hd.pr.AnnotationUnitsValues.PIXEL)])
ps = hd.pr.GrayscaleSoftcopyPresentationState(
    referenced_images=[img], series_instance_uid=hd.UID(), series_number=99, sop_instance_uid=hd.UID(),
    instance_number=1, manufacturer="test", manufacturer_model_name="test", software_versions="1",
    device_serial_number="1", content_label="BONE", graphic_layers=[layer], graphic_annotations=[note],
    voi_lut_transformations=[hd.pr.SoftcopyVOILUTTransformation(window_center=300.0, window_width=1500.0)],
    presentation_lut_transformation=hd.PresentationLUTTransformation(presentation_lut_shape=hd.PresentationLUTShapeValues.INVERSE))
ps.ImageRotation = 90
ps.ImageHorizontalFlip = "Y"
# Its displayed area: columns 20-100, rows 30-90, fitted to the pane.
area = ps.DisplayedAreaSelectionSequence[0]
area.DisplayedAreaTopLeftHandCorner = [20, 30]
area.DisplayedAreaBottomRightHandCorner = [100, 90]
ps.save_as(sys.argv[2])
`, image, gsps]);
    await page.goto(withRenderer(`${base}/`));
    await page.waitForFunction(() => window.hounsfield && window.hounsfield.viewer);
    await page.evaluate(() => window.hounsfield.open(['/pydicom/CT_small.dcm', '/gen/gsps.dcm']));
    await waitFor('the CT through its presentation state', (s) => s.loaded && s.presentation_state === 'BONE');
    [s, px] = await settledCanvas();
    const through = maxDiff(px, nativeRender(image, s.canvas, ['--presentation-state', gsps]));
    // Its annotations where the state puts them: rotated 90 degrees then flipped, image
    // point (column, row) shows at (row, column) of the displayed area (columns 19-100
    // and rows 29-90 in pixel edges, 61 x 81 once turned) fitted to the pane.
    const drawn = JSON.parse(await page.evaluate(() => window.hounsfield.viewer.wasm.overlay())).panes[0].measurements.filter((m) => m.presentation);
    const [cw, ch] = s.canvas;
    const scale = Math.min(cw / 61, ch / 81);
    const at = ([col, row]) => [(cw - 61 * scale) / 2 + (row - 29) * scale, (ch - 81 * scale) / 2 + (col - 19) * scale];
    const near = (a, b) => Math.abs(a[0] - b[0]) <= 1.5 && Math.abs(a[1] - b[1]) <= 1.5;
    const line = drawn.find((m) => m.lines.length === 1);
    const text = drawn.find((m) => m.label[0] === 'LESION');
    const placed =
      line && text && line.lines[0].length === 3 &&
      [[30, 40], [60, 40], [60, 80]].every((p, i) => near(line.lines[0][i], at(p))) && near(text.label_at, at([40, 50]));
    check(placed, `presentation state annotations: a polyline and "LESION" drawn where the state puts them (${JSON.stringify(drawn.map((m) => [m.lines, m.label, m.label_at]))})`);
    await page.keyboard.press('y');
    s = await waitFor('the presentation state lifted', (s) => s.presentation_state === null);
    px = await pixels();
    const plain = maxDiff(px, nativeRender(image, s.canvas, ['--window', `${s.window[0]},${s.window[1]}`]));
    check(through <= 2 && plain <= 2, `presentation state "BONE": max diff ${through} vs render --presentation-state; Y lifts it: ${plain} vs the plain render`);
  }

  // Measurements: L and a drag draw a length, C and a drag an ellipse; the numbers shown
  // are `hounsfield measure`'s for the same ROI; Delete and Ctrl+Z.
  {
    const file = path.join(shared, 'ct-philips-brain/I100');
    await page.goto(withRenderer(`${base}/?url=/shared/ct-philips-brain/I100`));
    s = await waitFor('the CT to measure', (s) => s.loaded);
    const box = await page.locator('#viewport').boundingBox();
    const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
    const drag = async (a, b) => {
      await page.mouse.move(...a);
      await page.mouse.down();
      await page.mouse.move(...b, { steps: 12 });
      await page.mouse.up();
    };
    await page.keyboard.press('l');
    await drag([cx - 120, cy - 10], [cx + 90, cy + 70]);
    await page.keyboard.press('c');
    await drag([cx - 70, cy - 150], [cx + 40, cy - 60]);
    const done = (n) => (s) => s.measurements.length === n && s.measurements.every((m) => m.complete);
    s = await waitFor('two measurements', done(2));
    const wanted = [['length', ['length_mm']], ['ellipse', ['mean', 'sd', 'min', 'max', 'area_mm2', 'pixels']]];
    s.measurements.forEach((m, i) => {
      const [tool, keys] = wanted[i];
      const cli = JSON.parse(execFileSync(bin, ['measure', file, '--roi', m.roi, '--json']).toString()).measurements[0];
      const same = m.tool === tool && keys.every((k) => typeof m[k] === 'number' && m[k] === cli[k]);
      check(same, `${tool} drawn with the mouse, ${m.roi}: "${m.label.join(', ')}", ${same ? 'equal to' : 'not'} hounsfield measure's`);
    });
    // Saved as DICOM SR: dciodvfy finds no error, highdicom reads the same numbers back.
    const report = path.join(tmp, 'measurements.sr.dcm');
    fs.writeFileSync(report, Buffer.from(await page.evaluate(async () => [...window.hounsfield.viewer.measurementReports()[0]])));
    const said = spawnSync('dciodvfy', [report], { encoding: 'utf8' });
    const srErrors = `${said.stdout}${said.stderr}`.split('\n').filter((l) => l.startsWith('Error'));
    const back = JSON.parse(execFileSync(python, ['-c', `
import json, sys, highdicom as hd
doc = hd.sr.srread(sys.argv[1])
print(json.dumps([{m.name.meaning: float(m.value) for m in g.get_measurements()} for g in doc.content.get_planar_roi_measurement_groups()]))
`, report]).toString());
    const same = back.length === 2 && back[0].Length === s.measurements[0].length_mm && back[1].Mean === s.measurements[1].mean;
    check(said.status !== null && srErrors.length === 0 && same, `measurements saved as DICOM SR: dciodvfy ${srErrors.length} errors; highdicom reads ${back.length} groups, ${same ? 'the same numbers' : JSON.stringify(back)}`);
    const listed = await page.locator('#measurements li').count();
    await page.keyboard.press('Delete');
    s = await waitFor('the ellipse deleted', done(1));
    await page.keyboard.press('Control+z');
    s = await waitFor('the ellipse back', done(2));
    check(listed === 2, `the measurement list shows ${listed} of 2; Delete and Ctrl+Z took one away and back`);
    await page.keyboard.press('Escape');
  }

  // 6. Syntaxes decoded in the browser render like native: colour JPEG-LS, JPEG 2000,
  //    RLE, 12-bit JPEG.
  for (const [url, file] of [
    ['/pydicom/SC_rgb_jls_lossy_sample.dcm', path.join(pydicomFiles, 'SC_rgb_jls_lossy_sample.dcm')],
    ['/pydicom/MR_small_jp2klossless.dcm', path.join(pydicomFiles, 'MR_small_jp2klossless.dcm')],
    ['/pydicom-data/US1_J2KI.dcm', path.join(pydicomData, 'US1_J2KI.dcm')],
    ['/pydicom/MR_small_RLE.dcm', path.join(pydicomFiles, 'MR_small_RLE.dcm')],
    ['/pydicom/JPGExtended.dcm', path.join(pydicomFiles, 'JPGExtended.dcm')],
  ]) {
    requested.length = 0;
    await page.goto(withRenderer(`${base}/?url=${url}`));
    s = await waitFor(url, (s) => s.loaded);
    px = await pixels();
    const args = s.window ? ['--window', `${s.window[0]},${s.window[1]}`] : [];
    d = maxDiff(px, nativeRender(file, s.canvas, args));
    const j2k = /jp?2k/i.test(url);
    check(
      d <= 2 && codecModuleFetched() === j2k,
      `${path.basename(file)}: max diff ${d} vs native render; codec module ${codecModuleFetched() ? 'loaded' : 'not loaded'}`,
    );
  }

  // 7. Markup in a Patient's Name is text: shown literally, no element, no script.
  await page.goto(withRenderer(`${base}/?url=/gen/xss.dcm`));
  s = await waitFor('the XSS file', (s) => s.loaded);
  await page.waitForTimeout(300);
  const overlayText = await page.locator('#overlay').innerText();
  const images = await page.locator('#overlay img, #series img').count();
  check(
    overlayText.includes('<img src=x onerror=alert(1)>') && images === 0 && dialogs === 0,
    `Patient's Name with markup shown as text (${images} img elements, ${dialogs} dialogs)`,
  );

  // 7b. A decoder that traps (a Rust panic aborts the worker's module; simulated here by
  //     a worker that traps on one file name): that file's error is said, the other file
  //     of the load shows, and the load finishes; the next load decodes in a fresh worker.
  //     The file is compressed (RLE): a worker decodes it even while none is ready yet
  //     (native Pixel Data may then decode on the page's thread).
  fs.copyFileSync(path.join(pydicomFiles, 'SC_rgb_rle.dcm'), path.join(tmp, 'trap.dcm'));
  const workerSource = fs.readFileSync(path.join(dist, 'worker.js'), 'utf8');
  const trapping = workerSource.replace(
    'function decode(name, buffer) {',
    "function decode(name, buffer) {\n  if (name.endsWith('trap.dcm')) throw new WebAssembly.RuntimeError('unreachable');",
  );
  check(trapping !== workerSource, 'the test can make the worker trap');
  await context.route('**/worker.js', (route) => route.fulfill({ contentType: 'text/javascript', body: trapping }));
  await page.goto(withRenderer(`${base}/?url=/pydicom/MR_small.dcm`));
  await waitFor('MR_small', (s) => s.loaded);
  await page.evaluate(() => window.hounsfield.open(['/gen/trap.dcm', '/pydicom/CT_small.dcm']));
  s = await waitFor('a load with a trapping decoder', (s) => s.loaded && s.series.length === 3);
  const bug = (s.messages || []).find((m) => m.includes('trap.dcm') && m.includes('bug in Hounsfield'));
  check(bug && s.series.length === 3, `a trapping decoder: "${bug}"; the load finished with ${s.series.length} series`);
  await page.evaluate(() => window.hounsfield.open('/pydicom/JPGExtended.dcm'));
  s = await waitFor('the next load', (s) => s.loaded && s.series.length === 4);
  check(s.series.length === 4, `after the trap, the next file decodes in a fresh worker (${s.series.length} series)`);
  await context.unroute('**/worker.js');

  // 8. DICOMweb from a real Orthanc, same origin (its ServeFolders plugin serves the
  //    page): a series by ?dicomweb=&study=&series=, then through the study panel; the
  //    first slice equals the native render of the same file from disk.
  const orthanc = await startOrthanc();
  if (!orthanc) {
    check(false, 'Orthanc with its DICOMweb and ServeFolders plugins (Debian orthanc, orthanc-dicomweb) is needed for the DICOMweb checks');
  } else {
    try {
      const dir = path.join(shared, 'ct-philips-brain');
      const bySop = JSON.parse(
        execFileSync(python, [
          '-c',
          'import sys, os, json, pydicom\nout = {}\nfor n in sorted(os.listdir(sys.argv[1])):\n    ds = pydicom.dcmread(os.path.join(sys.argv[1], n), stop_before_pixels=True, force=True)\n    if "PixelData" in ds or "Rows" in ds: out[str(ds.SOPInstanceUID)] = os.path.join(sys.argv[1], n)\nprint(json.dumps(out))',
          dir,
        ]).toString(),
      );
      for (const file of Object.values(bySop)) await orthanc.upload(file);
      const studies = await orthanc.json('/dicom-web/studies');
      const study = studies[0]['0020000D'].Value[0];
      const series = (await orthanc.json(`/dicom-web/studies/${study}/series`))[0]['0020000E'].Value[0];
      const compareFirst = async (what) => {
        const t = Date.now();
        let st = await waitFor(what, (st) => st.loaded && st.slices === 28, 60000);
        const loadedMs = Date.now() - t;
        // The series list appears with the series: let the canvas settle at its size.
        await page.waitForTimeout(300);
        const px = await pixels();
        st = await status();
        const sop = (st.file || '').split('/').pop();
        const file = bySop[sop];
        const d = file ? maxDiff(px, nativeRender(file, [px.width, px.height], ['--window', `${st.window[0]},${st.window[1]}`])) : 999;
        console.log(`${what}: all 28 slices decoded ${loadedMs} ms after the page loaded`);
        check(
          file && st.series.length === 1 && st.slice === 0 && d <= 2,
          `${what}: ${st.series.length} series, ${st.slices} slices, shown from slice ${st.slice + 1} (${file ? path.basename(file) : 'unknown ' + sop}); max diff ${d} vs native render of the file`,
        );
      };
      await page.goto(withRenderer(`${orthanc.base}/web/index.html?dicomweb=/dicom-web&study=${study}&series=${series}`));
      await compareFirst('?dicomweb= series from Orthanc');
      await page.goto(withRenderer(`${orthanc.base}/web/index.html?dicomweb=/dicom-web`));
      await page.waitForSelector('#dw-studies tbody tr', { timeout: 30000 });
      const rows = await page.locator('#dw-studies tbody tr').count();
      check(rows === 1, `study panel: ${rows} study found`);
      await page.locator('#dw-studies tbody tr').first().click();
      await page.waitForSelector('#dw-series canvas[data-drawn="true"]', { timeout: 30000 });
      await page.locator('.dw-open').first().click();
      await compareFirst('study panel: the series opened');
      check(await page.locator('#dicomweb').isHidden(), 'the panel closes when a series opens');
      // A JPEG 2000 instance over DICOMweb is decoded on the page: its codec module loads.
      const j2kFile = path.join(pydicomFiles, 'MR_small_jp2klossless.dcm');
      await orthanc.upload(j2kFile);
      const j2kStudy = (await orthanc.json('/dicom-web/studies')).map((x) => x['0020000D'].Value[0]).find((u) => u !== study);
      const j2kSeries = (await orthanc.json(`/dicom-web/studies/${j2kStudy}/series`))[0]['0020000E'].Value[0];
      requested.length = 0;
      await page.goto(withRenderer(`${orthanc.base}/web/index.html?dicomweb=/dicom-web&study=${j2kStudy}&series=${j2kSeries}`));
      let st = await waitFor('a JPEG 2000 instance from Orthanc', (st) => st.loaded && st.slices === 1 && st.window, 60000);
      const jpx = await pixels();
      st = await status();
      const jd = maxDiff(jpx, nativeRender(j2kFile, [jpx.width, jpx.height], ['--window', `${st.window[0]},${st.window[1]}`]));
      check(
        jd <= 2 && codecModuleFetched(),
        `JPEG 2000 over DICOMweb: max diff ${jd} vs native render; codec module ${codecModuleFetched() ? 'loaded' : 'not loaded'}`,
      );
    } finally {
      orthanc.stop();
    }
  }

  // 9. The component: two viewers on one page (the npm package's example), each with its
  //    own file and window, each canvas equal to the native render of its file and window;
  //    a window set through one viewer's API changes that viewer only, with its event.
  {
    const left = path.join(shared, 'ct-philips-brain/I100');
    const right = path.join(pydicomFiles, 'MR_small.dcm');
    const q = `left=/shared/ct-philips-brain/I100&left-window=-600,1500&right=/pydicom/MR_small.dcm&right-window=600,1200`;
    await page.goto(withRenderer(`${base}/examples/two-viewers.html?${q}`));
    const both = () =>
      page.evaluate(() => [...document.querySelectorAll('hounsfield-viewer')].map((e) => (e.viewer ? e.status() : { loaded: false })));
    const t = Date.now();
    let st;
    for (;;) {
      st = await both();
      if (st.every((x) => x.loaded && x.window) && st[0].window[0] === -600 && st[1].window[0] === 600) break;
      if (Date.now() - t > 60000) throw new Error(`two viewers: ${JSON.stringify(st)}`);
      await page.waitForTimeout(50);
    }
    check(st.every((x) => x.renderer === (renderer || 'cpu')), `two viewers draw with ${st.map((x) => x.renderer)}`);
    // The example's captions follow each element's `load` and `slicechange` events.
    await page.waitForFunction(() => ['left', 'right'].every((s) => document.getElementById(`${s}-caption`).dataset.loaded === 'true'));
    const slices = await page.evaluate(() => ['left', 'right'].map((s) => document.getElementById(`${s}-caption`).dataset.slice));
    check(JSON.stringify(slices) === '["1 of 1","1 of 1"]', `two viewers: load and slicechange events of each (${slices})`);
    const shot = () => canvasPixels(page, "[...document.querySelectorAll('hounsfield-viewer')]");
    let px2 = await shot();
    for (const [k, file, win] of [[0, left, '-600,1500'], [1, right, '600,1200']]) {
      const d = maxDiff(px2[k], nativeRender(file, st[k].canvas, ['--window', win]));
      check(d <= 2, `two viewers: viewer ${k + 1} (${path.basename(file)}, window ${win}) max diff ${d} vs native render`);
    }
    const differ = px2[0].data.filter((v, i) => Math.abs(v - px2[1].data[i]) > 50).length;
    check(differ > 10000, `two viewers: the canvases differ (${differ} values by more than 50)`);
    const events = await page.evaluate(async () => {
      const [a, b] = document.querySelectorAll('hounsfield-viewer');
      const seen = [];
      a.addEventListener('windowchange', (e) => seen.push(['a', e.detail.center, e.detail.width]));
      b.addEventListener('windowchange', (e) => seen.push(['b', e.detail.center, e.detail.width]));
      a.setWindow(40, 400);
      await new Promise((ok) => setTimeout(ok, 300));
      return { seen, windows: [a.status().window, b.status().window] };
    });
    check(
      JSON.stringify(events.seen) === '[["a",40,400]]' && events.windows[1][0] === 600,
      `two viewers: setWindow on one gives its windowchange only: ${JSON.stringify(events)}`,
    );
    px2 = await shot();
    const d = maxDiff(px2[0], nativeRender(left, st[0].canvas, ['--window', '40,400']));
    check(d <= 2, `two viewers: viewer 1 after setWindow(40, 400) max diff ${d} vs native render`);
  }

  const drawing = s.renderer === 'cpu' ? 'CPU path' : 'WebGPU on SwiftShader';
  console.log(`\ntime to first image (512 x 512 CT via ?url=, page and ${drawing} start included): ${firstMs} ms`);
  // (A WebGPU frame is submitted, not finished, when render() returns: only the read back
  // times it.)
  const redraw = s.renderer === 'cpu' ? `redraw ${redrawFps.toFixed(1)} frames/s; ` : '';
  console.log(`window change at ${size[0]} x ${size[1]} in headless Chromium (${drawing}): ${redraw}redraw + read back ${fps.toFixed(1)} frames/s`);
  console.log(memoryLine);
  check(errors.length === 0, `no page errors${errors.length ? ': ' + errors.join('; ') : ''}`);
} catch (e) {
  check(false, String(e.stack || e));
} finally {
  await context.close();
  server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}
console.log(failures() ? `\n${failures()} check(s) failed` : '\nall browser checks passed');
process.exit(failures() ? 1 : 0);
