// Hounsfield's extension, in the background: DICOM links, downloads and the context menu
// open the viewer page (the same page as dist/web) in a tab. Nothing here reads file
// data; the viewer page fetches what it is given.
const api = globalThis.browser ?? globalThis.chrome;
const viewer = api.runtime.getURL('index.html');

// What is taken over as DICOM, by its URL.
const DICOM_NAME = /\.(dcm|dicom|dic)$/i;
const WADO_URI = /[?&]requestType=WADO(&|$)/i;
const DICOMWEB = /\/studies\/[0-9.]+(\/series\/[0-9.]+)?\/?$/;

// The viewer tab for `url` (the URL goes in the fragment, which no server sees).
export function viewerUrl(url) {
  return url ? `${viewer}#src=${url}` : `${viewer}?empty`;
}

export async function openViewer(url, tab) {
  const index = tab && tab.index !== undefined ? tab.index + 1 : undefined;
  return api.tabs.create({ url: viewerUrl(url), index });
}

// Whether a URL names DICOM by itself (its path, a WADO-URI query, a DICOMweb study or
// series).
export function looksDicom(url) {
  let u;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return DICOM_NAME.test(u.pathname) || WADO_URI.test(u.search) || DICOMWEB.test(u.pathname);
}

// ---- navigations to DICOM: redirected to the viewer (declarativeNetRequest). These
// rules act only where the user granted host access (optional permissions); elsewhere the
// browser starts a download, which the downloads listener below takes over.
const RULE_NAME = 1;
const RULE_WADO = 2;
const RULE_DICOMWEB = 3;
const RULE_MIME = 4;

function rule(id, regexFilter, extra = {}) {
  return {
    id,
    priority: 1,
    action: { type: 'redirect', redirect: { regexSubstitution: `${viewer}#src=\\0` } },
    condition: { regexFilter, isUrlFilterCaseSensitive: false, resourceTypes: ['main_frame'], ...extra },
  };
}

export async function installRules() {
  const dnr = api.declarativeNetRequest;
  const rules = [
    rule(RULE_NAME, '^(https?|file)://[^?#]*\\.(dcm|dicom)([?#].*)?$'),
    rule(RULE_WADO, '^https?://[^#]*[?&]requestType=WADO([&#].*)?$'),
    rule(RULE_DICOMWEB, '^https?://[^?#]*/studies/[0-9.]+(/series/[0-9.]+)?/?$'),
  ];
  await dnr.updateDynamicRules({ removeRuleIds: [RULE_NAME, RULE_WADO, RULE_DICOMWEB, RULE_MIME], addRules: rules });
  // DICOM without a telling name, by its Content-Type: response-header conditions are
  // newer than the API, and some versions refuse (or ignore) them; the downloads
  // listener covers those.
  let mime = false;
  try {
    await dnr.updateDynamicRules({
      addRules: [rule(RULE_MIME, '^(https?)://.*$', { responseHeaders: [{ header: 'content-type', values: ['application/dicom*'] }] })],
    });
    mime = true;
  } catch {
    mime = false;
  }
  return { rules: rules.length + (mime ? 1 : 0), mimeRule: mime };
}

// ---- downloads of DICOM: cancelled and opened in the viewer instead.
export function isDicomDownload(item) {
  const mime = (item.mime || '').toLowerCase();
  const name = item.filename || item.finalUrl || item.url || '';
  return mime.startsWith('application/dicom') || DICOM_NAME.test(name) || looksDicom(item.finalUrl || item.url || '');
}

async function onDownload(item) {
  if (!isDicomDownload(item)) return;
  const url = item.finalUrl || item.url;
  if (!/^(https?|file):/i.test(url)) return; // blob: and data: downloads stay downloads
  try {
    await api.downloads.cancel(item.id);
    await api.downloads.erase({ id: item.id });
  } catch {
    // Already complete: open it all the same.
  }
  await openViewer(url);
}

// ---- the context menu on links, and the toolbar button.
const MENU_ID = 'hounsfield-open-link';

export async function onMenu(info, tab) {
  if (info.menuItemId !== undefined && info.menuItemId !== MENU_ID) return;
  if (info.linkUrl) await openViewer(info.linkUrl, tab);
}

api.runtime.onInstalled.addListener(() => {
  api.contextMenus.create({ id: MENU_ID, title: 'Open in Hounsfield', contexts: ['link'] });
  installRules();
});
api.runtime.onStartup?.addListener(() => installRules());
api.permissions.onAdded?.addListener(() => installRules());
api.contextMenus.onClicked.addListener(onMenu);
api.downloads.onCreated.addListener(onDownload);
api.action.onClicked.addListener((tab) => openViewer(null, tab));

// For tests and automation: the same entry points as the menu and the downloads.
globalThis.hounsfieldExtension = { openViewer, onMenu, looksDicom, isDicomDownload, installRules, viewerUrl };
