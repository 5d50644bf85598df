//! Progressive DCT scans (ISO 10918-1 Annex G): coefficients kept across scans.

use super::huffman::{Bits, Huffman};
use super::idct::idct_islow;
use super::planes::Planes;
use super::{Decoder, Scan, ZIGZAG, end_of_scan, table};

/// Quantised coefficients of every block, kept across the scans of a progressive frame
/// (ISO 10918-1 Annex G); one array of 64 per block, in natural order.
pub(super) struct Coefficients {
    /// Per component: blocks across, blocks down, coefficients.
    pub(super) comps: Vec<(usize, usize, Vec<i32>)>,
}

impl Coefficients {
    pub(super) fn new(planes: &Planes) -> Self {
        Coefficients {
            comps: planes
                .planes
                .iter()
                .map(|(w, h, _)| (w / 8, h / 8, vec![0i32; w * h]))
                .collect(),
        }
    }

    /// Dequantises and transforms every block into the planes.
    pub(super) fn into_planes(self, dec: &Decoder, planes: &mut Planes) {
        let level_shift = 1i32 << (dec.precision - 1);
        let maxval = (1i32 << dec.precision) - 1;
        let pass1_bits = if dec.precision == 8 { 2 } else { 1 };
        let mut coef = [0i32; 64];
        for ((c, (bw, bh, data)), (pw, _, plane)) in dec
            .components
            .iter()
            .zip(self.comps)
            .zip(planes.planes.iter_mut())
        {
            let q = &dec.qt[c.tq];
            for by in 0..bh {
                for bx in 0..bw {
                    let block = &data[(by * bw + bx) * 64..][..64];
                    for i in 0..64 {
                        coef[i] = i32::from(block[i] as i16) * i32::from(q[i]);
                    }
                    idct_islow(
                        &coef,
                        &mut plane[by * 8 * *pw + bx * 8..],
                        *pw,
                        pass1_bits,
                        level_shift,
                        maxval,
                    );
                }
            }
        }
    }
}

/// Decodes one scan of a progressive frame into the coefficients (G.1.2): DC first and
/// refinement scans (interleaved or not), AC first and refinement scans (one component),
/// with end-of-band runs. Returns the offset after the scan data.
pub(super) fn decode_progressive_scan(
    dec: &Decoder,
    scan: &Scan,
    planes: &Planes,
    coefs: &mut Coefficients,
) -> Result<usize, String> {
    let (ss, se) = (usize::from(scan.ss), usize::from(scan.se));
    let ah = scan.al_high;
    let al = u32::from(scan.al);
    if ss > se || se > 63 || (ss == 0 && se != 0) || (ss > 0 && scan.comps.len() != 1) {
        return Err("invalid progressive scan parameters".into());
    }
    let mut bits = Bits::new(dec.data, scan.start);
    let dc_first = ss == 0 && ah == 0;
    let dcs: Vec<Option<&Huffman>> = scan
        .td
        .iter()
        .map(|&t| {
            if dc_first {
                table(&dec.dc, t, "DC").map(Some)
            } else {
                Ok(None)
            }
        })
        .collect::<Result<_, _>>()?;
    let acs: Vec<Option<&Huffman>> = scan
        .ta
        .iter()
        .map(|&t| {
            if ss > 0 {
                table(&dec.ac, t, "AC").map(Some)
            } else {
                Ok(None)
            }
        })
        .collect::<Result<_, _>>()?;
    let single = scan.comps.len() == 1;
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
    let mut pred = vec![0i32; scan.comps.len()];
    let mut eobrun = 0u32;
    let mut todo = dec.restart_interval;
    let (p1, m1) = (1i32 << al, -1i32 << al);
    for my in 0..mcus_y {
        for mx in 0..mcus_x {
            if dec.restart_interval > 0 {
                if todo == 0 {
                    bits.restart()?;
                    pred.iter_mut().for_each(|p| *p = 0);
                    eobrun = 0;
                    todo = dec.restart_interval;
                }
                todo -= 1;
            }
            for (k, &ci) in scan.comps.iter().enumerate() {
                let c = &dec.components[ci];
                let (bh, bv) = if single { (1, 1) } else { (c.h, c.v) };
                for by in 0..bv {
                    for bx in 0..bh {
                        let (bw, bhh, data) = &mut coefs.comps[ci];
                        let (x, y) = if single {
                            (mx, my)
                        } else {
                            (mx * c.h + bx, my * c.v + by)
                        };
                        if x >= *bw || y >= *bhh {
                            continue;
                        }
                        let block = &mut data[(y * *bw + x) * 64..][..64];
                        if ss == 0 {
                            if let Some(dc) = dcs[k] {
                                let s = bits.decode(dc)?;
                                if s > 16 {
                                    return Err("invalid DC magnitude category".into());
                                }
                                pred[k] = pred[k].wrapping_add(bits.receive_extend(s));
                                block[0] = i32::from((pred[k] << al) as i16);
                            } else if bits.bits(1) == 1 {
                                block[0] |= p1;
                            }
                            continue;
                        }
                        let ac = acs[k].ok_or("missing AC table")?;
                        if ah == 0 {
                            // AC first scan.
                            if eobrun > 0 {
                                eobrun -= 1;
                                continue;
                            }
                            let mut i = ss;
                            while i <= se {
                                let rs = bits.decode(ac)?;
                                let (r, s) = (u32::from(rs >> 4), rs & 15);
                                if s != 0 {
                                    i += r as usize;
                                    if i > 63 {
                                        return Err("AC coefficient index beyond 63".into());
                                    }
                                    block[ZIGZAG[i]] =
                                        i32::from((bits.receive_extend(s) << al) as i16);
                                } else if r == 15 {
                                    i += 15;
                                } else {
                                    eobrun = (1 << r) + bits.bits(r) - 1;
                                    break;
                                }
                                i += 1;
                            }
                            continue;
                        }
                        // AC refinement scan (libjpeg's decode_mcu_AC_refine).
                        let mut i = ss;
                        if eobrun == 0 {
                            while i <= se {
                                let rs = bits.decode(ac)?;
                                let mut r = i32::from(rs >> 4);
                                let mut s = 0i32;
                                if rs & 15 != 0 {
                                    s = if bits.bits(1) == 1 { p1 } else { m1 };
                                } else if r != 15 {
                                    eobrun = (1 << r) + bits.bits(r as u32);
                                    break;
                                }
                                while i <= se {
                                    let z = ZIGZAG[i];
                                    if block[z] != 0 {
                                        if bits.bits(1) == 1 && block[z] & p1 == 0 {
                                            block[z] += if block[z] >= 0 { p1 } else { m1 };
                                        }
                                    } else {
                                        r -= 1;
                                        if r < 0 {
                                            break;
                                        }
                                    }
                                    i += 1;
                                }
                                if s != 0 && i <= 63 {
                                    block[ZIGZAG[i]] = s;
                                }
                                i += 1;
                            }
                        }
                        if eobrun > 0 {
                            while i <= se {
                                let z = ZIGZAG[i];
                                if block[z] != 0 && bits.bits(1) == 1 && block[z] & p1 == 0 {
                                    block[z] += if block[z] >= 0 { p1 } else { m1 };
                                }
                                i += 1;
                            }
                            eobrun -= 1;
                        }
                    }
                }
            }
        }
    }
    Ok(end_of_scan(dec.data, bits.pos, bits.marker))
}
