//! svdsuperimposer: Bio.SVDSuperimposer of the DIVE pool, computed locally with the
//! same results as Biopython 1.88 (within floating-point rounding: the SVD is our own
//! Jacobi iteration, not LAPACK's, see bio_core::superimpose).
//!
//! Input rules (beyond the schema): both sets hold the same number of points, at most
//! 100,000; coordinates are finite and at most 1e15 in magnitude; each set, centred,
//! must span a plane (its second singular value above 1e-8 times the first: not
//! collinear, not one repeated point), and so must their correlation matrix (ratio
//! 1e-10); otherwise the best rotation is not unique and Biopython returns one
//! arbitrary choice of many.

use bio_core::geometry::MAX_COORD;
use bio_core::superimpose::superimpose;
use dive_tool_sdk::{Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The most points a set may hold.
pub const MAX_POINTS: usize = 100_000;


#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = bio_core::schema_numeric::plain_numbers)]
pub struct SuperimposeArgs {
    /// Reference point set, a list of [x, y, z] (it stays fixed); at most 100,000 points.
    #[schemars(length(min = 3), inner(length(min = 3, max = 3)))]
    pub coordinates1: Vec<Vec<f64>>,
    /// Point set to move onto the reference, the same number of points in corresponding order.
    #[schemars(length(min = 3), inner(length(min = 3, max = 3)))]
    pub coordinates2: Vec<Vec<f64>>,
    /// Also return coordinates2 after the rotation and translation.
    #[serde(default)]
    pub include_transformed: bool,
}

#[derive(Serialize, JsonSchema)]
pub struct SuperimposeOutput {
    /// Root-mean-square deviation after superposition (Biopython's get_rms).
    pub rms: f64,
    /// Root-mean-square deviation before superposition (get_init_rms).
    pub init_rms: f64,
    /// 3x3 rotation matrix, rows as lists, applied by right multiplication: a point p of coordinates2 moves to p . rotation + translation.
    pub rotation: Vec<Vec<f64>>,
    /// Translation vector [x, y, z] added after the rotation.
    pub translation: Vec<f64>,
    /// Number of point pairs.
    pub n_points: u64,
    /// coordinates2 after the superposition (only when include_transformed is true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transformed: Option<Vec<Vec<f64>>>,
}

fn points(field: &str, rows: &[Vec<f64>]) -> Result<Vec<[f64; 3]>, ToolError> {
    if rows.len() > MAX_POINTS {
        return Err(ToolError::InvalidArgs(format!(
            "{field} holds {} points; at most {MAX_POINTS} are accepted",
            rows.len()
        )));
    }
    rows.iter()
        .enumerate()
        .map(|(i, r)| {
            if r.len() != 3 {
                return Err(ToolError::InvalidArgs(format!(
                    "{field}[{i}] must be [x, y, z], got {} numbers",
                    r.len()
                )));
            }
            if let Some(x) = r.iter().find(|x| !x.is_finite() || x.abs() > MAX_COORD) {
                return Err(ToolError::InvalidArgs(format!(
                    "{field}[{i}]: coordinate {x} is outside [-1e15, 1e15]"
                )));
            }
            Ok([r[0], r[1], r[2]])
        })
        .collect()
}

pub struct SvdSuperimpose;

impl Tool for SvdSuperimpose {
    const NAME: &'static str = "svd_superimpose";
    const DESCRIPTION: &'static str = "Superimpose one set of 3-D points on another by \
        least squares (Kabsch algorithm via SVD), as Bio.SVDSuperimposer does: the RMSD before and \
        after, the rotation matrix (right-multiplying) and translation that move the second set \
        onto the first, and optionally the moved coordinates.";
    type Args = SuperimposeArgs;
    type Output = SuperimposeOutput;

    async fn run(a: SuperimposeArgs) -> Result<SuperimposeOutput, ToolError> {
        let reference = points("coordinates1", &a.coordinates1)?;
        let coords = points("coordinates2", &a.coordinates2)?;
        if reference.len() != coords.len() {
            return Err(ToolError::InvalidArgs(format!(
                "coordinates1 has {} points but coordinates2 has {}: the sets must pair up",
                reference.len(),
                coords.len()
            )));
        }
        if reference.len() < 3 {
            return Err(ToolError::InvalidArgs("at least 3 point pairs are needed".into()));
        }
        let s = superimpose(&reference, &coords).map_err(ToolError::InvalidArgs)?;
        Ok(SuperimposeOutput {
            rms: s.rms,
            init_rms: s.init_rms,
            rotation: s.rotation.iter().map(|r| r.to_vec()).collect(),
            translation: s.translation.to_vec(),
            n_points: reference.len() as u64,
            transformed: a
                .include_transformed
                .then(|| s.transformed.iter().map(|p| p.to_vec()).collect()),
        })
    }
}

dive_tool_sdk::export_tools!(SvdSuperimpose);
