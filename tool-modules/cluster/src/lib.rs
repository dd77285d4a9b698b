//! cluster: Bio.Cluster's distancematrix, treecluster and pca of the DIVE pool,
//! computed locally with the same results as Biopython 1.88 (distances and trees
//! bit for bit; PCA within rounding and up to each component's arbitrary sign, see
//! bio_core::cluster).
//!
//! Input rules (beyond the schema): `data` is a non-empty rectangular matrix (every
//! row the same, non-zero length) of finite numbers at most 1e15 in magnitude, with at
//! most 200,000 values; distance matrices and trees take at most 1,000 items (rows,
//! or columns with `transpose`) and a bounded amount of work (items^2/2 x the cost of
//! one distance: the item length, or its square for Kendall's tau, at most 3e8);
//! a tree needs at least 2 items; PCA takes at most 100 rows or 100 columns (the
//! smaller dimension).

use bio_core::cluster::{self, Dist, Method};
use dive_tool_sdk::{Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The most values `data` may hold.
pub const MAX_VALUES: usize = 200_000;
/// The most items a distance matrix or tree may have.
pub const MAX_ITEMS: usize = 1_000;
/// The most work (item pairs x cost of one distance) a call may ask for.
pub const MAX_WORK: f64 = 3e8;
/// The largest smaller dimension PCA accepts.
pub const MAX_PCA_DIM: usize = 100;
/// The largest magnitude of a value.
pub const MAX_VALUE: f64 = 1e15;


#[derive(Deserialize, Serialize, JsonSchema, Clone, Copy)]
#[schemars(inline)]
pub enum DistCode {
    #[serde(rename = "e")]
    E,
    #[serde(rename = "b")]
    B,
    #[serde(rename = "c")]
    C,
    #[serde(rename = "a")]
    A,
    #[serde(rename = "u")]
    U,
    #[serde(rename = "x")]
    X,
    #[serde(rename = "s")]
    S,
    #[serde(rename = "k")]
    K,
}

impl DistCode {
    fn dist(self) -> Dist {
        match self {
            DistCode::E => Dist::Euclid,
            DistCode::B => Dist::CityBlock,
            DistCode::C => Dist::Correlation,
            DistCode::A => Dist::AbsCorrelation,
            DistCode::U => Dist::UCorrelation,
            DistCode::X => Dist::AbsUCorrelation,
            DistCode::S => Dist::Spearman,
            DistCode::K => Dist::Kendall,
        }
    }
}

fn default_dist() -> DistCode {
    DistCode::E
}

#[derive(Deserialize, Serialize, JsonSchema, Clone, Copy)]
#[schemars(inline)]
pub enum MethodCode {
    #[serde(rename = "m")]
    M,
    #[serde(rename = "s")]
    S,
    #[serde(rename = "c")]
    C,
    #[serde(rename = "a")]
    A,
}

fn default_method() -> MethodCode {
    MethodCode::M
}

/// Check `data` against the input rules; returns (rows, columns).
fn check_data(data: &[Vec<f64>]) -> Result<(usize, usize), ToolError> {
    let nrows = data.len();
    let ncols = data.first().map_or(0, |r| r.len());
    if nrows == 0 || ncols == 0 {
        return Err(ToolError::InvalidArgs(
            "data is empty: it needs at least one row with at least one value".into(),
        ));
    }
    if let Some((i, r)) = data.iter().enumerate().find(|(_, r)| r.len() != ncols) {
        return Err(ToolError::InvalidArgs(format!(
            "data must be rectangular: row 0 has {ncols} values but row {i} has {}",
            r.len()
        )));
    }
    if nrows * ncols > MAX_VALUES {
        return Err(ToolError::InvalidArgs(format!(
            "data holds {} values; at most {MAX_VALUES} are accepted",
            nrows * ncols
        )));
    }
    for (i, r) in data.iter().enumerate() {
        if let Some(x) = r.iter().find(|x| !x.is_finite() || x.abs() > MAX_VALUE) {
            return Err(ToolError::InvalidArgs(format!(
                "data[{i}]: value {x} is outside [-1e15, 1e15]"
            )));
        }
    }
    Ok((nrows, ncols))
}

/// The items to compare, after checking their number and the work they need.
fn items_for(data: &[Vec<f64>], transpose: bool, dist: Dist) -> Result<Vec<Vec<f64>>, ToolError> {
    let (nrows, ncols) = check_data(data)?;
    let (nitems, ndata) = if transpose {
        (ncols, nrows)
    } else {
        (nrows, ncols)
    };
    if nitems > MAX_ITEMS {
        return Err(ToolError::InvalidArgs(format!(
            "{nitems} items ({}) to compare; at most {MAX_ITEMS} are accepted",
            if transpose { "columns" } else { "rows" }
        )));
    }
    let per_pair = match dist {
        Dist::Kendall => (ndata as f64) * (ndata as f64) / 2.0,
        Dist::Spearman => (ndata as f64) * (2.0 + (ndata as f64).log2()),
        _ => ndata as f64,
    };
    let work = (nitems as f64) * (nitems as f64) / 2.0 * per_pair.max(1.0);
    if work > MAX_WORK {
        return Err(ToolError::InvalidArgs(format!(
            "{nitems} items of {ndata} values need about {work:.2e} operations with this distance; \
             at most {MAX_WORK:.0e} are accepted"
        )));
    }
    Ok(cluster::items(data, transpose))
}

// ---------------------------------------------------------------------------
// cluster_distancematrix

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = bio_core::schema_numeric::plain_numbers)]
pub struct DistanceMatrixArgs {
    /// Data matrix as a list of rows of numbers (all rows equally long); by default each row is one item, e.g. [[1,2],[1,4],[4,2],[4,4]].
    pub data: Vec<Vec<f64>>,
    /// Distance measure: 'e' mean squared difference (Bio.Cluster's Euclidean, without square root), 'b' mean absolute difference (city block), 'c' 1 - Pearson correlation, 'a' 1 - |Pearson correlation|, 'u' 1 - uncentred correlation, 'x' 1 - |uncentred correlation|, 's' 1 - Spearman rank correlation, 'k' 1 - Kendall's tau.
    #[serde(default = "default_dist")]
    pub dist: DistCode,
    /// Compare the columns instead of the rows.
    #[serde(default)]
    pub transpose: bool,
}

#[derive(Serialize, JsonSchema)]
pub struct DistanceMatrixOutput {
    /// Number of items compared (rows, or columns with transpose).
    pub n_items: u64,
    /// The distance measure used.
    pub dist: DistCode,
    /// Lower triangle of the distance matrix, as Biopython returns it: row i lists the distances from item i to items 0..i-1 (so row 0 is empty).
    pub distances: Vec<Vec<f64>>,
}

pub struct DistanceMatrix;

impl Tool for DistanceMatrix {
    const NAME: &'static str = "cluster_distancematrix";
    const DESCRIPTION: &'static str = "Pairwise distances between the rows (or columns) of a numeric \
        matrix with one of Bio.Cluster's eight distance measures (squared-difference Euclidean, city \
        block, Pearson, absolute Pearson, uncentred and absolute uncentred correlation, Spearman, \
        Kendall), returned as the lower triangle, as Bio.Cluster.distancematrix does.";
    type Args = DistanceMatrixArgs;
    type Output = DistanceMatrixOutput;

    async fn run(a: DistanceMatrixArgs) -> Result<DistanceMatrixOutput, ToolError> {
        let dist = a.dist.dist();
        let items = items_for(&a.data, a.transpose, dist)?;
        Ok(DistanceMatrixOutput {
            n_items: items.len() as u64,
            dist: a.dist,
            distances: cluster::distance_matrix(&items, dist),
        })
    }
}

// ---------------------------------------------------------------------------
// cluster_treecluster

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = bio_core::schema_numeric::plain_numbers)]
pub struct TreeClusterArgs {
    /// Data matrix as a list of rows of numbers (all rows equally long); by default each row is one item to cluster, e.g. [[1,2],[1,4],[4,2],[4,4]]. At least 2 items.
    pub data: Vec<Vec<f64>>,
    /// Linkage: 'm' complete (maximum distance), 's' single (minimum), 'c' centroid (distance between cluster means), 'a' average.
    #[serde(default = "default_method")]
    pub method: MethodCode,
    /// Distance measure: 'e' mean squared difference, 'b' city block, 'c' Pearson, 'a' absolute Pearson, 'u' uncentred, 'x' absolute uncentred correlation, 's' Spearman, 'k' Kendall (as in cluster_distancematrix).
    #[serde(default = "default_dist")]
    pub dist: DistCode,
    /// Cluster the columns instead of the rows.
    #[serde(default)]
    pub transpose: bool,
}

#[derive(Serialize, JsonSchema)]
pub struct TreeNode {
    /// One of the two joined clusters: an item index (0, 1, ...) or an earlier node, written -1 for the first node, -2 for the second, and so on.
    pub left: i64,
    /// The other joined cluster, numbered the same way.
    pub right: i64,
    /// Linkage distance at which the two were joined.
    pub distance: f64,
}

#[derive(Serialize, JsonSchema)]
pub struct TreeClusterOutput {
    /// Number of items clustered.
    pub n_items: u64,
    /// The linkage method used.
    pub method: MethodCode,
    /// The distance measure used.
    pub dist: DistCode,
    /// The n_items - 1 merges in order, as in Biopython's Tree: node k (numbered -(k+1)) joins left and right.
    pub nodes: Vec<TreeNode>,
}

pub struct TreeCluster;

impl Tool for TreeCluster {
    const NAME: &'static str = "cluster_treecluster";
    const DESCRIPTION: &'static str = "Agglomerative hierarchical clustering of the rows (or columns) \
        of a numeric matrix with single, complete, average or centroid linkage and any of Bio.Cluster's \
        distance measures; returns the merge tree (which clusters join, at what distance) exactly as \
        Bio.Cluster.treecluster builds it.";
    type Args = TreeClusterArgs;
    type Output = TreeClusterOutput;

    async fn run(a: TreeClusterArgs) -> Result<TreeClusterOutput, ToolError> {
        let dist = a.dist.dist();
        let items = items_for(&a.data, a.transpose, dist)?;
        if items.len() < 2 {
            return Err(ToolError::InvalidArgs(format!(
                "clustering needs at least 2 items ({}), got 1",
                if a.transpose { "columns" } else { "rows" }
            )));
        }
        let method = match a.method {
            MethodCode::M => Method::Complete,
            MethodCode::S => Method::Single,
            MethodCode::C => Method::Centroid,
            MethodCode::A => Method::Average,
        };
        let nodes = cluster::tree(&items, dist, method)
            .into_iter()
            .map(|n| TreeNode {
                left: n.left,
                right: n.right,
                distance: n.distance,
            })
            .collect();
        Ok(TreeClusterOutput {
            n_items: items.len() as u64,
            method: a.method,
            dist: a.dist,
            nodes,
        })
    }
}

// ---------------------------------------------------------------------------
// cluster_pca

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = bio_core::schema_numeric::plain_numbers)]
pub struct PcaArgs {
    /// Data matrix as a list of rows (observations) of numbers, all rows equally long (variables), e.g. [[1,2],[1,4],[4,2],[4,4]].
    pub data: Vec<Vec<f64>>,
}

#[derive(Serialize, JsonSchema)]
pub struct PcaOutput {
    /// Mean of each column, subtracted before the analysis.
    pub column_mean: Vec<f64>,
    /// The data along the principal components: one row per data row, one column per component (largest first).
    pub coordinates: Vec<Vec<f64>>,
    /// The principal components, one unit vector per row (largest first), min(rows, columns) of them. Each component's sign is arbitrary in PCA; here its largest-magnitude entry is positive. column_mean + coordinates . components gives back the data.
    pub components: Vec<Vec<f64>>,
    /// What Bio.Cluster.pca calls the eigenvalues: the singular values of the centred data, decreasing (the square roots of the covariance eigenvalues times rows - 1).
    pub eigenvalues: Vec<f64>,
}

pub struct ClusterPca;

impl Tool for ClusterPca {
    const NAME: &'static str = "cluster_pca";
    const DESCRIPTION: &'static str = "Principal component analysis of a numeric matrix (rows are \
        observations) as Bio.Cluster.pca computes it: column means, principal components sorted by \
        decreasing singular value, the coordinates of each row along them, and the singular values.";
    type Args = PcaArgs;
    type Output = PcaOutput;

    async fn run(a: PcaArgs) -> Result<PcaOutput, ToolError> {
        let (nrows, ncols) = check_data(&a.data)?;
        if nrows.min(ncols) > MAX_PCA_DIM {
            return Err(ToolError::InvalidArgs(format!(
                "data is {nrows} x {ncols}; PCA accepts at most {MAX_PCA_DIM} rows or {MAX_PCA_DIM} columns"
            )));
        }
        let p = cluster::pca(&a.data);
        Ok(PcaOutput {
            column_mean: p.column_mean,
            coordinates: p.coordinates,
            components: p.components,
            eigenvalues: p.eigenvalues,
        })
    }
}

dive_tool_sdk::export_tools!(DistanceMatrix, TreeCluster, ClusterPca);
