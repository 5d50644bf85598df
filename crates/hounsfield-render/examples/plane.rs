//! A plane (MPR) through a folder's series, on the GPU: the series assembled into a volume,
//! uploaded once as a 3D texture, resampled into the middle sagittal (or axial, coronal)
//! plane, and drawn through the display pipeline with the first slice's window, to a PNG.
//!
//! ```sh
//! cargo run -p hounsfield-render --example plane -- FOLDER OUT.png [axial|sagittal|coronal]
//! ```

use hounsfield_core::folder::Catalog;
use hounsfield_core::pipeline::{GreyPipeline, RenderOptions};
use hounsfield_core::view::View;
use hounsfield_core::volume::{Convention, Orientation, resample};
use hounsfield_render::DrawState;
use hounsfield_render::headless::Headless;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (folder, output, orientation) = match args.as_slice() {
        [f, o] => (f, o, Orientation::Sagittal),
        [f, o, p] => (
            f,
            o,
            Orientation::parse(p).ok_or("axial, sagittal or coronal")?,
        ),
        _ => return Err("usage: plane FOLDER OUT.png [axial|sagittal|coronal]".into()),
    };

    // The folder's first series as a volume (slices sorted along their normal).
    let catalog = Catalog::scan(&[PathBuf::from(folder)]);
    let volume = catalog.volume(0)?;
    let stack = &volume.stack;

    // The middle plane of that orientation, in the radiological convention.
    let (u, v) = orientation.axes(Convention::Radiological);
    let normal = stack.plane(u, v, stack.center()).normal;
    let positions = stack.plane_positions(normal);
    let plane = stack.plane_at(u, v, positions[positions.len() / 2]);

    // The display parameters: the first slice's window with the volume's Modality LUT.
    let first = catalog.open(stack.slices[0].instance)?;
    let mut params = first.display_parameters(stack.slices[0].frame)?;
    params.modality_lut = volume.modality.clone();
    // The pipeline is resolved on the CPU resampling of the plane (its data range when the
    // file has no window); the GPU resamples the same plane from the 3D texture.
    let reference = resample(&volume, &plane, None);
    let pipeline = GreyPipeline::resolve(&params, &reference, &RenderOptions::default())?;

    let mut gpu = Headless::new()?;
    let gpu_volume = gpu.renderer().upload_volume(&volume)?;
    let size = (plane.columns, plane.rows);
    let sampling = volume.sampling(&plane, None);
    let mut image = gpu
        .renderer()
        .resample(&gpu_volume, &sampling, None, size, None)?;
    let state = DrawState {
        pipeline: Some(pipeline),
        ..DrawState::new(View::native(plane.columns, plane.rows))
    };
    let rgba = gpu.render_rgba(&mut image, &state)?;

    let out = std::io::BufWriter::new(std::fs::File::create(output)?);
    let mut png = png::Encoder::new(out, plane.columns, plane.rows);
    png.set_color(png::ColorType::Rgba);
    png.set_depth(png::BitDepth::Eight);
    png.write_header()?.write_image_data(&rgba)?;
    let [right, left, bottom, top] = plane.edge_labels();
    println!(
        "{orientation:?} plane {} x {}: left {left}, right {right}, top {top}, bottom {bottom}",
        plane.columns, plane.rows
    );
    Ok(())
}
