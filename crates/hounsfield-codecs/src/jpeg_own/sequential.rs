//! Sequential DCT scans (ISO 10918-1 F.2): Huffman-decoded blocks, dequantised and
//! transformed into the planes.

use super::huffman::{Bits, Huffman};
use super::idct::idct_islow;
use super::planes::Planes;
use super::{Decoder, Scan, ZIGZAG, end_of_scan, table};

/// Decodes a sequential DCT scan into the planes; returns the offset after the scan data.
pub(super) fn decode_dct_scan(
    dec: &Decoder,
    scan: &Scan,
    planes: &mut Planes,
) -> Result<usize, String> {
    // Sequential frames code whole blocks whatever the scan's spectral selection says;
    // IJG libjpeg warns about such headers (JWRN_NOT_SEQUENTIAL) and decodes the same way.
    let _ = (scan.ss, scan.se);
    let mut bits = Bits::new(dec.data, scan.start);
    let dcs: Vec<&Huffman> = scan
        .td
        .iter()
        .map(|&t| table(&dec.dc, t, "DC"))
        .collect::<Result<_, _>>()?;
    let acs: Vec<&Huffman> = scan
        .ta
        .iter()
        .map(|&t| table(&dec.ac, t, "AC"))
        .collect::<Result<_, _>>()?;
    let mut pred = vec![0i32; scan.comps.len()];
    let single = scan.comps.len() == 1;
    // Blocks per MCU and MCU grid.
    let (mcus_x, mcus_y) = if single {
        let c = &dec.components[scan.comps[0]];
        let cw = (dec.width * c.h).div_ceil(planes.hmax);
        let ch = (dec.height * c.v).div_ceil(planes.vmax);
        (cw.div_ceil(8), ch.div_ceil(8))
    } else {
        (
            dec.width.div_ceil(8 * planes.hmax),
            dec.height.div_ceil(8 * planes.vmax),
        )
    };
    let level_shift = 1i32 << (dec.precision - 1);
    let maxval = (1i32 << dec.precision) - 1;
    let pass1_bits = if dec.precision == 8 { 2 } else { 1 };
    let mut coef = [0i32; 64];
    let mut todo = dec.restart_interval;
    for my in 0..mcus_y {
        for mx in 0..mcus_x {
            if dec.restart_interval > 0 {
                if todo == 0 {
                    bits.restart()?;
                    pred.iter_mut().for_each(|p| *p = 0);
                    todo = dec.restart_interval;
                }
                todo -= 1;
            }
            for (k, &ci) in scan.comps.iter().enumerate() {
                let c = &dec.components[ci];
                let q = &dec.qt[c.tq];
                let (bh, bv) = if single { (1, 1) } else { (c.h, c.v) };
                for by in 0..bv {
                    for bx in 0..bh {
                        coef.fill(0);
                        let s = bits.decode(dcs[k])?;
                        if s > 16 {
                            return Err("invalid DC magnitude category".into());
                        }
                        // As libjpeg: the predictor an int, the coefficient a JCOEF (i16),
                        // so hostile streams wrap instead of overflowing.
                        pred[k] = pred[k].wrapping_add(bits.receive_extend(s));
                        coef[0] = i32::from(pred[k] as i16) * i32::from(q[0]);
                        let mut i = 1;
                        while i < 64 {
                            let rs = bits.decode(acs[k])?;
                            let (r, s) = (usize::from(rs >> 4), rs & 15);
                            if s == 0 {
                                if r != 15 {
                                    break;
                                }
                                i += 16;
                                continue;
                            }
                            i += r;
                            if i > 63 {
                                return Err("AC coefficient index beyond 63".into());
                            }
                            let z = ZIGZAG[i];
                            coef[z] = bits.receive_extend(s) * i32::from(q[z]);
                            i += 1;
                        }
                        let (pw, _, plane) = &mut planes.planes[ci];
                        let x0 = if single { mx * 8 } else { (mx * c.h + bx) * 8 };
                        let y0 = if single { my * 8 } else { (my * c.v + by) * 8 };
                        let pw = *pw;
                        if y0 + 8 <= plane.len() / pw && x0 + 8 <= pw {
                            idct_islow(
                                &coef,
                                &mut plane[y0 * pw + x0..],
                                pw,
                                pass1_bits,
                                level_shift,
                                maxval,
                            );
                        }
                    }
                }
            }
        }
    }
    Ok(end_of_scan(dec.data, bits.pos, bits.marker))
}
