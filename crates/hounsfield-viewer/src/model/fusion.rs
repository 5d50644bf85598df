//! A second series fused over the one on screen (PET over CT, a map over MR): resampled
//! at each pixel's patient position, windowed, coloured by a colour map and laid over the
//! images and planes at an opacity, under the segments and contours. Z fuses the next
//! series of the same Frame of Reference (and, after the last, none); Shift+Z changes the
//! colour map.

use super::{Model, SeriesKey};
use hounsfield_core::layers::colormap::ColorMap;
use hounsfield_core::layers::composite::LayerImage;
use hounsfield_core::layers::fusion::{Fusion, image_plane};
use hounsfield_core::volume::Plane;
use std::sync::Arc;

/// How a fused series is shown: colour map, opacity and window.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct FusionStyle {
    /// The colour map of its display levels.
    pub colormap: ColorMap,
    /// Its opacity, 0 to 1.
    pub opacity: f64,
    /// Its window (centre, width) in its modality units; None: its middle slice's window,
    /// else its whole range.
    pub window: Option<(f64, f64)>,
}

impl Default for FusionStyle {
    fn default() -> Self {
        FusionStyle {
            colormap: ColorMap::HotIron,
            opacity: 0.5,
            window: None,
        }
    }
}

/// The series fused.
#[derive(Debug, Clone)]
pub struct Fused {
    /// Which series.
    key: SeriesKey,
    /// Its volume, window, colour map and opacity.
    pub fusion: Arc<Fusion>,
}

/// What the status says of fusion.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FusionStatus {
    /// The series (indices in the series list) that can be fused over the one on screen:
    /// the others of its Frame of Reference.
    pub candidates: Vec<usize>,
    /// The series fused, if any.
    pub series: Option<usize>,
    /// How it is (or would be) shown; `window` is the one in effect while a series is
    /// fused.
    pub style: FusionStyle,
    /// The units of its values (e.g. "BQML").
    pub units: String,
    /// Its colour bar while a series is fused: its colour map, and its window's edges
    /// with units (as the image's [`ColourBar`](super::ColourBar)).
    pub colour_bar: Option<super::ColourBar>,
}

impl Model {
    fn frame_of_reference(&self, si: usize) -> Option<String> {
        let first = *self.series.get(si)?.instances.first()?;
        self.instances
            .get(first)?
            .file
            .attributes()
            .string(hounsfield_core::tags::FRAME_OF_REFERENCE_UID)
    }

    /// The series that can be fused over the one on screen: the others with a Frame of
    /// Reference UID, the same as its own, and more than one slice.
    pub fn fusion_candidates(&self) -> Vec<usize> {
        let Some(current) = self.current_series_index() else {
            return Vec::new();
        };
        let Some(reference) = self.frame_of_reference(current) else {
            return Vec::new();
        };
        (0..self.series.len())
            .filter(|&si| si != current && self.series[si].instances.len() > 1)
            .filter(|&si| self.frame_of_reference(si).as_deref() == Some(reference.as_str()))
            .collect()
    }

    /// Fuses series `series` (an index in the series list) over the one on screen, or
    /// stops fusing (None). The series must be decoded and lie in the same Frame of
    /// Reference; its first stack and time point is fused.
    pub fn set_fusion(&mut self, series: Option<usize>) -> Result<(), String> {
        let Some(si) = series else {
            if self.fused.take().is_some() {
                self.segmentation_generation += 1;
            }
            return Ok(());
        };
        if !self.fusion_candidates().contains(&si) {
            return Err(format!(
                "series {} cannot be fused over the series on screen (another Frame of \
                 Reference, a single image, or the same series)",
                si + 1
            ));
        }
        let inputs = self.series_inputs(si, 0, 0);
        let waiting = inputs
            .iter()
            .filter(|x| self.instances[x.instance].image.is_none())
            .count();
        if waiting > 0 {
            return Err(format!(
                "series {} is still loading ({waiting} images to decode)",
                si + 1
            ));
        }
        let super::planes::BuiltVolume {
            volume, reduced, ..
        } = self.build_volume(&inputs)?;
        if let Some(r) = reduced {
            self.message(format!("fused series at a reduced resolution: {r}"));
        }
        let fusion = self.styled(Arc::new(volume), self.fusion_style)?;
        self.fused = Some(Fused {
            key: Self::series_key(&self.series[si]),
            fusion: Arc::new(fusion),
        });
        self.segmentation_generation += 1;
        Ok(())
    }

    /// The fusion of `volume` shown as `style`: the window given, else its planes' default
    /// (the middle slice's window, else the volume's range).
    fn styled(
        &self,
        volume: Arc<hounsfield_core::volume::Volume>,
        style: FusionStyle,
    ) -> Result<Fusion, String> {
        let slices = &volume.stack.slices;
        let middle = slices.get(slices.len() / 2).ok_or("no slices")?;
        let slice = self.instances.get(middle.instance).ok_or("no slice")?;
        let image = slice.image.as_ref().ok_or("not decoded")?;
        let mut pipeline = image
            .pipelines
            .get(middle.frame)
            .cloned()
            .flatten()
            .ok_or("the fused series is not grey")?;
        pipeline.voi = match style.window {
            Some((center, width)) => hounsfield_core::pipeline::Voi::Window {
                center,
                width,
                function: hounsfield_core::VoiLutFunction::Linear,
            },
            None => self.planes_voi(&volume.stack).unwrap_or(pipeline.voi),
        };
        pipeline.modality = volume.modality.clone();
        pipeline.inverse = false;
        pipeline.presentation_lut = None;
        Ok(Fusion {
            frame_of_reference: slice
                .file
                .attributes()
                .string(hounsfield_core::tags::FRAME_OF_REFERENCE_UID),
            volume,
            pipeline,
            colormap: style.colormap,
            opacity: style.opacity.clamp(0.0, 1.0),
        })
    }

    /// Changes how the fused series is shown (and will be, for the next one fused): each
    /// given part of the style; `window: Some(None)` goes back to the default window.
    pub fn set_fusion_style(
        &mut self,
        colormap: Option<ColorMap>,
        opacity: Option<f64>,
        window: Option<Option<(f64, f64)>>,
    ) {
        let mut style = self.fusion_style;
        if let Some(c) = colormap {
            style.colormap = c;
        }
        if let Some(a) = opacity.filter(|a| a.is_finite()) {
            style.opacity = a.clamp(0.0, 1.0);
        }
        if let Some(w) = window {
            style.window = w.filter(|(c, w)| c.is_finite() && w.is_finite() && *w > 0.0);
        }
        self.fusion_style = style;
        if let Some(fused) = &self.fused
            && let Ok(f) = self.styled(fused.fusion.volume.clone(), style)
        {
            let key = fused.key.clone();
            self.fused = Some(Fused {
                key,
                fusion: Arc::new(f),
            });
            self.segmentation_generation += 1;
        }
    }

    /// Z: fuses the next candidate series after the one fused (none after the last).
    pub(super) fn cycle_fusion(&mut self) {
        let candidates = self.fusion_candidates();
        let now = self.fused_series_index();
        let next = match now.and_then(|n| candidates.iter().position(|&c| c == n)) {
            Some(p) => candidates.get(p + 1).copied(),
            None => candidates.first().copied(),
        };
        if next.is_none() && now.is_none() {
            self.message("fusion: no other series in this Frame of Reference");
            return;
        }
        match self.set_fusion(next) {
            Ok(()) => match next {
                Some(si) => {
                    let label = self.series[si].label();
                    self.message(format!(
                        "fusion: {label} over this series; Z again for the next"
                    ))
                }
                None => self.message("fusion off"),
            },
            Err(e) => self.message(format!("fusion: {e}")),
        }
    }

    /// Shift+Z: the next colour map for the fused series.
    pub(super) fn cycle_fusion_colormap(&mut self) {
        let all = ColorMap::ALL;
        let k = all
            .iter()
            .position(|&c| c == self.fusion_style.colormap)
            .map_or(0, |k| (k + 1) % all.len());
        self.set_fusion_style(Some(all[k]), None, None);
        self.message(format!("fusion colour map: {}", all[k]));
    }

    /// The index of the series fused in the series list.
    pub fn fused_series_index(&self) -> Option<usize> {
        let key = &self.fused.as_ref()?.key;
        self.series.iter().position(|s| &Self::series_key(s) == key)
    }

    /// The fused series over `plane`, when one is fused and it is not the series on
    /// screen.
    pub(super) fn fusion_layer(&self, plane: &Plane) -> Option<LayerImage> {
        let fused = self.fused.as_ref()?;
        if self.current_series_index() == self.fused_series_index() {
            return None;
        }
        Some(fused.fusion.layer(plane))
    }

    /// The fused series over frame `frame` of instance `id`, on its pixels.
    pub(super) fn fusion_layer_of(&self, id: u64, frame: usize) -> Option<LayerImage> {
        self.fused.as_ref()?;
        let inst = self.instance(id)?;
        let image = inst.file.image().ok()?;
        let plane = image_plane(&inst.file.geometry(frame), image.columns, image.rows).ok()?;
        self.fusion_layer(&plane)
    }

    /// The fused series' value at image position `img` of the slice on screen (its
    /// patient point, trilinear), with its units: "fused 1234 BQML".
    pub fn fused_value_at(&self, img: [f32; 2]) -> Option<String> {
        let fused = self.fused.as_ref()?;
        if self.current_series_index() == self.fused_series_index() {
            return None;
        }
        let (inst, _, frame) = self.current_image()?;
        let image = inst.file.image().ok()?;
        let plane = image_plane(&inst.file.geometry(frame), image.columns, image.rows).ok()?;
        let p = plane.position(f64::from(img[0]) - 0.5, f64::from(img[1]) - 0.5);
        let v = hounsfield_core::volume::value_at(&fused.fusion.volume, p)?;
        let m = hounsfield_core::pipeline::modality_transform(
            &fused.fusion.pipeline.modality,
            f64::from(v),
        );
        let units = self.fused_units();
        Some(
            format!(
                "fused {} {units}",
                super::fmt_value((m * 100.0).round() / 100.0)
            )
            .trim_end()
            .to_string(),
        )
    }

    /// The units of the fused series' values ("" when none is fused or it names none).
    fn fused_units(&self) -> String {
        self.fused_series_index()
            .and_then(|si| self.series[si].instances.first().copied())
            .and_then(|i| self.instances.get(i)?.image.as_ref()?.units.clone())
            .unwrap_or_default()
    }

    /// What the status says of fusion.
    pub fn fusion_status(&self) -> FusionStatus {
        let fused = self.fused.as_ref();
        let mut style = self.fusion_style;
        if let Some(f) = fused {
            style.window = f.fusion.pipeline.window();
        }
        let units = self.fused_units();
        let edge = |v: f64| {
            format!("{} {units}", super::windowing::fmt_value(v))
                .trim_end()
                .to_string()
        };
        let colour_bar = fused
            .and(style.window)
            .map(|(center, width)| super::ColourBar {
                colormap: style.colormap,
                low: edge(center - width / 2.0),
                high: edge(center + width / 2.0),
            });
        FusionStatus {
            candidates: self.fusion_candidates(),
            series: self.fused_series_index(),
            style,
            units,
            colour_bar,
        }
    }
}
