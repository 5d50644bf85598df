//! Window presets radiologists expect (center / width in HU for CT).

/// A named window.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Preset {
    /// Its name, e.g. "Lung".
    pub name: &'static str,
    /// Window centre (HU).
    pub center: f64,
    /// Window width (HU).
    pub width: f64,
}

/// The CT presets, in the order of the viewer's keys 1 to 8.
///
/// ```
/// let lung = hounsfield_pipeline::presets::find("lung").unwrap();
/// assert_eq!((lung.center, lung.width), (-600.0, 1500.0));
/// ```
pub const CT: &[Preset] = &[
    Preset {
        name: "brain",
        center: 40.0,
        width: 80.0,
    },
    Preset {
        name: "subdural",
        center: 75.0,
        width: 215.0,
    },
    Preset {
        name: "stroke",
        center: 40.0,
        width: 40.0,
    },
    Preset {
        name: "lung",
        center: -600.0,
        width: 1500.0,
    },
    Preset {
        name: "mediastinum",
        center: 50.0,
        width: 350.0,
    },
    Preset {
        name: "abdomen",
        center: 40.0,
        width: 400.0,
    },
    Preset {
        name: "liver",
        center: 60.0,
        width: 160.0,
    },
    Preset {
        name: "bone",
        center: 400.0,
        width: 1800.0,
    },
];

/// A CT preset by name (case-insensitive).
pub fn find(name: &str) -> Option<Preset> {
    CT.iter()
        .copied()
        .find(|p| p.name.eq_ignore_ascii_case(name))
}

/// Window change per point of a window/level drag for data whose modality values span
/// `lo..=hi`: the whole range in 1024 points, so that a drag across a typical viewport
/// sweeps the data once, whatever its units.
///
/// ```
/// use hounsfield_pipeline::presets::window_drag_sensitivity;
/// assert_eq!(window_drag_sensitivity(-1024.0, 3071.0), 4.0);
/// assert_eq!(window_drag_sensitivity(0.0, 0.0), 1.0 / 1024.0);
/// ```
pub fn window_drag_sensitivity(lo: f64, hi: f64) -> f64 {
    let span = hi - lo + 1.0;
    if span.is_finite() && span >= 1.0 {
        span / 1024.0
    } else {
        1.0 / 1024.0
    }
}
