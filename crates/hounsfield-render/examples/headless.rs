//! The smallest use of the renderer: the first frame of a DICOM file through the display
//! pipeline on the GPU, headless, to a PNG.
//!
//! ```sh
//! cargo run -p hounsfield-render --example headless -- FILE OUT.png [--window C,W]
//! ```
//!
//! Without `--window`, the file's own window (else its VOI LUT, else the data range).

use hounsfield_core::DicomFile;
use hounsfield_core::pipeline::{GreyPipeline, RenderOptions, VoiSelection};
use hounsfield_core::view::View;
use hounsfield_render::DrawState;
use hounsfield_render::headless::Headless;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output, rest @ ..] = args.as_slice() else {
        return Err("usage: headless FILE OUT.png [--window C,W]".into());
    };
    let voi = match rest {
        [flag, cw] if flag == "--window" => {
            let (c, w) = cw.split_once(',').ok_or("--window CENTER,WIDTH")?;
            VoiSelection::Window {
                center: c.parse()?,
                width: w.parse()?,
            }
        }
        [] => VoiSelection::Default,
        _ => return Err("usage: headless FILE OUT.png [--window C,W]".into()),
    };

    // The file, its first frame decoded to stored values, and its display parameters.
    let file = DicomFile::open(input)?;
    let frame = file.decode_frame(0)?;
    let params = file.display_parameters(0)?;
    let options = RenderOptions {
        voi,
        ..RenderOptions::default()
    };

    // Upload once; draw with the resolved pipeline (grey frames) at the image's size.
    let mut gpu = Headless::new()?;
    let mut image = gpu
        .renderer()
        .upload(std::slice::from_ref(&frame), params.palette.as_ref())?;
    let pipeline = match frame.color {
        hounsfield_core::FrameColor::Monochrome => {
            Some(GreyPipeline::resolve(&params, &frame, &options)?)
        }
        _ => None,
    };
    let state = DrawState {
        pipeline,
        ..DrawState::new(View::native(frame.width, frame.height))
    };
    let rgba = gpu.render_rgba(&mut image, &state)?;

    let out = std::io::BufWriter::new(std::fs::File::create(output)?);
    let mut png = png::Encoder::new(out, frame.width, frame.height);
    png.set_color(png::ColorType::Rgba);
    png.set_depth(png::BitDepth::Eight);
    png.write_header()?.write_image_data(&rgba)?;
    Ok(())
}
