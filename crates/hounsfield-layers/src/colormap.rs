//! Colour maps: display levels (0 to 255, the output of the grey pipeline) to sRGB, for
//! parametric maps and fused series.

/// A colour map of 256 entries, indexed by the display level.
///
/// - [`Grey`](ColorMap::Grey): the level itself.
/// - [`HotIron`](ColorMap::HotIron): the Hot Iron Color Palette of PS3.6 Annex B
///   (the well-known palette whose Color Palette IOD PS3.6 lists): red rises first, then
///   green, then blue, to white.
/// - [`Jet`](ColorMap::Jet): the piecewise-linear blue-cyan-yellow-red map of MATLAB and
///   matplotlib, its breakpoints as matplotlib defines them, rounded to the nearest level.
/// - [`Viridis`](ColorMap::Viridis): matplotlib's perceptually uniform map (van der Walt,
///   Smith and Firing, released CC0), its 256 entries rounded to 8 bits.
///
/// ```
/// use hounsfield_layers::colormap::ColorMap;
/// let hot = ColorMap::parse("hot-iron").unwrap();
/// assert_eq!(hot.rgb(0), [0, 0, 0]);
/// assert_eq!(hot.rgb(255), [255, 255, 255]);
/// assert_eq!(ColorMap::Grey.rgb(77), [77, 77, 77]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ColorMap {
    /// Grey levels.
    Grey,
    /// The DICOM Hot Iron palette.
    #[default]
    HotIron,
    /// Jet.
    Jet,
    /// Viridis.
    Viridis,
}

impl ColorMap {
    /// Every colour map, in the order the viewers offer them.
    pub const ALL: [ColorMap; 4] = [
        ColorMap::Grey,
        ColorMap::HotIron,
        ColorMap::Jet,
        ColorMap::Viridis,
    ];

    /// The map named `name`: grey (or gray), hot-iron (or hotiron), jet, viridis; case
    /// and `_` for `-` do not matter.
    pub fn parse(name: &str) -> Option<ColorMap> {
        let n = name.trim().to_ascii_lowercase().replace('_', "-");
        match n.as_str() {
            "grey" | "gray" | "greyscale" | "grayscale" => Some(ColorMap::Grey),
            "hot-iron" | "hotiron" => Some(ColorMap::HotIron),
            "jet" => Some(ColorMap::Jet),
            "viridis" => Some(ColorMap::Viridis),
            _ => None,
        }
    }

    /// The map's name, as [`parse`](Self::parse) reads it.
    pub fn name(self) -> &'static str {
        match self {
            ColorMap::Grey => "grey",
            ColorMap::HotIron => "hot-iron",
            ColorMap::Jet => "jet",
            ColorMap::Viridis => "viridis",
        }
    }

    /// The colour of display level `level`.
    pub fn rgb(self, level: u8) -> [u8; 3] {
        let i = i32::from(level);
        match self {
            ColorMap::Grey => [level; 3],
            // The palette's last entry is white.
            ColorMap::HotIron if level == 255 => [255; 3],
            ColorMap::HotIron => {
                let ramp = |from: i32, step: i32| (step * (i - from)).clamp(0, 255) as u8;
                [ramp(0, 2), ramp(128, 2), ramp(191, 4)]
            }
            ColorMap::Jet => {
                // matplotlib's `_jet_data`: (x, value) breakpoints per channel.
                const RED: &[(f64, f64)] = &[
                    (0.0, 0.0),
                    (0.35, 0.0),
                    (0.66, 1.0),
                    (0.89, 1.0),
                    (1.0, 0.5),
                ];
                const GREEN: &[(f64, f64)] = &[
                    (0.0, 0.0),
                    (0.125, 0.0),
                    (0.375, 1.0),
                    (0.64, 1.0),
                    (0.91, 0.0),
                    (1.0, 0.0),
                ];
                const BLUE: &[(f64, f64)] = &[
                    (0.0, 0.5),
                    (0.11, 1.0),
                    (0.34, 1.0),
                    (0.65, 0.0),
                    (1.0, 0.0),
                ];
                // Level l at 255 (l (1 / 255)) on breakpoints scaled by 255, as matplotlib
                // computes its 256-entry table (many levels fall half-way between two
                // output levels: the same arithmetic rounds them the same way).
                let x = 255.0 * (f64::from(level) * (1.0 / 255.0));
                [RED, GREEN, BLUE].map(|points| {
                    (piecewise(points, x) * 255.0 + 0.5)
                        .floor()
                        .clamp(0.0, 255.0) as u8
                })
            }
            ColorMap::Viridis => {
                let hex = |k: usize| {
                    let pair = &VIRIDIS.as_bytes()[6 * usize::from(level) + 2 * k..][..2];
                    pair.iter().fold(0u8, |v, &c| {
                        (v << 4) | (c as char).to_digit(16).unwrap_or(0) as u8
                    })
                };
                [hex(0), hex(1), hex(2)]
            }
        }
    }

    /// Shows a grey image rendered from `frame` through `view` (`channels` 1) through the
    /// map: each display level becomes its colour (RGB), where the image has data; the
    /// background (outside the image, or outside a plane's volume) stays black, as the
    /// renderers leave it. Colour images are left as they are.
    ///
    /// ```
    /// use hounsfield_dicom::{Frame, FrameColor, Samples};
    /// use hounsfield_layers::colormap::ColorMap;
    /// use hounsfield_pipeline::{RenderedImage, view::View};
    /// let frame = Frame { width: 2, height: 1, color: FrameColor::Monochrome,
    ///                     samples: Samples::U16(vec![0, 255]), bits_stored: 8, signed: false };
    /// let mut image = RenderedImage { width: 2, height: 1, channels: 1, pixels: vec![0, 255], pipeline: None };
    /// ColorMap::HotIron.apply(&mut image, &View::native(2, 1), &frame);
    /// assert_eq!(image.pixels, vec![0, 0, 0, 255, 255, 255]);
    /// ```
    pub fn apply(
        self,
        image: &mut hounsfield_pipeline::RenderedImage,
        view: &hounsfield_pipeline::view::View,
        frame: &hounsfield_dicom::Frame,
    ) {
        if image.channels != 1 {
            return;
        }
        let table = self.table();
        let map = view.mapping(frame.width, frame.height);
        let width = image.width as usize;
        image.pixels = image
            .pixels
            .iter()
            .enumerate()
            .flat_map(|(i, &l)| {
                let (x, y) = ((i % width) as f32 + 0.5, (i / width) as f32 + 0.5);
                let img = map.image_at(x, y);
                match hounsfield_pipeline::sample(frame, img, view.filter, 0) {
                    Some(_) => table[usize::from(l)],
                    None => [0; 3],
                }
            })
            .collect();
        image.channels = 3;
    }

    /// The 256 colours, level by level.
    pub fn table(self) -> Vec<[u8; 3]> {
        (0..=255).map(|l| self.rgb(l)).collect()
    }
}

impl std::fmt::Display for ColorMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Viridis, 256 entries as `rrggbb`: matplotlib's table (`_cm_listed.py`), each value
/// times 255 rounded to nearest. A table is the map's definition: it has no formula.
const VIRIDIS: &str = concat!(
    "44015444025645045745055946075a46085c460a5d460b5e470d60470e61471063471164471365481467481668481769",
    "48186a481a6c481b6d481c6e481d6f481f70482071482173482374482475482576482677482878482979472a7a472c7a",
    "472d7b472e7c472f7d46307e46327e46337f463480453581453781453882443983443a83443b84433d84433e85423f85",
    "4240864241864142874144874045884046883f47883f48893e49893e4a893e4c8a3d4d8a3d4e8a3c4f8a3c508b3b518b",
    "3b528b3a538b3a548c39558c39568c38588c38598c375a8c375b8d365c8d365d8d355e8d355f8d34608d34618d33628d",
    "33638d32648e32658e31668e31678e31688e30698e306a8e2f6b8e2f6c8e2e6d8e2e6e8e2e6f8e2d708e2d718e2c718e",
    "2c728e2c738e2b748e2b758e2a768e2a778e2a788e29798e297a8e297b8e287c8e287d8e277e8e277f8e27808e26818e",
    "26828e26828e25838e25848e25858e24868e24878e23888e23898e238a8d228b8d228c8d228d8d218e8d218f8d21908d",
    "21918c20928c20928c20938c1f948c1f958b1f968b1f978b1f988b1f998a1f9a8a1e9b8a1e9c891e9d891f9e891f9f88",
    "1fa0881fa1881fa1871fa28720a38620a48621a58521a68522a78522a88423a98324aa8325ab8225ac8226ad8127ad81",
    "28ae8029af7f2ab07f2cb17e2db27d2eb37c2fb47c31b57b32b67a34b67935b77937b87838b9773aba763bbb753dbc74",
    "3fbc7340bd7242be7144bf7046c06f48c16e4ac16d4cc26c4ec36b50c46a52c56954c56856c66758c7655ac8645cc863",
    "5ec96260ca6063cb5f65cb5e67cc5c69cd5b6ccd5a6ece5870cf5773d05675d05477d1537ad1517cd2507fd34e81d34d",
    "84d44b86d54989d5488bd6468ed64590d74393d74195d84098d83e9bd93c9dd93ba0da39a2da37a5db36a8db34aadc32",
    "addc30b0dd2fb2dd2db5de2bb8de29bade28bddf26c0df25c2df23c5e021c8e020cae11fcde11dd0e11cd2e21bd5e21a",
    "d8e219dae319dde318dfe318e2e418e5e419e7e419eae51aece51befe51cf1e51df4e61ef6e620f8e621fbe723fde725",
);

/// Linear interpolation through `points` (x ascending in [0, 1]) at `x` in [0, 255].
fn piecewise(points: &[(f64, f64)], x: f64) -> f64 {
    for w in points.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        let (x0, x1) = (x0 * 255.0, x1 * 255.0);
        if x <= x1 {
            return (x - x0) / (x1 - x0) * (y1 - y0) + y0;
        }
    }
    points.last().map_or(0.0, |p| p.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in ColorMap::ALL {
            assert_eq!(ColorMap::parse(m.name()), Some(m));
        }
        assert_eq!(ColorMap::parse("HOT_IRON"), Some(ColorMap::HotIron));
        assert_eq!(ColorMap::parse("rainbow"), None);
    }
}
