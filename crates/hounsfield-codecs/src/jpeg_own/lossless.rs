//! Lossless scans (ISO 10918-1 Annex H): predictors and point transform.

use super::huffman::{Bits, Huffman};
use super::planes::Planes;
use super::{Decoder, Scan, end_of_scan, table};

/// Decodes a lossless scan (ISO 10918-1 Annex H).
pub(super) fn decode_lossless_scan(
    dec: &Decoder,
    scan: &Scan,
    planes: &mut Planes,
) -> Result<usize, String> {
    let predictor = scan.ss;
    if !(0..=7).contains(&predictor) {
        return Err(format!("invalid lossless predictor {predictor}"));
    }
    let pt = u32::from(scan.al);
    if pt >= dec.precision {
        return Err("point transform exceeds the precision".into());
    }
    for &ci in &scan.comps {
        let c = &dec.components[ci];
        if c.h != 1 || c.v != 1 {
            return Err("subsampled lossless JPEG is not supported".into());
        }
    }
    let dcs: Vec<&Huffman> = scan
        .td
        .iter()
        .map(|&t| table(&dec.dc, t, "DC"))
        .collect::<Result<_, _>>()?;
    let mut bits = Bits::new(dec.data, scan.start);
    let (w, h) = (dec.width, dec.height);
    let initial = 1i32 << (dec.precision - pt - 1);
    let mask = 0xFFFF;
    let ri = dec.restart_interval;
    let mut todo = ri;
    // First row of the scan or of a restart interval predicts from the left only.
    let mut first_row_of_interval = true;
    let mut restart_pending = false;
    for y in 0..h {
        for x in 0..w {
            if ri > 0 {
                if todo == 0 {
                    bits.restart()?;
                    todo = ri;
                    restart_pending = true;
                }
                todo -= 1;
            }
            if restart_pending && x == 0 {
                first_row_of_interval = true;
                restart_pending = false;
            }
            for (k, &ci) in scan.comps.iter().enumerate() {
                let (pw, _, plane) = &mut planes.planes[ci];
                let pw = *pw;
                let s = bits.decode(dcs[k])?;
                let diff = match s {
                    0 => 0,
                    16 => 32768,
                    1..=15 => bits.receive_extend(s),
                    _ => return Err("invalid difference category".into()),
                };
                let i = y * pw + x;
                let pred = if first_row_of_interval {
                    if x == 0 { initial } else { plane[i - 1] }
                } else if x == 0 {
                    plane[i - pw]
                } else {
                    let (ra, rb, rc) = (plane[i - 1], plane[i - pw], plane[i - pw - 1]);
                    match predictor {
                        0 => 0,
                        1 => ra,
                        2 => rb,
                        3 => rc,
                        4 => ra + rb - rc,
                        5 => ra + ((rb - rc) >> 1),
                        6 => rb + ((ra - rc) >> 1),
                        _ => (ra + rb) / 2,
                    }
                };
                plane[i] = (pred + diff) & mask;
            }
        }
        first_row_of_interval = false;
    }
    if pt > 0 {
        for &ci in &scan.comps {
            for v in planes.planes[ci].2.iter_mut() {
                *v <<= pt;
            }
        }
    }
    Ok(end_of_scan(dec.data, bits.pos, bits.marker))
}
