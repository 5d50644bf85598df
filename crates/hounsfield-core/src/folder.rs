//! Files and folders (native only): the thin path-based layer over the byte-based core.
//! Folders are searched recursively; files that are not DICOM images are reported, not
//! read whole; series are grouped and volumes loaded with bounded memory.

use crate::file::DicomFile;
use crate::series::{InstanceInfo, Series, group_series};
use crate::volume::{Stack, StackInput, Volume, VolumeData};
use crate::{Frame, ModalityLut, Samples};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Files under `paths` (folders searched recursively, in name order; symbolic links to
/// folders followed once), and the problems met (missing paths, unreadable folders).
pub fn expand(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<String>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut seen = std::collections::HashSet::new();
    fn walk(
        dir: &Path,
        out: &mut Vec<PathBuf>,
        problems: &mut Vec<String>,
        seen: &mut std::collections::HashSet<PathBuf>,
    ) {
        let Ok(canonical) = dir.canonicalize() else {
            problems.push(format!("{}: cannot open the folder", dir.display()));
            return;
        };
        if !seen.insert(canonical) {
            return;
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                problems.push(format!("{}: {e}", dir.display()));
                return;
            }
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            if p.is_dir() {
                walk(&p, out, problems, seen);
            } else if p.is_file() {
                out.push(p);
            }
        }
    }
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out, &mut problems, &mut seen);
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            problems.push(format!("{}: no such file or folder", p.display()));
        }
    }
    (out, problems)
}

/// Opens `path` if its first bytes say it can be DICOM; otherwise says why not without
/// reading it whole.
pub fn open_if_dicom(path: &Path) -> Result<DicomFile, String> {
    let mut prefix = Vec::with_capacity(132);
    std::fs::File::open(path)
        .and_then(|f| f.take(132).read_to_end(&mut prefix))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if !DicomFile::may_be_dicom(&prefix) {
        return Err(format!("{}: not a DICOM file, skipped", path.display()));
    }
    DicomFile::open(path).map_err(|e| e.to_string())
}

/// The images under some paths, grouped into series, without their pixels.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub paths: Vec<PathBuf>,
    pub instances: Vec<InstanceInfo>,
    /// Per instance: its slices (one per frame) with geometry.
    pub slices: Vec<Vec<StackInput>>,
    pub series: Vec<Series>,
    /// Files left out, and why.
    pub skipped: Vec<String>,
}

impl Catalog {
    /// Reads the headers of every file under `paths` (in parallel when the `parallel`
    /// feature is on), keeping no file in memory.
    pub fn scan(paths: &[PathBuf]) -> Catalog {
        let (files, mut skipped) = expand(paths);
        let read = |(i, p): (usize, &PathBuf)| -> Result<(PathBuf, InstanceInfo, Vec<StackInput>), String> {
            let file = open_if_dicom(p)?;
            if !file.has_pixel_data() {
                return Err(format!("{}: no image in this DICOM object, skipped", p.display()));
            }
            let info = InstanceInfo::from_file(&file);
            Ok((p.clone(), info, StackInput::from_file(i, &file)))
        };
        #[cfg(feature = "parallel")]
        let results: Vec<_> = {
            use rayon::prelude::*;
            files.par_iter().enumerate().map(read).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let results: Vec<_> = files.iter().enumerate().map(read).collect();
        let mut catalog = Catalog::default();
        for r in results {
            match r {
                Ok((p, info, mut slices)) => {
                    let index = catalog.paths.len();
                    for s in &mut slices {
                        s.instance = index;
                    }
                    catalog.paths.push(p);
                    catalog.instances.push(info);
                    catalog.slices.push(slices);
                }
                Err(e) => skipped.push(e),
            }
        }
        catalog.series = group_series(&catalog.instances);
        catalog.skipped = skipped;
        catalog
    }

    /// The slice stack of series `index`.
    pub fn stack(&self, index: usize) -> Result<Stack, String> {
        let series = self.series.get(index).ok_or("no such series")?;
        let inputs: Vec<StackInput> = series
            .instances
            .iter()
            .flat_map(|&i| self.slices[i].iter().cloned())
            .collect();
        Stack::assemble(&inputs)
    }

    /// Decodes series `index` into a volume: every slice decoded straight into its place
    /// (in parallel with the `parallel` feature), one file in memory per worker.
    pub fn volume(&self, index: usize) -> Result<Volume, String> {
        let stack = self.stack(index)?;
        load_volume(stack, |i| &self.paths[i])
    }
}

/// Fills a volume for `stack`, reading slice k's instance from `path(instance)`.
pub fn load_volume<'a>(
    stack: Stack,
    path: impl Fn(usize) -> &'a Path + Sync,
) -> Result<Volume, String> {
    let per = stack.columns as usize * stack.rows as usize;
    let n = stack.slices.len();
    per.checked_mul(n)
        .filter(|t| *t <= 1 << 31)
        .ok_or("the volume is too large")?;
    let decode = |k: usize| -> Result<(Frame, ModalityLut), String> {
        let s = &stack.slices[k];
        let file = DicomFile::open(path(s.instance)).map_err(|e| e.to_string())?;
        let frame = file.decode_frame(s.frame).map_err(|e| e.to_string())?;
        let params = file
            .display_parameters(s.frame)
            .map_err(|e| e.to_string())?;
        Ok((frame, params.modality_lut))
    };
    // The first slice decides the lane; slices that disagree (lane or rescale) fall back
    // to a volume of modality values.
    let (first, modality) = decode(0)?;
    let lane_i16 = matches!(first.samples, Samples::I16(_));
    let lane_u16 = matches!(first.samples, Samples::U16(_));
    if lane_i16 || lane_u16 {
        let mut fits = true;
        let data = if lane_i16 {
            let mut v = vec![0i16; per * n];
            fill(
                &mut v,
                per,
                &first,
                &decode,
                &modality,
                &mut fits,
                |s| match s {
                    Samples::I16(x) => Some(x.as_slice()),
                    _ => None,
                },
            )?;
            VolumeData::I16(v)
        } else {
            let mut v = vec![0u16; per * n];
            fill(
                &mut v,
                per,
                &first,
                &decode,
                &modality,
                &mut fits,
                |s| match s {
                    Samples::U16(x) => Some(x.as_slice()),
                    _ => None,
                },
            )?;
            VolumeData::U16(v)
        };
        if fits {
            return Ok(Volume {
                stack,
                data,
                modality,
            });
        }
    }
    // Mixed lanes or rescales: decode again into frames and convert.
    let frames: Vec<(Frame, ModalityLut)> = (0..n).map(decode).collect::<Result<_, _>>()?;
    Volume::from_frames(stack, |k| frames.get(k).map(|(f, m)| (f, m)))
}

/// Copies `first` into slice 0 and decodes the others into theirs; clears `fits` when a
/// slice has another lane or Modality LUT.
fn fill<T: Copy + Send + Sync>(
    out: &mut [T],
    per: usize,
    first: &Frame,
    decode: &(dyn Fn(usize) -> Result<(Frame, ModalityLut), String> + Sync),
    modality: &ModalityLut,
    fits: &mut bool,
    lane: fn(&Samples) -> Option<&[T]>,
) -> Result<(), String> {
    let src = lane(&first.samples).ok_or("unexpected lane")?;
    out[..per].copy_from_slice(src);
    let one = |(k, slot): (usize, &mut [T])| -> Result<bool, String> {
        if k == 0 {
            return Ok(true);
        }
        let (f, m) = decode(k)?;
        match lane(&f.samples) {
            Some(s) if s.len() == per && &m == modality => {
                slot.copy_from_slice(s);
                Ok(true)
            }
            _ => Ok(false),
        }
    };
    #[cfg(feature = "parallel")]
    let results: Vec<Result<bool, String>> = {
        use rayon::prelude::*;
        out.par_chunks_mut(per).enumerate().map(one).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let results: Vec<Result<bool, String>> = out.chunks_mut(per).enumerate().map(one).collect();
    for r in results {
        if !r? {
            *fits = false;
        }
    }
    Ok(())
}
