//! Volumes at a reduced resolution: when a series has more voxels than a device's 3D
//! textures or a memory budget allow, its planes are cut through every n-th column, row
//! and slice instead of being refused.
//!
//! A reduced volume keeps voxels of the series, unchanged, at their own patient
//! positions: voxel (i, j, k) of the reduction is voxel (i x columns, j x rows,
//! k x slices) of the full volume. Its planes are computed by the same resampling (CPU
//! or GPU) with square pixels of its coarser voxel edge.
//!
//! ```
//! use hounsfield_volume::volume::{Reduction, Stack, StackInput, VolumeLimits};
//! let slice = |z: f64| StackInput {
//!     position: Some([0.0, 0.0, z]),
//!     orientation: Some([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
//!     pixel_spacing: Some([0.5, 0.5]),
//!     rows: 512,
//!     columns: 512,
//!     ..StackInput::default()
//! };
//! let inputs: Vec<StackInput> = (0..3000).map(|k| slice(0.25 * k as f64)).collect();
//! let stack = Stack::assemble(&inputs)?;
//! // A device whose 3D textures stop at 2048 slices.
//! let limits = VolumeLimits { max_slices: 2048, ..VolumeLimits::default() };
//! let r = Reduction::within(&limits, &stack, 2)?;
//! assert_eq!((r.columns, r.rows, r.slices), (1, 1, 2));
//! assert_eq!(stack.reduced(r).slices.len(), 1500);
//! // A memory budget of 256 MiB: the thinner direction is stepped first (0.25 mm
//! // slices to 0.75 mm), then the other (0.5 mm pixels to 1 mm), toward cubic voxels.
//! let limits = VolumeLimits { max_bytes: Some(256 << 20), ..VolumeLimits::default() };
//! let r = Reduction::within(&limits, &stack, 2)?;
//! assert_eq!((r.columns, r.rows, r.slices), (2, 2, 3));
//! # Ok::<(), String>(())
//! ```

use super::*;

/// The most a volume may be: sides (voxels) and bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VolumeLimits {
    /// Most columns.
    pub max_columns: u32,
    /// Most rows.
    pub max_rows: u32,
    /// Most slices.
    pub max_slices: u32,
    /// Most voxel bytes, when a memory budget is set.
    pub max_bytes: Option<u64>,
}

impl VolumeLimits {
    /// Whether a `columns` x `rows` x `slices` volume is within the sides.
    pub fn sides_fit(&self, (columns, rows, slices): (u32, u32, u32)) -> bool {
        columns <= self.max_columns && rows <= self.max_rows && slices <= self.max_slices
    }

    /// Whether `volume` is within the sides and the bytes.
    pub fn fits(&self, volume: &Volume) -> bool {
        let s = &volume.stack;
        let slices = u32::try_from(s.slices.len()).unwrap_or(u32::MAX);
        self.sides_fit((s.columns, s.rows, slices))
            && self
                .max_bytes
                .is_none_or(|max| volume.data.bytes() as u64 <= max)
    }
}

impl Default for VolumeLimits {
    /// No limit.
    fn default() -> Self {
        VolumeLimits {
            max_columns: u32::MAX,
            max_rows: u32::MAX,
            max_slices: u32::MAX,
            max_bytes: None,
        }
    }
}

/// Steps through the voxels of a volume: every `columns`-th column, `rows`-th row and
/// `slices`-th slice (1, 1, 1: the full resolution).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Reduction {
    /// Step between kept columns.
    pub columns: u32,
    /// Step between kept rows.
    pub rows: u32,
    /// Step between kept slices.
    pub slices: u32,
}

impl Default for Reduction {
    fn default() -> Self {
        Reduction::FULL
    }
}

/// Most steps tried before a budget is declared out of reach.
const MOST_STEPS: u32 = 4096;

impl Reduction {
    /// The full resolution.
    pub const FULL: Reduction = Reduction {
        columns: 1,
        rows: 1,
        slices: 1,
    };

    /// Whether every voxel is kept.
    pub fn is_full(&self) -> bool {
        *self == Reduction::FULL
    }

    /// Columns, rows and slices kept of a `columns` x `rows` x `slices` volume.
    pub fn size(&self, (columns, rows, slices): (u32, u32, u32)) -> (u32, u32, u32) {
        (
            columns.div_ceil(self.columns.max(1)),
            rows.div_ceil(self.rows.max(1)),
            slices.div_ceil(self.slices.max(1)),
        )
    }

    /// The smallest reduction of `stack` (with voxels of `bytes_per_voxel`) within
    /// `limits`. Sides beyond the limits are stepped just enough; a memory budget then
    /// steps the finer direction (slices, or columns and rows together) one at a time,
    /// so that voxels come closer to cubes. Fails when even one voxel per side over two
    /// slices is over the budget.
    pub fn within(
        limits: &VolumeLimits,
        stack: &Stack,
        bytes_per_voxel: u64,
    ) -> Result<Reduction, String> {
        let full = (stack.columns, stack.rows, stack.slices.len() as u32);
        let mut r = Reduction::FULL;
        let step = |n: u32, max: u32| n.div_ceil(max.max(1)).max(1);
        r.columns = step(full.0, limits.max_columns);
        r.rows = step(full.1, limits.max_rows);
        r.slices = step(full.2, limits.max_slices);
        let Some(max_bytes) = limits.max_bytes else {
            return Ok(r);
        };
        let slice_spacing = stack.report.spacing.map_or(0.0, |(lo, _)| lo);
        for _ in 0..MOST_STEPS {
            let (c, w, s) = r.size(full);
            let bytes = u64::from(c) * u64::from(w) * u64::from(s) * bytes_per_voxel;
            if bytes <= max_bytes {
                return Ok(r);
            }
            let inplane = (stack.pixel_spacing[0] * f64::from(r.rows))
                .min(stack.pixel_spacing[1] * f64::from(r.columns));
            let through = slice_spacing * f64::from(r.slices);
            let slices_can = s > 2;
            let plane_can = c > 1 || w > 1;
            if slices_can && (through <= inplane || !plane_can) {
                r.slices += 1;
            } else if plane_can {
                r.columns += 1;
                r.rows += 1;
            } else {
                break;
            }
        }
        Err(format!(
            "a {} x {} x {} volume does not fit in {} even at its coarsest",
            full.0,
            full.1,
            full.2,
            hounsfield_dicom::budget::human_bytes(max_bytes)
        ))
    }

    /// How a reduction reads, for people: "256 x 256 x 1500 of 512 x 512 x 3000 voxels".
    pub fn describe(&self, full: (u32, u32, u32)) -> String {
        let (c, r, s) = self.size(full);
        format!(
            "{c} x {r} x {s} of {} x {} x {} voxels",
            full.0, full.1, full.2
        )
    }
}

impl Stack {
    /// The stack of `r`'s kept voxels: every `r.slices`-th slice from the first, with
    /// `r.columns` and `r.rows` times the pixel spacing and the slices' own positions
    /// (their first pixel is kept).
    pub fn reduced(&self, r: Reduction) -> Stack {
        if r.is_full() {
            return self.clone();
        }
        let (columns, rows, _) = r.size((self.columns, self.rows, self.slices.len() as u32));
        let slices: Vec<StackSlice> = self
            .slices
            .iter()
            .step_by(r.slices.max(1) as usize)
            .cloned()
            .collect();
        let spacing = slices
            .windows(2)
            .map(|w| w[1].distance - w[0].distance)
            .fold(None, |acc: Option<(f64, f64)>, g| {
                Some(acc.map_or((g, g), |(lo, hi)| (lo.min(g), hi.max(g))))
            });
        Stack {
            columns,
            rows,
            row_direction: self.row_direction,
            column_direction: self.column_direction,
            normal: self.normal,
            pixel_spacing: [
                self.pixel_spacing[0] * f64::from(r.rows),
                self.pixel_spacing[1] * f64::from(r.columns),
            ],
            report: StackReport {
                slices: slices.len(),
                spacing,
                ..self.report.clone()
            },
            slices,
        }
    }
}

impl Volume {
    /// The volume of `r`'s kept voxels ([`Stack::reduced`]), their values unchanged.
    pub fn reduced(&self, r: Reduction) -> Volume {
        if r.is_full() {
            return self.clone();
        }
        let stack = self.stack.reduced(r);
        let (w, h) = (self.stack.columns as usize, self.stack.rows as usize);
        let (sc, sr, sk) = (
            r.columns.max(1) as usize,
            r.rows.max(1) as usize,
            r.slices.max(1) as usize,
        );
        // Every sc-th voxel of every sr-th row of a slice.
        fn pick<T: Copy>(
            v: &[T],
            (w, h): (usize, usize),
            (sc, sr): (usize, usize),
            out: &mut Vec<T>,
        ) {
            for y in (0..h).step_by(sr) {
                if let Some(row) = v.get(y * w..(y + 1) * w) {
                    out.extend(row.iter().step_by(sc).copied());
                }
            }
        }
        let (mut unsigned, mut signed, mut values) = (Vec::new(), Vec::new(), Vec::new());
        let capacity = stack.slices.len() * stack.columns as usize * stack.rows as usize;
        match self.data.slice(0, w * h) {
            SliceData::U16(_) => unsigned.reserve_exact(capacity),
            SliceData::I16(_) => signed.reserve_exact(capacity),
            SliceData::F32(_) => values.reserve_exact(capacity),
        }
        for k in (0..self.stack.slices.len()).step_by(sk) {
            match self.data.slice(k, w * h) {
                SliceData::U16(v) => pick(v, (w, h), (sc, sr), &mut unsigned),
                SliceData::I16(v) => pick(v, (w, h), (sc, sr), &mut signed),
                SliceData::F32(v) => pick(v, (w, h), (sc, sr), &mut values),
            }
        }
        let data = if self.data.is_modality_values() {
            VolumeData::F32(values)
        } else if self.data.is_signed() {
            VolumeData::I16(signed)
        } else {
            VolumeData::U16(unsigned)
        };
        Volume {
            stack,
            data,
            modality: self.modality.clone(),
            padding: self.padding,
        }
    }

    /// The volume of `stack` within `limits`: at the full resolution when it fits, else
    /// at the smallest [`Reduction`] that does. `fill` builds the volume of a stack (for
    /// example with [`Volume::from_frames`]); it receives only the kept slices, so only
    /// those are read. Returns the reduction made.
    pub fn within(
        stack: Stack,
        limits: &VolumeLimits,
        fill: impl FnOnce(Stack) -> Result<Volume, String>,
    ) -> Result<(Volume, Reduction), String> {
        let r = Reduction::within(limits, &stack, 2)?;
        let volume = fill(stack.reduced(Reduction {
            slices: r.slices,
            ..Reduction::FULL
        }))?;
        // (At the full resolution in the plane, the volume as filled: no copy.)
        let in_plane = Reduction { slices: 1, ..r };
        let volume = if in_plane.is_full() {
            volume
        } else {
            volume.reduced(in_plane)
        };
        // Slices that rescale differently make 4-byte voxels: step again if needed.
        if !limits.fits(&volume) {
            let again = Reduction::within(limits, &volume.stack, 4)?;
            let r = Reduction {
                columns: r.columns * again.columns,
                rows: r.rows * again.rows,
                slices: r.slices * again.slices,
            };
            return Ok((volume.reduced(again), r));
        }
        Ok((volume, r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(columns: u32, rows: u32, slices: usize, spacing: f64) -> Stack {
        let inputs: Vec<StackInput> = (0..slices)
            .map(|k| StackInput {
                instance: k,
                position: Some([0.0, 0.0, spacing * k as f64]),
                orientation: Some([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
                pixel_spacing: Some([0.5, 0.5]),
                rows,
                columns,
                ..StackInput::default()
            })
            .collect();
        Stack::assemble(&inputs).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn kept_voxels_are_the_full_volumes_at_the_same_patient_positions() {
        let s = stack(7, 5, 9, 0.8);
        let (w, h, n) = (7usize, 5usize, 9usize);
        let data: Vec<i16> = (0..w * h * n).map(|i| (i as i16) * 3 - 200).collect();
        let full = Volume {
            stack: s,
            data: VolumeData::I16(data.clone()),
            modality: ModalityLut::Identity,
            padding: None,
        };
        let r = Reduction {
            columns: 2,
            rows: 3,
            slices: 4,
        };
        let small = full.reduced(r);
        assert_eq!(
            (
                small.stack.columns,
                small.stack.rows,
                small.stack.slices.len()
            ),
            (4, 2, 3)
        );
        let VolumeData::I16(kept) = &small.data else {
            panic!("the voxel type changed");
        };
        let (sw, sh) = (4usize, 2usize);
        for k in 0..3 {
            for j in 0..sh {
                for i in 0..sw {
                    let (fi, fj, fk) = (2 * i, 3 * j, 4 * k);
                    assert_eq!(
                        kept[k * sw * sh + j * sw + i],
                        data[fk * w * h + fj * w + fi]
                    );
                    let a = small.stack.voxel_position(i as f64, j as f64, k);
                    let b = full.stack.voxel_position(fi as f64, fj as f64, fk);
                    for d in 0..3 {
                        assert!(
                            (a[d] - b[d]).abs() < 1e-9,
                            "voxel ({i}, {j}, {k}): {a:?} {b:?}"
                        );
                    }
                }
            }
        }
        assert_eq!(small.stack.report.spacing, Some((3.2, 3.2)));
        // A plane through a kept row (1 mm apart) shows its voxels (the CPU resampling of the
        // reduction).
        let plane = Plane {
            origin: small.stack.voxel_position(0.0, 0.0, 1),
            u: [1.0, 0.0, 0.0],
            v: [0.0, 1.0, 0.0],
            normal: [0.0, 0.0, 1.0],
            columns: 4,
            rows: 1,
            spacing: 1.0,
        };
        let frame = resample(&small, &plane, None);
        for i in 0..4 {
            assert_eq!(frame.samples.get_f64(i), f64::from(kept[8 + i]));
        }
    }

    #[test]
    fn limits_step_just_enough_and_budgets_thin_the_finer_direction() {
        let s = stack(512, 512, 3000, 0.25);
        let r = |limits| Reduction::within(&limits, &s, 2).unwrap_or_else(|e| panic!("{e}"));
        assert!(r(VolumeLimits::default()).is_full());
        let sides = VolumeLimits {
            max_columns: 300,
            max_slices: 2048,
            ..VolumeLimits::default()
        };
        assert_eq!(
            r(sides),
            Reduction {
                columns: 2,
                rows: 1,
                slices: 2
            }
        );
        // 1.5 GiB into 100 MiB: slices to 1 mm (4), then in-plane and slices in turn.
        let budget = VolumeLimits {
            max_bytes: Some(100 << 20),
            ..VolumeLimits::default()
        };
        let got = r(budget);
        let (c, w, n) = got.size((512, 512, 3000));
        assert!(u64::from(c) * u64::from(w) * u64::from(n) * 2 <= 100 << 20);
        // The step before the last did not fit; the voxels are within 2:1 of cubes.
        let over = [
            Reduction {
                slices: got.slices - 1,
                ..got
            },
            Reduction {
                columns: got.columns - 1,
                rows: got.rows - 1,
                ..got
            },
        ]
        .iter()
        .filter(|fewer| {
            let (c, w, n) = fewer.size((512, 512, 3000));
            u64::from(c) * u64::from(w) * u64::from(n) * 2 > 100 << 20
        })
        .count();
        assert!(over >= 1, "{got:?} is more than needed");
        assert_eq!(got.columns, got.rows);
        let (through, inplane) = (0.25 * f64::from(got.slices), 0.5 * f64::from(got.columns));
        assert!(
            through.max(inplane) <= 2.0 * through.min(inplane),
            "{got:?}"
        );
        let budget = VolumeLimits {
            max_bytes: Some(3),
            ..VolumeLimits::default()
        };
        assert!(Reduction::within(&budget, &s, 2).is_err());
    }
}
