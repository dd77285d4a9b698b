//! 3-D point geometry of Bio.PDB.vectors (calc_angle, calc_dihedral), with the same
//! floating-point steps as Biopython 1.88 on numpy: dot products summed left to right
//! (Python's built-in `sum` over the array), cross products whose components are
//! `numpy.linalg.det` of 2x2 minors (an LU factorisation with partial pivoting and a
//! reciprocal pivot, then `sign * exp(sum(log|u_ii|))`), and the cosine clamped to
//! [-1, 1] before `arccos`.
//!
//! What is not reproduced bit for bit are the elementary functions: numpy's vectorised
//! arccos (SVML on AVX-512 machines) and the C library's `acos` differ in the last
//! bit on some inputs, and so can glibc's FMA-variant `log`/`exp` and WASI libc's.

pub type V3 = [f64; 3];

/// The largest coordinate magnitude the tools accept (far beyond any molecular
/// coordinate): every intermediate product, up to the fourth powers in a dihedral's
/// cross products and the squares in a superposition's SVD, stays finite.
pub const MAX_COORD: f64 = 1e15;

fn sub(a: V3, b: V3) -> V3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

/// `sum(a * b)` in Python: ((0 + a0 b0) + a1 b1) + a2 b2.
pub fn dot(a: V3, b: V3) -> f64 {
    0.0 + a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub fn norm(a: V3) -> f64 {
    dot(a, a).sqrt()
}

/// `numpy.linalg.det([[a, b], [c, d]])` as numpy computes it (LAPACK getrf, then the
/// sign and log-determinant, then `sign * exp(logdet)`).
pub fn det2(a: f64, b: f64, c: f64, d: f64) -> f64 {
    let (mut p, mut q, mut r, mut s, mut sign) = (a, b, c, d, 1.0f64);
    if r.abs() > p.abs() {
        (p, q, r, s) = (r, s, p, q);
        sign = -1.0;
    }
    if p == 0.0 {
        return 0.0;
    }
    let l = r * (1.0 / p);
    let u = s - l * q;
    if u == 0.0 {
        return 0.0;
    }
    if p < 0.0 {
        sign = -sign;
    }
    if u < 0.0 {
        sign = -sign;
    }
    let logdet = 0.0 + p.abs().ln() + u.abs().ln();
    sign * logdet.exp()
}

/// Vector.__pow__: the cross product, each component a 2x2 determinant.
pub fn cross(x: V3, y: V3) -> V3 {
    let [a, b, c] = x;
    let [d, e, f] = y;
    [det2(b, c, e, f), -det2(a, c, d, f), det2(a, b, d, e)]
}

/// Vector.angle: arccos of the cosine clamped to [-1, 1]. A zero vector gives a NaN
/// cosine, which Python's `min`/`max` turn into -1 (an angle of pi).
pub fn angle(x: V3, y: V3) -> f64 {
    let c = dot(x, y) / (norm(x) * norm(y));
    // min(c, 1): keeps c unless 1 < c; max(-1, c): keeps -1 unless c > -1.
    let c = if 1.0 < c { 1.0 } else { c };
    let c = if c > -1.0 { c } else { -1.0 };
    c.acos()
}

/// Bio.PDB.vectors.calc_angle(v1, v2, v3): the angle at v2, in radians.
pub fn calc_angle(v1: V3, v2: V3, v3: V3) -> f64 {
    angle(sub(v1, v2), sub(v3, v2))
}

/// Bio.PDB.vectors.calc_dihedral(v1, v2, v3, v4), in radians.
pub fn calc_dihedral(v1: V3, v2: V3, v3: V3, v4: V3) -> f64 {
    let ab = sub(v1, v2);
    let cb = sub(v3, v2);
    let db = sub(v4, v3);
    let u = cross(ab, cb);
    let v = cross(db, cb);
    let w = cross(u, v);
    let a = angle(u, v);
    if angle(cb, w) > 0.001 {
        -a
    } else {
        a
    }
}

/// The input rule of the geometry tools: finite coordinates of magnitude at most
/// [`MAX_COORD`].
pub fn check_point(field: &str, p: &[f64]) -> Result<V3, String> {
    if p.len() != 3 {
        return Err(format!(
            "{field} must hold exactly 3 coordinates, got {}",
            p.len()
        ));
    }
    if let Some(x) = p.iter().find(|x| !x.is_finite() || x.abs() > MAX_COORD) {
        return Err(format!("{field}: coordinate {x} is outside [-1e15, 1e15]"));
    }
    Ok([p[0], p[1], p[2]])
}

pub fn is_zero(v: V3) -> bool {
    v == [0.0, 0.0, 0.0]
}

pub fn diff(a: V3, b: V3) -> V3 {
    sub(a, b)
}
