//! Passages of a page and a deterministic lexical ranking of them against a question
//! (Okapi BM25 over the passages, ties broken by position in the page).

use crate::extract::{Block, Kind};
use std::collections::{BTreeMap, BTreeSet};

/// A passage grows by whole blocks until it has at least this many characters...
const MIN_PASSAGE: usize = 300;
/// ...and never past this many (longer blocks are cut at sentence ends).
const MAX_PASSAGE: usize = 1000;
const K1: f64 = 1.2;
const B: f64 = 0.75;

#[derive(Debug, Clone, PartialEq)]
pub struct Passage {
    /// 0-based position in the page.
    pub index: usize,
    /// The nearest heading above the passage.
    pub section: Option<String>,
    pub text: String,
}

/// Split `text` into pieces of at most `max` characters, at sentence ends where
/// possible, else at white space.
fn split_long(text: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while rest.chars().count() > max {
        let limit = rest.char_indices().nth(max).map(|(i, _)| i).unwrap_or(rest.len());
        let window = &rest[..limit];
        let cut = window
            .rmatch_indices(|c| c == '.' || c == '!' || c == '?' || c == '\n')
            .map(|(i, _)| i + 1)
            .find(|&i| i > limit / 3)
            .or_else(|| window.rfind(char::is_whitespace).filter(|&i| i > limit / 3))
            .unwrap_or(limit);
        out.push(rest[..cut].trim().to_string());
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() {
        out.push(rest.to_string());
    }
    out
}

/// Group the page's blocks into passages of a few hundred characters, each under the
/// heading it belongs to. Headings open a new passage and are not passages themselves.
pub fn passages(blocks: &[Block]) -> Vec<Passage> {
    let mut out: Vec<Passage> = Vec::new();
    let mut section: Option<String> = None;
    let mut cur = String::new();
    let flush = |cur: &mut String, section: &Option<String>, out: &mut Vec<Passage>| {
        if !cur.trim().is_empty() {
            out.push(Passage { index: out.len(), section: section.clone(), text: std::mem::take(cur) });
        }
        cur.clear();
    };
    for b in blocks {
        if let Kind::Heading(_) = b.kind {
            flush(&mut cur, &section, &mut out);
            section = Some(b.text.clone());
            continue;
        }
        let text = match b.kind {
            Kind::ListItem => format!("- {}", b.text),
            _ => b.text.clone(),
        };
        for piece in split_long(&text, MAX_PASSAGE) {
            let len = cur.chars().count();
            if len > 0 && (len >= MIN_PASSAGE || len + piece.chars().count() > MAX_PASSAGE) {
                flush(&mut cur, &section, &mut out);
            }
            if !cur.is_empty() {
                cur.push('\n');
            }
            cur.push_str(&piece);
        }
    }
    flush(&mut cur, &section, &mut out);
    out
}

const STOPWORDS: &[&str] = &[
    "a", "about", "an", "and", "are", "as", "at", "be", "by", "can", "did", "do", "does", "for", "from", "has",
    "have", "how", "i", "in", "is", "it", "its", "many", "much", "of", "on", "or", "page", "tell", "that", "the",
    "their", "there", "this", "to", "was", "were", "what", "when", "where", "which", "who", "whom", "why", "will",
    "with", "me", "my", "according", "does", "say", "says",
];

/// Lower-cased words (letters and digits), with a light plural/possessive stemming.
pub fn terms(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| stem(&w.to_lowercase()))
        .collect()
}

fn stem(w: &str) -> String {
    let n = w.chars().count();
    if n > 4 && w.ends_with("ies") {
        return format!("{}y", &w[..w.len() - 3]);
    }
    if n > 3 && w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") && !w.ends_with("is") {
        return w[..w.len() - 1].to_string();
    }
    w.to_string()
}

/// The terms of a question that carry meaning (stop words dropped unless nothing else
/// is left), each once, in order of appearance.
pub fn query_terms(query: &str) -> Vec<String> {
    let all = terms(query);
    let mut seen = BTreeSet::new();
    let content: Vec<String> =
        all.iter().filter(|t| !STOPWORDS.contains(&t.as_str())).filter(|t| seen.insert((*t).clone())).cloned().collect();
    if !content.is_empty() {
        return content;
    }
    let mut seen = BTreeSet::new();
    all.into_iter().filter(|t| seen.insert(t.clone())).collect()
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub passage: usize,
    pub score: f64,
    pub matched: Vec<String>,
}

/// BM25 score of every passage that contains at least one query term, best first;
/// equal scores keep page order. Scores are rounded to 4 decimals.
pub fn rank(passages: &[Passage], query: &[String]) -> Vec<Scored> {
    if passages.is_empty() || query.is_empty() {
        return Vec::new();
    }
    let docs: Vec<Vec<String>> = passages
        .iter()
        .map(|p| {
            let mut t = terms(&p.text);
            if let Some(s) = &p.section {
                t.extend(terms(s));
            }
            t
        })
        .collect();
    let n = docs.len() as f64;
    let avgdl = (docs.iter().map(Vec::len).sum::<usize>() as f64 / n).max(1.0);
    let df: BTreeMap<&str, usize> = query
        .iter()
        .map(|q| (q.as_str(), docs.iter().filter(|d| d.iter().any(|t| t == q)).count()))
        .collect();
    let mut out: Vec<Scored> = docs
        .iter()
        .enumerate()
        .filter_map(|(i, d)| {
            let len = d.len() as f64;
            let mut score = 0.0;
            let mut matched = Vec::new();
            for q in query {
                let tf = d.iter().filter(|t| *t == q).count() as f64;
                if tf == 0.0 {
                    continue;
                }
                let nq = df[q.as_str()] as f64;
                let idf = (1.0 + (n - nq + 0.5) / (nq + 0.5)).ln();
                score += idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * len / avgdl));
                matched.push(q.clone());
            }
            (!matched.is_empty()).then(|| Scored { passage: i, score: (score * 10_000.0).round() / 10_000.0, matched })
        })
        .collect();
    out.sort_by(|a, b| b.score.partial_cmp(&a.score).unwrap_or(std::cmp::Ordering::Equal).then(a.passage.cmp(&b.passage)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn para(t: &str) -> Block {
        Block { kind: Kind::Paragraph, text: t.into() }
    }

    #[test]
    fn ranking_prefers_the_passage_with_the_terms() {
        let blocks = vec![
            Block { kind: Kind::Heading(2), text: "History".into() },
            para(&"The town grew slowly over the centuries. ".repeat(10)),
            Block { kind: Kind::Heading(2), text: "Population".into() },
            para(&format!("{} In 2020 the census counted 48,210 inhabitants.", "Filler sentence here. ".repeat(14))),
        ];
        let ps = passages(&blocks);
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[1].section.as_deref(), Some("Population"));
        let q = query_terms("How many inhabitants did the census count?");
        assert_eq!(q, vec!["inhabitant", "census", "count"]);
        let r = rank(&ps, &q);
        assert_eq!(r[0].passage, 1);
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn long_blocks_are_cut_at_sentences() {
        let text = "One sentence that goes on. ".repeat(100);
        let parts = split_long(&text, 200);
        assert!(parts.iter().all(|p| p.chars().count() <= 200 && p.ends_with('.')));
    }
}
