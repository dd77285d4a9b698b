//! Relation phrases: for every tool of the pool, a short noun phrase for what it returns
//! ("the protein encoded by {sequence}"), with `{param}` standing for the phrase of that
//! argument, and the result field the phrase names (its primary field).
//!
//! The table is data (`data/phrases.tsv`, one tool a line); a test against `dive tools
//! list` keeps it complete and without stale entries.

use std::collections::BTreeMap;
use std::sync::OnceLock;

const TABLE: &str = include_str!("../data/phrases.tsv");

/// What one tool returns, in words.
#[derive(Debug, Clone, PartialEq)]
pub struct Relation {
    /// The result field the phrase itself names (e.g. `protein` for a translation); a
    /// question about another field says "the <field> of <phrase>".
    pub primary: Option<&'static str>,
    /// The noun phrase, with `{param}` for arguments.
    pub template: &'static str,
    /// How some result fields are said, and which are never answers.
    pub fields: Vec<Field>,
}

/// One result field the table says something about (`name=words`, `name=-`, `name=-words`).
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The field's name in the result.
    pub name: &'static str,
    /// Its words, when not the name's own ("GC percentage at first codon positions").
    pub words: Option<&'static str>,
    /// Whether the field only restates the inputs (a location's length from its start and
    /// end, the three frames of a six-frame translation): never an answer or a count.
    pub restates: bool,
    /// Whether the list's length is fixed by the inputs (windows of a given size): its
    /// items may be answers, its count is not.
    pub uncountable: bool,
}

impl Relation {
    /// How a result field is said, when the table says.
    pub fn field_words(&self, name: &str) -> Option<&'static str> {
        self.fields.iter().find(|f| f.name == name).and_then(|f| f.words)
    }

    /// Whether a result field only restates the call's inputs.
    pub fn restates(&self, name: &str) -> bool {
        self.fields.iter().any(|f| f.name == name && f.restates)
    }

    /// Whether a result list's length is no answer.
    pub fn uncountable(&self, name: &str) -> bool {
        self.fields.iter().any(|f| f.name == name && (f.restates || f.uncountable))
    }

    /// The parameters the template names, in order.
    pub fn placeholders(&self) -> Vec<&'static str> {
        placeholders(self.template)
    }
}

/// The parameters a phrase names (`{param}`), in order.
pub fn placeholders(t: &'static str) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        out.push(&after[..close]);
        rest = &after[close + 1..];
    }
    out
}

/// A line of the table that does not parse.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("data/phrases.tsv:{line}: {message}")]
pub struct TableError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

fn parse_fields(text: &'static str) -> Option<Vec<Field>> {
    text.split(';')
        .filter(|f| !f.trim().is_empty())
        .map(|f| {
            let (name, said) = f.split_once('=')?;
            let (restates, said) = match said.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, said),
            };
            let (uncountable, words) = match said.strip_prefix('#') {
                Some(rest) => (true, rest),
                None => (false, said),
            };
            Some(Field { name: name.trim(), words: (!words.trim().is_empty()).then(|| words.trim()), restates, uncountable })
        })
        .collect()
}

/// Parse the table text: `tool<TAB>primary field or -<TAB>phrase[<TAB>fields]`, `#`
/// comments; fields are `name=words`, `name=-` (restates the inputs), `name=-words`, or
/// `name=#words` (a list whose length the inputs fix).
pub fn parse(text: &'static str) -> Result<BTreeMap<&'static str, Relation>, TableError> {
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let err = |message: &str| TableError { line: i + 1, message: message.to_string() };
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&'static str> = line.split('\t').collect();
        let (tool, primary, template, fields) = match cols[..] {
            [t, p, phrase] => (t, p, phrase, ""),
            [t, p, phrase, f] => (t, p, phrase, f),
            _ => return Err(err("expected three or four tab-separated columns")),
        };
        let Some(fields) = parse_fields(fields) else { return Err(err("fields are name=words, name=- or name=-words, separated by ;")) };
        if template.matches('{').count() != template.matches('}').count() {
            return Err(err("unbalanced braces in the phrase"));
        }
        if !template.starts_with("the ") && !template.starts_with("whether ") {
            return Err(err("a phrase is a noun phrase starting with \"the \""));
        }
        let primary = (primary != "-").then_some(primary);
        if out.insert(tool, Relation { primary, template, fields }).is_some() {
            return Err(err("the tool has a phrase already"));
        }
    }
    Ok(out)
}

/// The shipped table (parsed once; a broken table is a build-time bug caught by tests).
pub fn relations() -> &'static BTreeMap<&'static str, Relation> {
    static PARSED: OnceLock<BTreeMap<&'static str, Relation>> = OnceLock::new();
    PARSED.get_or_init(|| parse(TABLE).unwrap_or_else(|e| panic!("{e}")))
}

/// The relation phrase of a tool.
pub fn relation(tool: &str) -> Option<&'static Relation> {
    relations().get(tool)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_names_no_tools() {
        let t = relations();
        assert!(t.len() >= 47, "{}", t.len());
        for (tool, r) in t {
            // A tool name that is a plain word ("search", "browse") may stand in the text.
            assert!(!tool.contains('_') || !r.template.contains(tool), "{tool}'s phrase names the tool");
            assert!(!r.template.contains('`') && !r.template.contains("step"), "{tool}: {}", r.template);
            for p in r.placeholders() {
                assert!(!p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{tool}: placeholder {{{p}}}");
            }
            let words: String = r.template.split('{').map(|s| s.split_once('}').map_or(s, |(_, after)| after)).collect();
            assert!(words.split_whitespace().all(|w| !crate::words::is_identifier_shaped(w.trim_matches(|c: char| !c.is_alphanumeric() && c != '_'))), "{tool}: {}", r.template);
        }
        let tr = relation("bio_seq_translate").unwrap();
        assert_eq!(tr.placeholders(), vec!["sequence"]);
    }

    #[test]
    fn bad_lines_are_refused_with_their_line() {
        assert_eq!(parse("a\t-\tthe x\n# c\nb\tthe y").unwrap_err().line, 3);
        assert!(parse("a\t-\tthe {x").is_err());
        assert!(parse("a\t-\tcompute x").is_err());
        assert!(parse("a\t-\tthe x\na\t-\tthe y").is_err());
        assert!(parse("a\t-\tthe x\tnoequals").is_err());
        let r = parse("a\t-\tthe x\tlength=-;first=first codon positions;forward=-forward frames;skew=#").unwrap().remove("a").unwrap();
        assert!(r.uncountable("skew") && !r.restates("skew") && r.uncountable("length") && !r.uncountable("first"));
        assert!(r.restates("length") && r.restates("forward") && !r.restates("first"));
        assert_eq!((r.field_words("first"), r.field_words("forward"), r.field_words("length")), (Some("first codon positions"), Some("forward frames"), None));
    }
}
