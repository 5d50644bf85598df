//! Input to action: the viewer's mouse and keyboard conventions, with no window.
//!
//! The window layer turns winit/egui events into [`Input`]s; [`action_for`] maps each one
//! to an [`Action`] following the conventions of radiology viewers:
//!
//! | input | action |
//! | --- | --- |
//! | left drag | window/level: horizontal = width, vertical = centre |
//! | right drag | zoom (up = in) |
//! | middle drag, Shift + left drag | pan |
//! | wheel, Up/Down, Left/Right | previous / next slice or frame |
//! | PgUp / PgDn, Home / End | 10 slices back / on, first / last |
//! | Ctrl + wheel | zoom |
//! | double click | fit |
//! | A | 1:1 (one image pixel per screen pixel) |
//! | 1 - 9 | window presets |
//! | I, R, F, V | invert, reset, flip left-right, flip top-bottom |
//! | E, Q | turn a quarter clockwise, counter-clockwise |
//! | Space | cine play / pause (through the time points of a 4D series) |
//! | N / P, K | next / previous time point (4D), next stack |
//! | O, Shift + O | overlays (60xx) on / off, display shutter on / off |
//! | Y | presentation states (GSPS) on / off |
//! | J | segmentations (DICOM SEG) and structure sets (RTSTRUCT) on / off |
//! | Tab / Shift + Tab | next / previous series |
//! | H (or F1), T, S | help, tag browser, series list |
//! | Ctrl+O, Ctrl+S | open files, save the view as PNG |
//! | files dropped on the window | open them |
//! | M | layout: images, axial/sagittal/coronal planes, both |
//! | click in a plane | move the crosshair there (the other planes follow) |
//! | Ctrl + left drag in a plane | rotate the other planes about it (oblique) |
//! | B | slab: thin, MIP, MinIP, mean |
//! | L, G (again: Cobb), X, C, D, U, W | measure: length, angle, rectangle, ellipse, freehand, probe; W window/level |
//! | Delete / Backspace, Ctrl + Z | delete the selected measurement, undo |
//! | Ctrl + Shift + S | save the measurements (DICOM SR and JSON) |

use crate::annotate::Tool;
use std::path::PathBuf;

/// A mouse button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Button {
    /// The primary (left) button.
    Left,
    /// The secondary (right) button.
    Right,
    /// The middle button (or wheel press).
    Middle,
}

/// Modifier keys held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Modifiers {
    /// Control (Command on macOS).
    pub ctrl: bool,
    /// Shift.
    pub shift: bool,
    /// Alt (Option on macOS).
    pub alt: bool,
}

/// Keys the viewer reacts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A digit key 0-9.
    Digit(u8),
    /// A letter key, lower case.
    Letter(char),
    /// The space bar.
    Space,
    /// Arrow up.
    Up,
    /// Arrow down.
    Down,
    /// Arrow left.
    Left,
    /// Arrow right.
    Right,
    /// Page Up.
    PageUp,
    /// Page Down.
    PageDown,
    /// Home.
    Home,
    /// End.
    End,
    /// Tab.
    Tab,
    /// Escape.
    Escape,
    /// F1.
    F1,
    /// Delete.
    Delete,
    /// Backspace.
    Backspace,
}

/// Both ends of a drag in the pane where it began: device pixels from the pane's top
/// left (pixel centres at +0.5), and the pane's size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PanePoints {
    /// Where the button went down.
    pub start: [f32; 2],
    /// Where the pointer is now (may lie outside the pane).
    pub now: [f32; 2],
    /// The pane's size in pixels.
    pub size: [u32; 2],
}

/// One input event over the image area (or, for keys and drops, anywhere).
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// The pointer moved by `delta` (points) while `button` is held.
    Drag {
        /// The button held.
        button: Button,
        /// The movement since the last event, in points (right and down positive).
        delta: [f32; 2],
        /// The modifier keys held.
        modifiers: Modifiers,
        /// Both ends of the drag in the pane where it began (None when it began outside
        /// every pane).
        at: Option<PanePoints>,
    },
    /// The button of a drag went up.
    DragEnd {
        /// The button released.
        button: Button,
        /// Both ends of the drag in the pane where it began.
        at: Option<PanePoints>,
    },
    /// Wheel turned by `lines` notches (positive = away from the user, "up").
    Scroll {
        /// Notches turned (fractions from touchpads).
        lines: f32,
        /// The modifier keys held.
        modifiers: Modifiers,
    },
    /// A double click of the left button.
    DoubleClick,
    /// Two fingers: their distance changed by `scale`, their midpoint, at `about` from the
    /// pane's centre before the move, moved by `pan` (points).
    Pinch {
        /// New distance over old.
        scale: f32,
        /// Movement of the midpoint.
        pan: [f32; 2],
        /// The midpoint before the move, from the pane's centre.
        about: [f32; 2],
    },
    /// A left click without a drag at `at` (pixels from the top left of the pane under
    /// it, whose size is `size` pixels).
    Click {
        /// Where, in pixels from the pane's top left.
        at: [f32; 2],
        /// The pane's size in pixels.
        size: [u32; 2],
    },
    /// A key pressed.
    Key {
        /// Which key.
        key: Key,
        /// The modifier keys held.
        modifiers: Modifiers,
    },
    /// Files or folders dropped on the window.
    Dropped(Vec<PathBuf>),
}

/// What the viewer does.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Window change in points dragged: `dx` widens, `dy` raises the centre.
    AdjustWindow {
        /// Points dragged right.
        dx: f32,
        /// Points dragged down.
        dy: f32,
    },
    /// Multiply the zoom.
    Zoom(f64),
    /// Multiply the zoom about a point, then move the image by points: a two-finger pinch.
    Pinch {
        /// Zoom factor.
        zoom: f64,
        /// The point that stays put, in points from the pane's centre.
        about: [f32; 2],
        /// Points right.
        dx: f32,
        /// Points down.
        dy: f32,
    },
    /// Move the image by points.
    Pan {
        /// Points right.
        dx: f32,
        /// Points down.
        dy: f32,
    },
    /// Move through slices / frames.
    Slice(i64),
    /// Go to the first slice (or frame).
    FirstSlice,
    /// Go to the last slice (or frame).
    LastSlice,
    /// Fit the image to the pane (zoom 1, no pan).
    Fit,
    /// Zoom to 1:1: one image pixel per screen pixel.
    ActualSize,
    /// Preset key 1-9.
    Preset(u8),
    /// Invert the grey levels (on top of the Presentation LUT).
    Invert,
    /// Back to the file's window and the fitted view.
    Reset,
    /// Mirror left and right.
    FlipHorizontal,
    /// Mirror top and bottom.
    FlipVertical,
    /// Turn the image by quarter turns: 1 clockwise, -1 counter-clockwise.
    TurnQuarter(i8),
    /// Start or stop cine (frames or slices played at their Frame Time; the time points
    /// of a 4D series).
    ToggleCine,
    /// Move through the time points (phases, b-values) of a 4D series, at the same slice.
    TimePoint(i64),
    /// Show the next stack of a multi-stack series (magnitude, phase, field map...).
    NextStack,
    /// Show or hide the overlay planes (60xx) of the image.
    ToggleOverlays,
    /// Apply or lift the display shutter of the image.
    ToggleShutters,
    /// Show or hide the segmentations and structure sets over the images.
    ToggleSegmentations,
    /// Show grey images through this colour map (None: grey).
    Colormap(Option<hounsfield_core::layers::colormap::ColorMap>),
    /// The next colour map for grey images (after the last, grey).
    CycleColormap,
    /// Fuse the next series of the same Frame of Reference over the one on screen (none
    /// after the last).
    CycleFusion,
    /// Show the fused series in the next colour map.
    CycleFusionColormap,
    /// Fuse this series (an index in the series list) over the one on screen, or none.
    Fuse(Option<usize>),
    /// Change how the fused series is shown; None leaves a part as it is.
    FusionStyle {
        /// The colour map.
        colormap: Option<hounsfield_core::layers::colormap::ColorMap>,
        /// The opacity, 0 to 1.
        opacity: Option<f64>,
        /// The window (centre, width); Some(None): the default window.
        window: Option<Option<(f64, f64)>>,
    },
    /// Show or hide one segment of the segment list (by its index there), or set its fill
    /// opacity (0 to 1).
    SetSegment {
        /// The index in [`Model::segment_list`](crate::model::Model::segment_list).
        index: usize,
        /// Shown or hidden; None leaves it.
        visible: Option<bool>,
        /// The fill opacity; None leaves it.
        opacity: Option<f64>,
    },
    /// Show the images through their presentation states (GSPS), or without them.
    TogglePresentationStates,
    /// Show the next series.
    NextSeries,
    /// Show the previous series.
    PreviousSeries,
    /// Show or hide the help.
    ToggleHelp,
    /// Show or hide the data element panel.
    ToggleTags,
    /// Show or hide the series list.
    ToggleSeriesList,
    /// Ask the platform for files to open (see [`crate::model::Effect`]).
    OpenDialog,
    /// Save the view as a PNG (the platform chooses where).
    Save,
    /// Open these files and folders.
    Open(Vec<PathBuf>),
    /// Close overlays (help).
    Dismiss,
    /// Switch to this layout, or the next one.
    Layout(Option<crate::mpr::Layout>),
    /// Move the crosshair to a point of the plane under the pointer (see [`Input::Click`]).
    Crosshair {
        /// Where, in pixels from the pane's top left.
        at: [f32; 2],
        /// The pane's size in pixels.
        size: [u32; 2],
    },
    /// Rotate the other planes about the plane under the pointer (points dragged).
    Rotate(f32),
    /// Cycle the slab mode.
    CycleSlab,
    /// Set the slab: thickness (mm) and mode, or thin planes.
    Slab(Option<hounsfield_core::volume::Slab>),
    /// Show slice `index` of plane `plane`.
    GoToPlaneSlice {
        /// The plane: 0, 1 or 2 (see [`crate::mpr::Pane`]).
        plane: usize,
        /// The slice, 0 = the first of [`crate::mpr::MprState::slices`].
        index: usize,
    },
    /// Patient left on screen left (true) or right (false, radiological).
    Neurological(bool),
    /// Take a measuring tool (or, with [`Tool::WindowLevel`], none); the angle's key
    /// pressed again takes the Cobb angle.
    Tool(crate::annotate::Tool),
    /// A pointer step of a measurement in the image pane: draw with the tool, or move a
    /// handle (see [`crate::model::Model::action_for`]).
    Measure(crate::annotate::PointerStep),
    /// Delete the selected measurement.
    DeleteMeasurement,
    /// Select measurement `id` and show the image it was drawn on.
    SelectMeasurement(u64),
    /// Undo the last change to the measurements.
    Undo,
    /// Save the measurements as a DICOM Structured Report (and JSON).
    SaveMeasurements,
}

/// The keys and mouse of the viewers, for help screens: (input, action).
pub const HELP: &[(&str, &str)] = &[
    (
        "Left drag",
        "window / level (horizontal: width, vertical: centre)",
    ),
    ("Right drag", "zoom (up: in)"),
    ("Middle drag, Shift + left drag", "pan"),
    (
        "Wheel, Up / Down, Left / Right",
        "previous / next slice or frame",
    ),
    (
        "PgUp / PgDn, Home / End",
        "10 slices back / on, first / last",
    ),
    ("Ctrl + wheel", "zoom"),
    ("Double click", "fit to the window"),
    ("A", "1:1 (one image pixel per screen pixel)"),
    (
        "Touch: one finger, two fingers",
        "as the left button (tap, double tap, drag); pinch to zoom and pan",
    ),
    (
        "1 - 9",
        "presets (CT: brain, subdural, stroke, lung, mediastinum, abdomen, liver, bone, file); otherwise the file's windows, then min-max",
    ),
    ("I", "invert"),
    ("R", "reset window, zoom, pan, flips"),
    ("F / V", "flip left-right / top-bottom"),
    ("E / Q", "turn a quarter clockwise / counter-clockwise"),
    (
        "Space",
        "cine play / pause (a 4D series plays its time points)",
    ),
    (
        "N / P",
        "next / previous time point of a 4D series (same slice)",
    ),
    ("K", "next stack of a multi-stack series"),
    ("O", "overlays (60xx) on / off"),
    ("Shift + O", "display shutter on / off"),
    (
        "Y",
        "presentation states (GSPS opened with their images) on / off",
    ),
    (
        "J",
        "segmentations (DICOM SEG) and structure sets (RTSTRUCT) opened with their images on / off",
    ),
    (
        "Shift + I",
        "colour map of grey images: hot iron, jet, viridis, grey (parametric maps, PET)",
    ),
    (
        "Z / Shift + Z",
        "fuse the next series of this Frame of Reference over this one (none after the last) / its next colour map",
    ),
    ("Tab / Shift + Tab", "next / previous series"),
    ("S / T", "series list / tag browser"),
    ("Ctrl + O", "open files"),
    ("Ctrl + S", "save the view as PNG"),
    ("H, F1 / Esc", "this help / close it"),
    ("Drop files or folders", "open them"),
    (
        "M",
        "layout: images / axial, sagittal, coronal / both (2 x 2)",
    ),
    (
        "Click in a plane",
        "move the crosshair there (the others follow)",
    ),
    (
        "Ctrl + left drag in a plane",
        "rotate the other planes (oblique)",
    ),
    ("B", "slab: thin / MIP / MinIP / mean"),
    (
        "L / G / X / C / D / U",
        "measure: length / angle (G again: Cobb angle) / rectangle / ellipse / freehand / probe: left drag draws (an angle's second arm: a click or a drag)",
    ),
    ("W, Esc", "back to window / level (no measuring tool)"),
    ("Drag a handle", "move a point of a measurement"),
    (
        "Delete / Backspace, Ctrl + Z",
        "delete the selected measurement, undo",
    ),
];

/// Zoom factor per point of right-drag.
const ZOOM_PER_POINT: f64 = 0.01;
/// Zoom factor per wheel notch with Ctrl.
const ZOOM_PER_NOTCH: f64 = 1.1;

/// The action for one input, if any.
pub fn action_for(input: &Input) -> Option<Action> {
    Some(match input {
        Input::Drag {
            button,
            delta: [dx, dy],
            modifiers,
            ..
        } => match button {
            Button::Left if modifiers.shift => Action::Pan { dx: *dx, dy: *dy },
            Button::Left if modifiers.ctrl => Action::Rotate(*dx),
            Button::Left => Action::AdjustWindow { dx: *dx, dy: *dy },
            Button::Middle => Action::Pan { dx: *dx, dy: *dy },
            Button::Right => Action::Zoom((-f64::from(*dy) * ZOOM_PER_POINT).exp()),
        },
        Input::Scroll { lines, modifiers } => {
            if *lines == 0.0 {
                return None;
            }
            if modifiers.ctrl {
                Action::Zoom(ZOOM_PER_NOTCH.powf(f64::from(*lines)))
            } else {
                // Wheel towards the user (down) goes to the next slice.
                let steps = -lines.round() as i64;
                if steps == 0 {
                    return None;
                }
                Action::Slice(steps)
            }
        }
        Input::DragEnd { .. } => return None,
        Input::DoubleClick => Action::Fit,
        Input::Pinch { scale, pan, about } => Action::Pinch {
            zoom: f64::from(*scale),
            about: *about,
            dx: pan[0],
            dy: pan[1],
        },
        Input::Click { at, size } => Action::Crosshair {
            at: *at,
            size: *size,
        },
        Input::Dropped(paths) if paths.is_empty() => return None,
        Input::Dropped(paths) => Action::Open(paths.clone()),
        Input::Key { key, modifiers } => match (key, modifiers.ctrl) {
            (Key::Letter('o'), true) => Action::OpenDialog,
            (Key::Letter('s'), true) if modifiers.shift => Action::SaveMeasurements,
            (Key::Letter('s'), true) => Action::Save,
            (Key::Letter('z'), true) => Action::Undo,
            (_, true) => return None,
            (Key::Digit(d @ 1..=9), false) => Action::Preset(*d),
            (Key::Letter('i'), _) if modifiers.shift => Action::CycleColormap,
            (Key::Letter('i'), _) => Action::Invert,
            (Key::Letter('r'), _) => Action::Reset,
            (Key::Letter('f'), _) => Action::FlipHorizontal,
            (Key::Letter('v'), _) => Action::FlipVertical,
            (Key::Letter('e'), _) => Action::TurnQuarter(1),
            (Key::Letter('q'), _) => Action::TurnQuarter(-1),
            (Key::Letter('h'), _) | (Key::F1, _) => Action::ToggleHelp,
            (Key::Letter('t'), _) => Action::ToggleTags,
            (Key::Letter('s'), _) => Action::ToggleSeriesList,
            (Key::Letter('m'), _) => Action::Layout(None),
            (Key::Letter('b'), _) => Action::CycleSlab,
            (Key::Letter('n'), _) => Action::TimePoint(1),
            (Key::Letter('p'), _) => Action::TimePoint(-1),
            (Key::Letter('k'), _) => Action::NextStack,
            (Key::Letter('a'), _) => Action::ActualSize,
            (Key::Letter('o'), false) if modifiers.shift => Action::ToggleShutters,
            (Key::Letter('o'), false) => Action::ToggleOverlays,
            (Key::Letter('l'), _) => Action::Tool(Tool::Length),
            (Key::Letter('g'), _) => Action::Tool(Tool::Angle),
            (Key::Letter('x'), _) => Action::Tool(Tool::Rectangle),
            (Key::Letter('c'), _) => Action::Tool(Tool::Ellipse),
            (Key::Letter('d'), _) => Action::Tool(Tool::Freehand),
            (Key::Letter('u'), _) => Action::Tool(Tool::Probe),
            (Key::Letter('w'), _) => Action::Tool(Tool::WindowLevel),
            (Key::Letter('y'), _) => Action::TogglePresentationStates,
            (Key::Letter('j'), _) => Action::ToggleSegmentations,
            (Key::Letter('z'), false) if modifiers.shift => Action::CycleFusionColormap,
            (Key::Letter('z'), false) => Action::CycleFusion,
            (Key::Delete | Key::Backspace, _) => Action::DeleteMeasurement,
            (Key::Space, _) => Action::ToggleCine,
            (Key::Up | Key::Left, _) => Action::Slice(-1),
            (Key::Down | Key::Right, _) => Action::Slice(1),
            (Key::PageUp, _) => Action::Slice(-10),
            (Key::PageDown, _) => Action::Slice(10),
            (Key::Home, _) => Action::FirstSlice,
            (Key::End, _) => Action::LastSlice,
            (Key::Tab, _) if modifiers.shift => Action::PreviousSeries,
            (Key::Tab, _) => Action::NextSeries,
            (Key::Escape, _) => Action::Dismiss,
            _ => return None,
        },
    })
}

impl Action {
    /// The action's kind, its variant's name ("Window", "NextSlice"): what a frame log
    /// records per frame.
    ///
    /// ```
    /// use hounsfield_viewer::input::Action;
    /// assert_eq!(Action::CycleColormap.kind(), "CycleColormap");
    /// ```
    pub fn kind(&self) -> String {
        let text = format!("{self:?}");
        text.split(|c: char| !c.is_ascii_alphanumeric())
            .next()
            .unwrap_or_default()
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(key: Key) -> Input {
        Input::Key {
            key,
            modifiers: Modifiers::default(),
        }
    }

    fn ctrl(key: Key) -> Input {
        Input::Key {
            key,
            modifiers: Modifiers {
                ctrl: true,
                ..Modifiers::default()
            },
        }
    }

    fn drag(button: Button, dx: f32, dy: f32, shift: bool) -> Input {
        Input::Drag {
            button,
            delta: [dx, dy],
            modifiers: Modifiers {
                shift,
                ..Modifiers::default()
            },
            at: None,
        }
    }

    #[test]
    fn drags_follow_radiology_conventions() {
        assert_eq!(
            action_for(&drag(Button::Left, 3.0, -2.0, false)),
            Some(Action::AdjustWindow { dx: 3.0, dy: -2.0 })
        );
        assert_eq!(
            action_for(&drag(Button::Left, 3.0, -2.0, true)),
            Some(Action::Pan { dx: 3.0, dy: -2.0 })
        );
        assert_eq!(
            action_for(&drag(Button::Middle, 1.0, 1.0, false)),
            Some(Action::Pan { dx: 1.0, dy: 1.0 })
        );
        // Dragging up zooms in, down zooms out, by reciprocal factors.
        let Some(Action::Zoom(up)) = action_for(&drag(Button::Right, 0.0, -50.0, false)) else {
            panic!("right drag must zoom");
        };
        let Some(Action::Zoom(down)) = action_for(&drag(Button::Right, 0.0, 50.0, false)) else {
            panic!("right drag must zoom");
        };
        assert!(up > 1.0 && down < 1.0 && (up * down - 1.0).abs() < 1e-12);
    }

    #[test]
    fn wheel_and_keys_move_through_slices() {
        let scroll = |lines, ctrl| Input::Scroll {
            lines,
            modifiers: Modifiers {
                ctrl,
                ..Modifiers::default()
            },
        };
        assert_eq!(action_for(&scroll(-1.0, false)), Some(Action::Slice(1)));
        assert_eq!(action_for(&scroll(2.0, false)), Some(Action::Slice(-2)));
        assert_eq!(action_for(&scroll(0.0, false)), None);
        assert!(matches!(action_for(&scroll(1.0, true)), Some(Action::Zoom(z)) if z > 1.0));
        assert_eq!(action_for(&key(Key::Down)), Some(Action::Slice(1)));
        assert_eq!(action_for(&key(Key::Up)), Some(Action::Slice(-1)));
        assert_eq!(action_for(&key(Key::PageDown)), Some(Action::Slice(10)));
        assert_eq!(action_for(&key(Key::Home)), Some(Action::FirstSlice));
        assert_eq!(action_for(&key(Key::End)), Some(Action::LastSlice));
    }

    #[test]
    fn keys_map_to_commands() {
        for d in 1..=9 {
            assert_eq!(action_for(&key(Key::Digit(d))), Some(Action::Preset(d)));
        }
        assert_eq!(action_for(&key(Key::Digit(0))), None);
        assert_eq!(action_for(&key(Key::Letter('i'))), Some(Action::Invert));
        assert_eq!(action_for(&key(Key::Letter('r'))), Some(Action::Reset));
        assert_eq!(
            action_for(&key(Key::Letter('f'))),
            Some(Action::FlipHorizontal)
        );
        assert_eq!(
            action_for(&key(Key::Letter('v'))),
            Some(Action::FlipVertical)
        );
        assert_eq!(action_for(&key(Key::Space)), Some(Action::ToggleCine));
        assert_eq!(action_for(&key(Key::Letter('h'))), Some(Action::ToggleHelp));
        assert_eq!(action_for(&key(Key::Letter('t'))), Some(Action::ToggleTags));
        assert_eq!(action_for(&ctrl(Key::Letter('s'))), Some(Action::Save));
        assert_eq!(
            action_for(&ctrl(Key::Letter('o'))),
            Some(Action::OpenDialog)
        );
        // Ctrl with another key does nothing (no accidental preset on Ctrl+1).
        assert_eq!(action_for(&ctrl(Key::Digit(1))), None);
        assert_eq!(action_for(&Input::DoubleClick), Some(Action::Fit));
        assert_eq!(
            action_for(&Input::Pinch {
                scale: 1.5,
                pan: [2.0, -1.0],
                about: [10.0, 0.0]
            }),
            Some(Action::Pinch {
                zoom: 1.5,
                about: [10.0, 0.0],
                dx: 2.0,
                dy: -1.0
            })
        );
    }

    #[test]
    fn planes_take_clicks_rotation_layout_and_slab_keys() {
        assert_eq!(
            action_for(&Input::Click {
                at: [10.5, 20.5],
                size: [300, 200]
            }),
            Some(Action::Crosshair {
                at: [10.5, 20.5],
                size: [300, 200]
            })
        );
        let ctrl_drag = Input::Drag {
            button: Button::Left,
            delta: [5.0, 1.0],
            modifiers: Modifiers {
                ctrl: true,
                ..Modifiers::default()
            },
            at: None,
        };
        assert_eq!(action_for(&ctrl_drag), Some(Action::Rotate(5.0)));
        assert_eq!(
            action_for(&key(Key::Letter('m'))),
            Some(Action::Layout(None))
        );
        assert_eq!(action_for(&key(Key::Letter('b'))), Some(Action::CycleSlab));
    }

    #[test]
    fn dropped_files_open() {
        let paths = vec![PathBuf::from("/data/ct"), PathBuf::from("/data/x.dcm")];
        assert_eq!(
            action_for(&Input::Dropped(paths.clone())),
            Some(Action::Open(paths))
        );
        assert_eq!(action_for(&Input::Dropped(Vec::new())), None);
    }
}
