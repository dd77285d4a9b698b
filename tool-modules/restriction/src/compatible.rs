//! Enzymes whose ends are compatible with an enzyme's, as Biopython 1.88's
//! `RestrictionType.compatible_end()` lists them: every blunt cutter for a blunt
//! cutter; for a 5' (3') overhang, every 5' (3') cutter whose overhang matches
//! (`x % enzyme`); none for an enzyme whose ends are unknown. Sorted as Biopython sorts
//! enzymes: by recognition-site size, then by name.
//!
//! An ambiguous overhang is compared as Biopython does: its sequence becomes a regular
//! expression by replacing, for each of its letters in turn, every N with `.` and every
//! other IUPAC code with a bracketed set of the codes it matches (`matching`), each
//! replacement applying to the text the earlier ones left (so a later code can land
//! inside an earlier set). The expression is then matched at the start of the other
//! overhang, with Python's reading of `[`, `]` and `.`.

use crate::data::ENZYMES;
use crate::enzyme::{Definition, Ends, Enzyme};

/// Bio.Restriction.Restriction.matching: the codes a code is compatible with.
const MATCHING: [(char, &str); 15] = [
    ('A', "ARWMHVDN"),
    ('C', "CYSMHBVN"),
    ('G', "GRSKBVDN"),
    ('T', "TYWKHBDN"),
    ('R', "ABDGHKMNSRWV"),
    ('Y', "CBDHKMNSTWVY"),
    ('W', "ABDHKMNRTWVY"),
    ('S', "CBDGHKMNSRVY"),
    ('M', "ACBDHMNSRWVY"),
    ('K', "BDGHKNSRTWVY"),
    ('H', "ACBDHKMNSRTWVY"),
    ('B', "CBDGHKMNSRTWVY"),
    ('V', "ACBDGHKMNSRWVY"),
    ('D', "ABDGHKMNSRTWVY"),
    ('N', "ACBDGHKMNSRTWVY"),
];

/// The names of the enzymes with ends compatible with `e`'s, in Biopython's order.
pub fn compatible_ends(e: &Enzyme) -> Vec<&'static str> {
    let mut found: Vec<&'static Enzyme> = match e.ends {
        Ends::Unknown => return vec![],
        Ends::Blunt => ENZYMES.iter().filter(|x| x.ends == Ends::Blunt).collect(),
        ends => ENZYMES
            .iter()
            .filter(|x| x.ends == ends && overhangs_match(x, e))
            .collect(),
    };
    found.sort_by(|a, b| (a.size, a.name).cmp(&(b.size, b.name)));
    found.into_iter().map(|x| x.name).collect()
}

fn ovhgseq(e: &Enzyme) -> &'static str {
    e.ovhgseq.unwrap_or("")
}

/// `x._mod2(e)`: x's overhang against e's, by x's kind of definition.
fn overhangs_match(x: &Enzyme, e: &Enzyme) -> bool {
    match x.definition {
        Definition::Defined if ovhgseq(x) == ovhgseq(e) => true,
        Definition::Defined => e.definition == Definition::Ambiguous && ambiguous_match(e, x),
        Definition::Ambiguous => ambiguous_match(x, e),
        // Biopython raises here; its 1.88 table has no overhang enzyme of this kind.
        Definition::NotDefined => false,
    }
}

/// `Ambiguous._mod2`: `pattern`'s overhang, made a regular expression, matched at the
/// start of `other`'s overhang of the same length.
fn ambiguous_match(pattern: &Enzyme, other: &Enzyme) -> bool {
    let (p, o) = (ovhgseq(pattern), ovhgseq(other));
    p.chars().count() == o.chars().count() && regex_match_start(&expression(p), o)
}

/// The expression Biopython builds from an ambiguous overhang.
fn expression(ovhgseq: &str) -> String {
    let mut se = ovhgseq.to_string();
    for base in ovhgseq.chars() {
        if base == 'N' {
            se = se.replace('N', ".");
        }
        if "RYWMSKHDBV".contains(base) {
            let set = MATCHING
                .iter()
                .find(|(c, _)| *c == base)
                .map(|(_, m)| *m)
                .unwrap_or("");
            se = se.replace(base, &format!("[{set}]"));
        }
    }
    se
}

/// One item of the expression: a literal, `.` or a bracketed set.
enum Item {
    Literal(char),
    Any,
    Set(Vec<char>),
}

/// Python's reading of the expression: `[` opens a set closed by the first `]` after its
/// first member (`[` and `.` inside are members); `.` outside is any character but a
/// newline; everything else is itself.
fn items(se: &str) -> Option<Vec<Item>> {
    let chars: Vec<char> = se.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '[' => {
                let start = i + 1;
                let close = (start + 1..chars.len()).find(|&j| chars[j] == ']')?;
                out.push(Item::Set(chars[start..close].to_vec()));
                i = close + 1;
            }
            '.' => {
                out.push(Item::Any);
                i += 1;
            }
            c => {
                out.push(Item::Literal(c));
                i += 1;
            }
        }
    }
    Some(out)
}

/// `re.match(se, text) is not None`.
fn regex_match_start(se: &str, text: &str) -> bool {
    let Some(items) = items(se) else { return false };
    let text: Vec<char> = text.chars().collect();
    items.len() <= text.len()
        && items.iter().zip(&text).all(|(item, &c)| match item {
            Item::Literal(l) => *l == c,
            Item::Any => c != '\n',
            Item::Set(set) => set.contains(&c),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_replace_in_turn_as_python_does() {
        assert_eq!(expression("NN"), "..");
        assert_eq!(expression("AATT"), "AATT");
        // R's set holds an N, which the later N turns into a literal '.'.
        assert_eq!(expression("RN"), "[ABDGHKM.SRWV].");
    }

    #[test]
    fn sets_close_at_the_first_bracket() {
        assert!(regex_match_start("[AG]A", "GA"));
        assert!(!regex_match_start("[AG]A", "CA"));
        assert!(regex_match_start("..", "TT"));
        // "[AB[CD]E]": the set is A B [ C D, then E and ']' are literals.
        assert!(regex_match_start("[AB[CD]E]", "CE]"));
        assert!(!regex_match_start("[AB[CD]E]", "CEX"));
    }
}
