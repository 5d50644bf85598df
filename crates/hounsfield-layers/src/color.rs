//! CIELab colours of DICOM (PCS-Lab, PS3.3 C.10.7.1.1) to sRGB.

/// A Recommended Display CIELab Value (L*, a*, b* scaled to 0..65535 as PS3.3 C.10.7.1.1
/// encodes them) as 8-bit sRGB: Lab to XYZ with the D65 white, the sRGB primaries and
/// transfer function, clipped to the sRGB gamut.
///
/// The white is D65 with no chromatic adaptation, as the tools that write and read these
/// values do (pixelmed, highdicom, dcmjs): a segment a writer called red (255, 0, 0) comes
/// back red. Taken as ICC PCS-Lab (D50, adapted to D65) it would come back (250, 0, 6).
///
/// ```
/// use hounsfield_layers::color::cielab_to_srgb;
/// assert_eq!(cielab_to_srgb([0, 0x8080, 0x8080]), [0, 0, 0]);
/// ```
pub fn cielab_to_srgb(value: [u16; 3]) -> [u8; 3] {
    let l = f64::from(value[0]) * 100.0 / 65535.0;
    let a = f64::from(value[1]) * 255.0 / 65535.0 - 128.0;
    let b = f64::from(value[2]) * 255.0 / 65535.0 - 128.0;
    let fy = (l + 16.0) / 116.0;
    let (fx, fz) = (fy + a / 500.0, fy - b / 200.0);
    let delta: f64 = 6.0 / 29.0;
    let inverse = |t: f64| {
        if t > delta {
            t * t * t
        } else {
            3.0 * delta * delta * (t - 4.0 / 29.0)
        }
    };
    // The D65 white.
    let xyz = [0.950_47 * inverse(fx), inverse(fy), 1.088_83 * inverse(fz)];
    const XYZ_TO_SRGB: [[f64; 3]; 3] = [
        [3.240_454_2, -1.537_138_5, -0.498_531_4],
        [-0.969_266_0, 1.876_010_8, 0.041_556_0],
        [0.055_643_4, -0.204_025_9, 1.057_225_2],
    ];
    let linear: [f64; 3] = std::array::from_fn(|i| {
        XYZ_TO_SRGB[i][0] * xyz[0] + XYZ_TO_SRGB[i][1] * xyz[1] + XYZ_TO_SRGB[i][2] * xyz[2]
    });
    linear.map(|c| {
        let c = c.clamp(0.0, 1.0);
        let v = if c <= 0.003_130_8 {
            12.92 * c
        } else {
            1.055 * c.powf(1.0 / 2.4) - 0.055
        };
        (v * 255.0).round() as u8
    })
}

/// Distinct colours for segments and ROIs that name none (no Recommended Display CIELab
/// Value, no ROI Display Color), by their number: number n takes entry (n - 1) mod 8.
pub(crate) fn distinct(number: u64) -> [u8; 3] {
    const DISTINCT: [[u8; 3]; 8] = [
        [230, 25, 75],
        [60, 180, 75],
        [255, 225, 25],
        [0, 130, 200],
        [245, 130, 48],
        [145, 30, 180],
        [70, 240, 240],
        [240, 50, 230],
    ];
    DISTINCT[(number.saturating_sub(1) % DISTINCT.len() as u64) as usize]
}
