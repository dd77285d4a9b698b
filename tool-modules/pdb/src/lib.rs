//! pdb: the Bio.PDB helpers of the DIVE pool, computed locally with the same results
//! as Biopython 1.88: `is_aa` and `is_nucleic` (Bio.PDB.Polypeptide) on residue
//! names, `calc_angle` and `calc_dihedral` (Bio.PDB.vectors) on 3-D points.
//!
//! Input rules (beyond the schema):
//! - A residue name is 1 to 3 ASCII letters, digits or spaces, read in upper case and
//!   padded with spaces on the right to 3 characters, the way Biopython pads the name
//!   of a Residue object ("DA" is looked up as "DA "). Names Biopython does not know
//!   are simply not amino acids / nucleic acids (false), not errors.
//! - Coordinates are finite, at most 1e15 in magnitude.
//! - Degenerate geometry, where Biopython silently returns a meaningless value (pi,
//!   from a 0/0 cosine), is rejected: an angle needs v1 != v2 and v3 != v2; a
//!   dihedral needs v2 != v3 and neither (v1, v2, v3) nor (v2, v3, v4) collinear.

use bio_core::geometry::{self, V3};
use bio_core::pdb_data;
use dive_tool_sdk::{Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};


/// Upper-cased, right-padded residue name, or the reason it is refused.
fn residue_key(name: &str) -> Result<String, ToolError> {
    if name.is_empty() || name.len() > 3 {
        return Err(ToolError::InvalidArgs(format!(
            "residue must be a PDB residue name of 1 to 3 characters, got {name:?}"
        )));
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ') {
        return Err(ToolError::InvalidArgs(format!(
            "residue may hold only ASCII letters, digits and spaces, got {name:?}"
        )));
    }
    Ok(format!("{:<3}", name.to_ascii_uppercase()))
}

fn listed(table: &[&str], key: &str) -> bool {
    table.binary_search(&key).is_ok()
}

// ---------------------------------------------------------------------------
// pdb_is_aa / pdb_is_nucleic

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = bio_core::schema_numeric::plain_numbers)]
pub struct IsAaArgs {
    /// Three-letter PDB residue name (component id), e.g. 'ALA', 'GLY', 'MSE'; case-insensitive; shorter names are padded with spaces.
    #[schemars(length(min = 1), extend("x-dive-type" = "pdb_residue_name"))]
    pub residue: String,
    /// Accept only the 20 standard amino acids (otherwise modified amino acids known to Biopython count too).
    #[serde(default)]
    pub standard: bool,
}

#[derive(Serialize, JsonSchema)]
pub struct IsAaOutput {
    /// The residue name as looked up: upper case, padded to 3 characters.
    #[schemars(extend("x-dive-type" = "pdb_residue_name"))]
    pub residue: String,
    /// Whether only the 20 standard amino acids were accepted.
    pub standard: bool,
    /// True when the residue is an amino acid (Biopython's is_aa).
    pub is_amino_acid: bool,
}

pub struct IsAa;

impl Tool for IsAa {
    const NAME: &'static str = "pdb_is_aa";
    const DESCRIPTION: &'static str = "Tell whether a PDB residue name denotes an amino acid, \
        either one of the 20 standard ones or (by default) also a modified amino acid known to \
        Biopython's PDB tables (e.g. MSE, FME), as Bio.PDB.Polypeptide.is_aa does.";
    type Args = IsAaArgs;
    type Output = IsAaOutput;

    async fn run(a: IsAaArgs) -> Result<IsAaOutput, ToolError> {
        let key = residue_key(&a.residue)?;
        let table = if a.standard {
            pdb_data::PROTEIN_STANDARD
        } else {
            pdb_data::PROTEIN_EXTENDED
        };
        Ok(IsAaOutput {
            is_amino_acid: listed(table, &key),
            residue: key,
            standard: a.standard,
        })
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = bio_core::schema_numeric::plain_numbers)]
pub struct IsNucleicArgs {
    /// PDB residue name of a nucleotide, e.g. 'DA', 'DT' (DNA), 'A', 'U' (RNA), 'PSU'; case-insensitive; shorter names are padded with spaces to 3 characters.
    #[schemars(length(min = 1), extend("x-dive-type" = "pdb_residue_name"))]
    pub residue: String,
    /// Accept only the 8 canonical nucleotides (A, C, G, U, DA, DC, DG, DT); otherwise modified nucleotides known to Biopython count too.
    #[serde(default)]
    pub standard: bool,
}

#[derive(Serialize, JsonSchema)]
pub struct IsNucleicOutput {
    /// The residue name as looked up: upper case, padded to 3 characters.
    #[schemars(extend("x-dive-type" = "pdb_residue_name"))]
    pub residue: String,
    /// Whether only the 8 canonical nucleotides were accepted.
    pub standard: bool,
    /// True when the residue is a nucleotide (Biopython's is_nucleic).
    pub is_nucleic_acid: bool,
}

pub struct IsNucleic;

impl Tool for IsNucleic {
    const NAME: &'static str = "pdb_is_nucleic";
    const DESCRIPTION: &'static str = "Tell whether a PDB residue name denotes a DNA or RNA \
        nucleotide, canonical only or (by default) also the modified nucleotides in Biopython's \
        PDB tables, as Bio.PDB.Polypeptide.is_nucleic does.";
    type Args = IsNucleicArgs;
    type Output = IsNucleicOutput;

    async fn run(a: IsNucleicArgs) -> Result<IsNucleicOutput, ToolError> {
        let key = residue_key(&a.residue)?;
        let table = if a.standard {
            pdb_data::NUCLEIC_STANDARD
        } else {
            pdb_data::NUCLEIC_EXTENDED
        };
        Ok(IsNucleicOutput {
            is_nucleic_acid: listed(table, &key),
            residue: key,
            standard: a.standard,
        })
    }
}

// ---------------------------------------------------------------------------
// pdb_calc_angle / pdb_calc_dihedral

#[derive(Serialize, JsonSchema)]
pub struct AngleOutput {
    /// The angle in radians.
    pub radians: f64,
    /// The same angle in degrees.
    pub degrees: f64,
}

fn angle_output(radians: f64) -> AngleOutput {
    AngleOutput {
        radians,
        degrees: radians.to_degrees(),
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = bio_core::schema_numeric::plain_numbers)]
pub struct CalcAngleArgs {
    /// First point [x, y, z].
    #[schemars(length(min = 3, max = 3))]
    pub v1: Vec<f64>,
    /// Second point [x, y, z]: the vertex of the angle.
    #[schemars(length(min = 3, max = 3))]
    pub v2: Vec<f64>,
    /// Third point [x, y, z].
    #[schemars(length(min = 3, max = 3))]
    pub v3: Vec<f64>,
}

pub struct CalcAngle;

impl Tool for CalcAngle {
    const NAME: &'static str = "pdb_calc_angle";
    const DESCRIPTION: &'static str = "Angle v1-v2-v3 at the vertex v2 between three 3-D points \
        (e.g. a bond angle from atom coordinates), in radians within [0, pi] and in degrees, as \
        Bio.PDB.vectors.calc_angle computes it.";
    type Args = CalcAngleArgs;
    type Output = AngleOutput;

    async fn run(a: CalcAngleArgs) -> Result<AngleOutput, ToolError> {
        let v1 = geometry::check_point("v1", &a.v1).map_err(ToolError::InvalidArgs)?;
        let v2 = geometry::check_point("v2", &a.v2).map_err(ToolError::InvalidArgs)?;
        let v3 = geometry::check_point("v3", &a.v3).map_err(ToolError::InvalidArgs)?;
        if geometry::is_zero(geometry::diff(v1, v2)) || geometry::is_zero(geometry::diff(v3, v2)) {
            return Err(ToolError::InvalidArgs(
                "the angle is undefined: v1 and v3 must both differ from the vertex v2".into(),
            ));
        }
        Ok(angle_output(geometry::calc_angle(v1, v2, v3)))
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = bio_core::schema_numeric::plain_numbers)]
pub struct CalcDihedralArgs {
    /// First point [x, y, z].
    #[schemars(length(min = 3, max = 3))]
    pub v1: Vec<f64>,
    /// Second point [x, y, z] (start of the central bond).
    #[schemars(length(min = 3, max = 3))]
    pub v2: Vec<f64>,
    /// Third point [x, y, z] (end of the central bond).
    #[schemars(length(min = 3, max = 3))]
    pub v3: Vec<f64>,
    /// Fourth point [x, y, z].
    #[schemars(length(min = 3, max = 3))]
    pub v4: Vec<f64>,
}

pub struct CalcDihedral;

fn collinear(a: V3, b: V3, c: V3) -> bool {
    geometry::is_zero(geometry::cross(geometry::diff(a, b), geometry::diff(c, b)))
}

impl Tool for CalcDihedral {
    const NAME: &'static str = "pdb_calc_dihedral";
    const DESCRIPTION: &'static str = "Dihedral (torsion) angle defined by four 3-D points, e.g. \
        phi/psi/omega backbone angles from atom coordinates, in radians and degrees, as \
        Bio.PDB.vectors.calc_dihedral computes it (a planar trans arrangement gives -pi, as in \
        Biopython).";
    type Args = CalcDihedralArgs;
    type Output = AngleOutput;

    async fn run(a: CalcDihedralArgs) -> Result<AngleOutput, ToolError> {
        let v1 = geometry::check_point("v1", &a.v1).map_err(ToolError::InvalidArgs)?;
        let v2 = geometry::check_point("v2", &a.v2).map_err(ToolError::InvalidArgs)?;
        let v3 = geometry::check_point("v3", &a.v3).map_err(ToolError::InvalidArgs)?;
        let v4 = geometry::check_point("v4", &a.v4).map_err(ToolError::InvalidArgs)?;
        if v2 == v3 {
            return Err(ToolError::InvalidArgs(
                "the dihedral is undefined: v2 and v3 coincide".into(),
            ));
        }
        if collinear(v1, v2, v3) {
            return Err(ToolError::InvalidArgs(
                "the dihedral is undefined: v1, v2 and v3 are collinear".into(),
            ));
        }
        if geometry::is_zero(geometry::cross(
            geometry::diff(v4, v3),
            geometry::diff(v3, v2),
        )) {
            return Err(ToolError::InvalidArgs(
                "the dihedral is undefined: v2, v3 and v4 are collinear".into(),
            ));
        }
        Ok(angle_output(geometry::calc_dihedral(v1, v2, v3, v4)))
    }
}

dive_tool_sdk::export_tools!(IsAa, IsNucleic, CalcAngle, CalcDihedral);
