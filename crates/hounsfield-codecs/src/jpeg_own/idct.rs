//! The IJG accurate integer inverse DCT.

pub(super) const CONST_BITS: i32 = 13;

/// The IJG accurate integer inverse DCT (`jpeg_idct_islow`), writing level-shifted,
/// clamped samples to `out` with the given row stride.
pub(super) fn idct_islow(
    coef: &[i32; 64],
    out: &mut [i32],
    stride: usize,
    pass1_bits: i32,
    shift: i32,
    maxval: i32,
) {
    const F0_298: i64 = 2446;
    const F0_390: i64 = 3196;
    const F0_541: i64 = 4433;
    const F0_765: i64 = 6270;
    const F0_899: i64 = 7373;
    const F1_175: i64 = 9633;
    const F1_501: i64 = 12299;
    const F1_847: i64 = 15137;
    const F1_961: i64 = 16069;
    const F2_053: i64 = 16819;
    const F2_562: i64 = 20995;
    const F3_072: i64 = 25172;
    let descale = |x: i64, n: i32| (x + (1i64 << (n - 1))) >> n;
    let mut ws = [0i64; 64];
    // Pass 1: columns.
    for col in 0..8 {
        let c = |r: usize| i64::from(coef[r * 8 + col]);
        if (1..8).all(|r| coef[r * 8 + col] == 0) {
            let dc = c(0) << pass1_bits;
            for r in 0..8 {
                ws[r * 8 + col] = dc;
            }
            continue;
        }
        let (z2, z3) = (c(2), c(6));
        let z1 = (z2 + z3) * F0_541;
        let tmp2 = z1 + z3 * -F1_847;
        let tmp3 = z1 + z2 * F0_765;
        let (z2, z3) = (c(0), c(4));
        let tmp0 = (z2 + z3) << CONST_BITS;
        let tmp1 = (z2 - z3) << CONST_BITS;
        let (tmp10, tmp13, tmp11, tmp12) = (tmp0 + tmp3, tmp0 - tmp3, tmp1 + tmp2, tmp1 - tmp2);
        let (t0, t1, t2, t3) = odd(c(7), c(5), c(3), c(1));
        let n = CONST_BITS - pass1_bits;
        ws[col] = descale(tmp10 + t3, n);
        ws[7 * 8 + col] = descale(tmp10 - t3, n);
        ws[8 + col] = descale(tmp11 + t2, n);
        ws[6 * 8 + col] = descale(tmp11 - t2, n);
        ws[2 * 8 + col] = descale(tmp12 + t1, n);
        ws[5 * 8 + col] = descale(tmp12 - t1, n);
        ws[3 * 8 + col] = descale(tmp13 + t0, n);
        ws[4 * 8 + col] = descale(tmp13 - t0, n);
    }
    // Pass 2: rows.
    let n = CONST_BITS + pass1_bits + 3;
    let put = |v: i64| (v as i32).wrapping_add(shift).clamp(0, maxval);
    for row in 0..8 {
        let w = &ws[row * 8..row * 8 + 8];
        let o = &mut out[row * stride..row * stride + 8];
        let (z2, z3) = (w[2], w[6]);
        let z1 = (z2 + z3) * F0_541;
        let tmp2 = z1 + z3 * -F1_847;
        let tmp3 = z1 + z2 * F0_765;
        let tmp0 = (w[0] + w[4]) << CONST_BITS;
        let tmp1 = (w[0] - w[4]) << CONST_BITS;
        let (tmp10, tmp13, tmp11, tmp12) = (tmp0 + tmp3, tmp0 - tmp3, tmp1 + tmp2, tmp1 - tmp2);
        let (t0, t1, t2, t3) = odd(w[7], w[5], w[3], w[1]);
        o[0] = put(descale(tmp10 + t3, n));
        o[7] = put(descale(tmp10 - t3, n));
        o[1] = put(descale(tmp11 + t2, n));
        o[6] = put(descale(tmp11 - t2, n));
        o[2] = put(descale(tmp12 + t1, n));
        o[5] = put(descale(tmp12 - t1, n));
        o[3] = put(descale(tmp13 + t0, n));
        o[4] = put(descale(tmp13 - t0, n));
    }

    pub(super) fn odd(tmp0: i64, tmp1: i64, tmp2: i64, tmp3: i64) -> (i64, i64, i64, i64) {
        let z1 = tmp0 + tmp3;
        let z2 = tmp1 + tmp2;
        let z3 = tmp0 + tmp2;
        let z4 = tmp1 + tmp3;
        let z5 = (z3 + z4) * F1_175;
        let (mut t0, mut t1, mut t2, mut t3) =
            (tmp0 * F0_298, tmp1 * F2_053, tmp2 * F3_072, tmp3 * F1_501);
        let z1 = z1 * -F0_899;
        let z2 = z2 * -F2_562;
        let z3 = z3 * -F1_961 + z5;
        let z4 = z4 * -F0_390 + z5;
        t0 += z1 + z3;
        t1 += z2 + z4;
        t2 += z2 + z3;
        t3 += z1 + z4;
        (t0, t1, t2, t3)
    }
}
