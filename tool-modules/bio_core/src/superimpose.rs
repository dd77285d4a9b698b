//! Least-squares superposition of two 3-D point sets (the Kabsch algorithm), as
//! Bio.SVDSuperimposer computes it: centre both sets, take the SVD of the 3x3
//! correlation matrix `a = coords^T reference`, rotation `rot = u vt` (right
//! multiplying: `coords . rot + tran` lies on `reference`), with the last row of `vt`
//! negated when that rotation would be a reflection.
//!
//! The SVD is a one-sided Jacobi iteration written here (no LAPACK in the sandbox).
//! The rotation does not depend on the sign choices of the singular vectors: with
//! singular pairs (u_i, v_i) sorted by decreasing singular value, the corrected
//! rotation is `u1 v1^T + u2 v2^T + (u1 x u2)(v1 x v2)^T`, which is what numpy's
//! result becomes after Biopython's determinant fix. It is unique when the second
//! singular value is non-zero; the tools require each centred set to span a plane
//! (second singular value above 1e-8 times the first) and the correlation matrix's
//! second singular value to exceed 1e-10 times its first.

pub type M3 = [[f64; 3]; 3];

/// Singular values (decreasing) and the matching left and right singular vectors
/// (as columns u[.][i], v[.][i]) of a 3x3 matrix, by one-sided Jacobi rotations.
pub fn svd3(a: &M3) -> ([f64; 3], M3, M3) {
    let mut w = *a;
    let (sv, v, order, sigma) = jacobi(&mut w);
    let mut u = [[0.0; 3]; 3];
    let mut vv = [[0.0; 3]; 3];
    for (k, &j) in order.iter().enumerate() {
        for r in 0..3 {
            u[r][k] = if sigma[j] > 0.0 {
                w[r][j] / sigma[j]
            } else {
                0.0
            };
            vv[r][k] = v[r][j];
        }
    }
    (sv, u, vv)
}

/// Singular values (decreasing) of an n x 3 matrix.
pub fn singular_values(rows: &[[f64; 3]]) -> [f64; 3] {
    let mut w = rows.to_vec();
    jacobi(&mut w).0
}

/// One-sided Jacobi: rotate the columns of `w` in place until they are orthogonal
/// (w = a v). Returns the sorted singular values, v, the column order and the
/// unsorted column norms.
fn jacobi(w: &mut [[f64; 3]]) -> ([f64; 3], M3, [usize; 3], [f64; 3]) {
    let mut v: M3 = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    for _sweep in 0..60 {
        let mut rotated = false;
        for p in 0..2 {
            for q in p + 1..3 {
                let (mut alpha, mut beta, mut gamma) = (0.0, 0.0, 0.0);
                for row in w.iter() {
                    alpha += row[p] * row[p];
                    beta += row[q] * row[q];
                    gamma += row[p] * row[q];
                }
                if gamma == 0.0 || gamma.abs() <= 1e-15 * (alpha * beta).sqrt() {
                    continue;
                }
                rotated = true;
                let zeta = (beta - alpha) / (2.0 * gamma);
                let t = zeta.signum() / (zeta.abs() + (1.0 + zeta * zeta).sqrt());
                let c = 1.0 / (1.0 + t * t).sqrt();
                let s = c * t;
                for row in w.iter_mut().chain(v.iter_mut()) {
                    let (x, y) = (row[p], row[q]);
                    row[p] = c * x - s * y;
                    row[q] = s * x + c * y;
                }
            }
        }
        if !rotated {
            break;
        }
    }
    let mut sigma = [0.0; 3];
    for (j, s) in sigma.iter_mut().enumerate() {
        *s = w.iter().map(|r| r[j] * r[j]).sum::<f64>().sqrt();
    }
    let mut order = [0usize, 1, 2];
    order.sort_by(|&i, &j| sigma[j].total_cmp(&sigma[i]));
    let sv = [sigma[order[0]], sigma[order[1]], sigma[order[2]]];
    (sv, v, order, sigma)
}

/// True when the centred points span at least a plane: the second singular value of
/// the centred n x 3 matrix exceeds 1e-8 times the first.
pub fn spans_a_plane(points: &[[f64; 3]]) -> bool {
    let m = mean(points);
    let centred: Vec<[f64; 3]> = points
        .iter()
        .map(|p| [p[0] - m[0], p[1] - m[1], p[2] - m[2]])
        .collect();
    let s = singular_values(&centred);
    s[1] > 1e-8 * s[0]
}

fn col(m: &M3, k: usize) -> [f64; 3] {
    [m[0][k], m[1][k], m[2][k]]
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn unit(a: [f64; 3]) -> [f64; 3] {
    let n = (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).sqrt();
    [a[0] / n, a[1] / n, a[2] / n]
}

pub struct Superposition {
    pub rms: f64,
    pub init_rms: f64,
    /// Right-multiplying rotation (Biopython's `rot`).
    pub rotation: M3,
    pub translation: [f64; 3],
    pub transformed: Vec<[f64; 3]>,
}

/// Python's `sum(points) / n` over the rows of an array.
fn mean(points: &[[f64; 3]]) -> [f64; 3] {
    let mut s = [0.0; 3];
    for p in points {
        for k in 0..3 {
            s[k] += p[k];
        }
    }
    let n = points.len() as f64;
    [s[0] / n, s[1] / n, s[2] / n]
}

/// `sqrt(sum(sum(diff * diff)) / n)`.
fn rms(a: &[[f64; 3]], b: &[[f64; 3]]) -> f64 {
    let mut s = [0.0; 3];
    for (p, q) in a.iter().zip(b) {
        for k in 0..3 {
            let d = p[k] - q[k];
            s[k] += d * d;
        }
    }
    ((0.0 + s[0] + s[1] + s[2]) / a.len() as f64).sqrt()
}

/// Put `coords` on `reference` (both the same number of points, at least 3).
/// Err when the superposition is not unique (a collinear or single-point set).
pub fn superimpose(reference: &[[f64; 3]], coords: &[[f64; 3]]) -> Result<Superposition, String> {
    for (name, set) in [("coordinates1", reference), ("coordinates2", coords)] {
        if !spans_a_plane(set) {
            return Err(format!(
                "the superposition is not unique: the points of {name} are collinear or coincide"
            ));
        }
    }
    let av1 = mean(coords);
    let av2 = mean(reference);
    let mut a: M3 = [[0.0; 3]; 3];
    for (c, r) in coords.iter().zip(reference) {
        let c = [c[0] - av1[0], c[1] - av1[1], c[2] - av1[2]];
        let r = [r[0] - av2[0], r[1] - av2[1], r[2] - av2[2]];
        for i in 0..3 {
            for j in 0..3 {
                a[i][j] += c[i] * r[j];
            }
        }
    }
    let (s, u, v) = svd3(&a);
    if !(s[1] > 1e-10 * s[0]) {
        return Err(
            "the superposition is not unique: the correlation matrix of the two centred \
             sets has rank below 2"
                .into(),
        );
    }
    let (u1, u2, v1, v2) = (col(&u, 0), col(&u, 1), col(&v, 0), col(&v, 1));
    let u3 = unit(cross(u1, u2));
    let v3 = unit(cross(v1, v2));
    let mut rot: M3 = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            rot[i][j] = u1[i] * v1[j] + u2[i] * v2[j] + u3[i] * v3[j];
        }
    }
    let mut tran = av2;
    for j in 0..3 {
        tran[j] -= av1[0] * rot[0][j] + av1[1] * rot[1][j] + av1[2] * rot[2][j];
    }
    let transformed: Vec<[f64; 3]> = coords
        .iter()
        .map(|c| {
            let mut t = [0.0; 3];
            for j in 0..3 {
                t[j] = c[0] * rot[0][j] + c[1] * rot[1][j] + c[2] * rot[2][j] + tran[j];
            }
            t
        })
        .collect();
    Ok(Superposition {
        rms: rms(&transformed, reference),
        init_rms: rms(coords, reference),
        rotation: rot,
        translation: tran,
        transformed,
    })
}
