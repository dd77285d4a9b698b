//! {{name}}: a dive tool written in Rust with dive-tool-sdk.
//!
//! One tool, `{{name}}`: the base counts and GC content of a DNA sequence. Replace it
//! with yours: the arguments and result are types, their doc comments become the
//! schema's descriptions, and the tool's example arguments are what `dive tool check`
//! calls it with.

use dive_tool_sdk::{export_tools, JsonSchema, Tool, ToolError};
use serde::{Deserialize, Serialize};

// The arguments: the JSON object a caller sends, already checked by the host against
// the schema derived from this type (doc comments, `///`, become its descriptions).
/// A DNA sequence to count.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = example_args())]
pub struct Args {
    /// A DNA sequence: the letters A, C, G and T, in either case.
    // x-dive-type names what the value is, so the synthesizer can feed this argument
    // with a DNA sequence another tool returned.
    #[schemars(extend("x-dive-type" = "dna_sequence"), length(min = 1))]
    pub sequence: String,
}

fn example_args() -> dive_tool_sdk::Value {
    dive_tool_sdk::json!({ "sequence": "ATGCGCGATTACA" })
}

/// The base counts and GC content of a DNA sequence.
#[derive(Debug, PartialEq, Serialize, JsonSchema)]
pub struct Composition {
    /// Number of bases in the sequence.
    pub length: u64,
    /// Share of G and C among the bases, from 0 to 1.
    pub gc_fraction: f64,
    /// Count of A.
    pub a: u64,
    /// Count of C.
    pub c: u64,
    /// Count of G.
    pub g: u64,
    /// Count of T.
    pub t: u64,
}

/// The tool's logic, a plain function (the unit tests call it natively).
pub fn composition(sequence: &str) -> Result<Composition, ToolError> {
    let mut counts = [0u64; 4];
    for (i, ch) in sequence.chars().enumerate() {
        let slot = match ch.to_ascii_uppercase() {
            'A' => 0,
            'C' => 1,
            'G' => 2,
            'T' => 3,
            other => return Err(ToolError::invalid(format!("position {}: '{other}' is not A, C, G or T", i + 1))),
        };
        counts[slot] += 1;
    }
    let length: u64 = counts.iter().sum();
    if length == 0 {
        return Err(ToolError::invalid("the sequence is empty"));
    }
    let [a, c, g, t] = counts;
    Ok(Composition { length, gc_fraction: (c + g) as f64 / length as f64, a, c, g, t })
}

/// The tool as dive sees it: a name, a description, typed arguments and result.
pub struct {{Name}};

impl Tool for {{Name}} {
    const NAME: &'static str = "{{name}}";
    const DESCRIPTION: &'static str = "Count the bases of a DNA sequence and give its GC content (the share of G and C).";
    type Args = Args;
    type Output = Composition;

    async fn run(args: Args) -> Result<Composition, ToolError> {
        composition(&args.sequence)
    }
}

export_tools!({{Name}});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_bases_in_either_case() {
        let c = composition("ATgc").unwrap();
        assert_eq!((c.length, c.a, c.c, c.g, c.t), (4, 1, 1, 1, 1));
        assert_eq!(c.gc_fraction, 0.5);
    }

    #[test]
    fn refuses_other_letters_naming_the_position() {
        let e = composition("ATXG").unwrap_err();
        assert!(matches!(e, ToolError::InvalidArgs(ref m) if m.contains("position 3")), "{e}");
    }
}
