//! The smallest use of the renderer: the first frame of a DICOM file through the display
//! pipeline on the GPU, headless, to a PNG.
//!
//! ```sh
//! cargo run -p hounsfield-render --example headless -- FILE OUT.png [--window C,W]
//! ```
//!
//! Without `--window`, the file's own window (else its VOI LUT, else the data range).

use hounsfield_core::DicomFile;
use hounsfield_core::pipeline::{RenderOptions, VoiSelection};
use hounsfield_render::headless::Headless;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (input, output, voi) = match args.as_slice() {
        [i, o] => (i, o, VoiSelection::Default),
        [i, o, flag, cw] if flag == "--window" => {
            let (c, w) = cw.split_once(',').ok_or("--window CENTER,WIDTH")?;
            let (center, width) = (c.parse()?, w.parse()?);
            (i, o, VoiSelection::Window { center, width })
        }
        _ => return Err("usage: headless FILE OUT.png [--window C,W]".into()),
    };

    let file = DicomFile::open(input)?;
    let mut gpu = Headless::new()?;
    let options = RenderOptions {
        voi,
        ..RenderOptions::default()
    };
    let (width, height, rgba) = gpu.render_frame(&file, 0, &options)?;

    let mut png = png::Encoder::new(std::fs::File::create(output)?, width, height);
    png.set_color(png::ColorType::Rgba);
    png.set_depth(png::BitDepth::Eight);
    png.write_header()?.write_image_data(&rgba)?;
    Ok(())
}
