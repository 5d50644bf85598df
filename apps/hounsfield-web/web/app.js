// The page around the viewer component (hounsfield.js): the toolbar, files, folders and
// URLs in, the series, tags, help and DICOMweb panels as DOM text (never HTML), and the
// `window.hounsfield` API, which is the API of the page's viewer.
import { mount, help, prefetch, DicomWeb } from './hounsfield.js';

const $ = (id) => document.getElementById(id);
let viewer = null;
let failure = null;
let lastTagsFile = undefined;

function message(text) {
  $('message').textContent = text;
}

// In the extension, reading another site's files takes the user's permission, asked for
// once per site with a click (optional host permissions); a site that sends CORS headers
// needs none.
async function fetchChecked(url) {
  try {
    return await fetch(url);
  } catch (e) {
    const perms = globalThis.chrome?.permissions;
    const abs = new URL(url, location.href);
    if (perms && /^(https?|file):$/.test(abs.protocol)) {
      const origin = abs.protocol === 'file:' ? 'file:///*' : `${abs.origin}/*`;
      if (!(await perms.contains({ origins: [origin] }))) {
        askPermission(origin, abs.href);
        throw new Error(`Hounsfield may not read ${origin.replace('/*', '')} yet: allow it with the button above`);
      }
    }
    throw e;
  }
}

function askPermission(origin, url) {
  $('permission').hidden = false;
  $('permission-text').textContent = `Hounsfield needs your permission to read files from ${origin.replace('/*', '')}.`;
  $('permission-allow').onclick = async () => {
    if (await globalThis.chrome.permissions.request({ origins: [origin] })) {
      $('permission').hidden = true;
      openSource(url);
    }
  };
}

// A URL to open: a DICOMweb study or series, else a file (WADO-URI included).
function openSource(url) {
  const path = new URL(url, location.href).pathname;
  if (/\/studies\/[0-9.]+(\/series\/[0-9.]+)?\/?$/.test(path)) return window.hounsfield.openDicomWeb(url);
  return viewer.open(url);
}

// ---- DICOMweb ----
// The server of the panel's fields (or of `root`); credentials stay in memory.
function dicomweb(root) {
  const abs = new URL(root || $('dw-root').value || '/dicom-web', location.href).href.replace(/\/+$/, '');
  $('dw-root').value = abs;
  return new DicomWeb(abs, $('dw-user').value || undefined, $('dw-password').value || undefined, undefined);
}

// Opens a study or series URL on the default viewer, messages in the toolbar.
async function openDicomWeb(url, server) {
  try {
    await viewer.openDicomWeb(url, server);
  } catch (e) {
    message(String(e));
  }
}

function cell(tr, text) {
  const td = document.createElement('td');
  td.textContent = text === undefined || text === null ? '' : String(text);
  tr.append(td);
  return td;
}

// Studies per page of results; "Next" asks for the following page of the same search.
const PAGE = 100;
async function searchStudies(offset = 0) {
  let server;
  try {
    server = dicomweb();
  } catch (e) {
    $('dw-note').textContent = String(e);
    return;
  }
  const field = (id) => $(id).value.trim() || undefined;
  const query = {
    patient_name: field('dw-patient-name'),
    patient_id: field('dw-patient-id'),
    study_date: field('dw-study-date'),
    modality: field('dw-modality'),
    accession_number: field('dw-accession'),
    limit: PAGE,
    offset: offset || undefined,
  };
  $('dw-note').textContent = 'searching…';
  const body = $('dw-studies').tBodies[0];
  $('dw-more').hidden = true;
  if (offset === 0) {
    body.replaceChildren();
    $('dw-series-box').hidden = true;
  }
  let studies;
  try {
    studies = JSON.parse(await server.search_studies(JSON.stringify(query)));
  } catch (e) {
    $('dw-note').textContent = String(e);
    return;
  }
  const n = offset + studies.length;
  const more = studies.length === PAGE;
  $('dw-note').textContent = `${n} ${n === 1 ? 'study' : 'studies'} found${more ? ' (more on the server)' : ''}`;
  $('dw-more').hidden = !more;
  $('dw-more').textContent = `Next ${PAGE} studies`;
  $('dw-more').onclick = () => searchStudies(n);
  for (const st of studies) {
    const tr = document.createElement('tr');
    cell(tr, st.patient_name || '(no name)');
    cell(tr, st.patient_id);
    cell(tr, st.study_date);
    cell(tr, st.modalities.join('\\'));
    cell(tr, st.study_description);
    cell(tr, st.number_of_series);
    tr.onclick = () => {
      for (const r of body.rows) r.className = r === tr ? 'current' : '';
      listSeries(server, st.study_instance_uid);
    };
    body.append(tr);
  }
}

async function listSeries(server, study) {
  const box = $('dw-series-box');
  const body = $('dw-series').tBodies[0];
  body.replaceChildren();
  box.hidden = false;
  const studyUrl = `${server.root()}/studies/${study}`;
  $('dw-open-study').onclick = () => {
    $('dicomweb').hidden = true;
    openDicomWeb(studyUrl, server);
  };
  let series;
  try {
    series = JSON.parse(await server.search_series(study));
  } catch (e) {
    $('dw-note').textContent = String(e);
    return;
  }
  $('dw-note').textContent = `${series.length} series in the study`;
  const thumbs = [];
  for (const se of series) {
    const tr = document.createElement('tr');
    const canvasCell = cell(tr, '');
    const c = document.createElement('canvas');
    c.width = 64;
    c.height = 64;
    canvasCell.append(c);
    cell(tr, se.series_number);
    cell(tr, se.modality);
    cell(tr, se.series_description);
    cell(tr, `${se.number_of_instances ?? '?'} images`);
    const b = document.createElement('button');
    b.textContent = 'Open';
    b.className = 'dw-open';
    b.onclick = () => {
      $('dicomweb').hidden = true;
      openDicomWeb(`${studyUrl}/series/${se.series_instance_uid}`, server);
    };
    cell(tr, '').append(b);
    body.append(tr);
    thumbs.push([c, se.series_instance_uid]);
  }
  // Thumbnails one after another, after the list is up.
  for (const [c, uid] of thumbs) {
    try {
      const t = await server.thumbnail(study, uid, 64);
      c.getContext('2d').putImageData(new ImageData(t.rgba, t.width, t.height), 0, 0);
      c.dataset.drawn = 'true';
    } catch (e) {
      c.title = String(e);
    }
  }
}

function div(cls, text) {
  const d = document.createElement('div');
  d.className = cls;
  d.textContent = text;
  return d;
}

function paintPanels(status) {
  const list = viewer.series();
  const ul = $('series');
  ul.replaceChildren();
  list.forEach((s, i) => {
    const li = document.createElement('li');
    li.textContent = s.decoded < s.instances ? `${s.label} — ${s.decoded}/${s.instances} decoded` : s.label;
    if (s.current) li.className = 'current';
    li.onclick = () => viewer.selectSeries(i);
    ul.append(li);
  });
  paintMeasurements(status);
  paintSegments(status);
  paintFusion(status);
  paintColourBar(status);
  if (document.activeElement !== $('colormap')) $('colormap').value = status.colormap ?? '';
  const p = status.progress;
  const bar = $('progress');
  bar.hidden = p.loads === 0;
  const total = p.files_found + p.frames_total;
  bar.value = total ? (p.files_done + p.frames_decoded) / total : 1;
  if (status.messages.length) message(status.messages[status.messages.length - 1]);
  $('help').hidden = !status.help;
  $('tags-panel').hidden = !status.tags_panel;
  $('series-panel').hidden = !status.series_panel;
  if (status.tags_panel && status.file !== lastTagsFile) {
    lastTagsFile = status.file;
    paintTags();
  }
}

// The measurements: a click shows the image and selects one, the cross deletes it.
let lastMeasurements = '';
function paintMeasurements(status) {
  const key = JSON.stringify([status.tool, status.measurements]);
  if (key === lastMeasurements) return;
  lastMeasurements = key;
  $('tool').textContent = status.measurements.length
    ? `tool: ${status.tool}`
    : `tool: ${status.tool} (L length, G angle, X rectangle, C ellipse, D freehand, U probe)`;
  $('save-measurements').hidden = status.measurements.length === 0;
  const ul = $('measurements');
  ul.replaceChildren();
  status.measurements.forEach((m, i) => {
    const li = document.createElement('li');
    const del = document.createElement('button');
    del.textContent = '×';
    del.title = 'delete';
    del.onclick = (e) => {
      e.stopPropagation();
      viewer.deleteMeasurement(m.id);
    };
    li.append(del, ` ${i + 1}. ${m.tool}${m.plane ? ` (${m.plane} plane)` : ''}: ${m.label.join(', ')}`);
    if (m.selected) li.className = 'current';
    li.onclick = () => viewer.selectMeasurement(m.id);
    ul.append(li);
  });
}

// The segment list: each segment's colour, a box that shows or hides it, and its fill
// opacity. Rebuilt only when the list changes (a slider being dragged keeps its element).
let lastSegments = '';
function paintSegments(status) {
  const list = status.segment_list;
  $('segments-panel').hidden = list.length === 0;
  const key = JSON.stringify(list.map((s) => [s.segmentation, s.number, s.label, s.color]));
  const ul = $('segments');
  if (key !== lastSegments) {
    lastSegments = key;
    ul.replaceChildren(
      ...list.map((s, i) => {
        const li = document.createElement('li');
        const swatch = document.createElement('span');
        swatch.className = 'swatch';
        swatch.style.background = `rgb(${s.color.join(',')})`;
        const shown = document.createElement('input');
        shown.type = 'checkbox';
        shown.title = 'shown';
        shown.onchange = () => viewer.setSegment(i, { visible: shown.checked });
        const label = document.createElement('span');
        label.textContent = list.filter((t) => t.segmentation !== s.segmentation).length
          ? `${s.segmentation + 1}.${s.number} ${s.label}`
          : `${s.number} ${s.label}`;
        const opacity = document.createElement('input');
        opacity.type = 'range';
        opacity.min = '0';
        opacity.max = '1';
        opacity.step = '0.05';
        opacity.title = 'fill opacity';
        opacity.oninput = () => viewer.setSegment(i, { opacity: Number(opacity.value) });
        li.append(swatch, shown, label, opacity);
        return li;
      }),
    );
  }
  list.forEach((s, i) => {
    const [, shown, , opacity] = ul.children[i].children;
    shown.checked = s.visible;
    if (document.activeElement !== opacity) opacity.value = String(s.opacity);
  });
}

// A colour bar: the 256 colours of `map` in a 256 x 1 canvas (redrawn when the map changes).
function paintBar(canvas, map) {
  if (canvas.dataset.map === map) return;
  canvas.dataset.map = map;
  const rgb = viewer.colormapTable(map);
  const g = canvas.getContext('2d');
  const img = g.createImageData(256, 1);
  for (let i = 0; i < 256; i++) img.data.set([rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2], 255], 4 * i);
  g.putImageData(img, 0, 0);
}

// The colour bar of a colour-mapped image: the values at the window's edges.
function paintColourBar(status) {
  const bar = status.colour_bar;
  $('colour-bar').hidden = !bar;
  if (!bar) return;
  paintBar($('cb'), bar.colormap);
  $('cb-low').textContent = bar.low;
  $('cb-high').textContent = bar.high;
}

// Fusion: the series fused over the one on screen (the others of its Frame of
// Reference), its colour map, opacity, and a colour bar from the window's lower edge to
// its upper edge in the fused series' units. Rebuilt only when the choices change.
let lastFusion = '';
function paintFusion(status) {
  const f = status.fusion;
  $('fusion-panel').hidden = f.candidates.length === 0 && f.series === null;
  const key = JSON.stringify([f.candidates, status.series.map((s) => s.label)]);
  const pick = $('fusion-series');
  if (key !== lastFusion) {
    lastFusion = key;
    const none = new Option('none', '');
    pick.replaceChildren(none, ...f.candidates.map((i) => new Option(status.series[i].label, String(i))));
  }
  pick.value = f.series === null ? '' : String(f.series);
  if (document.activeElement !== $('fusion-colormap')) $('fusion-colormap').value = f.style.colormap;
  if (document.activeElement !== $('fusion-opacity')) $('fusion-opacity').value = String(f.style.opacity);
  paintBar($('fusion-bar'), f.style.colormap);
  $('fusion-low').textContent = f.colour_bar ? f.colour_bar.low : '';
  $('fusion-high').textContent = f.colour_bar ? f.colour_bar.high : '';
  $('fusion-scale').hidden = f.series === null;
}

function paintTags() {
  const nodes = viewer.tags();
  const filter = $('tag-filter').value.toLowerCase();
  const hex = (n) => n.toString(16).toUpperCase().padStart(4, '0');
  const matches = (n) =>
    !filter ||
    `${hex(n.tag[0])},${hex(n.tag[1])} ${n.name} ${n.value}`.toLowerCase().includes(filter) ||
    n.items.some((item) => item.some(matches));
  const build = (list, parent) => {
    for (const n of list) {
      if (!matches(n)) continue;
      const head = `(${hex(n.tag[0])},${hex(n.tag[1])}) ${n.vr} ${n.name} ${n.value}`;
      if (n.items.length === 0) {
        parent.append(div('row', head));
      } else {
        const d = document.createElement('details');
        d.open = !!filter;
        const s = document.createElement('summary');
        s.textContent = head;
        d.append(s);
        n.items.forEach((item, k) => {
          const di = document.createElement('details');
          di.open = true;
          const si = document.createElement('summary');
          si.textContent = `Item ${k + 1}`;
          di.append(si);
          build(item, di);
          d.append(di);
        });
        parent.append(d);
      }
    }
  };
  const root = $('tags');
  root.replaceChildren();
  build(nodes, root);
}


function act(effect) {
  if (effect === 'open') $('files').click();
}

function wire() {
  // Keys anywhere on the page go to the viewer (its canvas handles them when focused).
  window.addEventListener('keydown', (e) => {
    if (!viewer || e.target instanceof HTMLInputElement || e.target === viewer.canvas) return;
    const r = viewer.key(e.key, e.ctrlKey || e.metaKey, e.shiftKey);
    if (r !== 'ignored') e.preventDefault();
  });
  viewer.addEventListener('effect', (e) => act(e.detail));
  viewer.addEventListener('message', (e) => message(e.detail));
  viewer.addEventListener('update', (e) => paintPanels(e.detail));
  $('save-measurements').addEventListener('click', () => viewer.saveMeasurements());
  $('colormap').addEventListener('change', (e) => viewer.setColormap(e.target.value || null));
  $('fusion-series').addEventListener('change', (e) => {
    const why = viewer.setFusion(e.target.value === '' ? null : Number(e.target.value));
    if (why) message(why);
  });
  $('fusion-colormap').addEventListener('change', (e) => viewer.setFusionStyle({ colormap: e.target.value }));
  $('fusion-opacity').addEventListener('input', (e) => viewer.setFusionStyle({ opacity: Number(e.target.value) }));
  $('files').addEventListener('change', (e) => viewer.open(e.target.files));
  $('folder').addEventListener('change', (e) => viewer.open(e.target.files));
  $('dicomweb-toggle').onclick = () => {
    $('dicomweb').hidden = !$('dicomweb').hidden;
  };
  $('dw-close').onclick = () => {
    $('dicomweb').hidden = true;
  };
  $('dicomweb-form').addEventListener('submit', (e) => {
    e.preventDefault();
    searchStudies(0);
  });
  $('layout').onclick = () => viewer.key('m');
  $('tags-toggle').onclick = () => viewer.key('t');
  $('help-toggle').onclick = () => viewer.key('h');
  $('help').onclick = () => viewer.key('Escape');
  $('tag-filter').addEventListener('input', paintTags);
  const table = $('help-table');
  for (const [k, v] of help()) {
    const tr = document.createElement('tr');
    const a = document.createElement('td');
    a.textContent = k;
    const b = document.createElement('td');
    b.textContent = v;
    tr.append(a, b);
    table.append(tr);
  }
}

// The API for embedding and automation: the page's viewer (see hounsfield.js for more
// than one viewer on a page).
window.hounsfield = {
  open: (what) => viewer.open(what),
  openManifest: (url) => viewer.openManifest(url),
  // A DICOMweb study or series URL; credentials as {user, password} or {token}.
  openDicomWeb: (url, auth = {}) => openDicomWeb(new URL(url, location.href).href, auth),
  setWindow: (center, width) => viewer.setWindow(center, width),
  // Grey images through 'grey', 'hot-iron', 'jet' or 'viridis'; null for none.
  setColormap: (name) => viewer.setColormap(name),
  // Segment `index` of status().segment_list: {visible, opacity}.
  setSegment: (index, options) => viewer.setSegment(index, options),
  // Series `index` (of status().fusion.candidates) fused over the one on screen, or null.
  setFusion: (index) => viewer.setFusion(index),
  // {colormap, opacity, window: [centre, width] or null}.
  setFusionStyle: (style) => viewer.setFusionStyle(style),
  // The planes' volume budget in MiB (0: none); a larger series is shown reduced.
  setVolumeBudget: (mib) => viewer.setVolumeBudget(mib),
  // Reloads the page drawing with 'cpu' or 'webgpu' (or 'auto').
  setRenderer(path) {
    const params = new URLSearchParams(location.search);
    if (path === 'auto') params.delete('renderer');
    else params.set('renderer', path);
    location.search = params.toString();
  },
  status: () => (viewer ? viewer.status() : { loaded: false, error: failure }),
  panes: () => viewer.panes(),
  render: () => viewer.render(),
  pixels: () => viewer.pixels(),
  memory: () => viewer.memory(),
  // The page's viewer itself (a Viewer of hounsfield.js), for events.
  get viewer() {
    return viewer;
  },
};

async function main() {
  const params = new URLSearchParams(location.search);
  try {
    // `?renderer=cpu|webgpu` forces a drawing path; otherwise the component chooses.
    // `?decode-budget-file=MIB&decode-budget-load=MIB` raise (or lower) the decode budget.
    const mib = (name) => (params.has(name) && Number(params.get(name)) >= 0 ? Number(params.get(name)) : undefined);
    // `?volume-budget=MIB` sets the planes' volume budget (0: none).
    const decodeBudget = { fileMiB: mib('decode-budget-file'), loadMiB: mib('decode-budget-load') };
    // `?url=`: the file is read while the module compiles.
    if (params.get('url') && !location.hash.startsWith('#src=')) prefetch(params.get('url'), fetchChecked);
    viewer = await mount($('stage'), {
      renderer: params.get('renderer') || 'auto',
      decodeBudget,
      volumeBudget: mib('volume-budget'),
    });
  } catch (e) {
    failure = `Cannot draw in this page: ${e}`;
    return;
  }
  // The ids the page's tests and styles use.
  viewer.canvas.id = 'viewport';
  viewer.overlay.id = 'overlay';
  viewer.fetcher = fetchChecked;
  wire();
  try {
    // `#src=URL` (the extension: a link, a download or the context menu), the URL as it was.
    const src = location.hash.startsWith('#src=') ? location.hash.slice(5) : null;
    if (src) await openSource(src);
    else if (params.get('dicomweb')) {
      const root = params.get('dicomweb');
      const study = params.get('study');
      const series = params.get('series');
      const server = dicomweb(root);
      if (study) {
        const url = `${server.root()}/studies/${study}${series ? `/series/${series}` : ''}`;
        await openDicomWeb(url, server);
      } else {
        $('dicomweb').hidden = false;
        await searchStudies();
      }
    } else if (params.get('url')) await viewer.open(params.get('url'));
    else if (params.get('manifest')) await viewer.openManifest(params.get('manifest'));
    else if (!params.has('empty')) {
      await viewer.openSample();
      message('Showing the embedded sample (pydicom\'s CT_small.dcm). Open your own files or folders above, or drop them here.');
    }
  } catch (e) {
    message(String(e));
  }
}

main();
