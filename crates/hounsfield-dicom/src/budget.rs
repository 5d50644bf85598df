//! Decode budgets: how many bytes of decoded frames one file, and one load of many files,
//! may take. A viewer checks a file against its load's budget after reading its header
//! and before decoding anything, so that a hostile or simply enormous study fails with a
//! message saying what it needs and how to allow it, instead of exhausting memory.
//!
//! ```
//! use hounsfield_dicom::budget::{DecodeLimits, LoadBudget};
//! let file = hounsfield_dicom::DicomFile::from_bytes("ct.dcm", std::fs::read(
//!     concat!(env!("CARGO_MANIFEST_DIR"), "/../hounsfield-viewer/assets/CT_small.dcm"))?)?;
//! // CT_small: one 128 x 128 frame of 16-bit samples.
//! let load = LoadBudget::new(DecodeLimits { per_file: 1 << 20, per_load: 40_000 });
//! assert_eq!(load.reserve(&file)?, 128 * 128 * 2);
//! let second = load.reserve(&file).unwrap_err();
//! assert!(second.to_string().contains("per load"), "{second}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub use crate::error::{BudgetScope, human_bytes};
use crate::{DicomFile, Error, ErrorKind};
use std::sync::atomic::{AtomicU64, Ordering};

/// Limits on decoded bytes (all frames, as held in memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// The most one file may decode to.
    pub per_file: u64,
    /// The most the files of one load may decode to together.
    pub per_load: u64,
}

impl Default for DecodeLimits {
    /// 16 GiB per file and 64 GiB per load on 64-bit targets (a viewer lowers the load
    /// limit to the machine's memory, see the native viewer); 1 GiB and 2 GiB on 32-bit
    /// targets (WebAssembly's memory ends at 4 GiB).
    fn default() -> Self {
        if cfg!(target_pointer_width = "64") {
            DecodeLimits {
                per_file: 16 << 30,
                per_load: 64 << 30,
            }
        } else {
            DecodeLimits {
                per_file: 1 << 30,
                per_load: 2 << 30,
            }
        }
    }
}

/// The decoded bytes one load has reserved, shared by its decoding threads.
#[derive(Debug)]
pub struct LoadBudget {
    limits: DecodeLimits,
    used: AtomicU64,
}

impl LoadBudget {
    /// A load with nothing reserved yet.
    pub fn new(limits: DecodeLimits) -> LoadBudget {
        LoadBudget {
            limits,
            used: AtomicU64::new(0),
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> DecodeLimits {
        self.limits
    }

    /// Bytes reserved so far.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// Reserves what every frame of `file` decodes to, from its header alone; returns
    /// that size, or [`ErrorKind::OverBudget`] (naming the file, nothing reserved) when
    /// the file alone or the load with it would exceed a limit.
    pub fn reserve(&self, file: &DicomFile) -> Result<u64, Error> {
        let desc = file.image()?;
        let needed = desc
            .decoded_frame_bytes()
            .saturating_mul(u64::from(desc.number_of_frames.max(1)));
        let over = |scope, limit| {
            file.err(ErrorKind::OverBudget {
                scope,
                needed,
                limit,
            })
        };
        if needed > self.limits.per_file {
            return Err(over(BudgetScope::File, self.limits.per_file));
        }
        self.used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                used.checked_add(needed)
                    .filter(|&total| total <= self.limits.per_load)
            })
            .map_err(|_| over(BudgetScope::Load, self.limits.per_load))?;
        Ok(needed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> DicomFile {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../hounsfield-viewer/assets/CT_small.dcm"
        );
        DicomFile::open(path).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_file_over_either_limit_reserves_nothing() {
        let file = sample();
        let frame = 128 * 128 * 2;
        let load = LoadBudget::new(DecodeLimits {
            per_file: frame - 1,
            per_load: u64::MAX,
        });
        let e = load.reserve(&file).unwrap_err();
        assert!(matches!(
            e.kind,
            ErrorKind::OverBudget {
                scope: BudgetScope::File,
                needed,
                ..
            } if needed == frame
        ));
        assert!(e.to_string().starts_with(file.name()), "{e}");
        assert_eq!(load.used(), 0);

        let load = LoadBudget::new(DecodeLimits {
            per_file: frame,
            per_load: 2 * frame,
        });
        assert_eq!(load.reserve(&file).ok(), Some(frame));
        assert_eq!(load.reserve(&file).ok(), Some(frame));
        assert!(load.reserve(&file).is_err());
        assert_eq!(load.used(), 2 * frame);
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_bytes(512), "512 bytes");
        assert_eq!(human_bytes(32 << 10), "32 KiB");
        assert_eq!(human_bytes(3 << 29), "1.5 GiB");
    }
}
