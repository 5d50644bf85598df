// Compiled (not run) by build.sh with `tsc --noEmit --strict`: the declarations of the
// package describe what an embedder writes.
import { mount, help, prefetch, type Viewer, type Status } from 'hounsfield-viewer';

async function embed(left: HTMLElement): Promise<Viewer> {
  prefetch(['a.dcm', 'b.dcm']);
  const viewer = await mount(left, { renderer: 'auto' });
  viewer.addEventListener('windowchange', (e) => console.log(e.detail.center + e.detail.width));
  viewer.addEventListener('slicechange', (e) => console.log(e.detail.slice, e.detail.slices));
  viewer.addEventListener('load', (e) => console.log(e.detail.file));
  await viewer.open(['a.dcm', 'b.dcm']);
  await viewer.openDicomWeb('https://pacs.example/dicom-web/studies/1.2.3', { token: 't' });
  viewer.setWindow(40, 400);
  const s: Status = viewer.status();
  const px = viewer.pixels();
  console.log(s.window?.[0], s.renderer, px.width * px.height, help().length, viewer.key('m'));
  viewer.setTool('ellipse');
  for (const m of viewer.measurements()) console.log(m.roi, m.mean ?? m.length_mm, m.label.join(' '));
  return viewer;
}

const el = document.createElement('hounsfield-viewer');
el.setAttribute('src', 'ct.dcm');
el.addEventListener('windowchange', (e) => console.log(e.detail.width));
el.ready.then((v) => v.setWindow(-600, 1500));
document.body.append(el);
embed(document.body);
