//! Bio.Cluster's distance functions, distance matrix, pairwise hierarchical
//! clustering (single, complete, average and centroid linkage) and principal
//! component analysis, written after the semantics of Biopython 1.88's C library
//! (cluster.c) for data without missing values and with unit weights, which is what
//! the tools take. Distances and trees follow the same arithmetic in the same order,
//! so they are bit-identical to Biopython; the PCA uses our own one-sided Jacobi SVD
//! (Biopython's uses a Golub-Reinsch SVD), so it agrees within rounding and up to
//! the sign of each component, which is arbitrary in both.

/// A distance measure of Bio.Cluster, by its one-letter code.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dist {
    /// 'e': mean squared difference (Bio.Cluster's "Euclidean" has no square root).
    Euclid,
    /// 'b': mean absolute difference.
    CityBlock,
    /// 'c': 1 - Pearson correlation.
    Correlation,
    /// 'a': 1 - |Pearson correlation|.
    AbsCorrelation,
    /// 'u': 1 - uncentred correlation.
    UCorrelation,
    /// 'x': 1 - |uncentred correlation|.
    AbsUCorrelation,
    /// 's': 1 - Spearman rank correlation.
    Spearman,
    /// 'k': 1 - Kendall's tau.
    Kendall,
}

impl Dist {
    pub fn from_code(c: &str) -> Option<Dist> {
        Some(match c {
            "e" => Dist::Euclid,
            "b" => Dist::CityBlock,
            "c" => Dist::Correlation,
            "a" => Dist::AbsCorrelation,
            "u" => Dist::UCorrelation,
            "x" => Dist::AbsUCorrelation,
            "s" => Dist::Spearman,
            "k" => Dist::Kendall,
            _ => return None,
        })
    }

    /// The distance between two equally long vectors.
    pub fn between(self, x: &[f64], y: &[f64]) -> f64 {
        match self {
            Dist::Euclid => mean_of(x, y, |t| t * t),
            Dist::CityBlock => mean_of(x, y, f64::abs),
            Dist::Correlation => pearson(x, y, false),
            Dist::AbsCorrelation => pearson(x, y, true),
            Dist::UCorrelation => uncentred(x, y, false),
            Dist::AbsUCorrelation => uncentred(x, y, true),
            Dist::Spearman => {
                if x.is_empty() {
                    return 0.0;
                }
                pearson(&ranks(x), &ranks(y), false)
            }
            Dist::Kendall => kendall(x, y),
        }
    }
}

fn mean_of(x: &[f64], y: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let (mut result, mut tweight) = (0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        result += f(a - b);
        tweight += 1.0;
    }
    if tweight == 0.0 {
        return 0.0;
    }
    result / tweight
}

fn pearson(x: &[f64], y: &[f64], absolute: bool) -> f64 {
    let (mut result, mut sum1, mut sum2, mut denom1, mut denom2, mut tweight) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for (&t1, &t2) in x.iter().zip(y) {
        sum1 += t1;
        sum2 += t2;
        result += t1 * t2;
        denom1 += t1 * t1;
        denom2 += t2 * t2;
        tweight += 1.0;
    }
    if tweight == 0.0 {
        return 0.0;
    }
    result -= sum1 * sum2 / tweight;
    denom1 -= sum1 * sum1 / tweight;
    denom2 -= sum2 * sum2 / tweight;
    if denom1 <= 0.0 || denom2 <= 0.0 {
        return 1.0;
    }
    let r = if absolute { result.abs() } else { result };
    1.0 - r / (denom1 * denom2).sqrt()
}

fn uncentred(x: &[f64], y: &[f64], absolute: bool) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    let (mut result, mut denom1, mut denom2) = (0.0, 0.0, 0.0);
    for (&t1, &t2) in x.iter().zip(y) {
        result += t1 * t2;
        denom1 += t1 * t1;
        denom2 += t2 * t2;
    }
    if denom1 == 0.0 || denom2 == 0.0 {
        return 1.0;
    }
    let r = if absolute { result.abs() } else { result };
    1.0 - r / (denom1 * denom2).sqrt()
}

/// 1-based ranks, ties sharing the mean of their ranks.
pub fn ranks(x: &[f64]) -> Vec<f64> {
    let mut index: Vec<usize> = (0..x.len()).collect();
    index.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut rank = vec![0.0; x.len()];
    let (mut total, mut k) = (0.0f64, 0usize);
    let mut i = 0;
    while i <= x.len() {
        if i == x.len() || (i > k && x[index[i]] != x[index[k]]) {
            let subtotal = (i - k) as f64;
            let value = total + (subtotal + 1.0) / 2.0;
            for &j in &index[k..i] {
                rank[j] = value;
            }
            total += subtotal;
            k = i;
        }
        i += 1;
    }
    rank
}

fn kendall(x: &[f64], y: &[f64]) -> f64 {
    let (mut con, mut dis, mut exx, mut exy) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    let mut flag = false;
    for i in 0..x.len() {
        for j in 0..i {
            let (x1, x2, y1, y2) = (x[i], x[j], y[i], y[j]);
            if (x1 < x2 && y1 < y2) || (x1 > x2 && y1 > y2) {
                con += 1.0;
            } else if (x1 < x2 && y1 > y2) || (x1 > x2 && y1 < y2) {
                dis += 1.0;
            } else if x1 == x2 && y1 != y2 {
                exx += 1.0;
            } else if x1 != x2 && y1 == y2 {
                exy += 1.0;
            }
            flag = true;
        }
    }
    if !flag {
        return 0.0;
    }
    let denomx = con + dis + exx;
    let denomy = con + dis + exy;
    if denomx == 0.0 || denomy == 0.0 {
        return 1.0;
    }
    1.0 - (con - dis) / (denomx * denomy).sqrt()
}

/// The items to compare: the rows of `data`, or its columns when `transpose`.
pub fn items(data: &[Vec<f64>], transpose: bool) -> Vec<Vec<f64>> {
    if !transpose {
        return data.to_vec();
    }
    let ncols = data.first().map_or(0, |r| r.len());
    (0..ncols)
        .map(|j| data.iter().map(|r| r[j]).collect())
        .collect()
}

/// The lower triangle of the distance matrix: row i holds d(i, 0..i).
pub fn distance_matrix(items: &[Vec<f64>], dist: Dist) -> Vec<Vec<f64>> {
    (0..items.len())
        .map(|i| (0..i).map(|j| dist.between(&items[i], &items[j])).collect())
        .collect()
}

/// A node of the tree: it joins `left` and `right` (an item index >= 0, or the node
/// made at step k as -(k+1)) at `distance`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Node {
    pub left: i64,
    pub right: i64,
    pub distance: f64,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Method {
    Single,
    Complete,
    Average,
    Centroid,
}

impl Method {
    pub fn from_code(c: &str) -> Option<Method> {
        Some(match c {
            "s" => Method::Single,
            "m" => Method::Complete,
            "a" => Method::Average,
            "c" => Method::Centroid,
            _ => return None,
        })
    }
}

/// The closest pair (i > j) of the first n items: the first minimum in row order.
fn closest_pair(n: usize, d: &[Vec<f64>]) -> (usize, usize, f64) {
    let (mut ip, mut jp, mut distance) = (1, 0, d[1][0]);
    for (i, row) in d.iter().enumerate().take(n).skip(1) {
        for (j, &t) in row.iter().enumerate().take(i) {
            if t < distance {
                distance = t;
                ip = i;
                jp = j;
            }
        }
    }
    (ip, jp, distance)
}

/// Pairwise hierarchical clustering of at least 2 items.
pub fn tree(items: &[Vec<f64>], dist: Dist, method: Method) -> Vec<Node> {
    match method {
        Method::Single => single(items, dist),
        Method::Centroid => centroid(items, dist),
        Method::Complete | Method::Average => {
            linkage(distance_matrix(items, dist), method == Method::Average)
        }
    }
}

/// Complete (maximum) or average linkage on the lower-triangular matrix `d`.
fn linkage(mut d: Vec<Vec<f64>>, average: bool) -> Vec<Node> {
    let nelements = d.len();
    let mut clusterid: Vec<i64> = (0..nelements as i64).collect();
    let mut number: Vec<f64> = vec![1.0; nelements];
    let mut result = Vec::with_capacity(nelements - 1);
    for n in (2..=nelements).rev() {
        let (is, js, distance) = closest_pair(n, &d);
        result.push(Node {
            left: clusterid[is],
            right: clusterid[js],
            distance,
        });
        let (ni, nj) = (number[is], number[js]);
        let sum = ni + nj;
        let merge = |a: f64, b: f64| {
            if average {
                (a * ni + b * nj) / sum
            } else {
                a.max(b)
            }
        };
        // `max` in cluster.c is a macro: a > b ? a : b (the same for non-NaN values).
        for j in 0..js {
            d[js][j] = merge(d[is][j], d[js][j]);
        }
        for j in js + 1..is {
            d[j][js] = merge(d[is][j], d[j][js]);
        }
        for j in is + 1..n {
            d[j][js] = merge(d[j][is], d[j][js]);
        }
        for j in 0..is {
            d[is][j] = d[n - 1][j];
        }
        for j in is + 1..n - 1 {
            d[j][is] = d[n - 1][j];
        }
        number[js] = sum;
        number[is] = number[n - 1];
        clusterid[js] = n as i64 - nelements as i64 - 1;
        clusterid[is] = clusterid[n - 1];
    }
    result
}

/// Single linkage by the pointer representation (cluster.c's pslcluster), nodes
/// then ordered by distance with a stable sort.
fn single(items: &[Vec<f64>], dist: Dist) -> Vec<Node> {
    let nelements = items.len();
    let nnodes = nelements - 1;
    let mut vector: Vec<usize> = (0..nnodes).collect();
    vector.push(0); // never read: vector has nnodes entries in cluster.c
    let mut distance = vec![f64::MAX; nelements];
    let mut temp = vec![0.0; nnodes];
    for i in 0..nelements {
        distance[i] = f64::MAX;
        for j in 0..i {
            temp[j] = dist.between(&items[i], &items[j]);
        }
        for j in 0..i {
            let k = vector[j];
            if distance[j] >= temp[j] {
                if distance[j] < temp[k] {
                    temp[k] = distance[j];
                }
                distance[j] = temp[j];
                vector[j] = i;
            } else if temp[j] < temp[k] {
                temp[k] = temp[j];
            }
        }
        for j in 0..i {
            if distance[j] >= distance[vector[j]] {
                vector[j] = i;
            }
        }
    }
    let mut nodes: Vec<(usize, f64)> = (0..nnodes).map(|i| (i, distance[i])).collect();
    nodes.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal));
    let mut index: Vec<i64> = (0..nelements as i64).collect();
    nodes
        .iter()
        .enumerate()
        .map(|(i, &(j, d))| {
            let k = vector[j];
            let node = Node {
                left: index[j],
                right: index[k],
                distance: d,
            };
            index[k] = -(i as i64) - 1;
            node
        })
        .collect()
}

/// Centroid linkage (cluster.c's pclcluster): a merged cluster is represented by the
/// mean of its items' vectors.
fn centroid(items: &[Vec<f64>], dist: Dist) -> Vec<Node> {
    let nelements = items.len();
    let nnodes = nelements - 1;
    let ndata = items[0].len();
    let mut d = distance_matrix(items, dist);
    let mut data: Vec<Vec<f64>> = items.to_vec();
    let mut mask: Vec<Vec<f64>> = vec![vec![1.0; ndata]; nelements];
    let mut distid: Vec<i64> = (0..nelements as i64).collect();
    let mut result = Vec::with_capacity(nnodes);
    for inode in 0..nnodes {
        let (is, js, distance) = closest_pair(nelements - inode, &d);
        result.push(Node {
            left: distid[js],
            right: distid[is],
            distance,
        });
        for i in 0..ndata {
            let v = data[js][i] * mask[js][i] + data[is][i] * mask[is][i];
            mask[js][i] += mask[is][i];
            data[js][i] = v / mask[js][i];
        }
        let last = nnodes - inode;
        data.swap(is, last);
        mask.swap(is, last);
        distid[is] = distid[last];
        for i in 0..is {
            d[is][i] = d[last][i];
        }
        for i in is + 1..last {
            d[i][is] = d[last][i];
        }
        distid[js] = -(inode as i64) - 1;
        for i in 0..js {
            d[js][i] = dist.between(&data[js], &data[i]);
        }
        for i in js + 1..last {
            d[i][js] = dist.between(&data[js], &data[i]);
        }
    }
    result
}

/// The result of a principal component analysis of an nrows x ncols matrix, with
/// nmin = min(nrows, ncols) components.
pub struct Pca {
    pub column_mean: Vec<f64>,
    /// nrows x nmin: the data along the components.
    pub coordinates: Vec<Vec<f64>>,
    /// nmin x ncols: the components (unit vectors).
    pub components: Vec<Vec<f64>>,
    /// The nmin singular values of the centred data, decreasing (Bio.Cluster calls
    /// them eigenvalues).
    pub eigenvalues: Vec<f64>,
}

/// One-sided Jacobi SVD of the columns of `w` (nrows x ncols, row-major), in place:
/// afterwards the columns of `w` are orthogonal, w_out = w_in v. Returns v.
fn jacobi_columns(w: &mut [Vec<f64>], ncols: usize) -> Vec<Vec<f64>> {
    let mut v: Vec<Vec<f64>> = (0..ncols)
        .map(|i| (0..ncols).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect();
    for _sweep in 0..100 {
        let mut rotated = false;
        for p in 0..ncols {
            for q in p + 1..ncols {
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
    v
}

fn column_norm(w: &[Vec<f64>], j: usize) -> f64 {
    w.iter().map(|r| r[j] * r[j]).sum::<f64>().sqrt()
}

/// Principal component analysis as Bio.Cluster.pca defines it. Each component's
/// sign is chosen so that its entry of largest magnitude (the first such) is
/// positive.
pub fn pca(data: &[Vec<f64>]) -> Pca {
    let nrows = data.len();
    let ncols = data[0].len();
    let column_mean: Vec<f64> = (0..ncols)
        .map(|j| data.iter().map(|r| r[j]).sum::<f64>() / nrows as f64)
        .collect();
    let centred: Vec<Vec<f64>> = data
        .iter()
        .map(|r| r.iter().zip(&column_mean).map(|(x, m)| x - m).collect())
        .collect();
    let nmin = nrows.min(ncols);
    // For nrows >= ncols, decompose X: X v = W, coordinates W, components v^T.
    // Otherwise decompose X^T: X^T v = W, components W^T (normalised), coordinates
    // v * sigma.
    let tall = nrows >= ncols;
    let mut w: Vec<Vec<f64>> = if tall {
        centred
    } else {
        (0..ncols)
            .map(|j| centred.iter().map(|r| r[j]).collect())
            .collect()
    };
    let v = jacobi_columns(&mut w, nmin);
    let sigma: Vec<f64> = (0..nmin).map(|j| column_norm(&w, j)).collect();
    let mut order: Vec<usize> = (0..nmin).collect();
    order.sort_by(|&a, &b| sigma[b].total_cmp(&sigma[a]));
    let mut coordinates = vec![vec![0.0; nmin]; nrows];
    let mut components = vec![vec![0.0; ncols]; nmin];
    let mut eigenvalues = vec![0.0; nmin];
    let mut unset = vec![false; nmin];
    let smax = order.first().map_or(0.0, |&j| sigma[j]);
    for (k, &j) in order.iter().enumerate() {
        let s = sigma[j];
        eigenvalues[k] = s;
        let mut comp: Vec<f64> = if tall {
            (0..ncols).map(|i| v[i][j]).collect()
        } else if s > 1e-12 * smax {
            w.iter().map(|r| r[j] / s).collect()
        } else {
            // A zero singular value (up to rounding): its column of W is noise, and
            // any unit vector orthogonal to the other components would do; one is
            // chosen below.
            unset[k] = true;
            vec![0.0; ncols]
        };
        let mut coord: Vec<f64> = if tall {
            w.iter().map(|r| r[j]).collect()
        } else {
            (0..nrows).map(|i| v[i][j] * s).collect()
        };
        let big = comp
            .iter()
            .copied()
            .fold((0.0f64, 0.0f64), |(m, val), x| {
                if x.abs() > m {
                    (x.abs(), x)
                } else {
                    (m, val)
                }
            })
            .1;
        if big < 0.0 {
            comp.iter_mut().for_each(|x| *x = -*x);
            coord.iter_mut().for_each(|x| *x = -*x);
        }
        components[k] = comp;
        for i in 0..nrows {
            coordinates[i][k] = coord[i];
        }
    }
    if !tall {
        complete_basis(&mut components, &unset);
    }
    Pca {
        column_mean,
        coordinates,
        components,
        eigenvalues,
    }
}

/// Replace the unset components (those of zero singular values when there are
/// fewer rows than columns) by unit vectors orthogonal to all the others, by
/// Gram-Schmidt on the coordinate axes (twice, for accuracy).
fn complete_basis(components: &mut [Vec<f64>], unset: &[bool]) {
    let ncols = components.first().map_or(0, |c| c.len());
    for k in 0..components.len() {
        if !unset[k] {
            continue;
        }
        for axis in 0..ncols {
            let mut e = vec![0.0; ncols];
            e[axis] = 1.0;
            for _ in 0..2 {
                for (m, c) in components.iter().enumerate() {
                    if m == k {
                        continue;
                    }
                    let dot: f64 = c.iter().zip(&e).map(|(a, b)| a * b).sum();
                    e.iter_mut().zip(c).for_each(|(x, y)| *x -= dot * y);
                }
            }
            let norm = e.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm > 1e-6 {
                components[k] = e.iter().map(|x| x / norm).collect();
                break;
            }
        }
    }
}
