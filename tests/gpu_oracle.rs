//! The GPU renderer (wgpu; Mesa's lavapipe in CI) against its oracles:
//! - the CPU reference, within 1 of 8-bit output, on every displayable corpus file: the
//!   file's window, three explicit windows (w = 1 among them), every VOI function, every
//!   VOI LUT, inversion, palette and colour images, the middle frame of multi-frame files,
//!   2x zoom with bilinear filtering into an odd 333 x 217 output, a rotated and flipped
//!   view, non-square pixels, and a panned view;
//! - DCMTK, on the cases of `display_oracle.rs`;
//! - golden PNGs under `tests/snapshots/` for human review (`*.diff.png` on mismatch).
//!
//! Without an adapter the tests fail when `HOUNSFIELD_REQUIRE_GPU=1` (as `.ci/run` sets)
//! and are skipped with a loud message otherwise.

use hounsfield_conformance::display::{Renderer, Row, check_file};
use hounsfield_conformance::{corpus, gpu, missing, print_table, root};
use hounsfield_core::pipeline::{
    GreyPipeline, RenderOptions, RenderedImage, VoiSelection, modality_range, render_view,
};
use hounsfield_core::view::{Filter, View};
use hounsfield_core::{DicomFile, DisplayParameters, Frame, FrameColor, VoiLutFunction};
use hounsfield_render::headless::{Caps, Headless};
use hounsfield_render::{DrawState, GpuImage};
use std::cell::RefCell;

/// Renders on the GPU, re-uploading only when the frame changes.
struct GpuRenderer {
    gpu: Headless,
    cached: Option<(*const Frame, GpuImage)>,
}

impl GpuRenderer {
    fn render(
        &mut self,
        frame: &Frame,
        params: &DisplayParameters,
        options: &RenderOptions,
        view: &View,
    ) -> Result<RenderedImage, String> {
        let key = frame as *const Frame;
        if self.cached.as_ref().is_none_or(|(k, _)| *k != key) {
            let image = self
                .gpu
                .renderer()
                .upload(std::slice::from_ref(frame), params.palette.as_ref())
                .map_err(|e| e.to_string())?;
            self.cached = Some((key, image));
        }
        let pipeline = match frame.color {
            FrameColor::Monochrome => {
                Some(GreyPipeline::resolve(params, frame, options).map_err(|e| e.to_string())?)
            }
            _ => None,
        };
        let state = DrawState {
            frame: 0,
            pipeline: pipeline.clone(),
            invert: options.invert,
            view: *view,
            background: [0.0, 0.0, 0.0, 1.0],
            paint_background: true,
            overlay: false,
            shutter: false,
            colormap: None,
            layer: false,
        };
        let Some((_, image)) = self.cached.as_mut() else {
            return Err("no image".into());
        };
        let rgba = self
            .gpu
            .render_rgba(image, &state)
            .map_err(|e| e.to_string())?;
        let colour = frame.color != FrameColor::Monochrome
            || (params.supplemental_palette && params.palette.is_some());
        let channels = if colour { 3 } else { 1 };
        Ok(RenderedImage {
            width: view.width,
            height: view.height,
            channels: channels as u8,
            pixels: rgba
                .chunks_exact(4)
                .flat_map(|p| p[..channels].to_vec())
                .collect(),
            pipeline,
        })
    }
}

#[test]
fn gpu_matches_dcmtk() {
    let Some(files) = corpus() else {
        return missing("the test corpus");
    };
    let Some(gpu) = gpu() else { return };
    let r = RefCell::new(GpuRenderer { gpu, cached: None });
    let render = |f: &Frame, p: &DisplayParameters, o: &RenderOptions| {
        let mut g = r.borrow_mut();
        g.cached = None;
        g.render(f, p, o, &View::native(f.width, f.height))
    };
    let rows: Vec<Row> = files
        .iter()
        .flat_map(|f| check_file(f, &Renderer::Gpu(&render)))
        .collect();
    let failures = rows.iter().filter(|r| !r.ok).count();
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.label.clone(),
                r.case.clone(),
                if r.ok { "ok" } else { "FAIL" }.into(),
                r.detail.clone(),
            ]
        })
        .collect();
    print_table(&["file", "case", "result", "detail"], &table);
    println!("\n{} comparisons, {failures} failures", rows.len());
    assert!(rows.len() > 500, "too few comparisons ran ({})", rows.len());
    assert_eq!(failures, 0, "GPU differs from DCMTK (table above)");
}

struct Case {
    name: String,
    options: RenderOptions,
    view: View,
}

fn cases(frame: &Frame, params: &DisplayParameters) -> Vec<Case> {
    let native = View::native(frame.width, frame.height);
    let opts = |voi: VoiSelection, f: Option<VoiLutFunction>| RenderOptions {
        voi,
        voi_function: f,
        invert: false,
    };
    let mut zoomed = View::fit(333, 217);
    zoomed.zoom = 2.0;
    zoomed.filter = Filter::Linear;
    let mut turned = View::fit(217, 333);
    turned.rotation = 1;
    turned.flip_horizontal = true;
    turned.zoom = 1.3;
    turned.filter = Filter::Linear;
    let mut tall = View::fit(200, 300);
    tall.pixel_aspect = 1.7;
    let mut panned = View::fit(301, 199);
    panned.zoom = 3.1;
    panned.pan = [-40.5, 17.25];
    let mut out = vec![
        Case {
            name: "default".into(),
            options: RenderOptions::default(),
            view: native,
        },
        Case {
            name: "2x bilinear 333x217".into(),
            options: RenderOptions::default(),
            view: zoomed,
        },
        Case {
            name: "rotated flipped bilinear".into(),
            options: RenderOptions::default(),
            view: turned,
        },
        Case {
            name: "pixel aspect 1.7".into(),
            options: RenderOptions::default(),
            view: tall,
        },
        Case {
            name: "zoom 3.1 panned".into(),
            options: RenderOptions::default(),
            view: panned,
        },
        Case {
            name: "inverted".into(),
            options: RenderOptions {
                invert: true,
                ..Default::default()
            },
            view: native,
        },
    ];
    if frame.color != FrameColor::Monochrome {
        return out;
    }
    let (lo, hi) = modality_range(&params.modality_lut, frame);
    let mid = ((lo + hi) / 2.0).round();
    let range = (hi - lo).max(1.0);
    for (i, _) in params.windows.iter().enumerate().take(2) {
        out.push(Case {
            name: format!("file window {}", i + 1),
            options: opts(VoiSelection::FileWindow(i), None),
            view: native,
        });
    }
    for (i, _) in params.voi_luts.iter().enumerate().take(2) {
        out.push(Case {
            name: format!("VOI LUT {}", i + 1),
            options: opts(VoiSelection::VoiLut(i), None),
            view: native,
        });
        out.push(Case {
            name: format!("VOI LUT {} 2x bilinear", i + 1),
            options: opts(VoiSelection::VoiLut(i), None),
            view: zoomed,
        });
    }
    for w in [1.0, (range / 3.0).round().max(2.0), (3.0 * range).round()] {
        for f in [
            VoiLutFunction::Linear,
            VoiLutFunction::LinearExact,
            VoiLutFunction::Sigmoid,
        ] {
            out.push(Case {
                name: format!("{f:?} {mid},{w}"),
                options: opts(
                    VoiSelection::Window {
                        center: mid,
                        width: w,
                    },
                    Some(f),
                ),
                view: native,
            });
        }
    }
    out.push(Case {
        name: format!("LinearExact {mid},{} 2x bilinear", (range / 3.0).round()),
        options: opts(
            VoiSelection::Window {
                center: mid,
                width: (range / 3.0).round().max(2.0),
            },
            Some(VoiLutFunction::LinearExact),
        ),
        view: zoomed,
    });
    out
}

#[test]
fn gpu_matches_the_cpu_reference() {
    let Some(files) = corpus() else {
        return missing("the test corpus");
    };
    let Some(gpu) = gpu() else { return };
    let mut g = GpuRenderer { gpu, cached: None };
    let mut rows = Vec::new();
    let mut failures = 0;
    for f in &files {
        let Ok(file) = DicomFile::open(&f.path) else {
            continue;
        };
        let Ok(image) = file.image().cloned() else {
            continue;
        };
        let mut frames = vec![0];
        if image.number_of_frames > 2 {
            frames.push(image.number_of_frames as usize / 2);
        }
        for index in frames {
            let (Ok(frame), Ok(params)) =
                (file.decode_frame(index), file.display_parameters(index))
            else {
                continue;
            };
            g.cached = None;
            for case in cases(&frame, &params) {
                let name = format!("frame {} {}", index + 1, case.name);
                let cpu = render_view(&frame, &params, &case.options, &case.view);
                let gpu = g.render(&frame, &params, &case.options, &case.view);
                let (status, detail) = match (cpu, gpu) {
                    (Err(e), _) => ("skip", format!("the CPU reference refuses it: {e}")),
                    (Ok(_), Err(e)) => ("FAIL", format!("GPU: {e}")),
                    (Ok(c), Ok(gp)) if c.pixels.len() != gp.pixels.len() => (
                        "FAIL",
                        format!("{} vs {} samples", c.pixels.len(), gp.pixels.len()),
                    ),
                    (Ok(c), Ok(gp)) => {
                        let mut worst = 0u8;
                        let mut n = 0usize;
                        for (a, b) in c.pixels.iter().zip(&gp.pixels) {
                            let d = a.abs_diff(*b);
                            worst = worst.max(d);
                            n += usize::from(d > 0);
                        }
                        if worst <= 1 {
                            ("ok", format!("max |diff| {worst} ({n} samples differ)"))
                        } else {
                            (
                                "FAIL",
                                format!(
                                    "max |diff| {worst} ({n} of {} samples differ)",
                                    c.pixels.len()
                                ),
                            )
                        }
                    }
                };
                if status == "FAIL" {
                    failures += 1;
                }
                rows.push(vec![f.label.clone(), name, status.to_string(), detail]);
            }
        }
    }
    print_table(&["file", "case", "result", "detail"], &rows);
    println!("\n{} comparisons, {failures} failures", rows.len());
    assert!(
        rows.len() > 1000,
        "too few comparisons ran ({})",
        rows.len()
    );
    assert_eq!(
        failures, 0,
        "GPU differs from the CPU reference (table above)"
    );
}

/// Golden images for human review: a few representative renders, compared exactly.
/// `HOUNSFIELD_UPDATE_SNAPSHOTS=1` rewrites them (a missing one is a failure, never written
/// silently); a mismatch writes `<name>.diff.png`
/// (and `<name>.new.png`) beside the golden file.
#[test]
fn gpu_snapshots() {
    let Some(files) = corpus() else {
        return missing("the test corpus");
    };
    let Some(gpu) = gpu() else { return };
    let mut g = GpuRenderer { gpu, cached: None };
    let dir = root().join("tests/snapshots");
    std::fs::create_dir_all(&dir).expect("snapshot dir");
    let update = std::env::var("HOUNSFIELD_UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1");
    let mut zoom = View::fit(160, 120);
    zoom.zoom = 1.5;
    zoom.filter = Filter::Linear;
    let w = |c, w| RenderOptions {
        voi: VoiSelection::Window {
            center: c,
            width: w,
        },
        ..Default::default()
    };
    let shots: Vec<(&str, &str, RenderOptions, View)> = vec![
        (
            "ct-small-lung",
            "pydicom/CT_small.dcm",
            w(-600.0, 1500.0),
            View::fit(128, 128),
        ),
        (
            "ct-small-zoom-bilinear",
            "pydicom/CT_small.dcm",
            w(40.0, 400.0),
            zoom,
        ),
        (
            "mr-12bit-signed",
            "shared/mr-12bit/12bitSigned_0x0F0F.dcm",
            RenderOptions::default(),
            View::fit(192, 192),
        ),
        (
            "mr-12bit-unsigned-stripes",
            "shared/mr-12bit/12bitUnsigned_0x0F0F.dcm",
            RenderOptions::default(),
            View::fit(192, 192),
        ),
        (
            "cr-monochrome1",
            "pydicom-data/RG3_UNCR.dcm",
            RenderOptions::default(),
            View::fit(176, 176),
        ),
        (
            "palette-ultrasound",
            "pydicom-data/OBXXXX1A.dcm",
            RenderOptions::default(),
            View::fit(200, 150),
        ),
        (
            "ybr-jpeg-ultrasound",
            "pydicom/SC_rgb_jpeg_dcmtk.dcm",
            RenderOptions::default(),
            View::fit(100, 100),
        ),
        (
            "voi-lut",
            "pydicom-data/vlut_04.dcm",
            RenderOptions {
                voi: VoiSelection::VoiLut(0),
                ..Default::default()
            },
            View::fit(128, 128),
        ),
        (
            "supplemental-palette",
            "pydicom-data/eCT_Supplemental.dcm",
            RenderOptions::default(),
            View::fit(128, 128),
        ),
        (
            "sigmoid",
            "pydicom/MR_small.dcm",
            RenderOptions {
                voi_function: Some(VoiLutFunction::Sigmoid),
                ..Default::default()
            },
            View::fit(64, 64),
        ),
    ];
    let mut mismatches = Vec::new();
    for (name, label, options, view) in shots {
        let f = files
            .iter()
            .find(|f| f.label == label)
            .unwrap_or_else(|| panic!("{label} missing"));
        let file = DicomFile::open(&f.path).expect("open");
        let frame = file.decode_frame(0).expect("decode");
        let params = file.display_parameters(0).expect("params");
        g.cached = None;
        let image = g.render(&frame, &params, &options, &view).expect("render");
        let path = dir.join(format!("{name}.png"));
        if update {
            write_png(&path, &image);
            continue;
        }
        if !path.exists() {
            // A golden image is written only on request, never because it is missing.
            write_png(&dir.join(format!("{name}.new.png")), &image);
            mismatches.push(format!(
                "{name}: no golden image {} (HOUNSFIELD_UPDATE_SNAPSHOTS=1 writes it; this \
                 render is in {name}.new.png)",
                path.display()
            ));
            continue;
        }
        let golden = read_png(&path);
        let same_shape =
            golden.0 == image.width && golden.1 == image.height && golden.2 == image.channels;
        let worst = if same_shape {
            golden
                .3
                .iter()
                .zip(&image.pixels)
                .map(|(a, b)| a.abs_diff(*b))
                .max()
                .unwrap_or(0)
        } else {
            255
        };
        if worst > 1 {
            mismatches.push(format!("{name}: max |diff| {worst}"));
            write_png(&dir.join(format!("{name}.new.png")), &image);
            if same_shape {
                let diff = RenderedImage {
                    pixels: golden
                        .3
                        .iter()
                        .zip(&image.pixels)
                        .map(|(a, b)| a.abs_diff(*b).saturating_mul(32))
                        .collect(),
                    ..image.clone()
                };
                write_png(&dir.join(format!("{name}.diff.png")), &diff);
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "snapshots differ (see tests/snapshots/*.diff.png): {mismatches:?}"
    );
}

fn write_png(path: &std::path::Path, image: &RenderedImage) {
    let f = std::fs::File::create(path).expect("create png");
    let mut enc = png::Encoder::new(std::io::BufWriter::new(f), image.width, image.height);
    enc.set_color(if image.channels == 3 {
        png::ColorType::Rgb
    } else {
        png::ColorType::Grayscale
    });
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header()
        .expect("png header")
        .write_image_data(&image.pixels)
        .expect("png data");
}

fn read_png(path: &std::path::Path) -> (u32, u32, u8, Vec<u8>) {
    let dec = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(path).expect("open png"),
    ));
    let mut reader = dec.read_info().expect("png info");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("png frame");
    let channels = match info.color_type {
        png::ColorType::Rgb => 3,
        _ => 1,
    };
    buf.truncate(info.buffer_size());
    (info.width, info.height, channels, buf)
}

/// Images larger than the device's largest texture are tiled, frames beyond its array
/// layers split into several arrays: with limits capped at 256 texels and 4 layers, the
/// GPU still equals the CPU reference, across tile seams and in every chunk of frames.
#[test]
fn gpu_tiles_and_frame_chunks() {
    let Some(files) = corpus() else {
        return missing("the test corpus");
    };
    if gpu().is_none() {
        return;
    }
    let mut gpu = Headless::with_limits(Caps {
        texture_2d: Some(256),
        array_layers: Some(4),
        ..Caps::default()
    })
    .expect("capped device");
    let mut zoom = View::fit(256, 240);
    zoom.zoom = 4.0;
    zoom.pan = [35.0, -20.0];
    zoom.filter = Filter::Linear;
    let views = [View::fit(251, 199), zoom];
    let mut checked = 0;
    for (label, frames) in [
        ("pydicom-data/RG3_UNCR.dcm", vec![0usize]),
        ("pydicom-data/US1_UNCR.dcm", vec![0]),
        ("pydicom-data/emri_small.dcm", vec![0, 5, 9]),
        ("pydicom/examples_ybr_color.dcm", vec![0, 13, 29]),
    ] {
        let f = files
            .iter()
            .find(|f| f.label == label)
            .unwrap_or_else(|| panic!("{label} missing"));
        let file = DicomFile::open(&f.path).expect("open");
        let all = file.decode_all_frames().expect("decode");
        let params0 = file.display_parameters(0).expect("params");
        let mut image = gpu
            .renderer()
            .upload(&all, params0.palette.as_ref())
            .expect("upload");
        let (w, h) = image.size();
        assert!(
            image.texture_count() > 1,
            "{label}: {w} x {h} x {} frames was not split",
            all.len()
        );
        for &index in &frames {
            let params = file.display_parameters(index).expect("params");
            for view in &views {
                let options = RenderOptions::default();
                let cpu = render_view(&all[index], &params, &options, view).expect("cpu");
                let pipeline = match all[index].color {
                    FrameColor::Monochrome => Some(
                        GreyPipeline::resolve(&params, &all[index], &options).expect("pipeline"),
                    ),
                    _ => None,
                };
                let state = DrawState {
                    frame: index,
                    pipeline,
                    ..DrawState::new(*view)
                };
                let rgba = gpu.render_rgba(&mut image, &state).expect("gpu");
                let ch = cpu.channels as usize;
                let worst = (0..(view.width * view.height) as usize)
                    .flat_map(|p| (0..ch).map(move |c| (p, c)))
                    .map(|(p, c)| cpu.pixels[p * ch + c].abs_diff(rgba[p * 4 + c]))
                    .max()
                    .unwrap_or(0);
                println!(
                    "{label} frame {} view {}x{} zoom {}: {} textures, max |diff| {worst}",
                    index + 1,
                    view.width,
                    view.height,
                    view.zoom,
                    image.texture_count()
                );
                assert!(
                    worst <= 1,
                    "{label} frame {}: max |diff| {worst}",
                    index + 1
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 16);
}
