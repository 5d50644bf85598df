// The page around the WebAssembly viewer: files, folders and URLs in, decoding in
// workers, events to the viewer, overlay text and panels as DOM text (never HTML), and
// the `window.hounsfield` API for embedding and automation.
import init, { create_cpu_viewer, create_viewer, sample, DicomWeb, WebViewer } from './hounsfield_web.js';

const $ = (id) => document.getElementById(id);
let canvas = $('viewport');
const lines = $('lines');
const overlay = $('overlay');
let viewer = null;
let failure = null;
let dirty = true;
let lastTagsFile = undefined;
const loads = []; // {batch, pending, added, total, started, resolve}
const waiting = new Map(); // decode id -> load

function fatal(text) {
  failure = text;
  const el = $('fatal');
  el.textContent = text;
  el.hidden = false;
}

function message(text) {
  $('message').textContent = text;
}

// ---- decoding workers ----
const workers = [];
let nextWorker = 0;
function worker() {
  if (workers.length === 0) {
    const n = Math.max(1, Math.min(4, (navigator.hardwareConcurrency || 2) - 1));
    for (let i = 0; i < n; i++) {
      const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
      w.onmessage = onDecoded;
      workers.push(w);
    }
  }
  nextWorker = (nextWorker + 1) % workers.length;
  return workers[nextWorker];
}

function onDecoded(event) {
  const { id, frames, error } = event.data;
  const load = waiting.get(id);
  waiting.delete(id);
  if (error !== undefined) viewer.set_failed(id, error);
  else viewer.set_frames(id, frames);
  if (load) {
    load.pending--;
    maybeFinish(load);
  }
  dirty = true;
}

function maybeFinish(load) {
  if (load.pending === 0 && load.added === load.total && !load.done) {
    load.done = true;
    viewer.finish_load(load.batch, (performance.now() - load.started) / 1000);
    dirty = true;
    load.resolve();
  }
}

// ---- opening ----
// Each source is {name, bytes: () => Promise<ArrayBuffer>}.
function openSources(sources) {
  if (!viewer || sources.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const load = {
      batch: viewer.begin_load(sources.length),
      pending: 0,
      added: 0,
      total: sources.length,
      started: performance.now(),
      resolve,
      done: false,
    };
    loads.push(load);
    dirty = true;
    let next = 0;
    const pump = async () => {
      while (next < sources.length) {
        const s = sources[next++];
        let buffer = null;
        try {
          buffer = await s.bytes();
        } catch (e) {
          viewer.add_file(load.batch, `${s.name}: ${e}`, new Uint8Array(0));
        }
        if (buffer) {
          const id = viewer.add_file(load.batch, s.name, new Uint8Array(buffer));
          if (id >= 0) {
            load.pending++;
            waiting.set(id, load);
            worker().postMessage({ id, name: s.name, buffer }, [buffer]);
          }
        }
        load.added++;
        dirty = true;
      }
      maybeFinish(load);
    };
    // A few reads in flight at once.
    for (let i = 0; i < 6; i++) pump();
  });
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
  return open(url);
}

function urlSource(url) {
  const name = decodeURIComponent(new URL(url, location.href).pathname.split('/').pop() || url);
  return {
    name,
    bytes: async () => {
      const r = await fetchChecked(url);
      if (!r.ok) throw new Error(`HTTP ${r.status} for ${url}`);
      return r.arrayBuffer();
    },
  };
}

function fileSource(file) {
  return { name: file.webkitRelativePath || file.name, bytes: () => file.arrayBuffer() };
}

async function open(what) {
  if (typeof what === 'string') return openSources([urlSource(what)]);
  if (what instanceof File) return openSources([fileSource(what)]);
  const list = Array.from(what || []);
  return openSources(list.map((x) => (typeof x === 'string' ? urlSource(x) : fileSource(x))));
}

async function openManifest(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`HTTP ${r.status} for ${url}`);
  const json = await r.json();
  const urls = Array.isArray(json) ? json : json.urls || [];
  return openSources(urls.map((u) => urlSource(new URL(u, new URL(url, location.href)).href)));
}

// ---- DICOMweb ----
// The server of the panel's fields (or of `root`); credentials stay in memory.
function dicomweb(root) {
  const abs = new URL(root || $('dw-root').value || '/dicom-web', location.href).href.replace(/\/+$/, '');
  $('dw-root').value = abs;
  return new DicomWeb(abs, $('dw-user').value || undefined, $('dw-password').value || undefined, undefined);
}

let remoteLoad = null; // the load from a server in progress (cancelled by the next)
// Opens a study or series URL (ROOT/studies/UID[/series/UID]): instances from the
// metadata first, then the pixels as they arrive, the first slice first.
async function openDicomWeb(url, server) {
  if (!viewer) return;
  if (remoteLoad) remoteLoad.cancel();
  const started = performance.now();
  message(`reading the metadata of ${url} …`);
  let remote;
  try {
    remote = await (server || dicomweb(url.replace(/\/studies\/.*$/, ''))).open(url);
  } catch (e) {
    message(String(e));
    return;
  }
  if (remote.count() === 0) {
    message(`${url}: no images there`);
    return;
  }
  remoteLoad = remote;
  const batch = viewer.begin_load(remote.count());
  const ids = viewer.add_remote(batch, remote);
  dirty = true;
  await remote.fetch((k) => {
    viewer.take_remote(remote, k, ids[k]);
    dirty = true;
  });
  viewer.finish_load(batch, (performance.now() - started) / 1000);
  if (remoteLoad === remote) remoteLoad = null;
  dirty = true;
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

// Folders dropped: walk the entries.
async function entryFiles(entry) {
  if (entry.isFile) return [await new Promise((ok, err) => entry.file(ok, err))];
  if (!entry.isDirectory) return [];
  const reader = entry.createReader();
  const out = [];
  for (;;) {
    const batch = await new Promise((ok, err) => reader.readEntries(ok, err));
    if (batch.length === 0) break;
    for (const e of batch) out.push(...(await entryFiles(e)));
  }
  return out;
}

// ---- painting the overlay (text as text) ----
function div(cls, text) {
  const d = document.createElement('div');
  d.className = cls;
  d.textContent = text;
  return d;
}

function paintOverlay() {
  const data = JSON.parse(viewer.overlay());
  overlay.replaceChildren();
  const dpr = window.devicePixelRatio || 1;
  lines.width = Math.round(lines.clientWidth * dpr);
  lines.height = Math.round(lines.clientHeight * dpr);
  const g = lines.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, lines.width, lines.height);
  const framed = data.panes.length > 1;
  for (const p of data.panes) {
    const [x, y, w, h] = p.rect;
    const pane = document.createElement('div');
    pane.className = framed ? 'pane framed' : 'pane';
    Object.assign(pane.style, { left: `${x}px`, top: `${y}px`, width: `${w}px`, height: `${h}px` });
    const t = p.text;
    if (t.center) {
      pane.append(div('center', t.center));
    } else {
      const corners = [['tl', t.top_left], ['tr', t.top_right], ['bl', t.bottom_left], ['br', t.bottom_right]];
      for (const [cls, ls] of corners) {
        const text = ls.filter((l) => l).join('\n');
        if (text) pane.append(div(`corner ${cls}`, text));
      }
      const [right, left, bottom, top] = t.edges;
      for (const [cls, text] of [['r', right], ['l', left], ['b', bottom], ['t', top]]) {
        if (text) pane.append(div(`edge ${cls}`, text));
      }
    }
    overlay.append(pane);
    // Crosshair lines through the crosshair, clipped to the pane, with a gap around it.
    g.save();
    g.beginPath();
    g.rect(x, y, w, h);
    g.clip();
    for (const l of p.lines) {
      const [cx, cy] = [x + l.from[0], y + l.from[1]];
      let [dx, dy] = [l.to[0] - l.from[0], l.to[1] - l.from[1]];
      const len = Math.hypot(dx, dy) || 1;
      [dx, dy] = [dx / len, dy / len];
      const far = w + h;
      const gap = 10;
      g.strokeStyle = `rgb(${l.color[0]},${l.color[1]},${l.color[2]})`;
      g.lineWidth = 1;
      g.beginPath();
      g.moveTo(cx - dx * far, cy - dy * far);
      g.lineTo(cx - dx * gap, cy - dy * gap);
      g.moveTo(cx + dx * gap, cy + dy * gap);
      g.lineTo(cx + dx * far, cy + dy * far);
      g.stroke();
    }
    g.restore();
  }
}

function paintPanels(status) {
  const list = JSON.parse(viewer.series());
  const ul = $('series');
  ul.replaceChildren();
  list.forEach((s, i) => {
    const li = document.createElement('li');
    li.textContent = s.decoded < s.instances ? `${s.label} — ${s.decoded}/${s.instances} decoded` : s.label;
    if (s.current) li.className = 'current';
    li.onclick = () => {
      viewer.select_series(i);
      dirty = true;
    };
    ul.append(li);
  });
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

function paintTags() {
  const nodes = JSON.parse(viewer.tags());
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

// ---- the frame loop ----
let cineTimer = null;
function tick() {
  if (viewer && dirty) {
    dirty = false;
    try {
      viewer.render();
    } catch (e) {
      fatal(`Drawing failed: ${e}`);
    }
    paintOverlay();
    const status = JSON.parse(viewer.status());
    paintPanels(status);
    if (status.cine && cineTimer === null) {
      const step = () => {
        const next = viewer.cine_step();
        dirty = true;
        cineTimer = next >= 0 ? setTimeout(step, next) : null;
      };
      cineTimer = setTimeout(step, viewer.cine_interval());
    }
  }
  requestAnimationFrame(tick);
}

function resize() {
  if (!viewer) return;
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(canvas.clientWidth * dpr));
  const h = Math.max(1, Math.round(canvas.clientHeight * dpr));
  canvas.width = w;
  canvas.height = h;
  viewer.resize(w, h, dpr);
  dirty = true;
}

function savePng() {
  viewer.render();
  canvas.toBlob((blob) => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = 'hounsfield-view.png';
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  });
}

function act(effect) {
  if (effect === 'open') $('files').click();
  if (effect === 'save') savePng();
}

function wire() {
  const pos = (e) => {
    const r = canvas.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  };
  canvas.addEventListener('contextmenu', (e) => e.preventDefault());
  canvas.addEventListener('pointerdown', (e) => {
    canvas.focus();
    canvas.setPointerCapture(e.pointerId);
    const [x, y] = pos(e);
    viewer.pointer_down(x, y, e.button);
    e.preventDefault();
  });
  canvas.addEventListener('pointermove', (e) => {
    const [x, y] = pos(e);
    viewer.pointer_move(x, y, e.shiftKey, e.ctrlKey || e.metaKey);
    dirty = true;
  });
  canvas.addEventListener('pointerup', (e) => {
    const [x, y] = pos(e);
    viewer.pointer_up(x, y, e.button);
    dirty = true;
  });
  canvas.addEventListener('pointerleave', () => {
    viewer.pointer_leave();
    dirty = true;
  });
  canvas.addEventListener('dblclick', (e) => {
    const [x, y] = pos(e);
    viewer.double_click(x, y);
    dirty = true;
  });
  canvas.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      const [x, y] = pos(e);
      const lines = e.deltaMode === 1 ? -e.deltaY : e.deltaMode === 2 ? -e.deltaY * 10 : -e.deltaY / 100;
      viewer.wheel(lines, x, y, e.ctrlKey);
      dirty = true;
    },
    { passive: false },
  );
  window.addEventListener('keydown', (e) => {
    if (!viewer || e.target instanceof HTMLInputElement) return;
    const r = viewer.key(e.key, e.ctrlKey || e.metaKey, e.shiftKey);
    if (r !== 'ignored') {
      e.preventDefault();
      act(r);
      dirty = true;
    }
  });
  $('files').addEventListener('change', (e) => open(e.target.files));
  $('folder').addEventListener('change', (e) => open(e.target.files));
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
  $('layout').onclick = () => act(viewer.key('m', false, false)) || (dirty = true);
  $('tags-toggle').onclick = () => act(viewer.key('t', false, false)) || (dirty = true);
  $('help-toggle').onclick = () => act(viewer.key('h', false, false)) || (dirty = true);
  $('help').onclick = () => act(viewer.key('Escape', false, false)) || (dirty = true);
  $('tag-filter').addEventListener('input', paintTags);
  const stage = $('stage');
  stage.addEventListener('dragover', (e) => e.preventDefault());
  stage.addEventListener('drop', async (e) => {
    e.preventDefault();
    const entries = Array.from(e.dataTransfer.items || [])
      .map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry())
      .filter((x) => x);
    const files = entries.length
      ? (await Promise.all(entries.map(entryFiles))).flat()
      : Array.from(e.dataTransfer.files);
    open(files);
  });
  new ResizeObserver(resize).observe(canvas);
  const table = $('help-table');
  for (const [k, v] of JSON.parse(WebViewer.help())) {
    const tr = document.createElement('tr');
    const a = document.createElement('td');
    a.textContent = k;
    const b = document.createElement('td');
    b.textContent = v;
    tr.append(a, b);
    table.append(tr);
  }
}

// The API for embedding and automation.
window.hounsfield = {
  open,
  openManifest,
  // A DICOMweb study or series URL; credentials as {user, password} or {token}.
  openDicomWeb(url, auth = {}) {
    const root = url.replace(/\/studies\/.*$/, '');
    const abs = new URL(root, location.href).href.replace(/\/+$/, '');
    return openDicomWeb(new URL(url, location.href).href, new DicomWeb(abs, auth.user, auth.password, auth.token));
  },
  setWindow(center, width) {
    viewer.set_window(center, width);
    dirty = true;
  },
  // Reloads the page drawing with 'cpu' or 'webgpu' (or 'auto').
  setRenderer(path) {
    const params = new URLSearchParams(location.search);
    if (path === 'auto') params.delete('renderer');
    else params.set('renderer', path);
    location.search = params.toString();
  },
  status() {
    if (!viewer) return { loaded: false, error: failure };
    return { ...JSON.parse(viewer.status()), error: failure };
  },
  // The panes of the canvas: [{pane, rect: [x, y, width, height] in CSS pixels}].
  panes() {
    return JSON.parse(viewer.overlay()).panes.map((p) => ({ pane: p.pane, rect: p.rect }));
  },
  // Draws now (what the next animation frame would do), for timing and automation.
  render() {
    viewer.render();
    dirty = false;
  },
  // The canvas pixels as drawn now (RGBA rows), read in the same task as the render.
  pixels() {
    viewer.render();
    const c = document.createElement('canvas');
    c.width = canvas.width;
    c.height = canvas.height;
    const g = c.getContext('2d');
    g.drawImage(canvas, 0, 0);
    return { width: c.width, height: c.height, data: Array.from(g.getImageData(0, 0, c.width, c.height).data) };
  },
};

// Which path draws: `?renderer=cpu|webgpu` (or `window.hounsfield.setRenderer`) forces
// one; otherwise WebGPU on a hardware adapter, and the CPU reference pipeline where WebGPU
// is missing, fails, or runs in software (a fallback adapter, SwiftShader, llvmpipe).
async function choosePath(forced) {
  if (forced === 'cpu') return 'cpu';
  if (forced === 'webgpu' || forced === 'gpu') return 'webgpu';
  if (!navigator.gpu) return 'cpu';
  try {
    const a = await navigator.gpu.requestAdapter();
    if (!a) return 'cpu';
    const i = a.info || {};
    const text = `${i.vendor || ''} ${i.architecture || ''} ${i.device || ''} ${i.description || ''}`;
    if (a.isFallbackAdapter || i.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe|software|basic render/i.test(text)) return 'cpu';
  } catch {
    return 'cpu';
  }
  return 'webgpu';
}

async function main() {
  await init();
  const path = await choosePath(new URLSearchParams(location.search).get('renderer'));
  if (path === 'webgpu') {
    try {
      viewer = await create_viewer(canvas);
    } catch (e) {
      console.warn(`WebGPU is not usable here (${e}); drawing on the CPU`);
      // A canvas that has a WebGPU context cannot give a 2D one: a fresh canvas.
      const fresh = canvas.cloneNode();
      canvas.replaceWith(fresh);
      canvas = fresh;
    }
  }
  if (!viewer) {
    try {
      viewer = create_cpu_viewer(canvas);
    } catch (e) {
      fatal(`Cannot draw in this page: ${e}`);
      return;
    }
  }
  wire();
  resize();
  requestAnimationFrame(tick);
  const params = new URLSearchParams(location.search);
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
    } else if (params.get('url')) await open(params.get('url'));
    else if (params.get('manifest')) await openManifest(params.get('manifest'));
    else if (!params.has('empty')) {
      const bytes = sample();
      await openSources([{ name: 'CT_small.dcm (embedded sample)', bytes: async () => bytes.buffer.slice(0) }]);
      message('Showing the embedded sample (pydicom\'s CT_small.dcm). Open your own files or folders above, or drop them here.');
    }
  } catch (e) {
    message(String(e));
  }
}

main();
