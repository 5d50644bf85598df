// Types of hounsfield.js, the Hounsfield viewer component.

/** The drawing path: WebGPU, or the CPU reference pipeline into a 2D canvas. */
export type Renderer = 'webgpu' | 'cpu';

/** One series of `Status.series` (and of `series()`). */
export interface SeriesStatus {
  /** Number, description, modality and instance count. */
  label: string;
  series_instance_uid: string | null;
  instances: number;
  decoded: number;
  /** Stacks (more than one: a multi-stack series, e.g. magnitude and field map). */
  stacks: number;
  /** Time points (more than one: a 4D series: phases, b-values, acquisitions). */
  time_points: number;
  /** The attribute of the time axis, e.g. "Trigger Time". */
  time_axis: string | null;
  /** Whether it is the series on screen. */
  current: boolean;
}

/** A measuring tool ('windowlevel': none). */
export type Tool = 'windowlevel' | 'length' | 'angle' | 'cobb' | 'rectangle' | 'ellipse' | 'freehand' | 'probe';

/**
 * One measurement: where it was drawn and its numbers, keyed as `hounsfield measure --json`
 * prints them (`roi` in that command's `--roi` syntax, image pixel coordinates with pixel
 * centres at integers). Numbers that do not apply are absent.
 */
export interface MeasurementStatus {
  id: number;
  tool: Tool;
  file: string | null;
  sop_instance_uid: string | null;
  /** 1-based, as `hounsfield measure --frame`. */
  frame: number;
  /** The plane it was drawn on ('axial', 'sagittal', 'coronal'; its ROI in that plane's pixels), null on an image. */
  plane: string | null;
  complete: boolean;
  /** The text shown beside it. */
  label: string[];
  error: string | null;
  selected: boolean;
  roi?: string;
  /** Where the pixel size holds: 'mm', 'mm at the detector', ... or 'pixels'. */
  spacing?: string;
  pixel_size_mm?: [number, number];
  units?: string;
  length_mm?: number;
  length_pixels?: number;
  angle_deg?: number;
  mean?: number;
  sd?: number;
  min?: number;
  max?: number;
  area_mm2?: number;
  pixels?: number;
  padding_pixels?: number;
}

/**
 * What `status()` reports: the keys of the Rust struct `hounsfield_viewer::status::Status`,
 * shared with the native viewer's status file, plus `canvas`, `adapter` and `error`.
 */
/** One segment of the segment list. */
export interface SegmentEntry {
  /** The segmentation it belongs to (0-based, in the order they were opened). */
  segmentation: number;
  /** Its Segment Number. */
  number: number;
  label: string;
  /** sRGB, from its Recommended Display CIELab Value. */
  color: [number, number, number];
  visible: boolean;
  /** Fill opacity, 0 to 1 (the outline is opaque). */
  opacity: number;
}

export interface FusionStyle {
  /** "grey", "hot-iron", "jet" or "viridis". */
  colormap: string;
  /** 0 to 1. */
  opacity: number;
  /** Window (centre, width) of the fused series in its modality units; null: its default. */
  window: [number, number] | null;
}

export interface FusionStatus {
  /** Series (indices in `series`) that can be fused over the one on screen: the others of its Frame of Reference. */
  candidates: number[];
  /** The series fused, null when none (key Z cycles). */
  series: number | null;
  /** How it is shown; `window` is the one in effect while a series is fused. */
  style: FusionStyle;
  /** Units of its values (e.g. "BQML"). */
  units: string;
  /** Its colour bar while a series is fused: the map and the window's edges with units. */
  colour_bar: { colormap: string; low: string; high: string } | null;
}

export interface Status {
  /** No load is running, a file was opened, every file is decoded or failed, and the image is drawn. */
  loaded: boolean;
  progress: { loads: number; files_found: number; files_done: number; frames_total: number; frames_decoded: number };
  series: SeriesStatus[];
  /** Index of the series on screen in `series`. */
  current_series: number | null;
  /** The slice on screen, 0-based, of `slices` (those of the stack and time point on screen). */
  slice: number;
  slices: number;
  /** The stack and time point on screen, 0-based. */
  stack: number;
  time_point: number;
  /** The file on screen. */
  file: string | null;
  frame: number | null;
  frames: number | null;
  /** Window centre and width in modality units, when the VOI stage is a window. */
  window: [number, number] | null;
  window_label: string | null;
  invert: boolean;
  zoom: number;
  pan: [number, number];
  flip_horizontal: boolean;
  flip_vertical: boolean;
  /** Overlay planes (60xx) shown (key O). */
  overlay_planes: boolean;
  /** The display shutter applied (key Shift+O), when the image has one. */
  shutters: boolean;
  /** The labels of the segments (DICOM SEG opened with the images) over the image on screen; empty when none, or hidden (key J). */
  segments: string[];
  /** The segment list: every segment of the segmentations opened (setSegment shows, hides and fades each). */
  segment_list: SegmentEntry[];
  /** The names of the ROIs of the RT Structure Sets opened with a contour on the image on screen; empty when none, or hidden (key J). */
  contours: string[];
  /** The colour map of grey images ("hot-iron", "jet", "viridis", "grey"; key Shift+I, setColormap), null for grey. */
  colormap: string | null;
  /** The colour bar of the image on screen while a colour map applies: the map and the values at the window's edges (real-world values too, with a linear Real World Value Mapping). */
  colour_bar: { colormap: string; low: string; high: string } | null;
  /** The series fused over the one on screen (setFusion), and how. */
  fusion: FusionStatus;
  /** The Content Label of the presentation state (GSPS) applied to the image on screen (key Y), null when none applies. */
  presentation_state: string | null;
  /** Quarter turns clockwise (0-3). */
  rotation: number;
  cine: boolean;
  layout: string;
  active_pane: unknown;
  /** The planes' crosshair in patient coordinates (mm), when planes are built. */
  crosshair: [number, number, number] | null;
  /** The planes' window (centre, width): the user's, else the middle slice's. */
  plane_window: [number, number] | null;
  mpr_note: string | null;
  /** When the planes' volume is reduced to fit the device or the memory budget: what was kept and why. */
  mpr_reduction: string | null;
  /** While the planes' volume goes to the GPU (a part per frame): slices there, and in all. */
  mpr_upload: [number, number] | null;
  /** Per plane view: whether the plane drawn last shows every voxel (planes of a reduced volume are refined once they stay still). */
  mpr_refined: [boolean, boolean, boolean];
  /** When the planes want a frame that no input asks for, in ms (0: the next frame): their volume going to the GPU, a still plane waiting to be refined or being refined. */
  planes_redraw_after_ms: number | null;
  /** Per plane view, while its refinement goes a band of rows per frame: rows done, and in all. */
  mpr_refining: [[number, number] | null, [number, number] | null, [number, number] | null];
  /** The newest messages (at most 100), oldest first. */
  messages: string[];
  help: boolean;
  tags_panel: boolean;
  series_panel: boolean;
  /** The measuring tool in use. */
  tool: Tool;
  /** Every measurement, oldest first. */
  measurements: MeasurementStatus[];
  renderer: Renderer;
  frames_drawn: number;
  image_drawn: boolean;
  /** Canvas size in device pixels. */
  canvas: [number, number];
  /** The WebGPU adapter, when drawing with WebGPU. */
  adapter: string | null;
  /** A failure that stops drawing, else null. */
  error: string | null;
}

/** A source of bytes to open. */
export interface Source {
  name: string;
  /** The whole file (it may be asked for twice: once for the header, again for the pixels). */
  bytes(): Promise<ArrayBuffer>;
}

/** Credentials of a DICOMweb server. */
export type Auth = { user?: string; password?: string } | { token: string } | DicomWeb;

export interface MountOptions {
  /** 'auto' (default): WebGPU on a hardware adapter, else the CPU path. */
  renderer?: 'auto' | Renderer;
  /** What one file, and one load, may decode to, in MiB (default 1024 and 2048). */
  decodeBudget?: DecodeBudget;
  /** The most the planes' volume may take, in MiB (0: none; default 1024): a larger series is cut at a reduced resolution. */
  volumeBudget?: number;
}

/** Decode budget in MiB: a file over either limit is not decoded, and its error says so. */
export interface DecodeBudget { fileMiB?: number; loadMiB?: number }

export interface WindowChange { center: number; width: number }
/** The image on screen: `slice` (0-based) of `slices` in the series, `frame` of `frames`. */
export interface SliceChange { slice: number; slices: number; frame: number | null; frames: number | null; series: number | null }

export interface ViewerEventMap {
  load: CustomEvent<Status>;
  windowchange: CustomEvent<WindowChange>;
  slicechange: CustomEvent<SliceChange>;
  update: CustomEvent<Status>;
  message: CustomEvent<string>;
  effect: CustomEvent<'open'>;
}

/** One viewer in one element. */
export declare class Viewer extends EventTarget {
  readonly element: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  readonly renderer: Renderer;
  /** How URLs are fetched (a page may add credentials or permission prompts). */
  fetcher: (url: string) => Promise<Response>;
  open(what: string | File | FileList | Array<string | File>): Promise<void>;
  openSources(sources: Source[]): Promise<void>;
  openManifest(url: string): Promise<void>;
  openSample(): Promise<void>;
  openDicomWeb(url: string, auth?: Auth): Promise<void>;
  setWindow(center: number, width: number): void;
  /** Shows grey images through a colour map ("grey", "hot-iron", "jet", "viridis"), or none (null); false for an unknown name. */
  setColormap(name: string | null): boolean;
  setDecodeBudget(fileMiB: number, loadMiB: number): void;
  decodeBudget(): Required<DecodeBudget>;
  /** Sets the planes' volume budget in MiB (0: none): a larger series is cut at a reduced resolution, and `status().mpr_reduction` says what was kept. */
  setVolumeBudget(mib: number): void;
  volumeBudget(): number;
  status(): Status;
  panes(): Array<{ pane: unknown; rect: [number, number, number, number] }>;
  pixels(): { width: number; height: number; data: Uint8ClampedArray };
  /** The page's memory: the WebAssembly module's (all viewers of the page), and the JS heap in use where the browser says (else null). */
  memory(): { wasm: number; jsHeap: number | null };
  /** Draws the whole frame now, even when nothing it shows changed. */
  render(): void;
  /** '' when the viewer acted, 'open' or 'save' when the page should, 'ignored' for other keys. */
  key(key: string, ctrl?: boolean, shift?: boolean): '' | 'open' | 'save' | 'ignored';
  series(): SeriesStatus[];
  selectSeries(index: number): void;
  /** Takes a measuring tool (a left drag in the image then draws with it). */
  setTool(tool: Tool): void;
  measurements(): MeasurementStatus[];
  /** Shows or hides segment `index` of `status().segment_list`, and sets its fill opacity (0-1); false when there is no such segment. */
  setSegment(index: number, options: { visible?: boolean; opacity?: number }): boolean;
  /** Fuses series `index` (one of `status().fusion.candidates`) over the one on screen, null for none: '' when done, else why not. */
  setFusion(index: number | null): string;
  /** How the fused series is shown; window null: its default window. False for an unknown colour map. */
  setFusionStyle(style: { colormap?: string; opacity?: number; window?: [number, number] | null }): boolean;
  /** The 256 colours of a colour map ("grey", "hot-iron", "jet", "viridis") as RGB bytes, for a colour bar. */
  colormapTable(name: string): Uint8Array;
  /** Selects a measurement and shows the image it was drawn on. */
  selectMeasurement(id: number): void;
  /** Deletes a measurement (Ctrl+Z brings it back). */
  deleteMeasurement(id: number): void;
  /** The measurements as DICOM Structured Reports (TID 1500), one per study. */
  measurementReports(): Uint8Array[];
  /** Downloads them (and their JSON), as Ctrl+Shift+S does. */
  saveMeasurements(): void;
  tags(): unknown[];
  destroy(): void;
  addEventListener<K extends keyof ViewerEventMap>(type: K, listener: (ev: ViewerEventMap[K]) => void, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
}

/** Mounts a viewer that fills `element`. */
export declare function mount(element: HTMLElement, options?: MountOptions): Promise<Viewer>;
/** Loads the WebAssembly module (mount does it). */
export declare function initialize(): Promise<unknown>;
/** The keys and mouse gestures: [[keys, what they do]]. */
export declare function help(): Array<[string, string]>;
/**
 * Starts reading `urls` now (the first six; before `mount`, while the module compiles);
 * the next `open` of each URL by any viewer takes the bytes read instead of fetching again.
 */
export declare function prefetch(urls: string | string[], fetcher?: (url: string) => Promise<Response>): void;
export declare function urlSource(url: string, fetcher?: (url: string) => Promise<Response>): Source;

/** A DICOMweb server (QIDO-RS, WADO-RS). */
export declare class DicomWeb {
  constructor(root: string, user?: string, password?: string, token?: string);
  root(): string;
  search_studies(queryJson: string): Promise<string>;
  search_series(study: string): Promise<string>;
  thumbnail(study: string, series: string, size: number): Promise<{ width: number; height: number; rgba: Uint8ClampedArray }>;
}

/** `<hounsfield-viewer src="URL ..." renderer="auto|webgpu|cpu" window="C,W">`. */
export declare class HounsfieldViewerElement extends HTMLElement {
  /** The viewer, once mounted. */
  readonly ready: Promise<Viewer>;
  readonly viewer: Viewer | undefined;
  open(what: string | File | FileList | Array<string | File>): Promise<void>;
  openDicomWeb(url: string, auth?: Auth): Promise<void>;
  setWindow(center: number, width: number): void;
  /** Shows grey images through a colour map ("grey", "hot-iron", "jet", "viridis"), or none (null); false for an unknown name. */
  setColormap(name: string | null): boolean;
  applyWindow(): void;
  status(): Status | { loaded: false; error: null };
  panes(): Array<{ pane: unknown; rect: [number, number, number, number] }>;
  pixels(): { width: number; height: number; data: Uint8ClampedArray } | undefined;
  memory(): { wasm: number; jsHeap: number | null } | undefined;
  render(): void;
  addEventListener<K extends keyof ViewerEventMap>(type: K, listener: (ev: ViewerEventMap[K]) => void, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
}

declare global {
  interface HTMLElementTagNameMap {
    'hounsfield-viewer': HounsfieldViewerElement;
  }
}
