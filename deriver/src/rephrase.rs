//! `--rephrase llm`: the model rewrites a derived question in the style of the task's
//! exemplars (ARCHITECTURE.md §7). A rewrite is kept only when it still carries the
//! question's entities — the seed, identifiers, numbers — and does not give the answer
//! away; otherwise the derived question stands. The exchange is evidence: it is
//! recorded in the task's trace, so `--replay` answers it from there.

use crate::llm::{LlmError, ModelClient};
use serde_json::{json, Value};

/// Why a rewrite was not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejected {
    /// Empty, several lines, or far longer than the question.
    Shape,
    /// Not a question (does not end with "?").
    NotAQuestion,
    /// An entity of the question (the seed, an identifier, a number) is missing.
    LostEntity,
    /// The answer appears in it and not in the question.
    GivesAnswer,
}

/// What the model is told.
const INSTRUCTIONS: &str = "You rewrite research questions so that they read like the examples, without changing what \
they ask. Copy every sequence, identifier, name, number and condition exactly as written. Do not add facts or hints \
and do not answer. Reply with the rewritten question only, on one line, ending with a question mark.";

/// Ask the model to rewrite `question` like `exemplars`; Some(rewrite) when it passes
/// [`accept`]. `seed` is the seed as the question shows it.
pub async fn rephrase(model: &mut ModelClient, question: &str, exemplars: &[String], seed: &str, answer: &str) -> Result<Option<String>, LlmError> {
    let examples: String = exemplars.iter().map(|e| format!("- {e}\n")).collect();
    let body = json!({
        "model": model.model(),
        "messages": [
            {"role": "system", "content": INSTRUCTIONS},
            {"role": "user", "content": format!("Examples:\n{examples}\nQuestion: {question}")},
        ],
        "temperature": 0,
    });
    let message = model.complete(&body).await?;
    let text = message.get("content").and_then(Value::as_str).unwrap_or_default();
    Ok(accept(text, question, seed, answer).ok())
}

/// The rewrite, trimmed, if it keeps the question's entities and hides the answer.
pub fn accept(rewrite: &str, question: &str, seed: &str, answer: &str) -> Result<String, Rejected> {
    let r = rewrite.trim().trim_matches(|c| c == '"' || c == '\u{201c}' || c == '\u{201d}').trim();
    if r.is_empty() || r.contains('\n') || r.chars().count() > 2 * question.chars().count() + 200 {
        return Err(Rejected::Shape);
    }
    if !r.ends_with('?') {
        return Err(Rejected::NotAQuestion);
    }
    let seed_shown = !seed.is_empty() && question.contains(seed);
    if (seed_shown && !r.contains(seed)) || entities(question).iter().any(|e| !r.contains(e.as_str())) {
        return Err(Rejected::LostEntity);
    }
    let answer = answer.trim();
    if !answer.is_empty() && mentions(r, answer) && !mentions(question, answer) {
        return Err(Rejected::GivesAnswer);
    }
    Ok(r.to_string())
}

/// The tokens a rewrite must copy: those holding a digit (numbers, identifiers,
/// positions) and runs of four or more capitals (sequences, gene and accession names).
fn entities(question: &str) -> Vec<String> {
    question
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '"' | '?' | ':'))
        .map(|t| t.trim_end_matches(['.', '\'']))
        .filter(|t| t.chars().any(|c| c.is_ascii_digit()) || (t.len() >= 4 && t.chars().all(|c| c.is_ascii_uppercase())))
        .map(str::to_string)
        .collect()
}

/// Whether `text` mentions `answer`: as a word for short answers (so "2" is not found
/// in "12"), anywhere (ignoring case) for longer ones.
fn mentions(text: &str, answer: &str) -> bool {
    if answer.chars().count() > 3 {
        return text.to_lowercase().contains(&answer.to_lowercase());
    }
    text.split(|c: char| !(c.is_alphanumeric() || c == '.' || c == '-')).map(|w| w.trim_end_matches('.')).any(|w| w.eq_ignore_ascii_case(answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    const Q: &str = "What is the isoelectric point of the protein encoded by the DNA sequence ATGGCCTAG under the vertebrate mitochondrial code (table 2)?";

    #[test]
    fn a_faithful_rewrite_is_kept() {
        let r = "Under the vertebrate mitochondrial code (table 2), what isoelectric point does the protein encoded by ATGGCCTAG have?";
        assert_eq!(accept(&format!("  \"{r}\"\n"), Q, "ATGGCCTAG", "5.52"), Ok(r.to_string()));
    }

    #[test]
    fn rewrites_that_lose_entities_or_leak_the_answer_are_dropped() {
        assert_eq!(accept("What is the isoelectric point of that protein under table 2?", Q, "ATGGCCTAG", "5.52"), Err(Rejected::LostEntity));
        assert_eq!(accept("Under table 3, what is the pI of the protein encoded by ATGGCCTAG?", Q, "ATGGCCTAG", "5.52"), Err(Rejected::LostEntity));
        assert_eq!(accept("Is 5.52 the pI of the protein of ATGGCCTAG under table 2?", Q, "ATGGCCTAG", "5.52"), Err(Rejected::GivesAnswer));
        assert_eq!(accept("The pI of the protein of ATGGCCTAG under table 2.", Q, "ATGGCCTAG", "5.52"), Err(Rejected::NotAQuestion));
        assert_eq!(accept("", Q, "ATGGCCTAG", "5.52"), Err(Rejected::Shape));
        assert_eq!(accept("What is\nthe pI of ATGGCCTAG under table 2?", Q, "ATGGCCTAG", "5.52"), Err(Rejected::Shape));
        assert_eq!(accept(&format!("{}?", "x".repeat(1000)), Q, "ATGGCCTAG", "5.52"), Err(Rejected::Shape));
    }

    #[test]
    fn a_short_answer_counts_only_as_a_word() {
        let q = "How many fragments does HhaI leave from the DNA sequence ATGCGCAAGCGC?";
        let kept = "Into how many fragments does HhaI cut the DNA sequence ATGCGCAAGCGC?";
        assert!(accept(kept, q, "ATGCGCAAGCGC", "2").is_ok());
        assert_eq!(accept("Does HhaI cut ATGCGCAAGCGC into 2 fragments?", q, "ATGCGCAAGCGC", "2"), Err(Rejected::GivesAnswer));
    }
}
