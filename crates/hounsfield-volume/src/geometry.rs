//! Vectors in patient coordinates (LPS, mm): the few operations slice geometry needs.
//!
//! ```
//! use hounsfield_volume::geometry::{cross, dot, normalize};
//! let n = cross([1.0, 0.0, 0.0], [0.0, 1.0, 0.0]);
//! assert_eq!(n, [0.0, 0.0, 1.0]);
//! assert_eq!(dot(n, [3.0, 4.0, 5.0]), 5.0);
//! assert_eq!(normalize([0.0, 3.0, 4.0]), Some([0.0, 0.6, 0.8]));
//! assert_eq!(normalize([0.0; 3]), None);
//! ```

/// The cross product a x b.
pub fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// The dot product.
pub fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// `a` scaled to unit length; None when it has (almost) none or is not finite.
pub fn normalize(a: [f64; 3]) -> Option<[f64; 3]> {
    let l = dot(a, a).sqrt();
    (l > 1e-9 && l.is_finite()).then(|| [a[0] / l, a[1] / l, a[2] / l])
}
