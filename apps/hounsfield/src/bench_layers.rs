//! `hounsfield bench layers IMAGE --segmentation SEG...`: what a segment's change of
//! style costs (a segment hidden, an opacity changed): the masks restyled on the GPU from
//! their placed upload (`shaders/masks.wgsl`), beside painting the layer on the CPU and
//! uploading it (what both viewers did for every change before), and the once-per-frame
//! cost of placing and uploading the masks.

use crate::bench::median;
use hounsfield_core::DicomFile;
use hounsfield_core::layers::composite::LayerImage;
use hounsfield_core::layers::masks::{MaskStyle, PlacedMasks};
use hounsfield_core::layers::segmentation::Segmentation;
use hounsfield_render::headless::Headless;
use hounsfield_render::masks::Composition;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Runs the bench over frame 1 of `image` with the segments of `segmentations` that
/// belong to it.
pub fn layers(
    image: &Path,
    segmentations: &[PathBuf],
    folder: Option<&Path>,
    repeats: usize,
) -> Result<ExitCode, String> {
    let file = DicomFile::open(image).map_err(|e| e.to_string())?;
    let description = file.image().map_err(|e| e.to_string())?;
    let (w, h) = (description.columns, description.rows);
    let mut layers = Vec::new();
    for path in segmentations {
        let seg = Segmentation::read(DicomFile::open(path).map_err(|e| e.to_string())?)?;
        layers.extend(seg.layers_for(&file, 0)?);
    }
    if layers.is_empty() {
        return Err(format!(
            "no segment belongs to frame 1 of {}",
            image.display()
        ));
    }
    let masks: Vec<_> = layers.iter().map(|l| (&l.mask, l.placement)).collect();
    let styles_at = |opacity: f64| -> Vec<MaskStyle> {
        layers
            .iter()
            .enumerate()
            .map(|(k, l)| MaskStyle::new(k, l.color, opacity))
            .collect()
    };
    let gpu = Headless::new().map_err(|e| e.to_string())?;
    println!(
        "GPU: {} ({:?}); {} masks over {w} x {h}; median of {repeats}\n",
        gpu.adapter_info().name,
        gpu.adapter_info().device_type,
        layers.len()
    );
    let time = |f: &mut dyn FnMut(usize) -> Result<(), String>| -> Result<f64, String> {
        let mut times = Vec::with_capacity(repeats);
        for i in 0..repeats {
            let t = Instant::now();
            f(i)?;
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        Ok(median(times))
    };
    let place_ms = time(&mut |_| {
        PlacedMasks::place(w, h, &masks);
        Ok(())
    })?;
    let placed = PlacedMasks::place(w, h, &masks);
    let renderer = gpu.renderer();
    let upload_ms = time(&mut |_| {
        renderer.upload_masks(&placed).map_err(|e| e.to_string())?;
        wait(&gpu)
    })?;
    let uploaded = renderer.upload_masks(&placed).map_err(|e| e.to_string())?;
    let mut previous = None;
    let gpu_ms = time(&mut |i| {
        let styles = styles_at(0.3 + 0.01 * i as f64);
        let composition = Composition {
            styles: &styles,
            outline: true,
            under: None,
            over: None,
        };
        previous = Some(
            renderer
                .compose_masks(&uploaded, &composition, previous.take())
                .map_err(|e| e.to_string())?,
        );
        wait(&gpu)
    })?;
    let cpu_style_ms = time(&mut |i| {
        placed.style(&styles_at(0.3 + 0.01 * i as f64), true);
        Ok(())
    })?;
    let before_ms = time(&mut |i| {
        let painted: LayerImage =
            PlacedMasks::place(w, h, &masks).style(&styles_at(0.3 + 0.01 * i as f64), true);
        renderer
            .upload_painted(&painted)
            .map_err(|e| e.to_string())?;
        wait(&gpu)
    })?;
    gpu.check().map_err(|e| e.to_string())?;
    println!("{:<52} {:>10}", "", "median");
    println!("{}", "-".repeat(63));
    let row = |what: &str, ms: f64| println!("{what:<52} {ms:>8.2}ms");
    row("style change: masks restyled on the GPU (now)", gpu_ms);
    row(
        "style change: painted on the CPU and uploaded (before)",
        before_ms,
    );
    row(
        "style change: styled on the CPU (CPU path, placed)",
        cpu_style_ms,
    );
    row("new frame or plane: masks placed on the CPU", place_ms);
    row("new frame or plane: placed masks uploaded", upload_ms);
    if let Some(folder) = folder {
        planes(&gpu, folder, segmentations, repeats)?;
    }
    println!(
        "\nGPU times include waiting for the device; the layer drawn per frame is the same \
         RGBA texture either way."
    );
    Ok(ExitCode::SUCCESS)
}

/// What moving a plane costs with segments over it: placing their masks on the CPU and
/// uploading them, beside placing them on the GPU from the frames uploaded once.
fn planes(
    gpu: &Headless,
    folder: &Path,
    segmentations: &[PathBuf],
    repeats: usize,
) -> Result<(), String> {
    let args = crate::mpr::VolumeArgs {
        plane: Some("sagittal".into()),
        ..Default::default()
    };
    let source = crate::mpr::open_plane(folder, &args)?;
    let renderer = gpu.renderer();
    let segs = segmentations
        .iter()
        .map(|p| Segmentation::read(DicomFile::open(p).map_err(|e| e.to_string())?))
        .collect::<Result<Vec<_>, String>>()?;
    let t = Instant::now();
    let uploads = segs
        .iter()
        .map(|seg| renderer.upload_segmentation(seg).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, String>>()?;
    let upload_ms = t.elapsed().as_secs_f64() * 1e3;
    let plane0 = source.plane;
    // Planes a pixel apart, as a drag of the crosshair moves them.
    let plane_at = |i: usize| {
        let mut p = plane0;
        let n = p.normal;
        let step = p.spacing * (i % 7) as f64;
        p.origin = std::array::from_fn(|c| p.origin[c] + n[c] * step);
        p
    };
    let (columns, rows) = (plane0.columns, plane0.rows);
    let mut cpu = Vec::new();
    let mut on_gpu = Vec::new();
    for i in 0..repeats {
        let plane = plane_at(i);
        let t = Instant::now();
        let mut layers = Vec::new();
        for seg in &segs {
            layers.extend(seg.plane_layers(&plane, None)?);
        }
        let masks: Vec<_> = layers.iter().map(|l| (&l.mask, l.placement)).collect();
        let placed = PlacedMasks::place(columns, rows, &masks);
        renderer.upload_masks(&placed).map_err(|e| e.to_string())?;
        wait(gpu)?;
        cpu.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let grid = hounsfield_core::layers::composite::PlaneGrid::of_plane(&plane);
        let sources: Vec<_> = uploads
            .iter()
            .flat_map(|frames| frames.plane_masks().iter().map(move |&(m, _)| (frames, m)))
            .collect();
        renderer
            .place_on_plane(&grid, (columns, rows), &sources)
            .map_err(|e| e.to_string())?;
        wait(gpu)?;
        on_gpu.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let row = |what: &str, ms: f64| println!("{what:<52} {ms:>8.2}ms");
    println!(
        "\nsagittal plane of {} ({columns} x {rows}), moved a pixel at a time:",
        folder.display()
    );
    row("plane moved: masks placed on the GPU (now)", median(on_gpu));
    row(
        "plane moved: placed on the CPU and uploaded (before)",
        median(cpu),
    );
    row("once: the segmentations' frames uploaded", upload_ms);
    Ok(())
}

/// Waits until the device has done all the work submitted.
fn wait(gpu: &Headless) -> Result<(), String> {
    gpu.device()
        .poll(wgpu::PollType::Wait {
            submission_index: None,
            timeout: None,
        })
        .map(|_| ())
        .map_err(|e| e.to_string())
}
