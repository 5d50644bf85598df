// The browser extension end to end: Debian's Chromium (new headless mode, WebGPU on
// SwiftShader) with the unpacked dist/extension loaded, driven by Playwright. A test page
// on 127.0.0.1 links to a real .dcm, to an extension-less DICOM served as
// application/dicom and to a file that is not DICOM; clicking the first two opens the
// viewer tab with the image, equal to `hounsfield render` of the same file, the third
// downloads. The context menu, a compressed and a multi-frame file, the toolbar button,
// the permission request for a site without CORS, the manifests and the content
// security policy are checked, and the Firefox build is linted with `web-ext lint`.
//
//   node apps/hounsfield-web/tests/extension.mjs
//
// Environment: HOUNSFIELD_BIN (default target/release/hounsfield), HOUNSFIELD_SHARED_DATA,
// HOUNSFIELD_TESTDATA, CHROMIUM (default /usr/bin/chromium).
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, canvasPixels, checker, maxDiff, nativeRenderer, requirePaths } from './common.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const require = createRequire(path.join(root, 'target/node/'));
const { chromium } = require('playwright-core');

const bin = process.env.HOUNSFIELD_BIN || path.join(root, 'target/release/hounsfield');
const shared = process.env.HOUNSFIELD_SHARED_DATA || path.join(root, '../shared/data');
const testdata = process.env.HOUNSFIELD_TESTDATA || path.join(root, 'target/testdata');
const ext = path.join(root, 'dist/extension');
const extFirefox = path.join(root, 'dist/extension-firefox');
const web = path.join(root, 'dist/web');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hounsfield-ext-'));
const pydicomFiles = path.join(testdata, 'pydicom-3.0.2/pydicom/data/test_files');
const pydicomData = path.join(testdata, 'pydicom-data-1.0.0/data_store/data');
const nativeRender = nativeRenderer(bin, tmp);

const { check, failures } = checker();

requirePaths([
  [path.join(ext, 'manifest.json'), 'the extension (bash apps/hounsfield-web/build.sh)'],
  [bin, 'the native hounsfield binary'],
  [shared, '../shared/data'],
  [pydicomFiles, 'the pydicom wheel (bash scripts/setup-test-env.sh)'],
]);

// ---- 1. The manifests and the content security policy.
const manifest = JSON.parse(fs.readFileSync(path.join(ext, 'manifest.json'), 'utf8'));
const firefox = JSON.parse(fs.readFileSync(path.join(extFirefox, 'manifest.json'), 'utf8'));
const csp = manifest.content_security_policy?.extension_pages || '';
check(manifest.manifest_version === 3 && firefox.manifest_version === 3, 'Manifest V3, both builds');
check(
  csp === "script-src 'self' 'wasm-unsafe-eval'; object-src 'self'" && !/unsafe-eval'|unsafe-inline|https?:|\*/.test(csp.replace("'wasm-unsafe-eval'", '')),
  `content security policy: ${csp}`,
);
const allowed = ['contextMenus', 'downloads', 'declarativeNetRequestWithHostAccess'];
check(
  JSON.stringify([...manifest.permissions].sort()) === JSON.stringify([...allowed].sort()) && !manifest.host_permissions,
  `permissions ${manifest.permissions.join(', ')}; host permissions only optional (${manifest.optional_host_permissions.join(', ')})`,
);
check(
  firefox.background?.scripts?.[0] === 'background.js' && !!firefox.browser_specific_settings?.gecko?.id && JSON.stringify(firefox.permissions) === JSON.stringify(manifest.permissions),
  'Firefox variant: background script, gecko id, the same permissions',
);
const remote = fs.readdirSync(ext).filter((n) => /\.(js|html)$/.test(n)).filter((n) => /<script[^>]+src=["']https?:|import\s*\(?\s*["']https?:/.test(fs.readFileSync(path.join(ext, n), 'utf8')));
check(remote.length === 0, `no remote code (${remote.join(', ') || 'none'})`);
for (const [zip, dir] of [['hounsfield-extension-chromium.zip', ext], ['hounsfield-extension-firefox.zip', extFirefox]]) {
  const z = path.join(root, 'dist', zip);
  check(fs.existsSync(z), `${zip}: ${fs.existsSync(z) ? Math.round(fs.statSync(z).size / 1024) : '-'} KiB (${fs.readdirSync(dir).length} files)`);
}

// ---- 2. Mozilla's linter on the Firefox build.
try {
  const out = execFileSync(path.join(root, 'target/node/node_modules/.bin/web-ext'), ['lint', '--source-dir', extFirefox, '--output', 'json', '--self-hosted'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString();
  const report = JSON.parse(out.slice(out.indexOf('{')));
  const errors = report.errors || [];
  check(errors.length === 0, `web-ext lint: ${errors.length} errors, ${(report.warnings || []).length} warnings${errors.length ? ': ' + errors.map((e) => `${e.code} ${e.message}`).join('; ') : ''}`);
  for (const w of report.warnings || []) console.log(`     warning: ${w.code}: ${w.message} (${w.file || ''})`);
} catch (e) {
  check(false, `web-ext lint failed: ${e.stdout || e}`);
}

// ---- 3. A site with DICOM links (CORS-enabled: the extension page may read it without
//         host permissions) and one without CORS (the extension must ask).
const ct = path.join(shared, 'ct-philips-brain/I100');
const files = {
  '/files/ct.dcm': [ct, 'application/octet-stream'],
  '/files/ct-noext': [ct, 'application/dicom'],
  '/files/jls.dcm': [path.join(pydicomFiles, 'SC_rgb_jls_lossy_sample.dcm'), 'application/dicom'],
  '/files/multiframe': [path.join(pydicomData, 'emri_small.dcm'), 'application/dicom'],
  '/files/j2k.dcm': [path.join(pydicomFiles, 'MR_small_jp2klossless.dcm'), 'application/dicom'],
  '/files/notes.bin': [path.join(root, 'README.md'), 'application/octet-stream'],
};
const links = `<!doctype html><title>links</title>
<a id="dcm" href="/files/ct.dcm">CT (.dcm)</a>
<a id="noext" href="/files/ct-noext">CT (application/dicom, no extension)</a>
<a id="other" href="/files/notes.bin">not DICOM</a>`;
const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };
function serve(cors) {
  return http.createServer((req, res) => {
    const url = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const headers = cors ? { 'access-control-allow-origin': '*' } : {};
    if (url === '/') {
      res.writeHead(200, { 'content-type': 'text/html', ...headers }).end(links);
    } else if (files[url]) {
      const [file, type] = files[url];
      res.writeHead(200, { 'content-type': type, ...headers });
      fs.createReadStream(file).pipe(res);
    } else if (url.startsWith('/web/')) {
      const file = path.join(web, url.slice(5) || 'index.html');
      if (!file.startsWith(web) || !fs.existsSync(file)) return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': types[path.extname(file)] || 'application/octet-stream' });
      fs.createReadStream(file).pipe(res);
    } else {
      res.writeHead(404).end();
    }
  });
}
const site = serve(true);
const closed = serve(false);
await new Promise((ok) => site.listen(0, '127.0.0.1', ok));
await new Promise((ok) => closed.listen(0, '127.0.0.1', ok));
const base = `http://127.0.0.1:${site.address().port}`;
const closedBase = `http://127.0.0.1:${closed.address().port}`;

const context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: false,
  viewport: { width: 1100, height: 760 },
  acceptDownloads: true,
  args: ['--headless=new', ...CHROMIUM_ARGS, `--disable-extensions-except=${ext}`, `--load-extension=${ext}`],
});
const errors = [];
context.on('page', (p) => {
  p.on('pageerror', (e) => errors.push(`${p.url()}: ${e}`));
});

async function waitFor(page, what, ok, timeout = 60000) {
  const t = Date.now();
  for (;;) {
    const s = await page.evaluate(() => window.hounsfield && window.hounsfield.status()).catch(() => null);
    if (s && ok(s)) return s;
    if (s && s.error) throw new Error(`${what}: ${s.error}`);
    if (Date.now() - t > timeout) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s)}`);
    await page.waitForTimeout(50);
  }
}
const pixels = (page) => canvasPixels(page);

// The viewer tab opened by `action`, with its image loaded and compared with the native
// render of `file`; returns the milliseconds from the action to the first image.
async function viewerOpens(what, action, file, extra = []) {
  const t = Date.now();
  const [tab] = await Promise.all([context.waitForEvent('page', { timeout: 30000 }), action()]);
  await tab.waitForLoadState('domcontentloaded');
  const s = await waitFor(tab, what, (s) => s.loaded);
  const ms = Date.now() - t;
  const px = await pixels(tab);
  const args = s.window ? ['--window', `${s.window[0]},${s.window[1]}`] : [];
  const d = maxDiff(px, nativeRender(file, [px.width, px.height], [...args, ...extra]));
  check(
    tab.url().startsWith(`chrome-extension://${id}/index.html#src=`) && d <= 2,
    `${what}: the viewer tab (${tab.url().replace(/#src=.*/, '#src=…')}) shows the image, max diff ${d} vs native render; ${ms} ms from the click`,
  );
  return { tab, ms, s };
}

let id = '';
try {
  let [worker] = context.serviceWorkers();
  if (!worker) worker = await context.waitForEvent('serviceworker', { timeout: 20000 });
  id = new URL(worker.url()).host;
  console.log(`extension ${id} loaded`);
  const rules = await worker.evaluate(() => globalThis.hounsfieldExtension.installRules());
  console.log(`declarativeNetRequest: ${rules.rules} redirect rules (Content-Type rule ${rules.mimeRule ? 'accepted' : 'not supported here: downloads cover it'}); they act where the user granted host access`);

  // 4. Links on a page: a .dcm and an extension-less application/dicom open in the viewer
  //    (no host access granted: the download is taken over); another file downloads.
  const page = await context.newPage();
  await page.goto(base);
  const first = await viewerOpens('link to a .dcm', () => page.click('#dcm'), ct);
  await viewerOpens('link to a DICOM without extension (application/dicom)', () => page.click('#noext'), ct);
  const pagesBefore = context.pages().length;
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15000 }), page.click('#other')]);
  await page.waitForTimeout(1500);
  check(
    download.suggestedFilename() === 'notes.bin' && context.pages().length === pagesBefore,
    `a link to another file downloads as usual (${download.suggestedFilename()}), no viewer tab`,
  );

  // 5. The context menu ("Open in Hounsfield"), through the extension's own handler: a
  //    JPEG-LS file, a JPEG 2000 file (the codec module loads inside the extension) and a
  //    multi-frame file.
  const menu = (url) => worker.evaluate((linkUrl) => globalThis.hounsfieldExtension.onMenu({ menuItemId: 'hounsfield-open-link', linkUrl }, undefined), url);
  await viewerOpens('context menu on a JPEG-LS file', () => menu(`${base}/files/jls.dcm`), files['/files/jls.dcm'][0]);
  await viewerOpens('context menu on a JPEG 2000 file', () => menu(`${base}/files/j2k.dcm`), files['/files/j2k.dcm'][0]);
  const mf = await viewerOpens('context menu on a multi-frame file', () => menu(`${base}/files/multiframe`), files['/files/multiframe'][0]);
  check(mf.s.frames === 10, `the multi-frame file has ${mf.s.frames} frames in the viewer`);
  // The same menu on a file that is not DICOM: the viewer says so (magic bytes).
  const [other] = await Promise.all([context.waitForEvent('page'), menu(`${base}/files/notes.bin`)]);
  const so = await waitFor(other, 'a file that is not DICOM', (s) => s.messages && s.messages.some((m) => m.includes('not a DICOM file')), 30000);
  check(!!so, 'context menu on a file that is not DICOM: "not a DICOM file"');

  // 6. A site without CORS: the viewer asks for permission to read that site (optional host
  //    permission, requested with a click), and does not read it before.
  const [asked] = await Promise.all([context.waitForEvent('page'), menu(`${closedBase}/files/ct.dcm`)]);
  await asked.waitForSelector('#permission:not([hidden])', { timeout: 30000 });
  const text = await asked.locator('#permission-text').innerText();
  check(text.includes(`127.0.0.1:${closed.address().port}`), `a site without CORS: "${text}" with an Allow button`);

  // 7. The toolbar button opens an empty viewer whose API works.
  const [empty] = await Promise.all([context.waitForEvent('page'), worker.evaluate(() => globalThis.hounsfieldExtension.openViewer(null))]);
  const es = await waitFor(empty, 'the empty viewer', (s) => s.canvas !== undefined, 30000);
  check(es.series.length === 0 && Array.isArray(es.canvas), `toolbar: an empty viewer, window.hounsfield.status() works (${es.canvas[0]} x ${es.canvas[1]})`);

  // 8. Time to first image: the extension (click on a link) against the plain page (?url=).
  const plain = await context.newPage();
  const t = Date.now();
  await plain.goto(`${base}/web/index.html?url=/files/ct.dcm`);
  await waitFor(plain, 'the plain page', (s) => s.loaded);
  const plainMs = Date.now() - t;
  console.log(`\ntime to first image, 512 x 512 CT in headless Chromium: extension ${first.ms} ms from the click (download taken over, viewer tab, page start); plain page by ?url= ${plainMs} ms`);
  check(errors.length === 0, `no page errors${errors.length ? ': ' + errors.join('; ') : ''}`);
} catch (e) {
  check(false, String(e.stack || e));
} finally {
  await context.close();
  site.close();
  closed.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}
console.log(failures() ? `\n${failures()} check(s) failed` : '\nall extension checks passed');
process.exit(failures() ? 1 : 0);
