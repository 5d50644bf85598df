//! Display comparisons with DCMTK, shared by `display_oracle.rs` (the CPU reference) and
//! `gpu_oracle.rs` (the GPU renderer).
//!
//! The CPU reference pipeline (`hounsfield render --cpu`) against DCMTK's
//! `dcm2pnm` / `dcmj2pnm` / `dcml2pnm` on every displayable file of the corpus, within 1
//! of 8-bit output, for: the file's windows (`+Wi n`), explicit windows (`+Ww c w`) with
//! w = 1, w = 2, half and four times the data range, VOI LUT tables (`+Wl n`), sigmoid
//! (`+Wfs`), min-max (`+Wm`), inversion (`+P`), MONOCHROME1, palette and colour images.
//! JPEG 2000 files, which DCMTK cannot decode, are first decompressed by GDCM.
//!
//! LINEAR_EXACT, which DCMTK 3.6.7 does not implement, is checked against pydicom's
//! `apply_windowing` in `voi_functions.rs`.
//!
//! Where DCMTK 3.6.7 deviates from the standard the comparison says so and checks what can
//! be checked:
//! - Rescale with a non-integer slope or intercept: DCMTK keeps modality values in an
//!   integer representation, truncating m*SV+b, where PS3.3 C.11.1.1.1 defines the output
//!   as m*SV+b itself. Those files are compared with the modality stage truncated the same
//!   way (and `voi_functions.rs` checks the real-valued path against pydicom).
//! - YBR_FULL / YBR_FULL_422 native and RLE data: DCMTK centres chrominance on
//!   (2^n - 1)/2 and truncates, where PS3.3 C.7.6.3.1.2 offsets it by 2^(n-1) = 128; the
//!   decode oracle checks our conversion exactly against pydicom, here 2 levels are allowed.
//! - Supplemental palettes (Pixel Presentation COLOR, C.7.6.16.2.13): DCMTK renders grey
//!   only, so only the pixels the palette does not cover are compared.
//! - 32-bit samples in OW pixel data of Explicit VR Big Endian files: DCMTK reads each
//!   32-bit cell as two 16-bit words in little-endian order; PS3.5 section 7.3 orders the
//!   whole cell big endian (as pydicom does). Those files are compared with DCMTK's
//!   rendering of their little endian twins.
//! - Overlays (60xx) are burnt in by DCMTK by default and are not part of this pipeline;
//!   DCMTK runs with `-O`.

use crate::{CorpusFile, dcmtk_decompress, root};
use hounsfield_core::pipeline::{
    GreyPipeline, RenderOptions, RenderedImage, VoiSelection, data_range, modality_range,
    modality_transform, output_encode, presentation_transform, render_frame, voi_transform,
};
use hounsfield_core::{
    Codec, DicomFile, DisplayParameters, Frame, FrameColor, ModalityLut, PhotometricInterpretation,
    VoiLutFunction,
};
use std::path::{Path, PathBuf};
use std::process::Command;

/// One comparison: DCMTK arguments and our options.
pub struct Case {
    pub name: String,
    pub dcmtk: Vec<String>,
    pub ours: RenderOptions,
}

pub fn read_pnm(path: &Path) -> Result<(u32, u32, u8, Vec<u8>), String> {
    let data = std::fs::read(path).map_err(|e| e.to_string())?;
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 && i < data.len() {
        while i < data.len() && data[i].is_ascii_whitespace() {
            i += 1;
        }
        if data.get(i) == Some(&b'#') {
            while i < data.len() && data[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let s = i;
        while i < data.len() && !data[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&data[s..i]).to_string());
    }
    i += 1;
    let channels = match fields.first().map(String::as_str) {
        Some("P5") => 1,
        Some("P6") => 3,
        other => return Err(format!("unexpected PNM magic {other:?}")),
    };
    let w: u32 = fields[1].parse().map_err(|_| "bad width")?;
    let h: u32 = fields[2].parse().map_err(|_| "bad height")?;
    let pixels = data.get(i..).ok_or("short PNM")?.to_vec();
    if pixels.len() != (w * h) as usize * channels as usize {
        return Err(format!(
            "PNM has {} bytes for {w} x {h} x {channels}",
            pixels.len()
        ));
    }
    Ok((w, h, channels, pixels))
}

/// Runs DCMTK on `input` with `args`; caches the PNM under target/oracle/dcmtk-render.
pub fn dcmtk_render(
    name: &str,
    tool: &str,
    input: &Path,
    args: &[String],
) -> Result<PathBuf, String> {
    let dir = root().join("target/oracle/dcmtk-render");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    // The cache key names the whole command line.
    let command = format!("{tool} +op -O {} {}", args.join(" "), input.display());
    let hash = command.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    });
    let key = format!("{name}__{hash:016x}");
    let out = dir.join(format!("{key}.pnm"));
    if out.exists() {
        return Ok(out);
    }
    let tmp = out.with_extension("tmp");
    let run = |detect: bool| {
        Command::new(tool)
            .arg("+op")
            .arg("-O")
            .args(if detect { &["-td"][..] } else { &[][..] })
            .args(args)
            .arg(input)
            .arg(&tmp)
            .output()
            .map_err(|e| format!("{tool}: {e}"))
    };
    // Files whose meta group names the wrong VR encoding: DCMTK detects it with -td.
    let mut o = run(false)?;
    if !o.status.success() {
        o = run(true)?;
    }
    if !o.status.success() {
        let msg = String::from_utf8_lossy(&o.stderr);
        let first = msg
            .lines()
            .find(|l| l.starts_with("E:") || l.starts_with("F:"))
            .unwrap_or("failed");
        return Err(format!("{tool}: {first}"));
    }
    std::fs::rename(&tmp, &out).map_err(|e| e.to_string())?;
    Ok(out)
}

pub fn cases_for(file: &DicomFile, frame: usize) -> Result<Vec<Case>, String> {
    let decoded = file.decode_frame(frame).map_err(|e| e.kind.to_string())?;
    let params = file
        .display_parameters(frame)
        .map_err(|e| e.kind.to_string())?;
    let f = format!("{}", frame + 1);
    let base = |extra: &[&str]| -> Vec<String> {
        let mut v = vec!["+F".to_string(), f.clone()];
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let opts = |voi: VoiSelection| RenderOptions {
        voi,
        ..Default::default()
    };
    let mut cases = Vec::new();
    if decoded.color != FrameColor::Monochrome {
        cases.push(Case {
            name: "colour".into(),
            dcmtk: base(&[]),
            ours: RenderOptions::default(),
        });
        cases.push(Case {
            name: "colour inverted".into(),
            dcmtk: base(&["+P"]),
            ours: RenderOptions {
                invert: true,
                ..Default::default()
            },
        });
        return Ok(cases);
    }
    for (i, _) in params.windows.iter().enumerate().take(3) {
        let n = (i + 1).to_string();
        cases.push(Case {
            name: format!("file window {n}"),
            dcmtk: base(&["+Wi", &n]),
            ours: opts(VoiSelection::FileWindow(i)),
        });
    }
    for (i, _) in params.voi_luts.iter().enumerate().take(3) {
        let n = (i + 1).to_string();
        cases.push(Case {
            name: format!("VOI LUT {n}"),
            dcmtk: base(&["+Wl", &n]),
            ours: opts(VoiSelection::VoiLut(i)),
        });
    }
    let (lo, hi) = modality_range(&params.modality_lut, &decoded);
    let mid = ((lo + hi) / 2.0).round();
    let range = (hi - lo).max(1.0);
    let widths = [
        1.0,
        2.0,
        (range / 2.0).round().max(3.0),
        (4.0 * range + 100.0).round(),
    ];
    for w in widths {
        cases.push(Case {
            name: format!("window {mid},{w}"),
            dcmtk: base(&["+Ww", &mid.to_string(), &w.to_string()]),
            ours: opts(VoiSelection::Window {
                center: mid,
                width: w,
            }),
        });
    }
    let half = (range / 2.0).round().max(3.0);
    cases.push(Case {
        name: format!("sigmoid {mid},{half}"),
        dcmtk: base(&["+Ww", &mid.to_string(), &half.to_string(), "+Wfs"]),
        ours: RenderOptions {
            voi: VoiSelection::Window {
                center: mid,
                width: half,
            },
            voi_function: Some(VoiLutFunction::Sigmoid),
            invert: false,
        },
    });
    // DCMTK's min-max window counts Pixel Padding; ours leaves it out (the padding
    // oracle holds that range to pydicom), so padded images compare at our window.
    let min_max = match params.pixel_padding {
        None => base(&["+Wm"]),
        Some(_) => {
            let (lo, hi) = data_range(&params, &decoded);
            let (c, w) = ((lo + hi + 1.0) / 2.0, hi - lo + 1.0);
            base(&["+Ww", &c.to_string(), &w.to_string()])
        }
    };
    cases.push(Case {
        name: "min-max".into(),
        dcmtk: min_max,
        ours: opts(VoiSelection::DataRange),
    });
    cases.push(Case {
        name: format!("inverted {mid},{half}"),
        dcmtk: base(&["+Ww", &mid.to_string(), &half.to_string(), "+P"]),
        ours: RenderOptions {
            voi: VoiSelection::Window {
                center: mid,
                width: half,
            },
            voi_function: Some(VoiLutFunction::Linear),
            invert: true,
        },
    });
    Ok(cases)
}

/// Big endian files whose 32-bit samples DCMTK misreads, and their little endian twins.
const BIG_ENDIAN_TWINS: &[(&str, &str)] = &[
    ("rtdose_expb.dcm", "rtdose.dcm"),
    ("rtdose_expb_1frame.dcm", "rtdose_1frame.dcm"),
];

fn non_integer_rescale(p: &DisplayParameters) -> bool {
    matches!(p.modality_lut, ModalityLut::Rescale { slope, intercept, .. } if slope.fract() != 0.0 || intercept.fract() != 0.0)
}

/// Our render, with DCMTK's integer modality values where the file needs them (see above).
fn render_for_dcmtk(
    frame: &Frame,
    params: &DisplayParameters,
    options: &RenderOptions,
) -> Result<RenderedImage, String> {
    let mut image = render_frame(frame, params, options).map_err(|e| e.to_string())?;
    if frame.color == FrameColor::Monochrome && non_integer_rescale(params) {
        let pipe = GreyPipeline::resolve(params, frame, options).map_err(|e| e.to_string())?;
        image.pixels = (0..frame.samples.len())
            .map(|i| {
                let m = modality_transform(&pipe.modality, frame.samples.get_f64(i)).trunc();
                output_encode(presentation_transform(
                    voi_transform(&pipe.voi, m),
                    pipe.inverse,
                ))
            })
            .collect();
    }
    Ok(image)
}

pub struct Row {
    pub label: String,
    pub case: String,
    pub ok: bool,
    pub detail: String,
}

/// Who renders: the CPU reference (with DCMTK's integer rescale emulated where a file
/// needs it) or a GPU renderer.
pub enum Renderer<'a> {
    Cpu,
    Gpu(&'a dyn Fn(&Frame, &DisplayParameters, &RenderOptions) -> Result<RenderedImage, String>),
}

/// Compares every display case of `file` with DCMTK.
pub fn check_file(file: &CorpusFile, renderer: &Renderer) -> Vec<Row> {
    let row = |case: &str, ok: bool, detail: String| Row {
        label: file.label.clone(),
        case: case.to_string(),
        ok,
        detail,
    };
    let Ok(opened) = DicomFile::open(&file.path) else {
        return vec![];
    };
    let Ok(image) = opened.image().cloned() else {
        return vec![];
    };
    if opened.decode_frame(0).is_err() {
        return vec![];
    }
    if image.float {
        return vec![row(
            "-",
            true,
            "float pixel data: DCMTK 3.6.7 cannot render it".into(),
        )];
    }
    let codec = opened.transfer_syntax().codec;
    let twin = BIG_ENDIAN_TWINS
        .iter()
        .find(|(be, _)| file.path.file_name().is_some_and(|n| n == *be))
        .map(|(_, le)| file.path.with_file_name(le));
    let (tool, input) = match codec {
        _ if twin.is_some() => ("dcm2pnm", twin.clone().unwrap_or_default()),
        Codec::Jpeg => ("dcmj2pnm", file.path.clone()),
        Codec::JpegLs => ("dcml2pnm", file.path.clone()),
        Codec::Jpeg2000 => match dcmtk_decompress(file) {
            Ok(p) => ("dcm2pnm", p),
            Err(e) => {
                return vec![row(
                    "-",
                    false,
                    format!("GDCM cannot decompress it for DCMTK: {e}"),
                )];
            }
        },
        _ => ("dcm2pnm", file.path.clone()),
    };
    let mut frames = vec![0];
    if image.number_of_frames > 2 {
        frames.push(image.number_of_frames as usize / 2);
    }
    let mut rows = Vec::new();
    for frame in frames {
        let cases = match cases_for(&opened, frame) {
            Ok(c) => c,
            Err(e) => {
                rows.push(row("-", false, e));
                continue;
            }
        };
        for case in cases {
            let name = format!("frame {} {}", frame + 1, case.name);
            let theirs = match dcmtk_render(&file.name, tool, &input, &case.dcmtk)
                .and_then(|p| read_pnm(&p))
            {
                Ok(t) => t,
                Err(e) => {
                    rows.push(row(&name, true, format!("DCMTK cannot render it: {e}")));
                    continue;
                }
            };
            let decoded = opened.decode_frame(frame).map_err(|e| e.to_string());
            let params = opened.display_parameters(frame).map_err(|e| e.to_string());
            let ours = match (&decoded, &params) {
                (Ok(fr), Ok(p)) => match renderer {
                    Renderer::Cpu => render_for_dcmtk(fr, p, &case.ours),
                    Renderer::Gpu(f) => f(fr, p, &case.ours),
                },
                (Err(e), _) | (_, Err(e)) => Err(e.clone()),
            };
            let ours = match ours {
                Ok(o) => o,
                Err(e) => {
                    rows.push(row(&name, false, format!("we fail: {e}")));
                    continue;
                }
            };
            let (w, h, ch, mut px) = theirs;
            let (Ok(fr), Ok(p)) = (&decoded, &params) else {
                continue;
            };
            let mut ours = ours;
            if p.supplemental_palette {
                // Compare the grey pixels only: DCMTK ignores the supplemental palette.
                let grey: Vec<usize> = (0..fr.samples.len())
                    .filter(|&i| {
                        !p.palette
                            .as_ref()
                            .is_some_and(|pal| pal.covers(fr.samples.get_i64(i)))
                    })
                    .collect();
                ours.pixels = grey.iter().map(|&i| ours.pixels[3 * i]).collect();
                px = grey.iter().map(|&i| px[i]).collect();
                ours.channels = 1;
            }
            let tolerance = if fr.color == FrameColor::Rgb
                && matches!(
                    image.photometric_interpretation,
                    PhotometricInterpretation::YbrFull | PhotometricInterpretation::YbrFull422
                )
                && matches!(codec, Codec::Native | Codec::Rle)
            {
                2
            } else {
                1
            };
            if matches!(renderer, Renderer::Gpu(_)) && non_integer_rescale(p) {
                // The GPU keeps real-valued modality output and cannot follow DCMTK's
                // truncation; it is compared with DCMTK where the standard CPU reference
                // itself is within 1 of DCMTK (and with that reference everywhere, in
                // gpu_oracle.rs).
                let standard = render_frame(fr, p, &case.ours).map_err(|e| e.to_string());
                let within = standard
                    .is_ok_and(|s| s.pixels.iter().zip(&px).all(|(a, b)| a.abs_diff(*b) <= 1));
                if !within {
                    rows.push(row(
                        &format!("{name} (DCMTK integer rescale)"),
                        true,
                        "skip: DCMTK truncates m*SV+b (PS3.3 C.11.1.1.1), the standard reference differs by more than 1".into(),
                    ));
                    continue;
                }
            }
            if (w, h, ch) != (ours.width, ours.height, ours.channels) {
                rows.push(row(
                    &name,
                    false,
                    format!(
                        "DCMTK {w}x{h}x{ch}, ours {}x{}x{}",
                        ours.width, ours.height, ours.channels
                    ),
                ));
                continue;
            }
            let mut worst = 0u8;
            let mut count = 0usize;
            for (a, b) in px.iter().zip(&ours.pixels) {
                let d = a.abs_diff(*b);
                worst = worst.max(d);
                if d > tolerance {
                    count += 1;
                }
            }
            let name = if tolerance > 1 {
                format!("{name} (native YBR, tolerance 2)")
            } else {
                name
            };
            let name = if non_integer_rescale(p) {
                format!("{name} (DCMTK integer rescale)")
            } else {
                name
            };
            let name = if twin.is_some() {
                format!("{name} (DCMTK on the LE twin)")
            } else {
                name
            };
            rows.push(row(
                &name,
                worst <= tolerance,
                if worst <= tolerance {
                    format!("max |diff| {worst}")
                } else {
                    format!(
                        "max |diff| {worst} ({count} of {} samples > {tolerance})",
                        px.len()
                    )
                },
            ));
        }
    }
    rows
}
