//! `hounsfield bench planes [FOLDER]`: what a plane costs on the GPU by how the series'
//! volume is split into textures. The device is capped (as a smaller GPU would be) so that
//! the same volume goes up as one texture, as 2 and 4 bricks of 2D arrays and as 2 bricks
//! of 3D textures; each plane is resampled `repeats` times into the last one's image, as
//! the viewers do, and the median is printed.

use crate::bench::median;
use hounsfield_core::folder::Catalog;
use hounsfield_core::volume::{Convention, Orientation, Plane, Slab, SlabMode, Volume};
use hounsfield_render::headless::{Caps, Headless};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

/// Runs the bench over the first volume of `folder`.
pub fn planes(folder: &Path, repeats: usize) -> Result<ExitCode, String> {
    let volume = Catalog::scan(&[folder.to_path_buf()])
        .volume(0)
        .map_err(|e| format!("{}: {e}", folder.display()))?;
    let (w, h, n) = (
        volume.stack.columns,
        volume.stack.rows,
        volume.stack.slices.len() as u32,
    );
    if n < 3 {
        return Err(format!("{}: {n} slices, 3 at least", folder.display()));
    }
    // Textures of `depth` slices hold n slices in (n - 1) / (depth - 1) bricks.
    let depth = |bricks: u32| (n - 1).div_ceil(bricks) + 1;
    // (what the caps make, for messages; the table says what the device chose)
    let layouts = [
        ("one texture", Caps::default()),
        (
            "arrays, 2 bricks",
            Caps {
                array_layers: Some(depth(2)),
                ..Caps::default()
            },
        ),
        (
            "arrays, 4 bricks",
            Caps {
                array_layers: Some(depth(4)),
                ..Caps::default()
            },
        ),
        (
            "3D, 2 bricks",
            Caps {
                array_layers: Some(1),
                texture_3d: Some(depth(2).max(w).max(h)),
                ..Caps::default()
            },
        ),
    ];
    let centre = volume.stack.center();
    let standard = |o| {
        volume
            .stack
            .standard_plane(o, Convention::Radiological, centre)
    };
    let mip = Some(Slab {
        thickness: 10.0,
        mode: SlabMode::Mip,
    });
    // A quarter of the series from its middle (where 2 bricks meet).
    let axial = standard(Orientation::Axial);
    let quarter = volume
        .sampling(&axial, None)
        .slices
        .last()
        .map_or(0.0, |s| f64::from(s[2]) / 4.0);
    let planes: [(&str, Plane, Option<Slab>); 6] = [
        ("sagittal", standard(Orientation::Sagittal), None),
        ("coronal", standard(Orientation::Coronal), None),
        ("axial", axial, None),
        ("coronal MIP 10 mm", standard(Orientation::Coronal), mip),
        ("axial MIP 10 mm, middle", axial, mip),
        ("axial MIP 10 mm, a quarter off", axial.moved(quarter), mip),
    ];
    let mut columns = Vec::new();
    let mut times = vec![Vec::new(); planes.len()];
    let mut adapter = String::new();
    for (label, caps) in layouts {
        let mut gpu = Headless::with_limits(caps).map_err(|e| e.to_string())?;
        let info = gpu.adapter_info();
        adapter = format!("{} ({:?})", info.name, info.device_type);
        let gv = gpu
            .renderer()
            .upload_volume(&volume)
            .map_err(|e| format!("{label}: {e}"))?;
        let kind = if gv.layered() { "arrays" } else { "3D" };
        columns.push(format!("{kind} in {}", gv.bricks()));
        for (k, (_, plane, slab)) in planes.iter().enumerate() {
            times[k].push(time_plane(&mut gpu, &volume, &gv, plane, *slab, repeats)?);
        }
    }
    println!(
        "planes bench: {} ({w} x {h} x {n}), GPU: {adapter}; median of {repeats} resamples\n",
        folder.display(),
    );
    println!("| plane | size | {} |", columns.join(" | "));
    println!("| --- | --- |{}", " ---: |".repeat(columns.len()));
    for ((name, plane, _), t) in planes.iter().zip(&times) {
        let cells: Vec<String> = t.iter().map(|ms| format!("{ms:.1} ms")).collect();
        println!(
            "| {name} | {} x {} | {} |",
            plane.columns,
            plane.rows,
            cells.join(" | ")
        );
    }
    println!(
        "\nBricks share a slice. A thin plane, and a slab whose samples keep one distance along \
         the slices, is drawn a pass per brick; another slab takes each voxel from its brick."
    );
    Ok(ExitCode::SUCCESS)
}

/// The median time (ms) to resample `plane` and wait for it.
fn time_plane(
    gpu: &mut Headless,
    volume: &Volume,
    gv: &hounsfield_render::volume::GpuVolume,
    plane: &Plane,
    slab: Option<Slab>,
    repeats: usize,
) -> Result<f64, String> {
    let sampling = volume.sampling(plane, slab);
    let mut previous = None;
    let mut times = Vec::with_capacity(repeats);
    // One more than timed: the first creates the pipeline and the image.
    for k in 0..=repeats {
        let t = Instant::now();
        let image = gpu
            .renderer()
            .resample(
                gv,
                &sampling,
                slab.map(|s| s.mode),
                (plane.columns, plane.rows),
                previous.take(),
            )
            .map_err(|e| e.to_string())?;
        gpu.device()
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| e.to_string())?;
        if k > 0 {
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        previous = Some(image);
    }
    Ok(median(times))
}
