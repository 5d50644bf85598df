// Types of hounsfield.js, the Hounsfield viewer component.

/** The drawing path: WebGPU, or the CPU reference pipeline into a 2D canvas. */
export type Renderer = 'webgpu' | 'cpu';

/** What `status()` reports. */
export interface Status {
  /** Every file of every load has been read and decoded, and an image is drawn. */
  loaded: boolean;
  /** Window centre and width in modality units, when an image is on screen. */
  window: [number, number] | null;
  window_label: string | null;
  /** The file on screen. */
  file: string | null;
  /** The slice on screen, 0-based, of `slices`. */
  slice: number;
  slices: number;
  frame: number | null;
  frames: number | null;
  series: number;
  current_series: number | null;
  invert: boolean;
  zoom: number;
  cine: boolean;
  layout: string;
  progress: { loads: number; files_found: number; files_done: number; frames_total: number; frames_decoded: number };
  /** Canvas size in device pixels. */
  canvas: [number, number];
  renderer: Renderer;
  adapter: string | null;
  messages: string[];
  /** A failure that stops drawing, else null. */
  error: string | null;
  [key: string]: unknown;
}

/** A source of bytes to open. */
export interface Source {
  name: string;
  bytes(): Promise<ArrayBuffer>;
}

/** Credentials of a DICOMweb server. */
export type Auth = { user?: string; password?: string } | { token: string } | DicomWeb;

export interface MountOptions {
  /** 'auto' (default): WebGPU on a hardware adapter, else the CPU path. */
  renderer?: 'auto' | Renderer;
}

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
  status(): Status;
  panes(): Array<{ pane: unknown; rect: [number, number, number, number] }>;
  pixels(): { width: number; height: number; data: number[] };
  render(): void;
  /** '' when the viewer acted, 'open' or 'save' when the page should, 'ignored' for other keys. */
  key(key: string, ctrl?: boolean, shift?: boolean): '' | 'open' | 'save' | 'ignored';
  series(): Array<{ label: string; instances: number; decoded: number; current: boolean }>;
  selectSeries(index: number): void;
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
  applyWindow(): void;
  status(): Status | { loaded: false; error: null };
  panes(): Array<{ pane: unknown; rect: [number, number, number, number] }>;
  pixels(): { width: number; height: number; data: number[] } | undefined;
  render(): void;
  addEventListener<K extends keyof ViewerEventMap>(type: K, listener: (ev: ViewerEventMap[K]) => void, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
}

declare global {
  interface HTMLElementTagNameMap {
    'hounsfield-viewer': HounsfieldViewerElement;
  }
}
