// Hounsfield as a component: `mount(element)` puts a viewer into any element of any page,
// and `<hounsfield-viewer src="...">` does the same as a custom element. Each viewer has
// its own canvas, drawing path (WebGPU or the CPU reference pipeline), files, window and
// events; the WebAssembly module and the decoding workers are shared by all of them.
//
//   import { mount } from './hounsfield.js';
//   const viewer = await mount(document.querySelector('#left'));
//   viewer.addEventListener('windowchange', (e) => console.log(e.detail));
//   await viewer.open('ct/I100.dcm');
//   viewer.setWindow(40, 400);
//
// Events (CustomEvent, also dispatched on the element): `load` when a load has finished
// (detail: the status), `windowchange` ({center, width}), `slicechange` ({slice, slices,
// frame, frames, series}), `update` after each redraw (the status) and `effect` when a key
// asks the page for something (`open`: a file dialog).
import init, { create_cpu_viewer, create_viewer, sample, use_jpeg2000_decoder, DicomWeb, WebViewer } from './hounsfield_web.js';
import { loadCodecs } from './codecs.js';

let ready = null;
let compiled = null;
let exports = null;
/**
 * Loads the WebAssembly module once; `mount` calls it. It is compiled once, here; the
 * decoding workers receive the compiled module (no second download or compilation). They
 * start with a load of several files, or when a file needs one, not with the module: on a
 * machine of few cores their start would take the cores a single file's first image needs.
 */
export function initialize() {
  ready ||= (async () => {
    const url = new URL('./hounsfield_web_bg.wasm', import.meta.url);
    try {
      compiled = await WebAssembly.compileStreaming(fetch(url));
    } catch {
      // A server that does not say application/wasm.
      compiled = await WebAssembly.compile(await (await fetch(url)).arrayBuffer());
    }
    exports = await init({ module_or_path: compiled });
  })();
  return ready;
}

// ---- decoding workers, shared by every viewer of the page ----
const workers = [];
let nextWorker = 0;
const pending = new Map(); // request number -> {resolve, worker, name}
let nextRequest = 0;

// A worker whose module trapped (a Rust panic aborts a WebAssembly module) takes no more
// files: it finishes those it has and is replaced by a fresh one; a worker that fails as a
// whole fails its files (each with its own error), so that every load finishes.
function makeWorker() {
  const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  w.onmessage = (event) => {
    const d = event.data;
    if (d.ready) {
      w.ready = true;
      return;
    }
    const p = pending.get(d.id);
    pending.delete(d.id);
    if (d.poisoned) retire(w);
    if (p) p.resolve(d);
    if (w.retired && ![...pending.values()].some((q) => q.worker === w)) w.terminate();
  };
  w.onerror = (event) => {
    event.preventDefault();
    for (const [id, p] of pending) {
      if (p.worker !== w) continue;
      pending.delete(id);
      p.resolve({ id, error: `${p.name}: the decoding worker failed (${event.message || 'an error'})` });
    }
    retire(w);
    w.terminate();
  };
  // The page's compiled module: the worker instantiates it without fetching it.
  if (compiled) w.postMessage({ module: compiled });
  return w;
}

function retire(w) {
  const i = workers.indexOf(w);
  if (i < 0) return;
  w.retired = true;
  workers[i] = makeWorker();
}

function startWorkers() {
  if (workers.length > 0) return;
  const n = Math.max(1, Math.min(4, (navigator.hardwareConcurrency || 2) - 1));
  for (let i = 0; i < n; i++) workers.push(makeWorker());
}

/** Whether a decoding worker has its module instantiated. */
function workerReady() {
  return workers.some((w) => w.ready && !w.retired);
}

function decode(name, buffer) {
  startWorkers();
  nextWorker = (nextWorker + 1) % workers.length;
  const worker = workers[nextWorker];
  const id = nextRequest++;
  return new Promise((resolve) => {
    pending.set(id, { resolve, worker, name });
    worker.postMessage({ id, name, buffer }, [buffer]);
  });
}

// Which path draws: 'cpu' or 'webgpu' forces one; otherwise WebGPU on a hardware adapter,
// and the CPU reference pipeline where WebGPU is missing, fails, or runs in software (a
// fallback adapter, SwiftShader, llvmpipe).
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

const STYLE = `
.hf-stage { position: absolute; inset: 0; overflow: hidden; background: #000; }
.hf-viewport, .hf-lines { position: absolute; left: 0; top: 0; width: 100%; height: 100%; }
.hf-viewport { outline: none; touch-action: none; }
.hf-lines, .hf-overlay { pointer-events: none; }
.hf-overlay { position: absolute; inset: 0; font: 13px system-ui, sans-serif; }
.hf-pane { position: absolute; box-sizing: border-box; }
.hf-pane.hf-framed { border: 1px solid #5a5a5a; }
.hf-corner, .hf-edge, .hf-center { position: absolute; color: #ebe178; text-shadow: 1px 1px 0 #000; }
.hf-corner { white-space: pre; font-size: 13px; line-height: 1.25; }
.hf-tl { left: 6px; top: 6px; } .hf-tr { right: 6px; top: 6px; text-align: right; }
.hf-bl { left: 6px; bottom: 6px; } .hf-br { right: 6px; bottom: 6px; text-align: right; }
.hf-edge { font-size: 14px; }
.hf-edge.hf-l { left: 4px; top: 50%; transform: translateY(-50%); } .hf-edge.hf-r { right: 4px; top: 50%; transform: translateY(-50%); }
.hf-edge.hf-t { top: 4px; left: 50%; transform: translateX(-50%); } .hf-edge.hf-b { bottom: 4px; left: 50%; transform: translateX(-50%); }
.hf-center { left: 50%; top: 50%; transform: translate(-50%, -50%); text-align: center; white-space: pre; }
.hf-fatal { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center; padding: 40px; color: #f0c070; font-size: 15px; text-align: center; white-space: pre-wrap; }
.hf-fatal[hidden], .hf-lines[hidden] { display: none; }
:where(hounsfield-viewer) { display: block; position: relative; width: 512px; height: 512px; }
`;
function addStyle() {
  if (document.getElementById('hounsfield-style')) return;
  const s = document.createElement('style');
  s.id = 'hounsfield-style';
  s.textContent = STYLE;
  document.head.append(s);
}

function el(tag, cls, text) {
  const d = document.createElement(tag);
  if (cls) d.className = cls;
  if (text !== undefined) d.textContent = text;
  return d;
}

async function readUrl(url, fetcher) {
  const r = await fetcher(url);
  if (!r.ok) throw new Error(`HTTP ${r.status} for ${url}`);
  return r.arrayBuffer();
}

// How many files a load reads at once.
const READS_AT_ONCE = 6;

const absolute = (url) => new URL(url, location.href).href;

// Absolute URL -> its read, started by `prefetch` and not yet taken by a viewer.
const prefetched = new Map();

/**
 * Starts reading `urls` (a URL or an array of them; the first six, as many as a load
 * reads at once, so that a long list is not held in memory whole) now, with `fetcher`
 * (`fetch` by default): the next `open` of each URL by any viewer takes the bytes read
 * (or the error) instead of fetching again. Call it before `mount` to read the files
 * while the WebAssembly module compiles:
 *
 *   prefetch(url);
 *   const viewer = await mount(element);
 *   await viewer.open(url);
 */
export function prefetch(urls, fetcher = fetch) {
  for (const u of [urls].flat().slice(0, READS_AT_ONCE)) {
    const url = absolute(u);
    if (prefetched.has(url)) continue;
    const read = readUrl(u, fetcher);
    // A read nobody takes is no unhandled rejection; a viewer that takes it sees its error.
    read.catch(() => {});
    prefetched.set(url, read);
  }
}

/** A URL source: its file name and a reader of its bytes (`fetchChecked` by default). */
export function urlSource(url, fetcher = fetch) {
  const name = decodeURIComponent(new URL(url, location.href).pathname.split('/').pop() || url);
  return {
    name,
    bytes: () => {
      // A prefetched read is taken once: a second read of the file fetches again.
      const key = absolute(url);
      const early = prefetched.get(key);
      prefetched.delete(key);
      return early || readUrl(url, fetcher);
    },
  };
}

function fileSource(file) {
  return { name: file.webkitRelativePath || file.name, bytes: () => file.arrayBuffer() };
}

/** One viewer in one element. Create it with `mount`. */
export class Viewer extends EventTarget {
  constructor(element, wasm, canvas, parts, path) {
    super();
    this.element = element;
    this.canvas = canvas;
    this.lines = parts.lines;
    this.overlay = parts.overlay;
    this.stage = parts.stage;
    this.fatalBox = parts.fatal;
    /** 'webgpu' or 'cpu': the drawing path of this viewer. */
    this.renderer = path;
    this.wasm = wasm;
    this.dirty = true;
    this.failure = null;
    this.fetcher = (url) => fetch(url);
    this.remoteLoad = null;
    this.last = {};
    this.destroyed = false;
    this.cineTimer = null;
    this.planesTimer = null;
    this.wire();
    this.resize();
    const tick = () => {
      if (this.destroyed) return;
      if (this.dirty) this.repaint();
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
    if (this.element !== this) this.element.dispatchEvent(new CustomEvent(type, { detail }));
  }

  fatal(text) {
    this.failure = text;
    this.fatalBox.textContent = text;
    this.fatalBox.hidden = false;
  }

  // ---- opening ----
  /**
   * Opens sources: each `{name, bytes: () => Promise<ArrayBuffer>}`. Headers go before
   * pixels: the first image shows as soon as its file is read, the series is grouped a
   * few times while the other headers are read (not once per file), and the pixels
   * decode from the slice on screen outward, following the reader as they scroll.
   */
  openSources(sources) {
    const viewer = this.wasm;
    if (sources.length === 0) return Promise.resolve();
    const batch = viewer.begin_load(sources.length);
    const started = performance.now();
    // A load of several files decodes in the workers too; one file decodes here unless it
    // needs a worker (compressed, or large).
    if (sources.length > 1) startWorkers();
    this.dirty = true;
    const MORE = -2;
    // Image id -> its source, and its file's bytes while they are kept for decoding.
    const images = new Map();
    // Each file is read once, whole (the browser reads a file's start at about the cost
    // of all of it), its header parsed from its start; the bytes wait in JavaScript (not
    // in the WebAssembly memory, which never shrinks) for their turn to decode, up to
    // `keep` bytes in all: past that, a file is read again when its turn comes.
    const keep = 512 << 20;
    let kept = 0;
    const readHeader = async (s) => {
      let whole = await s.bytes();
      for (let want = 16 << 10; ; want *= 4) {
        const start = new Uint8Array(whole, 0, Math.min(want, whole.byteLength));
        const all = start.byteLength === whole.byteLength;
        const id = viewer.add_header(batch, s.name, start, all);
        if (id === MORE && !all) continue;
        if (id >= 0) {
          if (kept + whole.byteLength > keep) whole = null;
          else kept += whole.byteLength;
          images.set(id, { source: s, whole });
        }
        return;
      }
    };
    // The headers read so far go to the viewer for the first image (it shows while the
    // other headers are read), every quarter second (progress, slices to scroll), and
    // at the end; each time, decoding goes on over them.
    let given = 0;
    const giveHeaders = () => {
      viewer.headers_read(batch);
      given = performance.now();
      this.dirty = true;
      decodeMore();
    };
    let next = 0;
    const readHeaders = async () => {
      while (next < sources.length) {
        const s = sources[next++];
        try {
          await readHeader(s);
        } catch (e) {
          viewer.skip_file(`${s.name}: ${e}`);
        }
        if (images.size > 0 && (given === 0 || performance.now() - given > 250)) giveHeaders();
        this.dirty = true;
      }
    };
    // A file decoding in each worker with the next one read, so that decoding follows
    // the reader closely; `active` counts the decoders running.
    let active = 0;
    const decoders = [];
    const drawFirst = this.drawOnce();
    const decodeImages = async () => {
      try {
        for (let id; (id = viewer.next_to_decode(batch)) >= 0; ) {
          const { source, whole } = images.get(id);
          images.delete(id);
          if (whole) kept -= whole.byteLength;
          let buffer;
          try {
            buffer = whole || (await source.bytes());
          } catch (e) {
            viewer.set_failed(id, `${source.name}: ${e}`);
            this.dirty = true;
            continue;
          }
          // Before a worker is ready, native Pixel Data of a file up to 32 MiB decodes
          // here (a copy): the first image does not wait for a worker to start, and the
          // page never stops for long.
          if (!workerReady() && buffer.byteLength <= 32 << 20 && viewer.is_native(id)) {
            viewer.decode_native(id, new Uint8Array(buffer));
          } else {
            const { frames, error } = await decode(source.name, buffer);
            if (error !== undefined) viewer.set_failed(id, error);
            else viewer.set_frames(id, frames);
          }
          this.dirty = true;
          drawFirst();
        }
      } finally {
        active--;
      }
    };
    const decodeMore = () => {
      for (let n = workers.length + 2 - active; n > 0; n--) {
        active++;
        decoders.push(decodeImages());
      }
    };
    // A few header reads in flight at once.
    return Promise.all(Array.from({ length: READS_AT_ONCE }, readHeaders))
      .then(() => {
        giveHeaders();
        return Promise.all(decoders);
      })
      .then(() => this.finishLoad(batch, started));
  }

  /** Opens a URL, a `File`, or a list of them (a `FileList` from an input works). */
  open(what) {
    const url = (u) => urlSource(u, this.fetcher);
    if (typeof what === 'string') return this.openSources([url(what)]);
    if (what instanceof File) return this.openSources([fileSource(what)]);
    const list = Array.from(what || []);
    return this.openSources(list.map((x) => (typeof x === 'string' ? url(x) : fileSource(x))));
  }

  /** Opens the URLs listed by a JSON manifest (an array, or `{urls: [...]}`). */
  async openManifest(url) {
    const r = await fetch(url);
    if (!r.ok) throw new Error(`HTTP ${r.status} for ${url}`);
    const json = await r.json();
    const urls = Array.isArray(json) ? json : json.urls || [];
    const at = new URL(url, location.href);
    return this.openSources(urls.map((u) => urlSource(new URL(u, at).href, this.fetcher)));
  }

  /** The embedded sample CT (pydicom's CT_small.dcm). */
  openSample() {
    const bytes = sample();
    return this.openSources([{ name: 'CT_small.dcm (embedded sample)', bytes: async () => bytes.buffer.slice(0) }]);
  }

  /**
   * Opens a DICOMweb study or series URL (ROOT/studies/UID[/series/UID]): instances from
   * the metadata first, then the pixels as they arrive, the first slice first. `auth` is
   * `{user, password}`, `{token}`, or a `DicomWeb` server. Cancels the previous one.
   */
  async openDicomWeb(url, auth = {}) {
    const abs = new URL(url, location.href).href;
    const server =
      auth instanceof DicomWeb
        ? auth
        : new DicomWeb(abs.replace(/\/studies\/.*$/, '').replace(/\/+$/, ''), auth.user, auth.password, auth.token);
    const viewer = this.wasm;
    if (this.remoteLoad) this.remoteLoad.cancel();
    const started = performance.now();
    this.emit('message', `reading the metadata of ${abs} …`);
    const remote = await server.open(abs);
    if (remote.count() === 0) throw new Error(`${abs}: no images there`);
    this.remoteLoad = remote;
    const batch = viewer.begin_load(remote.count());
    const ids = viewer.add_remote(batch, remote);
    this.dirty = true;
    // An instance that needs the codec module waits for it (loaded once) and is taken again.
    const later = [];
    const drawFirst = this.drawOnce();
    await remote.fetch((k) => {
      this.dirty = true;
      if (!viewer.take_remote(remote, k, ids[k])) {
        later.push(
          loadCodecs(use_jpeg2000_decoder).then(() => {
            viewer.take_remote(remote, k, ids[k]);
            this.dirty = true;
          }),
        );
      } else {
        drawFirst();
      }
    });
    await Promise.all(later);
    if (this.remoteLoad === remote) this.remoteLoad = null;
    this.finishLoad(batch, started);
  }

  // A load's first decoded image is drawn at once, not at the next animation frame: the
  // frame is ready when the browser next paints. The returned function draws the first
  // time it is called.
  drawOnce() {
    let drawn = false;
    return () => {
      if (drawn) return;
      drawn = true;
      this.repaint();
    };
  }

  // The end of load `batch` (begun at `started`), drawn at once (the `load` event).
  finishLoad(batch, started) {
    this.wasm.finish_load(batch, (performance.now() - started) / 1000);
    this.loadFinished = true;
    this.repaint();
  }

  // ---- what embedders call ----
  /** Sets the window (centre and width, in modality units). */
  setWindow(center, width) {
    this.wasm.set_window(center, width);
    this.dirty = true;
  }

  /** Shows grey images through a colour map ('grey', 'hot-iron', 'jet', 'viridis'), or none (null); false for an unknown name. */
  setColormap(name) {
    const done = this.wasm.set_colormap(name ?? '');
    this.dirty = true;
    return done;
  }

  /**
   * What one file, and one load, may decode to, in MiB (loads begun later): a file over
   * either is not decoded and its error says so. Defaults: 1024 and 2048.
   */
  setDecodeBudget(fileMiB, loadMiB) {
    this.wasm.set_decode_budget(fileMiB, loadMiB);
  }

  /** The decode budget in MiB: `{ fileMiB, loadMiB }`. */
  decodeBudget() {
    const [fileMiB, loadMiB] = this.wasm.decode_budget();
    return { fileMiB, loadMiB };
  }

  /**
   * The most the planes' volume may take, in MiB (0: no budget; default 1024): a larger
   * series is cut at a reduced resolution (every n-th column, row or slice), and
   * `status().mpr_reduction` says what was kept.
   */
  setVolumeBudget(mib) {
    this.wasm.set_volume_budget(mib);
    this.dirty = true;
  }

  /** The planes' volume budget in MiB (0: none). */
  volumeBudget() {
    return this.wasm.volume_budget();
  }

  /** The state: window, slice, file, progress, messages, drawing path, ... */
  status() {
    return { ...JSON.parse(this.wasm.status()), error: this.failure };
  }

  /** The panes of the canvas: [{pane, rect: [x, y, width, height] in CSS pixels}]. */
  panes() {
    return JSON.parse(this.wasm.overlay()).panes.map((p) => ({ pane: p.pane, rect: p.rect }));
  }

  /** Draws now (what the next animation frame would do). */
  render() {
    this.wasm.redraw();
  }

  /**
   * The page's memory: `wasm`, the bytes of the WebAssembly module's memory (shared by
   * every viewer of the page: decoded frames, volumes, the CPU path's buffers), and
   * `jsHeap`, the JavaScript heap in use where the browser says (Chromium), else null.
   */
  memory() {
    return { wasm: exports ? exports.memory.buffer.byteLength : 0, jsHeap: performance.memory?.usedJSHeapSize ?? null };
  }

  /** The canvas pixels as drawn now (RGBA rows, as `ImageData.data`), read in the same task as the render. */
  pixels() {
    // A WebGPU canvas is read in the task that drew it: the whole frame, drawn now.
    this.wasm.redraw();
    const c = document.createElement('canvas');
    c.width = this.canvas.width;
    c.height = this.canvas.height;
    const g = c.getContext('2d');
    g.drawImage(this.canvas, 0, 0);
    return { width: c.width, height: c.height, data: g.getImageData(0, 0, c.width, c.height).data };
  }

  /** A key as the viewer's keyboard conventions read it; returns what it asks of the page. */
  key(key, ctrl = false, shift = false) {
    const r = this.wasm.key(key, ctrl, shift);
    if (r === 'save') this.savePng();
    else if (r === 'save-measurements') this.saveMeasurements();
    else if (r === 'open') this.emit('effect', 'open');
    this.dirty = true;
    return r;
  }

  /** The series loaded: [{label, instances, decoded, current}]. */
  series() {
    return JSON.parse(this.wasm.series());
  }

  selectSeries(index) {
    this.wasm.select_series(index);
    this.dirty = true;
  }

  /** Takes a measuring tool: 'length', 'angle', 'cobb', 'rectangle', 'ellipse',
   * 'freehand', 'probe', or 'windowlevel' (none). */
  setTool(name) {
    if (!this.wasm.set_tool(name)) throw new Error(`no measuring tool ${JSON.stringify(name)}`);
    this.dirty = true;
  }

  /** The measurements: `status().measurements`. */
  measurements() {
    return this.status().measurements;
  }

  /** Shows or hides segment `index` of `status().segment_list` and sets its fill opacity. */
  setSegment(index, { visible, opacity } = {}) {
    const done = this.wasm.set_segment(index, visible === undefined ? -1 : visible ? 1 : 0, opacity === undefined ? -1 : opacity);
    this.dirty = true;
    return done;
  }

  /** Fuses series `index` of `status().fusion.candidates` over the one on screen (null: none); '' when done, else why not. */
  setFusion(index) {
    const why = this.wasm.set_fusion(index === null || index === undefined ? -1 : index);
    this.dirty = true;
    return why;
  }

  /** How the fused series is shown: {colormap, opacity, window: [centre, width] or null for its default}. */
  setFusionStyle({ colormap, opacity, window } = {}) {
    const [center, width] = window === undefined ? [NaN, NaN] : window === null ? [0, 0] : window;
    const done = this.wasm.set_fusion_style(colormap ?? '', opacity ?? -1, center, width);
    this.dirty = true;
    return done;
  }

  /** The 256 colours of a colour map ('grey', 'hot-iron', 'jet', 'viridis') as RGB bytes. */
  colormapTable(name) {
    return WebViewer.colormap_table(name);
  }

  /** Selects measurement `id` and shows the image it was drawn on. */
  selectMeasurement(id) {
    this.wasm.select_measurement(id);
    this.dirty = true;
  }

  /** Deletes measurement `id` (Ctrl+Z brings it back). */
  deleteMeasurement(id) {
    this.wasm.delete_measurement(id);
    this.dirty = true;
  }

  /** The data elements of the file on screen, as a tree. */
  tags() {
    return JSON.parse(this.wasm.tags());
  }

  /** Stops drawing and removes the viewer's elements. */
  destroy() {
    this.destroyed = true;
    this.observer.disconnect();
    this.stage.remove();
  }

  // ---- drawing ----
  repaint() {
    if (this.destroyed) return;
    this.dirty = false;
    try {
      this.wasm.render();
    } catch (e) {
      this.fatal(`Drawing failed: ${e}`);
    }
    this.paintOverlay();
    const status = this.status();
    this.changes(status);
    this.emit('update', status);
    // The planes draw again by themselves: their volume goes to the GPU a part per frame,
    // a still plane of a reduced volume is refined (the viewer's model says when).
    const after = status.planes_redraw_after_ms;
    if (after === 0) this.dirty = true;
    else if (after !== null && this.planesTimer === null) {
      this.planesTimer = setTimeout(() => {
        this.planesTimer = null;
        this.dirty = true;
      }, after);
    }
    if (status.cine && this.cineTimer === null) {
      const step = () => {
        const next = this.wasm.cine_step();
        this.dirty = true;
        this.cineTimer = next >= 0 ? setTimeout(step, next) : null;
      };
      this.cineTimer = setTimeout(step, this.wasm.cine_interval());
    }
  }

  changes(s) {
    const last = this.last;
    const w = s.window ? `${s.window[0]},${s.window[1]}` : null;
    if (w !== last.window && s.window) this.emit('windowchange', { center: s.window[0], width: s.window[1] });
    const at = `${s.current_series},${s.slice},${s.frame}`;
    if (at !== last.at && s.slices) {
      this.emit('slicechange', { slice: s.slice, slices: s.slices, frame: s.frame, frames: s.frames, series: s.current_series });
    }
    if (this.loadFinished && s.loaded) {
      this.loadFinished = false;
      this.emit('load', s);
    }
    this.last = { window: w, at };
  }

  // The overlay text and crosshair lines. Only what changed is touched: a window drag
  // changes the text of a corner, not the DOM around it, and the lines canvas (hidden
  // when there are no lines) is redrawn only when its lines move. Rebuilding both every
  // frame cost a third of the frame rate on a software compositor.
  paintOverlay() {
    const data = JSON.parse(this.wasm.overlay());
    const framed = data.panes.length > 1;
    const panes = data.panes.map((p) => {
      const t = p.text;
      const parts = [];
      if (t.center) {
        parts.push(['hf-center', t.center]);
      } else {
        const corners = [['tl', t.top_left], ['tr', t.top_right], ['bl', t.bottom_left], ['br', t.bottom_right]];
        for (const [cls, ls] of corners) {
          const text = ls.filter((l) => l).join('\n');
          if (text) parts.push([`hf-corner hf-${cls}`, text]);
        }
        const [right, left, bottom, top] = t.edges;
        for (const [cls, text] of [['r', right], ['l', left], ['b', bottom], ['t', top]]) {
          if (text) parts.push([`hf-edge hf-${cls}`, text]);
        }
      }
      return { rect: p.rect, parts };
    });
    // The DOM: rebuilt when the panes or their kinds of text change, else texts updated.
    const shape = JSON.stringify([framed, panes.map((p) => [p.rect, p.parts.map(([cls]) => cls)])]);
    if (shape !== this.overlayShape) {
      this.overlayShape = shape;
      this.overlay.replaceChildren(
        ...panes.map((p) => {
          const [x, y, w, h] = p.rect;
          const pane = el('div', framed ? 'hf-pane hf-framed' : 'hf-pane');
          Object.assign(pane.style, { left: `${x}px`, top: `${y}px`, width: `${w}px`, height: `${h}px` });
          pane.append(...p.parts.map(([cls, text]) => el('div', cls, text)));
          return pane;
        }),
      );
    } else {
      panes.forEach((p, i) => {
        const nodes = this.overlay.children[i].children;
        p.parts.forEach(([, text], k) => {
          if (nodes[k].textContent !== text) nodes[k].textContent = text;
        });
      });
    }
    // The lines.
    const { lines } = this;
    const dpr = window.devicePixelRatio || 1;
    const drawn = data.panes.filter((p) => p.lines.length > 0 || p.measurements.length > 0);
    // The lines canvas has the viewport's box, measured on each resize: reading its size
    // here would make the browser lay out the page again in every frame.
    const [cssWidth, cssHeight] = this.cssSize;
    const key = JSON.stringify([dpr, cssWidth, cssHeight, drawn.map((p) => [p.rect, p.lines, p.measurements])]);
    if (key === this.linesKey) return;
    this.linesKey = key;
    lines.hidden = drawn.length === 0;
    if (lines.hidden) return;
    const width = Math.round(cssWidth * dpr);
    const height = Math.round(cssHeight * dpr);
    if (lines.width !== width || lines.height !== height) {
      lines.width = width;
      lines.height = height;
    }
    const g = lines.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, width, height);
    for (const p of drawn) {
      const [x, y, w, h] = p.rect;
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
      this.paintMeasurements(g, x, y, p.measurements);
      g.restore();
    }
  }

  // Measurements: their lines, handles and numbers (canvas text, never HTML).
  paintMeasurements(g, x, y, measurements) {
    g.font = '13px system-ui, sans-serif';
    g.textBaseline = 'top';
    for (const m of measurements) {
      const colour = m.presentation ? 'rgb(120,255,140)' : m.selected ? 'rgb(255,200,60)' : 'rgb(90,220,255)';
      g.strokeStyle = colour;
      g.lineWidth = 1.5;
      for (const line of m.lines) {
        g.beginPath();
        line.forEach(([px, py], i) => (i ? g.lineTo(x + px, y + py) : g.moveTo(x + px, y + py)));
        g.stroke();
      }
      for (const [hx, hy] of m.handles) g.strokeRect(x + hx - 3.5, y + hy - 3.5, 7, 7);
      m.label.forEach((text, i) => {
        const [lx, ly] = [x + m.label_at[0], y + m.label_at[1] + i * 16];
        g.fillStyle = 'black';
        g.fillText(text, lx + 1, ly + 1);
        g.fillStyle = colour;
        g.fillText(text, lx, ly);
      });
    }
  }

  resize() {
    this.cssSize = [this.canvas.clientWidth, this.canvas.clientHeight];
    const [w, h, dpr] = sizeCanvas(this.canvas, this.cssSize);
    this.wasm.resize(w, h, dpr);
    this.dirty = true;
  }

  /** The measurements as DICOM SR (TID 1500), one `Uint8Array` per study. */
  measurementReports() {
    return [...this.wasm.measurement_reports(crypto.getRandomValues(new Uint8Array(32)), Date.now() / 1000)];
  }

  /** Downloads the measurements: a DICOM SR per study and their JSON. */
  saveMeasurements() {
    const download = (blob, name) => {
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    };
    try {
      this.measurementReports().forEach((bytes, i) =>
        download(new Blob([bytes], { type: 'application/dicom' }), `hounsfield-measurements${i ? `-${i + 1}` : ''}.dcm`),
      );
      download(new Blob([this.wasm.measurements_json()], { type: 'application/json' }), 'hounsfield-measurements.json');
    } catch (e) {
      this.emit('message', `could not save the measurements: ${e}`);
    }
  }

  savePng() {
    this.wasm.render();
    this.canvas.toBlob((blob) => {
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = 'hounsfield-view.png';
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    });
  }

  // The radiology conventions: drag = window/level, wheel = slice, right-drag = zoom,
  // middle-drag = pan (the shared gesture model of hounsfield-viewer).
  wire() {
    const { canvas } = this;
    const viewer = this.wasm;
    const pos = (e) => {
      const r = canvas.getBoundingClientRect();
      return [e.clientX - r.left, e.clientY - r.top];
    };
    canvas.addEventListener('contextmenu', (e) => e.preventDefault());
    // Touch points go to the gesture model by id (one finger: the left button; two: a
    // pinch); mouse and pen as buttons.
    const touch = (e, phase) => {
      const [x, y] = pos(e);
      viewer.touch(e.pointerId, phase, x, y, e.timeStamp / 1000);
      this.dirty = true;
    };
    canvas.addEventListener('pointerdown', (e) => {
      canvas.focus();
      canvas.setPointerCapture(e.pointerId);
      e.preventDefault();
      if (e.pointerType === 'touch') return touch(e, 0);
      const [x, y] = pos(e);
      viewer.pointer_down(x, y, e.button, e.timeStamp / 1000);
      this.dirty = true;
    });
    canvas.addEventListener('pointermove', (e) => {
      if (e.pointerType === 'touch') return touch(e, 1);
      const [x, y] = pos(e);
      viewer.pointer_move(x, y, e.shiftKey, e.ctrlKey || e.metaKey);
      this.dirty = true;
    });
    canvas.addEventListener('pointerup', (e) => {
      if (e.pointerType === 'touch') return touch(e, 2);
      const [x, y] = pos(e);
      viewer.pointer_up(x, y, e.button);
      this.dirty = true;
    });
    canvas.addEventListener('pointerleave', (e) => {
      if (e.pointerType === 'touch') return;
      viewer.pointer_leave();
      this.dirty = true;
    });
    canvas.addEventListener('pointercancel', (e) => {
      if (e.pointerType === 'touch') return touch(e, 3);
      viewer.pointer_leave();
      this.dirty = true;
    });
    canvas.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        const [x, y] = pos(e);
        const lines = e.deltaMode === 1 ? -e.deltaY : e.deltaMode === 2 ? -e.deltaY * 10 : -e.deltaY / 100;
        viewer.wheel(lines, x, y, e.ctrlKey);
        this.dirty = true;
      },
      { passive: false },
    );
    // Keys go to the viewer whose canvas has the focus (a page may also forward its own).
    canvas.addEventListener('keydown', (e) => {
      if (this.key(e.key, e.ctrlKey || e.metaKey, e.shiftKey) !== 'ignored') {
        e.preventDefault();
        e.stopPropagation();
      }
    });
    this.stage.addEventListener('dragover', (e) => e.preventDefault());
    this.stage.addEventListener('drop', async (e) => {
      e.preventDefault();
      const entries = Array.from(e.dataTransfer.items || [])
        .map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry())
        .filter((x) => x);
      const files = entries.length ? (await Promise.all(entries.map(entryFiles))).flat() : Array.from(e.dataTransfer.files);
      this.open(files);
    });
    this.observer = new ResizeObserver(() => this.resize());
    this.observer.observe(canvas);
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

// The CPU path's canvas at its size, with its opaque 2D context (the one
// `create_cpu_viewer` takes) and its bitmap made by one drawn pixel, before the first
// image is drawn. It is done once the module is compiled: done while the module was
// arriving, the drawn pixel held the page's thread (12-100 ms on a software GPU) while the
// module's bytes were streamed to the compiler, and the first image came later (median of
// 24 loads, 512 x 512 CT: 290 ms, against 275 ms done here).
function prepareCanvas(canvas) {
  sizeCanvas(canvas, [canvas.clientWidth, canvas.clientHeight]);
  canvas.getContext('2d', { alpha: false })?.putImageData(new ImageData(1, 1), 0, 0);
}

// Gives `canvas` the device pixels of `cssSize` (at least one each way) and returns
// them with the ratio. Setting a canvas's size, even to the same, clears it and drops its
// bitmap, so an unchanged size is left alone.
function sizeCanvas(canvas, cssSize) {
  const dpr = window.devicePixelRatio || 1;
  const [w, h] = cssSize.map((c) => Math.max(1, Math.round(c * dpr)));
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  return [w, h, dpr];
}

/**
 * Mounts a viewer into `element` (it fills the element; give the element a size).
 * Options: `renderer` ('auto' (default), 'webgpu' or 'cpu'); `decodeBudget`
 * (`{ fileMiB, loadMiB }`, see `Viewer.setDecodeBudget`); `volumeBudget` (MiB, see
 * `Viewer.setVolumeBudget`).
 */
export async function mount(element, options = {}) {
  // The adapter is asked for, and the stage is built, while the module compiles.
  const chosen = choosePath(options.renderer);
  const compiling = initialize();
  addStyle();
  const stage = el('div', 'hf-stage');
  let canvas = el('canvas', 'hf-viewport');
  canvas.tabIndex = 0;
  const parts = { stage, lines: el('canvas', 'hf-lines'), overlay: el('div', 'hf-overlay'), fatal: el('div', 'hf-fatal') };
  parts.fatal.hidden = true;
  stage.append(canvas, parts.lines, parts.overlay, parts.fatal);
  // The viewer fills the element: its box is the stage's containing block.
  if (getComputedStyle(element).position === 'static') element.style.position = 'relative';
  element.append(stage);
  let path = await chosen;
  await compiling;
  if (path === 'cpu') prepareCanvas(canvas);
  let wasm = null;
  if (path === 'webgpu') {
    try {
      wasm = await create_viewer(canvas);
    } catch (e) {
      console.warn(`WebGPU is not usable here (${e}); drawing on the CPU`);
      // A canvas that has a WebGPU context cannot give a 2D one: a fresh canvas.
      const fresh = canvas.cloneNode();
      canvas.replaceWith(fresh);
      canvas = fresh;
    }
  }
  if (!wasm) {
    path = 'cpu';
    try {
      wasm = create_cpu_viewer(canvas);
    } catch (e) {
      parts.fatal.hidden = false;
      parts.fatal.textContent = `Cannot draw in this page: ${e}`;
      throw e;
    }
  }
  const viewer = new Viewer(element, wasm, canvas, parts, path);
  const budget = options.decodeBudget;
  if (budget) {
    const now = viewer.decodeBudget();
    viewer.setDecodeBudget(budget.fileMiB ?? now.fileMiB, budget.loadMiB ?? now.loadMiB);
  }
  if (options.volumeBudget !== undefined) viewer.setVolumeBudget(options.volumeBudget);
  return viewer;
}

/** The help table: [[keys, what they do]]. */
export function help() {
  return JSON.parse(WebViewer.help());
}

export { DicomWeb };

/**
 * `<hounsfield-viewer src="URL" renderer="auto|webgpu|cpu" window="C,W">`: a viewer as
 * an element. `src` may list several URLs separated by spaces. The element has the
 * viewer's methods (`open`, `setWindow`, `status`, `pixels`, ...) and its events; `ready`
 * is a promise of the `Viewer`.
 */
export class HounsfieldViewerElement extends HTMLElement {
  static observedAttributes = ['src', 'window'];

  connectedCallback() {
    if (this.ready) return;
    // The files are read while the module compiles.
    prefetch((this.getAttribute('src') || '').split(/\s+/).filter((s) => s));
    this.ready = mount(this, { renderer: this.getAttribute('renderer') || 'auto' }).then((v) => {
      this.viewer = v;
      v.element = this;
      this.load();
      return v;
    });
  }

  async load() {
    const v = this.viewer;
    if (!v) return;
    const src = (this.getAttribute('src') || '').split(/\s+/).filter((s) => s);
    if (src.length) await v.open(src.length === 1 ? src[0] : src);
    this.applyWindow();
  }

  applyWindow() {
    const w = (this.getAttribute('window') || '').split(',').map(Number);
    if (this.viewer && w.length === 2 && w.every(Number.isFinite)) this.viewer.setWindow(w[0], w[1]);
  }

  attributeChangedCallback(name, old, value) {
    if (!this.viewer || old === value) return;
    if (name === 'src') this.load();
    else this.applyWindow();
  }

  open(what) { return this.ready.then((v) => v.open(what)); }
  openDicomWeb(url, auth) { return this.ready.then((v) => v.openDicomWeb(url, auth)); }
  setWindow(c, w) { this.viewer?.setWindow(c, w); }
  setColormap(name) { return this.viewer?.setColormap(name) ?? false; }
  status() { return this.viewer ? this.viewer.status() : { loaded: false, error: null }; }
  panes() { return this.viewer?.panes() ?? []; }
  pixels() { return this.viewer?.pixels(); }
  memory() { return this.viewer?.memory(); }
  render() { this.viewer?.render(); }
}

if (globalThis.customElements && !customElements.get('hounsfield-viewer')) {
  customElements.define('hounsfield-viewer', HounsfieldViewerElement);
}
