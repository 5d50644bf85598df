//! Series as acquisitions: the stacks and time points of a series' frames.
//!
//! Scanners put more than one volume into a series: an enhanced multi-frame object holds a
//! magnitude and a field-map stack at the same positions, a cardiac cine repeats every
//! position once per phase, an fMRI or DCE run once per time point, a diffusion series
//! once per b-value. [`Dimensions::organize`] sorts a series' frames into stacks and, in
//! each stack, time points, so that no frame is lost for repeating a position:
//!
//! - **Enhanced multi-frame objects** say how their frames are organised: the Dimension
//!   Index Sequence (0020,9222) names the attributes whose Dimension Index Values
//!   (0020,9157) place each frame. Spatial dimensions (In-Stack Position Number, Image
//!   Position (Patient)) order the slices; temporal ones (Temporal Position Index, Trigger
//!   Time, Nominal Cardiac Trigger Delay Time, Temporal Position Time Offset, Diffusion
//!   b-value) make the time axis; every other dimension (Stack ID, a frame type, ...) parts
//!   the frames into stacks.
//! - **Classic files** (and enhanced ones without a Dimension Index) only say it
//!   implicitly. When positions repeat, frames are parted by Frame Type / Image Type value 3
//!   and Stack ID, then by the first of Temporal Position Index, Temporal Position
//!   Identifier, Nominal Cardiac Trigger Delay Time, Trigger Time, Diffusion b-value,
//!   Acquisition Number and Acquisition Time that varies and leaves no position repeated
//!   within a time point. Positions that still repeat stay in one stack, whose volume keeps
//!   the first of each (and says so).
//!
//! ```
//! use hounsfield_volume::dimensions::{Dimensions, FrameDimensions, TimeAxis};
//! use hounsfield_volume::volume::StackInput;
//! // Three positions, each acquired at two trigger times.
//! let frame = |z: f64, trigger: f64| StackInput {
//!     position: Some([0.0, 0.0, z]),
//!     orientation: Some([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
//!     rows: 2,
//!     columns: 2,
//!     dimensions: FrameDimensions {
//!         times: vec![(TimeAxis::TriggerTime, trigger)],
//!         ..FrameDimensions::default()
//!     },
//!     ..StackInput::default()
//! };
//! let inputs: Vec<StackInput> = [0.0, 5.0, 10.0]
//!     .iter()
//!     .flat_map(|&z| [frame(z, 0.0), frame(z, 400.0)])
//!     .collect();
//! let d = Dimensions::organize(&inputs);
//! assert_eq!(d.time_axis, Some(TimeAxis::TriggerTime));
//! assert_eq!((d.stacks.len(), d.time_points(), d.slices()), (1, 2, 3));
//! assert_eq!(d.stacks[0].time_points[1].inputs, vec![1, 3, 5]);
//! ```

use crate::geometry::{cross, dot, normalize};
use crate::series::{InstanceInfo, group_series};
use crate::volume::StackInput;
use hounsfield_dicom::{Attributes, DicomFile, Tag, tags};

/// An attribute whose values make a series' time (or phase, or b-value) axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum TimeAxis {
    /// Temporal Position Index (0020,9128), of enhanced objects.
    TemporalPositionIndex,
    /// Temporal Position Identifier (0020,0100).
    TemporalPositionIdentifier,
    /// Nominal Cardiac Trigger Delay Time (0020,9153), ms.
    CardiacTriggerDelay,
    /// Trigger Time (0018,1060), ms.
    TriggerTime,
    /// Temporal Position Time Offset (0020,930D), s.
    TimeOffset,
    /// Diffusion b-value (0018,9087), s/mm2.
    DiffusionBValue,
    /// Acquisition Number (0020,0012).
    AcquisitionNumber,
    /// Acquisition Time (0008,0032), as seconds after midnight.
    AcquisitionTime,
}

impl TimeAxis {
    /// The attribute's name, as the standard gives it.
    pub fn name(self) -> &'static str {
        match self {
            TimeAxis::TemporalPositionIndex => "Temporal Position Index",
            TimeAxis::TemporalPositionIdentifier => "Temporal Position Identifier",
            TimeAxis::CardiacTriggerDelay => "Nominal Cardiac Trigger Delay Time",
            TimeAxis::TriggerTime => "Trigger Time",
            TimeAxis::TimeOffset => "Temporal Position Time Offset",
            TimeAxis::DiffusionBValue => "Diffusion b-value",
            TimeAxis::AcquisitionNumber => "Acquisition Number",
            TimeAxis::AcquisitionTime => "Acquisition Time",
        }
    }

    /// A value on this axis for people ("trigger 120 ms", "b 800", "time 10:31:02").
    pub fn label(self, value: f64) -> String {
        let v = crate::dimensions::short(value);
        match self {
            TimeAxis::TemporalPositionIndex | TimeAxis::TemporalPositionIdentifier => {
                format!("temporal position {v}")
            }
            TimeAxis::CardiacTriggerDelay | TimeAxis::TriggerTime => format!("trigger {v} ms"),
            TimeAxis::TimeOffset => format!("{v} s"),
            TimeAxis::DiffusionBValue => format!("b {v}"),
            TimeAxis::AcquisitionNumber => format!("acquisition {v}"),
            TimeAxis::AcquisitionTime => {
                let s = value.max(0.0);
                let (h, m) = ((s / 3600.0).floor(), ((s % 3600.0) / 60.0).floor());
                format!("time {h:02}:{m:02}:{:05.2}", s % 60.0)
            }
        }
    }

    /// The axis an attribute makes, when it is a temporal one.
    fn of_tag(tag: Tag) -> Option<TimeAxis> {
        Some(match tag {
            tags::TEMPORAL_POSITION_INDEX => TimeAxis::TemporalPositionIndex,
            tags::TEMPORAL_POSITION_IDENTIFIER => TimeAxis::TemporalPositionIdentifier,
            tags::NOMINAL_CARDIAC_TRIGGER_DELAY_TIME => TimeAxis::CardiacTriggerDelay,
            tags::TRIGGER_TIME => TimeAxis::TriggerTime,
            tags::TEMPORAL_POSITION_TIME_OFFSET => TimeAxis::TimeOffset,
            tags::DIFFUSION_B_VALUE => TimeAxis::DiffusionBValue,
            _ => return None,
        })
    }
}

fn short(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Where one frame sits among a series' stacks and time points, as its file says.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct FrameDimensions {
    /// Whether the file's Dimension Organization gave `stack` and `times` (so they are
    /// used as given), rather than attributes that may part frames.
    pub explicit: bool,
    /// What sets the frame's stack apart from other stacks at the same positions (Stack ID,
    /// frame type), for people; None when nothing does.
    pub stack: Option<String>,
    /// The frame's values on the axes that may be its time axis, in order of preference.
    pub times: Vec<(TimeAxis, f64)>,
}

/// Spatial dimensions: they order slices within a stack.
const SPATIAL: [Tag; 2] = [tags::IN_STACK_POSITION_NUMBER, tags::IMAGE_POSITION_PATIENT];

impl FrameDimensions {
    /// The dimensions of every frame of `file`: from its Dimension Organization when it
    /// has one, else from the attributes that may part frames.
    pub fn of_file(file: &DicomFile, frames: usize) -> Vec<FrameDimensions> {
        let top = file.attributes();
        let per_frame = top
            .items(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE)
            .filter(|items| items.len() == frames);
        let Some(per_frame) = per_frame else {
            // Classic: one set of values for every frame.
            let one = FrameDimensions::classic(top);
            return vec![one; frames];
        };
        let shared = top.item(tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE);
        let pointers: Vec<Tag> = top
            .items(tags::DIMENSION_INDEX_SEQUENCE)
            .unwrap_or_default()
            .iter()
            .filter_map(|i| {
                Attributes::new(i)
                    .tags(tags::DIMENSION_INDEX_POINTER)
                    .first()
                    .copied()
            })
            .collect();
        per_frame
            .iter()
            .map(|item| {
                let frame = Attributes::new(item);
                // A functional group macro of this frame, else the shared one.
                let group = |t: Tag| frame.item(t).or_else(|| shared.and_then(|s| s.item(t)));
                let content = group(tags::FRAME_CONTENT_SEQUENCE);
                let index: Vec<i64> = content
                    .and_then(|c| {
                        c.ints(tags::DIMENSION_INDEX_VALUES, "Dimension Index Values")
                            .ok()
                    })
                    .unwrap_or_default();
                let frame_type = [
                    tags::MR_IMAGE_FRAME_TYPE_SEQUENCE,
                    tags::CT_IMAGE_FRAME_TYPE_SEQUENCE,
                ]
                .iter()
                .find_map(|&t| group(t))
                .and_then(|g| g.strings(tags::FRAME_TYPE).get(2).cloned())
                .filter(|v| !v.is_empty());
                let stack_id = content.and_then(|c| c.string(tags::STACK_ID));
                if !pointers.is_empty() && index.len() == pointers.len() {
                    let mut stack = Vec::new();
                    let mut times = Vec::new();
                    for (&p, &v) in pointers.iter().zip(&index) {
                        if SPATIAL.contains(&p) {
                            continue;
                        }
                        match TimeAxis::of_tag(p) {
                            Some(axis) => times.push((axis, v as f64)),
                            None if p == tags::STACK_ID => stack.push(format!(
                                "stack {}",
                                stack_id.clone().unwrap_or_else(|| v.to_string())
                            )),
                            None => stack.push(match (&frame_type, p) {
                                (Some(t), tags::FRAME_TYPE) => t.clone(),
                                _ => format!("({:04X},{:04X}) {v}", p.group(), p.element()),
                            }),
                        }
                    }
                    return FrameDimensions {
                        explicit: true,
                        stack: (!stack.is_empty()).then(|| stack.join(", ")),
                        times,
                    };
                }
                // No usable Dimension Index: the attributes that may part frames.
                let mut stack = Vec::new();
                if let Some(id) = &stack_id {
                    stack.push(format!("stack {id}"));
                }
                if let Some(t) = frame_type {
                    stack.push(t);
                }
                let mut times = Vec::new();
                let mut push = |axis, v: Option<f64>| {
                    if let Some(v) = v.filter(|v| v.is_finite()) {
                        times.push((axis, v));
                    }
                };
                push(
                    TimeAxis::TemporalPositionIndex,
                    content.and_then(|c| {
                        c.float(tags::TEMPORAL_POSITION_INDEX, "Temporal Position Index")
                            .ok()
                            .flatten()
                    }),
                );
                push(
                    TimeAxis::CardiacTriggerDelay,
                    group(tags::CARDIAC_SYNCHRONIZATION_SEQUENCE).and_then(|g| {
                        g.float(
                            tags::NOMINAL_CARDIAC_TRIGGER_DELAY_TIME,
                            "Nominal Cardiac Trigger Delay Time",
                        )
                        .ok()
                        .flatten()
                    }),
                );
                push(
                    TimeAxis::DiffusionBValue,
                    group(tags::MR_DIFFUSION_SEQUENCE).and_then(|g| {
                        g.float(tags::DIFFUSION_B_VALUE, "Diffusion b-value")
                            .ok()
                            .flatten()
                    }),
                );
                FrameDimensions {
                    explicit: false,
                    stack: (!stack.is_empty()).then(|| stack.join(", ")),
                    times,
                }
            })
            .collect()
    }

    fn classic(a: Attributes) -> FrameDimensions {
        let mut times = Vec::new();
        let mut push = |axis, tag, name| {
            if let Ok(Some(v)) = a.float(tag, name)
                && v.is_finite()
            {
                times.push((axis, v));
            }
        };
        push(
            TimeAxis::TemporalPositionIdentifier,
            tags::TEMPORAL_POSITION_IDENTIFIER,
            "Temporal Position Identifier",
        );
        push(TimeAxis::TriggerTime, tags::TRIGGER_TIME, "Trigger Time");
        push(
            TimeAxis::DiffusionBValue,
            tags::DIFFUSION_B_VALUE,
            "Diffusion b-value",
        );
        push(
            TimeAxis::AcquisitionNumber,
            tags::ACQUISITION_NUMBER,
            "Acquisition Number",
        );
        if let Some(t) = a
            .string(tags::ACQUISITION_TIME)
            .and_then(|t| seconds_of_tm(&t))
        {
            times.push((TimeAxis::AcquisitionTime, t));
        }
        FrameDimensions {
            explicit: false,
            stack: a
                .strings(tags::IMAGE_TYPE)
                .get(2)
                .cloned()
                .filter(|v| !v.is_empty()),
            times,
        }
    }
}

/// A TM value (HHMMSS.FFFFFF, or the old HH:MM:SS) as seconds after midnight.
fn seconds_of_tm(tm: &str) -> Option<f64> {
    let t: String = tm.trim().chars().filter(|c| *c != ':').collect();
    let (hms, fraction) = t.split_once('.').unwrap_or((&t, ""));
    if hms.len() < 2 || hms.len() % 2 == 1 || !hms.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let part = |k: usize| {
        hms.get(2 * k..2 * k + 2)
            .and_then(|p| p.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let fraction: f64 = if fraction.is_empty() {
        0.0
    } else {
        format!("0.{fraction}").parse().ok()?
    };
    Some(part(0) * 3600.0 + part(1) * 60.0 + part(2) + fraction)
}

/// One time point of a stack: its frames, ordered along the slice normal.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TimePoint {
    /// The value on the time axis (None without a time axis).
    pub value: Option<f64>,
    /// Indices into the inputs given to [`Dimensions::organize`], in slice order.
    pub inputs: Vec<usize>,
}

/// One stack of a series: frames at one set of positions, at one or more time points.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StackDimensions {
    /// What sets it apart from the other stacks (None when it is the only one).
    pub label: Option<String>,
    /// Its time points, in order of their value.
    pub time_points: Vec<TimePoint>,
}

/// The stacks and time points of a series.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Dimensions {
    /// The attribute that makes the time axis, when the series has one.
    pub time_axis: Option<TimeAxis>,
    /// The stacks, in order of their first frame.
    pub stacks: Vec<StackDimensions>,
}

/// Positions closer than this along the normal are the same (mm).
const SAME_POSITION_MM: f64 = 0.01;

impl Dimensions {
    /// Sorts a series' frames (`inputs`, one per frame) into stacks and time points.
    /// Every input is in exactly one time point of one stack.
    pub fn organize(inputs: &[StackInput]) -> Dimensions {
        if inputs.is_empty() {
            return Dimensions::default();
        }
        let distance = distances(inputs);
        let repeats = |members: &[usize]| has_repeats(members, &distance);
        let all: Vec<usize> = (0..inputs.len()).collect();
        let explicit = inputs.iter().any(|i| i.dimensions.explicit);
        // Stacks: as the Dimension Organization says, else only when positions repeat.
        let stacks: Vec<(Option<String>, Vec<usize>)> = if explicit || repeats(&all) {
            let parts = part_by(&all, |i| inputs[i].dimensions.stack.clone());
            if parts.len() > 1 || explicit {
                parts
            } else {
                vec![(None, all)]
            }
        } else {
            vec![(None, all)]
        };
        // The time axis: the first candidate that every stack's repeats are resolved by.
        let candidates: Vec<TimeAxis> = {
            let mut c: Vec<TimeAxis> = Vec::new();
            for i in inputs {
                for (axis, _) in &i.dimensions.times {
                    if !c.contains(axis) {
                        c.push(*axis);
                    }
                }
            }
            c.sort_by_key(|a| *a as u8);
            c
        };
        let value = |i: usize, axis: TimeAxis| {
            inputs[i]
                .dimensions
                .times
                .iter()
                .find(|(a, _)| *a == axis)
                .map(|(_, v)| *v)
        };
        let varies = |members: &[usize], axis: TimeAxis| {
            let first = value(members[0], axis);
            members.iter().any(|&i| value(i, axis) != first)
        };
        let time_axis = if explicit {
            candidates.first().copied()
        } else if stacks.iter().any(|(_, m)| repeats(m)) {
            candidates.into_iter().find(|&axis| {
                stacks.iter().any(|(_, m)| varies(m, axis))
                    && stacks.iter().all(|(_, m)| {
                        time_parts(m, |i| value(i, axis))
                            .iter()
                            .all(|(_, part)| !repeats(part))
                    })
            })
        } else {
            None
        };
        let order = |mut part: Vec<usize>| {
            if part.iter().all(|&i| distance[i].is_some()) {
                part.sort_by(|&a, &b| {
                    distance[a]
                        .unwrap_or(0.0)
                        .total_cmp(&distance[b].unwrap_or(0.0))
                        .then(a.cmp(&b))
                });
            }
            part
        };
        let stacks = stacks
            .into_iter()
            .map(|(label, members)| StackDimensions {
                label,
                time_points: match time_axis {
                    Some(axis) => time_parts(&members, |i| value(i, axis))
                        .into_iter()
                        .map(|(v, part)| TimePoint {
                            value: v,
                            inputs: order(part),
                        })
                        .collect(),
                    None => vec![TimePoint {
                        value: None,
                        inputs: order(members),
                    }],
                },
            })
            .collect::<Vec<_>>();
        let multi = stacks.len() > 1;
        Dimensions {
            time_axis,
            stacks: stacks
                .into_iter()
                .map(|s| StackDimensions {
                    label: if multi { s.label } else { None },
                    ..s
                })
                .collect(),
        }
    }

    /// Time points of the stack with the most (1 without a time axis).
    pub fn time_points(&self) -> usize {
        self.stacks
            .iter()
            .map(|s| s.time_points.len())
            .max()
            .unwrap_or(0)
    }

    /// Slices of the largest time point.
    pub fn slices(&self) -> usize {
        self.stacks
            .iter()
            .flat_map(|s| s.time_points.iter().map(|t| t.inputs.len()))
            .max()
            .unwrap_or(0)
    }

    /// Frames in every stack and time point (the inputs organised).
    pub fn frames(&self) -> usize {
        self.stacks
            .iter()
            .flat_map(|s| s.time_points.iter().map(|t| t.inputs.len()))
            .sum()
    }

    /// The stack and time point holding input `input`, and its place in that time point.
    pub fn locate(&self, input: usize) -> Option<(usize, usize, usize)> {
        self.stacks.iter().enumerate().find_map(|(s, stack)| {
            stack.time_points.iter().enumerate().find_map(|(t, tp)| {
                tp.inputs
                    .iter()
                    .position(|&i| i == input)
                    .map(|k| (s, t, k))
            })
        })
    }
}

/// Each input's distance along its slice normal, when it has a position and orientation.
fn distances(inputs: &[StackInput]) -> Vec<Option<f64>> {
    inputs
        .iter()
        .map(|i| {
            let o = i.orientation?;
            let n = normalize(cross([o[0], o[1], o[2]], [o[3], o[4], o[5]]))?;
            Some(dot(i.position?, n)).filter(|d| d.is_finite())
        })
        .collect()
}

fn has_repeats(members: &[usize], distance: &[Option<f64>]) -> bool {
    let mut d: Vec<f64> = members.iter().filter_map(|&i| distance[i]).collect();
    d.sort_by(f64::total_cmp);
    d.windows(2).any(|w| w[1] - w[0] < SAME_POSITION_MM)
}

/// `members` parted by `key`, parts in order of their first member.
fn part_by<K: PartialEq>(members: &[usize], key: impl Fn(usize) -> K) -> Vec<(K, Vec<usize>)> {
    let mut parts: Vec<(K, Vec<usize>)> = Vec::new();
    for &i in members {
        let k = key(i);
        match parts.iter_mut().find(|(pk, _)| *pk == k) {
            Some((_, p)) => p.push(i),
            None => parts.push((k, vec![i])),
        }
    }
    parts
}

/// `members` parted by their value on a time axis, in order of the value (frames without
/// one last).
fn time_parts(
    members: &[usize],
    value: impl Fn(usize) -> Option<f64>,
) -> Vec<(Option<f64>, Vec<usize>)> {
    let mut parts = part_by(members, |i| value(i).map(f64::to_bits));
    parts.sort_by(|a, b| match (a.0, b.0) {
        (Some(x), Some(y)) => f64::from_bits(x).total_cmp(&f64::from_bits(y)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    parts
        .into_iter()
        .map(|(k, p)| (k.map(f64::from_bits), p))
        .collect()
}

/// The order in which a viewer wants the pixels of instances, given their headers and
/// their [`InstanceInfo`]s (index for index): series by series as [`group_series`] lists
/// them, each from its first slice in stack order (the one a viewer shows first), stack
/// by stack and time point by time point for multi-stack and 4D series; instances in no
/// series last. Headers alone are enough ([`DicomFile::open_header`]).
///
/// ```
/// use hounsfield_volume::dimensions::display_order;
/// use hounsfield_volume::series::InstanceInfo;
/// # let bytes = include_bytes!("../../hounsfield-core/assets/CT_small.dcm").to_vec();
/// # let file = hounsfield_dicom::DicomFile::from_bytes("CT_small.dcm", bytes)?;
/// let infos = vec![InstanceInfo::from_file(&file)];
/// assert_eq!(display_order(&[&file], &infos), vec![0]);
/// # Ok::<(), hounsfield_dicom::Error>(())
/// ```
pub fn display_order(headers: &[&DicomFile], infos: &[InstanceInfo]) -> Vec<usize> {
    let n = headers.len().min(infos.len());
    let mut seen = vec![false; n];
    let mut order = Vec::with_capacity(n);
    for series in group_series(&infos[..n]) {
        let inputs: Vec<StackInput> = series
            .instances
            .iter()
            .flat_map(|&k| StackInput::from_file(k, headers[k]))
            .collect();
        // Stack by stack, time point by time point, each in slice order.
        let stacked: Vec<usize> = Dimensions::organize(&inputs)
            .stacks
            .iter()
            .flat_map(|s| s.time_points.iter().flat_map(|t| t.inputs.iter()))
            .map(|&i| inputs[i].instance)
            .collect();
        for k in stacked.into_iter().chain(series.instances.iter().copied()) {
            if k < n && !std::mem::replace(&mut seen[k], true) {
                order.push(k);
            }
        }
    }
    order.extend((0..n).filter(|&k| !seen[k]));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(z: f64, stack: Option<&str>, times: &[(TimeAxis, f64)], explicit: bool) -> StackInput {
        StackInput {
            position: Some([0.0, 0.0, z]),
            orientation: Some([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
            rows: 2,
            columns: 2,
            dimensions: FrameDimensions {
                explicit,
                stack: stack.map(String::from),
                times: times.to_vec(),
            },
            ..StackInput::default()
        }
    }

    #[test]
    fn a_plain_volume_is_one_stack_at_one_time_whatever_varies() {
        // Acquisition Number and Image Type vary, positions do not repeat: one volume.
        let inputs: Vec<StackInput> = (0..4)
            .map(|k| {
                input(
                    10.0 - k as f64,
                    Some(if k % 2 == 0 { "AXIAL" } else { "REFORMATTED" }),
                    &[(TimeAxis::AcquisitionNumber, k as f64)],
                    false,
                )
            })
            .collect();
        let d = Dimensions::organize(&inputs);
        assert_eq!(d.time_axis, None);
        assert_eq!(d.stacks.len(), 1);
        assert_eq!(d.stacks[0].time_points[0].inputs, vec![3, 2, 1, 0]);
    }

    #[test]
    fn repeated_positions_take_the_first_axis_that_separates_them() {
        // Two acquisitions at the same three positions. Acquisition Time, different for
        // every slice, would separate them too, but Acquisition Number comes first.
        let mut inputs = Vec::new();
        for acq in [2.0, 1.0] {
            for z in [0.0, 1.0, 2.0] {
                inputs.push(input(
                    z,
                    None,
                    &[
                        (TimeAxis::AcquisitionNumber, acq),
                        (TimeAxis::AcquisitionTime, acq * 100.0 + z),
                    ],
                    false,
                ));
            }
        }
        let d = Dimensions::organize(&inputs);
        assert_eq!(d.time_axis, Some(TimeAxis::AcquisitionNumber));
        let tp = &d.stacks[0].time_points;
        assert_eq!(
            tp.iter().map(|t| t.value).collect::<Vec<_>>(),
            vec![Some(1.0), Some(2.0)]
        );
        assert_eq!(tp[0].inputs, vec![3, 4, 5]);
        assert_eq!(d.frames(), 6);
    }

    #[test]
    fn an_axis_that_leaves_repeats_is_not_taken() {
        // Trigger Time varies but two frames share position and trigger: it does not
        // separate them; the Temporal Position Identifier does.
        let inputs = vec![
            input(
                0.0,
                None,
                &[
                    (TimeAxis::TemporalPositionIdentifier, 1.0),
                    (TimeAxis::TriggerTime, 5.0),
                ],
                false,
            ),
            input(
                0.0,
                None,
                &[
                    (TimeAxis::TemporalPositionIdentifier, 2.0),
                    (TimeAxis::TriggerTime, 5.0),
                ],
                false,
            ),
            input(
                1.0,
                None,
                &[
                    (TimeAxis::TemporalPositionIdentifier, 1.0),
                    (TimeAxis::TriggerTime, 9.0),
                ],
                false,
            ),
            input(
                1.0,
                None,
                &[
                    (TimeAxis::TemporalPositionIdentifier, 2.0),
                    (TimeAxis::TriggerTime, 7.0),
                ],
                false,
            ),
        ];
        let d = Dimensions::organize(&inputs);
        assert_eq!(d.time_axis, Some(TimeAxis::TemporalPositionIdentifier));
        // Without an axis that separates, everything stays in one time point.
        let stuck: Vec<StackInput> = inputs
            .iter()
            .map(|i| StackInput {
                dimensions: FrameDimensions {
                    times: vec![i.dimensions.times[1]],
                    ..i.dimensions.clone()
                },
                ..i.clone()
            })
            .collect();
        let d = Dimensions::organize(&stuck);
        assert_eq!((d.time_axis, d.time_points(), d.frames()), (None, 1, 4));
    }

    #[test]
    fn the_dimension_organization_parts_stacks_even_without_repeats() {
        let inputs = vec![
            input(0.0, Some("stack 1"), &[], true),
            input(0.0, Some("stack 2"), &[], true),
            input(1.0, Some("stack 1"), &[], true),
            input(1.0, Some("stack 2"), &[], true),
        ];
        let d = Dimensions::organize(&inputs);
        assert_eq!(d.stacks.len(), 2);
        assert_eq!(d.stacks[1].label.as_deref(), Some("stack 2"));
        assert_eq!(d.stacks[1].time_points[0].inputs, vec![1, 3]);
        assert_eq!(d.locate(3), Some((1, 0, 1)));
    }

    #[test]
    fn acquisition_times_read_as_seconds() {
        assert_eq!(
            seconds_of_tm("103102.5"),
            Some(10.0 * 3600.0 + 31.0 * 60.0 + 2.5)
        );
        assert_eq!(seconds_of_tm("10:31:02"), Some(37862.0));
        assert_eq!(seconds_of_tm("1031"), Some(37860.0));
        assert_eq!(seconds_of_tm("x"), None);
        assert_eq!(TimeAxis::AcquisitionTime.label(37862.5), "time 10:31:02.50");
    }
}
