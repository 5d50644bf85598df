//! Overlay planes painted over a rendered image.

use crate::RenderedImage;
use crate::view::View;
use hounsfield_dicom::OverlayMask;

/// Paints the set pixels of `mask` over `image` (rendered through `view`) at full
/// brightness, as DICOM overlays show in "replace" mode: each output pixel takes the
/// overlay bit of the image pixel it shows (nearest, as the view samples it).
///
/// ```
/// use hounsfield_dicom::OverlayMask;
/// use hounsfield_pipeline::{RenderedImage, overlay::paint_overlay, view::View};
/// let mut image = RenderedImage { width: 2, height: 1, channels: 1, pixels: vec![10, 20], pipeline: None };
/// let mask = OverlayMask { width: 2, height: 1, bits: vec![0, 1] };
/// paint_overlay(&mut image, &mask, &View::native(2, 1));
/// assert_eq!(image.pixels, vec![10, 255]);
/// ```
pub fn paint_overlay(image: &mut RenderedImage, mask: &OverlayMask, view: &View) {
    paint_mask(image, mask, view, 255);
}

/// Paints the set pixels of `mask` over `image` (rendered through `view`) in grey level
/// `grey`, each output pixel taking the bit of the image pixel it shows (nearest): a
/// display shutter's covered area in its Shutter Presentation Value.
///
/// ```
/// use hounsfield_dicom::OverlayMask;
/// use hounsfield_pipeline::{RenderedImage, overlay::paint_mask, view::View};
/// let mut image = RenderedImage { width: 2, height: 1, channels: 1, pixels: vec![10, 20], pipeline: None };
/// let covered = OverlayMask { width: 2, height: 1, bits: vec![1, 0] };
/// paint_mask(&mut image, &covered, &View::native(2, 1), 0);
/// assert_eq!(image.pixels, vec![0, 20]);
/// ```
pub fn paint_mask(image: &mut RenderedImage, mask: &OverlayMask, view: &View, grey: u8) {
    let m = view.mapping(mask.width, mask.height);
    let channels = usize::from(image.channels);
    let (w, h) = (mask.width as f32, mask.height as f32);
    for y in 0..image.height {
        for x in 0..image.width {
            let [c, r] = m.image_at(x as f32 + 0.5, y as f32 + 0.5);
            let inside = c >= 0.0 && r >= 0.0 && c < w && r < h;
            if !(inside && mask.get(c.floor() as u32, r.floor() as u32)) {
                continue;
            }
            let i = (y as usize * image.width as usize + x as usize) * channels;
            image.pixels[i..i + channels].fill(grey);
        }
    }
}
