// Writes the extension from the built page: dist/extension (Chromium-based browsers) and
// dist/extension-firefox, each the files of dist/web plus the background script and a
// manifest derived from the one source, manifest.json.
//
//   node apps/hounsfield-web/extension/package.mjs   (run by apps/hounsfield-web/build.sh)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const web = path.join(root, 'dist/web');
const source = JSON.parse(fs.readFileSync(path.join(here, 'manifest.json'), 'utf8'));
const version = fs.readFileSync(path.join(root, 'Cargo.toml'), 'utf8').match(/^version = "([^"]+)"/m);
if (version) source.version = version[1];

const variants = {
  extension: (m) => m,
  'extension-firefox': (m) => {
    const f = structuredClone(m);
    // Firefox runs MV3 backgrounds as event pages, not service workers.
    f.background = { scripts: ['background.js'], type: 'module' };
    delete f.minimum_chrome_version;
    // It sends nothing anywhere: no data collected.
    f.browser_specific_settings = {
      gecko: { id: 'hounsfield@hounsfield.viewer', strict_min_version: '142.0', data_collection_permissions: { required: ['none'] } },
    };
    return f;
  },
};

for (const [dir, make] of Object.entries(variants)) {
  const out = path.join(root, 'dist', dir);
  fs.rmSync(out, { recursive: true, force: true });
  // The page, its module and assets; not the embedding examples.
  fs.cpSync(web, out, { recursive: true, filter: (src) => path.basename(src) !== 'examples' });
  fs.copyFileSync(path.join(here, 'background.js'), path.join(out, 'background.js'));
  fs.writeFileSync(path.join(out, 'manifest.json'), JSON.stringify(make(source), null, 2) + '\n');
  console.log(`dist/${dir}: ${fs.readdirSync(out).length} files`);
}
