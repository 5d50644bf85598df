//! Series as volumes on real folders: assembly against the scanners' own tags, folder
//! layouts that must not matter, GPU planes and slabs against the CPU resampling, and
//! the PACSMAN phantom against its reference picture.

use hounsfield_conformance::{gpu, print_table, shared};
use hounsfield_core::folder::Catalog;
use hounsfield_core::pipeline::{GreyPipeline, RenderOptions, VoiSelection, render_view};
use hounsfield_core::view::View;
use hounsfield_core::volume::{
    Convention, Orientation, Plane, Reduction, Slab, SlabMode, Volume, VolumeLimits,
    orientation_label, resample,
};
use hounsfield_core::{
    DicomFile, DisplayParameters, PhotometricInterpretation, VoiLutFunction, tags,
};
use hounsfield_render::DrawState;
use hounsfield_render::headless::{Caps, Headless};
use hounsfield_render::volume::{BrickLayout, MAX_BRICKS};
use std::path::{Path, PathBuf};

fn float_tag(path: &Path, tag: hounsfield_core::Tag, name: &'static str) -> f64 {
    let f = DicomFile::open(path).unwrap_or_else(|e| panic!("{e}"));
    f.attributes()
        .float(tag, name)
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("{}: no {name}", path.display()))
}

#[test]
fn real_series_assemble_with_order_spacing_and_tilt() {
    let (Some(tilt), Some(brain), Some(pacman)) = (
        shared("ct-ge-tilt"),
        shared("ct-philips-brain"),
        shared("synthetic-pacman"),
    ) else {
        return;
    };
    let mut rows = Vec::new();

    // GE head CT with gantry tilt: the scanner's Gantry/Detector Tilt and Slice
    // Locations (measured along z) are the oracle. Spacing along the slice normal is the
    // z step times cos(tilt).
    let c = Catalog::scan(std::slice::from_ref(&tilt));
    assert_eq!(c.series.len(), 1);
    let stack = c.stack(0).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stack.slices.len(), 28);
    let paths: Vec<&Path> = stack
        .slices
        .iter()
        .map(|s| c.path(s.instance).expect("a file"))
        .collect();
    let locations: Vec<f64> = paths
        .iter()
        .map(|p| float_tag(p, tags::SLICE_LOCATION, "Slice Location"))
        .collect();
    assert!(
        locations.windows(2).all(|w| w[0] < w[1]),
        "slices not in the order of their Slice Location: {locations:?}"
    );
    let gantry = float_tag(paths[0], tags::GANTRY_DETECTOR_TILT, "Gantry/Detector Tilt");
    let cos = gantry.to_radians().cos();
    let steps: Vec<f64> = locations.windows(2).map(|w| (w[1] - w[0]) * cos).collect();
    let (lo, hi) = steps
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &s| (a.min(s), b.max(s)));
    let (slo, shi) = stack.report.spacing.unwrap_or((0.0, 0.0));
    assert!(
        (slo - lo).abs() < 0.02 && (shi - hi).abs() < 0.02,
        "spacing {slo}..{shi}, tags say {lo}..{hi}"
    );
    assert!((slo - 1.08).abs() < 0.01 && (shi - 6.99).abs() < 0.015);
    assert!(
        (stack.report.tilt_degrees - gantry.abs()).abs() < 0.05,
        "tilt {} vs Gantry/Detector Tilt {gantry}",
        stack.report.tilt_degrees
    );
    let w = stack.report.warnings.join("; ");
    assert!(
        w.contains("gantry tilt") && w.contains("variable slice spacing"),
        "{w}"
    );
    rows.push(vec![
        "ct-ge-tilt".into(),
        stack.slices.len().to_string(),
        format!("{slo:.2}..{shi:.2} (tags {lo:.2}..{hi:.2})"),
        format!("{:.2} (tag {gantry})", stack.report.tilt_degrees),
        w,
    ]);

    // Philips head CT: 5 mm, no tilt; DIRFILE is not an image.
    let c = Catalog::scan(std::slice::from_ref(&brain));
    assert_eq!(c.series.len(), 1);
    assert!(
        c.skipped.iter().any(|s| s.contains("DIRFILE")),
        "{:?}",
        c.skipped
    );
    let stack = c.stack(0).unwrap_or_else(|e| panic!("{e}"));
    let between = float_tag(
        c.path(0).expect("a file"),
        tags::SPACING_BETWEEN_SLICES,
        "Spacing Between Slices",
    );
    let (slo, shi) = stack.report.spacing.unwrap_or((0.0, 0.0));
    assert_eq!(stack.slices.len(), 28);
    assert!((slo - between).abs() < 0.01 && (shi - between).abs() < 0.01);
    assert!(stack.report.tilt_degrees < 0.01);
    assert!(
        stack.report.warnings.is_empty(),
        "{:?}",
        stack.report.warnings
    );
    rows.push(vec![
        "ct-philips-brain".into(),
        "28".into(),
        format!("{slo:.2}..{shi:.2} (tag {between})"),
        format!("{:.2}", stack.report.tilt_degrees),
        String::new(),
    ]);

    let c = Catalog::scan(std::slice::from_ref(&pacman));
    let stack = c.stack(0).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stack.slices.len(), 128);
    assert_eq!(stack.report.spacing, Some((1.0, 1.0)));
    rows.push(vec![
        "synthetic-pacman".into(),
        "128".into(),
        "1.00..1.00".into(),
        format!("{:.2}", stack.report.tilt_degrees),
        String::new(),
    ]);
    print_table(
        &["series", "slices", "spacing (mm)", "tilt (deg)", "warnings"],
        &rows,
    );
}

#[test]
fn shuffled_names_and_mixed_folders_give_the_same_volumes() {
    let (Some(tilt), Some(brain)) = (shared("ct-ge-tilt"), shared("ct-philips-brain")) else {
        return;
    };
    let reference: Vec<Volume> = [&brain, &tilt]
        .iter()
        .map(|d| {
            Catalog::scan(std::slice::from_ref(*d))
                .volume(0)
                .unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    let tmp = std::env::temp_dir().join(format!("hounsfield-volumes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(tmp.join("nested")).unwrap_or_else(|e| panic!("{e}"));
    // Both series in one folder (one in a subfolder), names shuffled so that name order
    // is neither slice order nor series order, and one slice twice under another name.
    let mut n = 0u64;
    for dir in [&brain, &tilt] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{e}"))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort();
        for f in files {
            n += 1;
            let name = format!("{:08x}", n.wrapping_mul(0x9E37_79B9) % 0xFFFF_FFFF);
            let to = if n.is_multiple_of(3) {
                tmp.join("nested").join(name)
            } else {
                tmp.join(name)
            };
            std::fs::copy(&f, to).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    std::fs::copy(brain.join("I150"), tmp.join("zz-copy-of-I150"))
        .unwrap_or_else(|e| panic!("{e}"));
    let c = Catalog::scan(std::slice::from_ref(&tmp));
    assert_eq!(c.series.len(), 2, "{:?}", c.series);
    let mut found = 0;
    for i in 0..c.series.len() {
        let v = c.volume(i).unwrap_or_else(|e| panic!("{e}"));
        let r = reference
            .iter()
            .find(|r| {
                r.stack.normal == v.stack.normal && r.stack.slices.len() == v.stack.slices.len()
            })
            .unwrap_or_else(|| panic!("series {i} matches no original"));
        assert!(
            v.data == r.data,
            "series {i}: voxels differ from the original folder's"
        );
        let pos = |v: &Volume| {
            v.stack
                .slices
                .iter()
                .map(|s| s.position)
                .collect::<Vec<_>>()
        };
        assert_eq!(pos(&v), pos(r));
        if v.stack
            .report
            .warnings
            .iter()
            .any(|w| w.contains("duplicate position"))
        {
            found += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    assert_eq!(found, 1, "one series must warn about the duplicated slice");
}

fn display_params(v: &Volume) -> DisplayParameters {
    DisplayParameters {
        photometric_interpretation: PhotometricInterpretation::parse("MONOCHROME2"),
        modality_lut: v.modality.clone(),
        windows: Vec::new(),
        voi_lut_function: VoiLutFunction::Linear,
        voi_luts: Vec::new(),
        presentation_lut_shape: None,
        presentation_lut: None,
        palette: None,
        supplemental_palette: false,
        bits_stored: 16,
        signed: true,
        pixel_padding: None,
    }
}

/// The CPU reference of a plane, windowed to 8 bits.
fn cpu_plane(v: &Volume, plane: &Plane, slab: Option<Slab>, window: (f64, f64)) -> Vec<u8> {
    let frame = resample(v, plane, slab);
    let options = RenderOptions {
        voi: VoiSelection::Window {
            center: window.0,
            width: window.1,
        },
        ..RenderOptions::default()
    };
    render_view(
        &frame,
        &display_params(v),
        &options,
        &View::native(frame.width, frame.height),
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .pixels
}

/// The planes and slabs every GPU comparison takes through `v`.
fn plane_cases(v: &Volume) -> Vec<(&'static str, Plane, Option<Slab>)> {
    let c = v.stack.center();
    let oblique = {
        let a = 30f64.to_radians();
        v.stack.plane([a.cos(), a.sin(), 0.0], [0.0, 0.0, -1.0], c)
    };
    let std = |o| v.stack.standard_plane(o, Convention::Radiological, c);
    vec![
        ("sagittal", std(Orientation::Sagittal), None),
        ("coronal", std(Orientation::Coronal), None),
        ("axial", std(Orientation::Axial).moved(1.3), None),
        ("oblique 30 deg", oblique, None),
        (
            "coronal MIP 20 mm",
            std(Orientation::Coronal),
            Some(Slab {
                thickness: 20.0,
                mode: SlabMode::Mip,
            }),
        ),
        (
            "axial MinIP 10 mm",
            std(Orientation::Axial),
            Some(Slab {
                thickness: 10.0,
                mode: SlabMode::MinIp,
            }),
        ),
        (
            "sagittal mean 15 mm",
            std(Orientation::Sagittal),
            Some(Slab {
                thickness: 15.0,
                mode: SlabMode::Mean,
            }),
        ),
    ]
}

/// Uploads `v` to `gpu` (at once, or `part_slices` slices at a time as a viewer does
/// between frames) and compares every plane of [`plane_cases`] in two windows with the
/// CPU resampling (within 1 grey level), adding a row per comparison to `rows`. Returns
/// the bricks of the upload and how many slabs left Pixel Padding out.
fn compare_planes(
    gpu: &mut Headless,
    v: &Volume,
    label: &str,
    rows: &mut Vec<Vec<String>>,
    part_slices: Option<usize>,
) -> ((u32, bool), usize) {
    let gv = match part_slices {
        None => gpu.renderer().upload_volume(v),
        Some(k) => {
            let r = gpu.renderer();
            let n = v.stack.slices.len();
            let slice_bytes = v.data.bytes() / n;
            let mut upload = r
                .begin_volume_upload(v)
                .unwrap_or_else(|e| panic!("{label}: {e}"));
            let mut parts = 0;
            let gv = loop {
                parts += 1;
                let done = r.continue_volume_upload(&mut upload, v, k * slice_bytes);
                match done.unwrap_or_else(|e| panic!("{label}: {e}")) {
                    Some(gv) => break gv,
                    None => assert_eq!(
                        upload.progress(),
                        ((parts * k) as u32, n as u32),
                        "{label}: part {parts}"
                    ),
                }
            };
            assert_eq!(parts, n.div_ceil(k), "{label}: parts of {k} slices");
            Ok(gv)
        }
    }
    .unwrap_or_else(|e| panic!("{label}: {e}"));
    let mut padded_slabs = 0;
    // Each plane is resampled into the last one's image, as the viewers do: a plane of
    // the same size and view is drawn from the image's value cache, which must not show
    // the last plane's values.
    let mut previous: Option<hounsfield_render::GpuImage> = None;
    let mut from_values = 0;
    for (name, plane, slab) in plane_cases(v) {
        let sampling = v.sampling(&plane, slab);
        let mut image = gpu
            .renderer()
            .resample(
                &gv,
                &sampling,
                slab.map(|s| s.mode),
                (plane.columns, plane.rows),
                previous.take(),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        for window in [(40.0, 80.0), (300.0, 2000.0)] {
            let want = cpu_plane(v, &plane, slab, window);
            // Slabs through a volume with Pixel Padding leave it out on both sides.
            padded_slabs += usize::from(sampling.padding.is_some());
            let options = RenderOptions {
                voi: VoiSelection::Window {
                    center: window.0,
                    width: window.1,
                },
                ..RenderOptions::default()
            };
            let frame = resample(v, &plane, slab);
            // A slab never shows a padding value (the air outside the reconstruction
            // circle would be every MinIP's minimum).
            if let (Some([lo, hi]), Some(_)) = (sampling.padding, slab) {
                let picked = (0..frame.samples.len())
                    .map(|i| frame.samples.get_f64(i))
                    .filter(|&x| x >= f64::from(lo) && x <= f64::from(hi))
                    .count();
                assert_eq!(picked, 0, "{label}: {name} picked padding values");
            }
            let state = DrawState {
                pipeline: Some(
                    GreyPipeline::resolve(&display_params(v), &frame, &options)
                        .unwrap_or_else(|e| panic!("{e}")),
                ),
                ..DrawState::new(View::native(plane.columns, plane.rows))
            };
            let got = gpu
                .render_rgba(&mut image, &state)
                .unwrap_or_else(|e| panic!("{e}"));
            from_values += usize::from(image.drawn_from_values());
            let mut worst = 0u8;
            let mut off = 0usize;
            for (i, &w) in want.iter().enumerate() {
                let d = got[4 * i].abs_diff(w);
                worst = worst.max(d);
                if d > 1 {
                    off += 1;
                }
            }
            let (c, r, n) = gv.size();
            rows.push(vec![
                label.to_string(),
                format!("{c} x {r} x {n} in {}", gv.bricks()),
                name.to_string(),
                format!("{} x {}", plane.columns, plane.rows),
                format!("{}/{}", window.0, window.1),
                worst.to_string(),
            ]);
            assert!(
                worst <= 1,
                "{label}: {name} window {window:?}: GPU differs from the CPU resampling by {worst} at {off} pixels"
            );
        }
        previous = Some(image);
    }
    assert!(
        from_values > 0,
        "{label}: no plane was drawn from its value cache"
    );
    ((gv.bricks(), gv.layered()), padded_slabs)
}

const TABLE: [&str; 6] = [
    "series",
    "volume in bricks",
    "plane",
    "size",
    "window",
    "max diff",
];

fn series_name(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default()
}

#[test]
fn gpu_planes_and_slabs_match_the_cpu_resampling() {
    let (Some(tilt), Some(brain)) = (shared("ct-ge-tilt"), shared("ct-philips-brain")) else {
        return;
    };
    let Some(mut gpu) = gpu() else { return };
    let mut rows = Vec::new();
    let mut padded_slabs = 0;
    for dir in [&tilt, &brain] {
        let v = Catalog::scan(std::slice::from_ref(dir))
            .volume(0)
            .unwrap_or_else(|e| panic!("{e}"));
        padded_slabs += compare_planes(&mut gpu, &v, &series_name(dir), &mut rows, None).1;
    }
    print_table(&TABLE, &rows);
    assert!(
        padded_slabs > 0,
        "no slab had Pixel Padding to leave out (ct-ge-tilt has -1500): the GPU's exclusion was not compared"
    );
}

/// Devices whose 3D textures are smaller than the series (capped at 16, 8 and 4 per
/// side) and a memory budget smaller than the series: the volume is reduced just enough
/// for the device (every n-th column, row and slice) and split into up to four bricks
/// of slices (sharing a slice each), and every plane equals the CPU resampling of the
/// same reduced volume: thin planes drawn a pass per brick, slabs in one pass over every
/// brick. The bricks are 2D texture arrays where the device's arrays hold the volume,
/// and 3D textures where they hold one slice.
#[test]
fn bricked_and_reduced_volumes_match_the_cpu_resampling_at_the_resolution_shown() {
    let (Some(tilt), Some(brain)) = (shared("ct-ge-tilt"), shared("ct-philips-brain")) else {
        return;
    };
    let Some(mut full_device) = gpu() else { return };
    let mut rows = Vec::new();
    let mut bricks_seen = Vec::new();
    for dir in [&tilt, &brain] {
        let v = Catalog::scan(std::slice::from_ref(dir))
            .volume(0)
            .unwrap_or_else(|e| panic!("{e}"));
        let full = (v.stack.columns, v.stack.rows, v.stack.slices.len() as u32);
        for (cap, layered) in [16, 8, 4].into_iter().flat_map(|c| [(c, true), (c, false)]) {
            let mut gpu = Headless::with_limits(Caps {
                texture_3d: Some(cap),
                array_layers: Some(if layered { cap } else { 1 }),
                ..Caps::default()
            })
            .unwrap_or_else(|e| panic!("{e}"));
            let limits = gpu.renderer().volume_limits();
            assert_eq!(limits.max_slices, MAX_BRICKS * (cap - 1) + 1);
            let r = Reduction::within(&limits, &v.stack, 2).unwrap_or_else(|e| panic!("{e}"));
            let small = v.reduced(r);
            let label = format!(
                "{}, {} of {cap}",
                series_name(dir),
                if layered { "arrays" } else { "3D textures" }
            );
            // The full volume does not fit the 3D textures (arrays are as wide as 2D
            // textures); the reduction does, in bricks.
            if !layered {
                assert!(gpu.renderer().upload_volume(&v).is_err(), "{label}");
            }
            // Three slices a part, as a viewer uploads between frames: parts straddle
            // the bricks.
            let ((bricks, arrays), _) =
                compare_planes(&mut gpu, &small, &label, &mut rows, Some(3));
            assert_eq!(arrays, layered, "{label}");
            let (c, w, n) = r.size(full);
            assert!(
                c <= cap && w <= cap && n <= MAX_BRICKS * (cap - 1) + 1,
                "{label}: {r:?}"
            );
            let layout = BrickLayout::new(n, cap).unwrap_or_else(|| panic!("{label}: {n}"));
            assert_eq!(bricks, layout.bricks, "{label}");
            bricks_seen.push(bricks);
        }
        // A memory budget of a fifth of the voxels, on the full device.
        let limits = VolumeLimits {
            max_bytes: Some(v.data.bytes() as u64 / 5),
            ..full_device.renderer().volume_limits()
        };
        let r = Reduction::within(&limits, &v.stack, 2).unwrap_or_else(|e| panic!("{e}"));
        let small = v.reduced(r);
        assert!(small.data.bytes() as u64 <= v.data.bytes() as u64 / 5);
        assert!(!r.is_full());
        let label = format!("{}, budget {}", series_name(dir), r.describe(full));
        compare_planes(&mut full_device, &small, &label, &mut rows, None);
    }
    print_table(&TABLE, &rows);
    assert!(
        bricks_seen.contains(&4) && bricks_seen.contains(&2),
        "no volume was split into 2 and 4 bricks: {bricks_seen:?}"
    );
}

/// Features of a cut: centroid of the head and of the eyes on each half (normalised to
/// the cut's extent), from a classifier of pixels.
#[derive(Debug)]
struct Features {
    head: [f64; 2],
    eyes: [Option<[f64; 2]>; 2],
}

fn features(w: usize, h: usize, class: impl Fn(usize, usize) -> u8) -> Features {
    let mut head = (0.0, 0.0, 0.0);
    let mut eyes = [(0.0, 0.0, 0.0); 2];
    for y in 0..h {
        for x in 0..w {
            let (fx, fy) = ((x as f64 + 0.5) / w as f64, (y as f64 + 0.5) / h as f64);
            match class(x, y) {
                2 => head = (head.0 + fx, head.1 + fy, head.2 + 1.0),
                1 => {
                    let e = &mut eyes[usize::from(fx >= 0.5)];
                    *e = (e.0 + fx, e.1 + fy, e.2 + 1.0);
                }
                _ => {}
            }
        }
    }
    let c = |s: (f64, f64, f64)| (s.2 > 20.0).then(|| [s.0 / s.2, s.1 / s.2]);
    Features {
        head: c(head).unwrap_or([f64::NAN; 2]),
        eyes: [c(eyes[0]), c(eyes[1])],
    }
}

fn read_png_rgb(path: &Path) -> (usize, usize, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(path).unwrap_or_else(|e| panic!("{e}")),
    ));
    let mut reader = decoder.read_info().unwrap_or_else(|e| panic!("{e}"));
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader
        .next_frame(&mut buf)
        .unwrap_or_else(|e| panic!("{e}"));
    let ch = info.color_type.samples();
    let rgb = buf[..info.buffer_size()]
        .chunks_exact(ch)
        .flat_map(|p| [p[0], p[1 % ch], p[2 % ch]])
        .collect();
    (info.width as usize, info.height as usize, rgb)
}

#[test]
fn pacsman_cuts_agree_with_the_reference_picture() {
    let Some(dir) = shared("synthetic-pacman") else {
        return;
    };
    let picture = dir.join("pacsman-orthogonal-cuts.png");
    let (pw, _, rgb) = read_png_rgb(&picture);
    let v = Catalog::scan(std::slice::from_ref(&dir))
        .volume(0)
        .unwrap_or_else(|e| panic!("{e}"));
    // The picture (drawn by nilearn) shows three 220 x 220 cuts side by side from row 65,
    // in the neurological convention: coronal through the eyes (y = -80 mm in DICOM's
    // LPS), sagittal through one eye (x = 37 mm from the middle), axial through the eyes
    // (z = 100 mm). Eyes are teal, the head yellow.
    let cuts = [
        (Orientation::Coronal, [0.0, -80.0, 64.0]),
        (Orientation::Sagittal, [-37.0, -64.0, 64.0]),
        (Orientation::Axial, [0.0, -64.0, 100.0]),
    ];
    let mut rows = Vec::new();
    for (n, (orientation, center)) in cuts.iter().enumerate() {
        let pic = features(220, 220, |x, y| {
            let i = ((65 + y) * pw + 220 * n + x) * 3;
            match (rgb[i], rgb[i + 1], rgb[i + 2]) {
                (r, g, b) if r > 200 && g > 180 && b < 100 => 2,
                (r, g, b) if r < 80 && g > 110 && b > 110 && g < 180 => 1,
                _ => 0,
            }
        });
        for convention in [Convention::Neurological, Convention::Radiological] {
            let plane = v.stack.standard_plane(*orientation, convention, *center);
            let frame = resample(&v, &plane, None);
            let (w, h) = (plane.columns as usize, plane.rows as usize);
            assert_eq!((w, h), (128, 128), "{orientation:?}");
            let mirrored = convention == Convention::Radiological;
            let ours = features(w, h, |x, y| {
                let x = if mirrored { w - 1 - x } else { x };
                match frame.samples.get_f64(y * w + x) as i64 {
                    2 => 2,
                    1 => 1,
                    _ => 0,
                }
            });
            let close =
                |a: [f64; 2], b: [f64; 2]| (a[0] - b[0]).abs() < 0.05 && (a[1] - b[1]).abs() < 0.05;
            assert!(
                close(ours.head, pic.head),
                "{orientation:?} {convention:?}: head {ours:?} vs picture {pic:?}"
            );
            for side in 0..2 {
                match (ours.eyes[side], pic.eyes[side]) {
                    (Some(a), Some(b)) => assert!(
                        close(a, b),
                        "{orientation:?} {convention:?}: eye {side} {a:?} vs {b:?}"
                    ),
                    (None, None) => {}
                    (a, b) => panic!(
                        "{orientation:?} {convention:?}: eye {side}: ours {a:?}, picture {b:?}"
                    ),
                }
            }
            // Orientation labels: the picture's L/R in neurological convention, mirrored
            // in radiological; the sagittal cut has anterior on the right in the picture.
            let [right, left, bottom, top] = plane.edge_labels();
            let expect: (&str, &str) = match (orientation, convention) {
                (Orientation::Sagittal, Convention::Neurological) => ("A", "P"),
                (Orientation::Sagittal, Convention::Radiological) => ("P", "A"),
                (_, Convention::Neurological) => ("R", "L"),
                (_, Convention::Radiological) => ("L", "R"),
            };
            assert_eq!(
                (right.as_str(), left.as_str()),
                expect,
                "{orientation:?} {convention:?}"
            );
            let vertical = if *orientation == Orientation::Axial {
                ("P", "A")
            } else {
                ("I", "S")
            };
            assert_eq!((bottom.as_str(), top.as_str()), vertical);
            rows.push(vec![
                format!("{orientation:?}"),
                format!("{convention:?}"),
                format!("{left} | {right}"),
                format!("{:.2},{:.2}", ours.head[0], ours.head[1]),
                format!(
                    "{:?}",
                    ours.eyes
                        .map(|e| e.map(|e| format!("{:.2},{:.2}", e[0], e[1])))
                ),
                format!(
                    "{:?}",
                    pic.eyes
                        .map(|e| e.map(|e| format!("{:.2},{:.2}", e[0], e[1])))
                ),
            ]);
        }
    }
    assert_eq!(orientation_label([-1.0, 0.0, 0.0]), "R");
    print_table(
        &[
            "cut",
            "convention",
            "labels",
            "head centroid",
            "eyes (ours, as in the picture)",
            "eyes (picture)",
        ],
        &rows,
    );
}
