//! Files and folders (native only): the thin path-based layer over the byte-based core.
//! Folders are searched recursively; files that are not DICOM images are reported, not
//! read whole; series are grouped and volumes loaded with bounded memory.

use crate::dimensions::Dimensions;
use crate::series::{InstanceInfo, Series, group_series};
use crate::volume::{Stack, StackInput, Volume, VolumeData};
use hounsfield_dicom::DicomFile;
use hounsfield_dicom::{Frame, ModalityLut, Samples};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Files under `paths` (folders searched recursively, in name order; symbolic links to
/// folders followed once), and the problems met (missing paths, unreadable folders).
pub fn expand(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<String>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    // Folders reached twice (through links, or named twice) are searched once.
    let mut seen = std::collections::HashSet::new();
    for p in paths {
        if p.is_file() {
            out.push(p.clone());
            continue;
        }
        if !p.is_dir() {
            problems.push(format!("{}: no such file or folder", p.display()));
            continue;
        }
        let mut walk = walkdir::WalkDir::new(p)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter();
        while let Some(entry) = walk.next() {
            match entry {
                Ok(e) if e.file_type().is_dir() => {
                    let first = e.path().canonicalize().is_ok_and(|c| seen.insert(c));
                    if !first {
                        walk.skip_current_dir();
                    }
                }
                Ok(e) if e.file_type().is_file() => out.push(e.into_path()),
                Ok(_) => {}
                // A link back to a folder above it: that folder is being searched.
                Err(e) if e.loop_ancestor().is_some() => {}
                Err(e) => problems.push(match e.path() {
                    Some(at) => format!(
                        "{}: {}",
                        at.display(),
                        e.io_error()
                            .map_or_else(|| e.to_string(), |io| io.to_string())
                    ),
                    None => e.to_string(),
                }),
            }
        }
    }
    (out, problems)
}

/// Opens `path` if its first bytes say it can be DICOM; otherwise says why not without
/// reading it whole.
pub fn open_if_dicom(path: &Path) -> Result<DicomFile, String> {
    may_be_dicom(path)?;
    DicomFile::open(path).map_err(|e| e.to_string())
}

/// Reads the header of `path` ([`DicomFile::open_header`]: the start of the file, up to
/// its pixel data) if its first bytes say it can be DICOM; otherwise says why not.
pub fn open_header_if_dicom(path: &Path) -> Result<DicomFile, String> {
    may_be_dicom(path)?;
    DicomFile::open_header(path).map_err(|e| e.to_string())
}

fn may_be_dicom(path: &Path) -> Result<(), String> {
    let mut prefix = Vec::with_capacity(132);
    std::fs::File::open(path)
        .and_then(|f| f.take(132).read_to_end(&mut prefix))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if !DicomFile::may_be_dicom(&prefix) {
        return Err(format!("{}: not a DICOM file, skipped", path.display()));
    }
    Ok(())
}

/// Where an instance of a [`Catalog`] is read from.
#[derive(Debug, Clone)]
pub enum InstanceSource {
    /// A file, opened again whenever its pixels are needed (no file stays in memory).
    Path(PathBuf),
    /// An object already in memory (fetched over the network, say).
    Memory(Arc<DicomFile>),
}

impl InstanceSource {
    /// The path or the object's name, for messages and listings.
    pub fn name(&self) -> String {
        match self {
            InstanceSource::Path(p) => p.display().to_string(),
            InstanceSource::Memory(f) => f.name().to_string(),
        }
    }

    /// The object, read from its file when it has one.
    pub fn open(&self) -> Result<Arc<DicomFile>, String> {
        match self {
            InstanceSource::Path(p) => DicomFile::open(p).map(Arc::new).map_err(|e| e.to_string()),
            InstanceSource::Memory(f) => Ok(f.clone()),
        }
    }
}

/// The images under some paths (or given in memory), grouped into series, without their
/// pixels.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Per instance: where it is read from.
    pub sources: Vec<InstanceSource>,
    /// Per instance: identification and geometry from its header.
    pub instances: Vec<InstanceInfo>,
    /// Per instance: its slices (one per frame) with geometry.
    pub slices: Vec<Vec<StackInput>>,
    /// The series the instances form, each in slice order.
    pub series: Vec<Series>,
    /// Files left out, and why.
    pub skipped: Vec<String>,
}

impl Catalog {
    /// Reads the headers of every file under `paths` (in parallel when the `parallel`
    /// feature is on), keeping no file in memory.
    pub fn scan(paths: &[PathBuf]) -> Catalog {
        let (files, skipped) = expand(paths);
        let read = |(i, p): (usize, &PathBuf)| -> Result<Described, String> {
            let file = open_header_if_dicom(p)?;
            let (info, slices) = describe(i, &file)?;
            Ok((InstanceSource::Path(p.clone()), info, slices))
        };
        #[cfg(feature = "parallel")]
        let results: Vec<_> = {
            use rayon::prelude::*;
            files.par_iter().enumerate().map(read).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let results: Vec<_> = files.iter().enumerate().map(read).collect();
        Self::collect(results, skipped)
    }

    /// Groups objects already in memory (headers alone are enough, see
    /// [`hounsfield_dicom::EncodedPixels::Pending`]) like [`Catalog::scan`] groups files.
    pub fn from_files(files: Vec<Arc<DicomFile>>) -> Catalog {
        let results = files
            .into_iter()
            .enumerate()
            .map(|(i, f)| {
                let (info, slices) = describe(i, &f)?;
                Ok((InstanceSource::Memory(f), info, slices))
            })
            .collect();
        Self::collect(results, Vec::new())
    }

    fn collect(results: Vec<Result<Described, String>>, mut skipped: Vec<String>) -> Catalog {
        let mut catalog = Catalog::default();
        for r in results {
            match r {
                Ok((source, info, mut slices)) => {
                    let index = catalog.sources.len();
                    for s in &mut slices {
                        s.instance = index;
                    }
                    catalog.sources.push(source);
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

    /// The frames of series `index` (one input per frame, in series order) and the stacks
    /// and time points they form.
    pub fn dimensions(&self, index: usize) -> Result<(Vec<StackInput>, Dimensions), String> {
        let series = self.series.get(index).ok_or("no such series")?;
        let inputs: Vec<StackInput> = series
            .instances
            .iter()
            .flat_map(|&i| self.slices[i].iter().cloned())
            .collect();
        let dimensions = Dimensions::organize(&inputs);
        Ok((inputs, dimensions))
    }

    /// The slice stack of series `index`: its stack `stack` at time point `time` (both
    /// 0-based; 0 and 0 for a series of one volume).
    pub fn stack_at(&self, index: usize, stack: usize, time: usize) -> Result<Stack, String> {
        let (inputs, dimensions) = self.dimensions(index)?;
        let stacks = dimensions.stacks.len();
        let s = dimensions
            .stacks
            .get(stack)
            .ok_or_else(|| format!("stack {} asked for, the series has {stacks}", stack + 1))?;
        let t = s.time_points.get(time).ok_or_else(|| {
            format!(
                "time point {} asked for, the series has {}",
                time + 1,
                s.time_points.len()
            )
        })?;
        let chosen: Vec<StackInput> = t.inputs.iter().map(|&k| inputs[k].clone()).collect();
        Stack::assemble(&chosen)
    }

    /// The slice stack of series `index` (its first stack at its first time point).
    pub fn stack(&self, index: usize) -> Result<Stack, String> {
        self.stack_at(index, 0, 0)
    }

    /// The file of instance `index`, when it was read from one.
    pub fn path(&self, index: usize) -> Option<&Path> {
        match self.sources.get(index)? {
            InstanceSource::Path(p) => Some(p),
            InstanceSource::Memory(_) => None,
        }
    }

    /// Instance `index`, read from its source.
    pub fn open(&self, index: usize) -> Result<Arc<DicomFile>, String> {
        self.sources.get(index).ok_or("no such instance")?.open()
    }

    /// Decodes series `index` into a volume: every slice decoded straight into its place
    /// (in parallel with the `parallel` feature), one file in memory per worker.
    pub fn volume(&self, index: usize) -> Result<Volume, String> {
        self.volume_at(index, 0, 0)
    }

    /// [`Catalog::volume`] of stack `stack` at time point `time` ([`Catalog::stack_at`]).
    pub fn volume_at(&self, index: usize, stack: usize, time: usize) -> Result<Volume, String> {
        let stack = self.stack_at(index, stack, time)?;
        load_volume(stack, |i| self.open(i))
    }
}

/// One instance as a catalog keeps it: its source, its identity and its slices.
type Described = (InstanceSource, InstanceInfo, Vec<StackInput>);

/// What a catalog keeps of one object: its identity and its slices.
fn describe(i: usize, file: &DicomFile) -> Result<(InstanceInfo, Vec<StackInput>), String> {
    if !file.has_pixel_data() {
        return Err(format!(
            "{}: no image in this DICOM object, skipped",
            file.name()
        ));
    }
    Ok((
        InstanceInfo::from_file(file),
        StackInput::from_file(i, file),
    ))
}

/// Fills a volume for `stack`, reading slice k's instance with `open(instance)`.
pub fn load_volume(
    stack: Stack,
    open: impl Fn(usize) -> Result<Arc<DicomFile>, String> + Sync,
) -> Result<Volume, String> {
    let per = stack.columns as usize * stack.rows as usize;
    let n = stack.slices.len();
    per.checked_mul(n)
        .filter(|t| *t <= 1 << 31)
        .ok_or("the volume is too large")?;
    let decode = |k: usize| -> Result<(Frame, ModalityLut), String> {
        let s = &stack.slices[k];
        let file = open(s.instance)?;
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
            // The first slice's Pixel Padding, for slabs to leave out.
            let s = &stack.slices[0];
            let padding = open(s.instance)?
                .display_parameters(s.frame)
                .ok()
                .and_then(|p| p.pixel_padding);
            return Ok(Volume {
                stack,
                data,
                modality,
                padding,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Name order, folders searched recursively, a link back to a folder above searched
    /// once, a folder named twice searched once, a missing path reported.
    #[test]
    fn expand_walks_folders_once_in_name_order() {
        let root = std::env::temp_dir().join(format!("hounsfield-expand-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let make = |rel: &str| {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap_or(&root)).unwrap_or_else(|e| panic!("{e}"));
            std::fs::write(&p, b"x").unwrap_or_else(|e| panic!("{e}"));
        };
        make("b/2");
        make("b/1");
        make("a/deeper/3");
        make("c");
        #[cfg(unix)]
        std::os::unix::fs::symlink(&root, root.join("b/up")).unwrap_or_else(|e| panic!("{e}"));
        let missing = root.join("missing");
        let (files, problems) = expand(&[root.clone(), root.join("b"), missing.clone()]);
        let names: Vec<String> = files
            .iter()
            .map(|f| {
                f.strip_prefix(&root)
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            })
            .collect();
        let _ = std::fs::remove_dir_all(&root);
        assert_eq!(names, ["a/deeper/3", "b/1", "b/2", "c"]);
        assert_eq!(
            problems,
            [format!("{}: no such file or folder", missing.display())]
        );
    }
}
