//! Questions in words: the answer's value named by composing the tools' relation
//! phrases ([`crate::phrases`]) along its dependency path back to the seed — "the
//! isoelectric point of the protein encoded by the reverse complement of the DNA
//! sequence ATG…" — then asked in one of several surface forms.
//!
//! A question never holds a tool name, a step number, a JSON path or a field identifier:
//! fields become plain words ([`crate::words::field_words`]), list positions ordinals,
//! constants words ("under the vertebrate mitochondrial code").

use crate::evidence::{EvidenceCall, ToolInfo};
use crate::graph::FlowGraph;
use crate::phrases;
use crate::task::AnswerPath;
use crate::words::{self, capitalize, field_words, ordinal, singular};
use serde_json::Value;
use std::collections::BTreeMap;

/// Where the seed stands in a phrase until the surface form decides how to say it.
const SEED_MARK: &str = "\u{1}SEED\u{1}";

/// List names that say nothing about their items ("the first entry of …" reads better).
const GENERIC_LISTS: &[&str] = &["data", "items", "results", "records", "hits", "entries", "list", "values", "rows", "result", "docs", "documents"];

/// Nesting deeper than this is said as "the result of …" (questions stay readable).
const MAX_NESTING: usize = 8;

/// How a question opens: the seed inline, or introduced first and then referred to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opening {
    /// "What is the GC content of the DNA sequence ATG…?"
    Inline,
    /// "Given the DNA sequence ATG…, what is the GC content of that sequence?"
    Given,
    /// "Consider the DNA sequence ATG…. What is …?"
    Consider,
    /// "For the DNA sequence ATG…, what is …?"
    For,
}

/// The surface form of a question: its opening and which wording of the ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// How the seed is introduced.
    pub opening: Opening,
    /// Which wording of the ask (taken modulo the wordings of the answer's kind).
    pub variant: usize,
}

impl Style {
    /// The style a task's exemplars suggest, varied by `salt` (from the seed): exemplars
    /// that open with a question word favour inline questions, ones that open with a
    /// clause ("Among …, how many …") favour an introduced seed, imperative ones ("Translate
    /// …; what …") favour "Consider …".
    pub fn from_exemplars(exemplars: &[&str], salt: u64) -> Style {
        let mut votes = [0u32; 4];
        for q in exemplars {
            let first = q.split_whitespace().next().unwrap_or("").to_lowercase();
            let slot = match first.as_str() {
                "what" | "which" | "how" | "who" | "when" | "where" | "is" | "does" | "do" => 0,
                "among" | "on" | "for" | "given" | "in" | "of" | "after" | "according" => 3,
                _ if q.contains(';') || q.contains(". ") => 2,
                _ => 1,
            };
            votes[slot] += 1;
        }
        // The exemplars' favourite opening most of the time, another one otherwise, so
        // one exemplar set does not fix the form of every task.
        let best = (0..4).max_by_key(|&i| (votes[i], (salt >> (8 * i)) & 0xff)).unwrap_or(0);
        let pick = if salt.is_multiple_of(3) { (salt / 3 % 4) as usize } else { best };
        let opening = [Opening::Inline, Opening::Given, Opening::Consider, Opening::For][pick];
        Style { opening, variant: (salt >> 16) as usize }
    }
}

/// Everything a question is composed from.
pub struct Composer<'a> {
    /// The seed and its semantic type.
    pub seed: &'a Value,
    /// The seed's semantic type (`dna_sequence`, `drug_name`, …).
    pub seed_type: &'a str,
    /// The tools of the pool.
    pub tools: &'a BTreeMap<String, ToolInfo>,
    /// The calls so far.
    pub calls: &'a [EvidenceCall],
    /// Their data-flow graph.
    pub graph: &'a FlowGraph,
}

impl Composer<'_> {
    fn call(&self, i: usize) -> Option<&EvidenceCall> {
        self.calls.iter().find(|c| c.index == i)
    }

    /// The noun phrase of call `i`'s result: its tool's relation phrase with each
    /// argument said in words, and the other arguments as modifiers.
    pub fn call_noun(&self, i: usize, depth: usize) -> String {
        let template = self.call(i).and_then(|c| phrases::relation(&c.tool)).map(|r| r.template);
        self.call_noun_with(i, template, depth)
    }

    /// [`Self::call_noun`] with another phrase (a field's own: "the GC percentage at
    /// first codon positions of {sequence}").
    fn call_noun_with(&self, i: usize, template: Option<&'static str>, depth: usize) -> String {
        let Some(call) = self.call(i) else { return "an unknown result".into() };
        let template = template.unwrap_or("the result of the computation on {}");
        let used = phrases::placeholders(template);
        let mut text = template.to_string();
        for p in &used {
            let default = self.param_schema(&call.tool, p).and_then(|s| s.get("default")).cloned();
            let said = match (call.args.get(*p), default) {
                (Some(_), _) => self.arg_noun(i, p, depth),
                (None, Some(d)) => words::constant(&d),
                (None, None) => "it".to_string(),
            };
            text = text.replacen(&format!("{{{p}}}"), &said, 1);
        }
        if text.contains("{}") {
            let first = call.args.as_object().and_then(|m| m.keys().next().cloned()).unwrap_or_default();
            text = text.replace("{}", &self.arg_noun(i, &first, depth));
        }
        let modifiers = self.modifiers(call, &used, depth);
        if modifiers.is_empty() {
            text
        } else {
            format!("{text} {}", words::list(&modifiers))
        }
    }

    /// Arguments the template does not name: flowing values as "for …", constants in
    /// words; defaults and false flags are left unsaid. Arguments that took one field
    /// from several entries of one list are said together ("for the trading dates of
    /// the first and third entries of …"); a value said already is not said again, nor
    /// the seed right after a phrase that ended with it.
    fn modifiers(&self, call: &EvidenceCall, used: &[&str], depth: usize) -> Vec<String> {
        let schema = self.tools.get(&call.tool).map(|t| &t.input_schema);
        let Some(args) = call.args.as_object() else { return Vec::new() };
        let said = |k: &str| !used.contains(&k) && !crate::policy::SETTINGS.contains(&k);
        let groups = self.entry_groups(call.index, args.keys().filter(|k| said(k)), depth);
        let seed = format!("for {SEED_MARK}");
        let mut out: Vec<String> = Vec::new();
        for (k, v) in args.iter().filter(|(k, _)| said(k)) {
            let param = schema.and_then(|s| s.get("properties")).and_then(|p| p.get(k));
            let modifier = match groups.iter().find(|g| g.params.contains(k)) {
                Some(g) if g.params[0] != *k => None,
                Some(g) => Some(format!("for {}", self.value_noun_of(g.producer, &g.first_path, depth + 1, Some(&g.indices)))),
                None if self.flows_into(call.index, k) => Some(format!("for {}", self.arg_noun(call.index, k, depth))),
                None => constant_modifier(k, v, param),
            };
            let repeats = |m: &String| out.contains(m) || (*m == seed && out.last().is_some_and(|last| last.ends_with(&seed)));
            if let Some(m) = modifier.filter(|m| !repeats(m)) {
                out.push(m);
            }
        }
        out
    }

    /// Arguments of call `to` (among `params`) that each took the same field of a
    /// different entry of one list of one earlier result, two or more to a group.
    fn entry_groups<'k>(&self, to: usize, params: impl Iterator<Item = &'k String>, depth: usize) -> Vec<EntryGroup> {
        let mut groups: Vec<EntryGroup> = Vec::new();
        if depth >= MAX_NESTING {
            return groups;
        }
        for param in params {
            let Some((producer, path, list, index, field)) = self.entry_source(to, param) else { continue };
            match groups.iter_mut().find(|g| g.producer == producer && g.list == list && g.field == field) {
                Some(g) => {
                    g.params.push(param.clone());
                    g.indices.push(index);
                }
                None => groups.push(EntryGroup { producer, list, field, first_path: path, params: vec![param.clone()], indices: vec![index] }),
            }
        }
        groups.retain(|g| g.params.len() > 1);
        groups
    }

    /// Where argument `param` of call `to` came from when it is one field of one entry of
    /// a list (`…/list/N/field`) of an earlier result that did not just repeat its own
    /// argument: (producer, path, list path, N, field).
    fn entry_source(&self, to: usize, param: &str) -> Option<(usize, String, String, usize, String)> {
        let whole = format!("/{}", crate::evidence::pointer_token(param));
        let flow = self.graph.flows.iter().find(|f| f.to == to && f.arg_path == whole)?;
        let producer = flow.from?;
        if self.echoed_param(producer, &flow.from_path).is_some() {
            return None;
        }
        let (list_and_index, field) = flow.from_path.rsplit_once('/')?;
        let (list, index) = list_and_index.rsplit_once('/')?;
        let index = index.parse::<usize>().ok()?;
        let primary = self.call(producer).and_then(|c| phrases::relation(&c.tool)).and_then(|r| r.primary);
        if list.is_empty() || field.parse::<usize>().is_ok() || primary == Some(field) {
            return None;
        }
        Some((producer, flow.from_path.clone(), list.to_string(), index, field.to_string()))
    }

    fn param_schema(&self, tool: &str, param: &str) -> Option<&Value> {
        self.tools.get(tool)?.input_schema.get("properties")?.get(param)
    }

    fn flows_into(&self, call: usize, param: &str) -> bool {
        self.graph.flows.iter().any(|f| f.to == call && arg_param(&f.arg_path) == Some(param))
    }

    /// One argument of call `i` in words: the phrase of where it came from, or the
    /// constant itself.
    fn arg_noun(&self, i: usize, param: &str, depth: usize) -> String {
        let flows: Vec<_> = self.graph.flows.iter().filter(|f| f.to == i && arg_param(&f.arg_path) == Some(param)).collect();
        let value = self.call(i).and_then(|c| c.args.get(param)).cloned().unwrap_or(Value::Null);
        if flows.is_empty() {
            let xtype = self.call(i).and_then(|c| self.param_schema(&c.tool, param)).and_then(|s| s.get("x-dive-type")).and_then(Value::as_str);
            return typed_constant(xtype, &value);
        }
        let whole = flows.iter().find(|f| f.arg_path == format!("/{}", crate::evidence::pointer_token(param)));
        match whole {
            Some(f) => self.source_noun(f.from, &f.from_path, depth),
            // Parts of a list argument: each part said, the rest as constants.
            None => {
                let items: Vec<String> = match &value {
                    Value::Array(items) => items
                        .iter()
                        .enumerate()
                        .map(|(n, item)| {
                            let at = format!("/{}/{n}", crate::evidence::pointer_token(param));
                            match flows.iter().find(|f| f.arg_path == at) {
                                Some(f) => self.source_noun(f.from, &f.from_path, depth),
                                None => words::constant(item),
                            }
                        })
                        .collect(),
                    other => vec![words::constant(other)],
                };
                words::list(&items)
            }
        }
    }

    fn source_noun(&self, from: Option<usize>, path: &str, depth: usize) -> String {
        match from {
            None => SEED_MARK.to_string(),
            Some(_) if depth >= MAX_NESTING => "an earlier result".to_string(),
            Some(p) => match self.echoed_param(p, path) {
                // The producer only repeated its own argument (an enzyme name, a code):
                // say that argument, not "the enzyme of the cut positions of …".
                Some(param) => self.arg_noun(p, &param, depth + 1),
                None => self.value_noun(p, path, depth + 1),
            },
        }
    }

    /// The parameter of call `p` whose value the result repeats at `path`, if any.
    fn echoed_param(&self, p: usize, path: &str) -> Option<String> {
        let call = self.call(p)?;
        let v = call.result.as_ref()?.pointer(path)?;
        call.args.as_object()?.iter().find(|(_, a)| *a == v).map(|(k, _)| k.clone())
    }

    /// The noun phrase of the value at `path` of call `i`'s result: "the third record of
    /// …", "the title of the first entry of …", or the call's own phrase when the path is
    /// its primary field.
    pub fn value_noun(&self, i: usize, path: &str, depth: usize) -> String {
        self.value_noun_of(i, path, depth, None)
    }

    /// [`Self::value_noun`]; with `many`, the path's last list position stands for
    /// each of those positions: "the trading dates of the first and third entries of …".
    fn value_noun_of(&self, i: usize, path: &str, depth: usize, many: Option<&[usize]>) -> String {
        let tool = self.call(i).map(|c| c.tool.as_str()).unwrap_or("");
        let relation = phrases::relation(tool);
        let primary = relation.and_then(|r| r.primary);
        let said = |key: &str| relation.and_then(|r| r.field_words(key)).map(str::to_string).unwrap_or_else(|| field_words(key));
        let tokens: Vec<String> = path.split('/').skip(1).map(|t| t.replace("~1", "/").replace("~0", "~")).collect();
        let keys: Vec<&String> = tokens.iter().filter(|t| t.parse::<usize>().is_err()).collect();
        // A field with a phrase of its own is said by it.
        if let [key] = tokens.as_slice() {
            if let Some(own) = relation.and_then(|r| r.field_words(key)).filter(|w| w.starts_with("the ")) {
                return self.call_noun_with(i, Some(own), depth);
            }
        }
        let mut noun = self.call_noun(i, depth);
        let is_primary = primary.is_some_and(|p| keys.last().is_some_and(|k| k.as_str() == p));
        if is_primary {
            // The phrase names the primary field; a list position in it is said as "the
            // second of …".
            if let Some(n) = tokens.last().and_then(|t| t.parse::<usize>().ok()) {
                let of = if plural_head(&noun) { "" } else { " value" };
                noun = format!("the {}{of} of {noun}", ordinal(n));
            }
            return noun;
        }
        let last_index = tokens.iter().rposition(|t| t.parse::<usize>().is_ok());
        // The position at token `at` in words, and whether it stands for several.
        let position = |n: usize, at: usize| match many {
            Some(ns) if Some(at) == last_index => (words::list(&ns.iter().map(|&n| ordinal(n)).collect::<Vec<_>>()), true),
            _ => (ordinal(n), false),
        };
        let mut k = 0;
        while k < tokens.len() {
            let t = &tokens[k];
            let next_index = tokens.get(k + 1).and_then(|n| n.parse::<usize>().ok());
            noun = match (t.parse::<usize>(), next_index) {
                (Ok(n), _) => {
                    let (at, several) = position(n, k);
                    format!("the {at} {} of {noun}", if several { "entries" } else { "entry" })
                }
                (Err(_), Some(n)) => {
                    k += 1;
                    let (at, several) = position(n, k);
                    let w = said(t);
                    if GENERIC_LISTS.contains(&t.to_lowercase().as_str()) {
                        format!("the {at} {} of {noun}", if several { "entries" } else { "entry" })
                    } else if several {
                        format!("the {at} {w} of {noun}")
                    } else {
                        format!("the {at} {} of {noun}", singular(&w))
                    }
                }
                // A wrapper object ("idGroup", "message") says nothing: skip it.
                (Err(_), None) if k + 1 < tokens.len() && is_wrapper(t) => noun,
                // A field after the positions that stand for several is said in the plural.
                (Err(_), None) if many.is_some() && last_index.is_some_and(|l| k > l) => format!("the {} of {noun}", plural(&said(t))),
                (Err(_), None) => format!("the {} of {noun}", said(t)),
            };
            k += 1;
        }
        noun
    }

    /// The question for an answer, in the given style.
    pub fn question(&self, answer: &AnswerPath, style: Style) -> String {
        let ask = self.ask(answer, style.variant);
        let seed = words::seed_noun(self.seed_type, self.seed);
        let opening = if ask.contains(SEED_MARK) { style.opening } else { Opening::Given };
        let q = match opening {
            Opening::Inline => capitalize(&say_seed(&ask, &seed.full, seed.referent)),
            Opening::Given => format!("Given {}, {}", seed.full, say_seed(&ask, seed.referent, seed.referent)),
            Opening::Consider => format!("Consider {}. {}", seed.full, capitalize(&say_seed(&ask, seed.referent, seed.referent))),
            Opening::For => format!("For {}, {}", seed.full, say_seed(&ask, seed.referent, seed.referent)),
        };
        tidy(&q)
    }

    /// The ask itself, lower-case, ending with "?".
    fn ask(&self, answer: &AnswerPath, variant: usize) -> String {
        match answer {
            AnswerPath::Value { call, path } => {
                let noun = self.value_noun(*call, path, 0);
                let forms = ["what is {}?", "what would {} be?", "can you tell me {}?", "do you know {}?"];
                forms[variant % forms.len()].replace("{}", &noun)
            }
            AnswerPath::Count { call, path } => self.count_ask(*call, path, variant),
            AnswerPath::Max { of } | AnswerPath::Min { of } => {
                let nouns: Vec<String> = of.iter().map(|b| self.value_noun(b.call, &b.path, 0)).collect();
                let (adj, adj2) = if matches!(answer, AnswerPath::Max { .. }) { ("larger", "higher") } else { ("smaller", "lower") };
                let forms = ["what is the {adj} value: {a} or {b}?", "of {a} and {b}, which value is {adj2}?", "which is {adj}, {a} or {b}, and what is that value?"];
                let (a, b) = (nouns.first().cloned().unwrap_or_default(), words::list(&nouns[1.min(nouns.len())..]));
                forms[variant % forms.len()].replace("{adj}", adj).replace("{adj2}", adj2).replace("{a}", &a).replace("{b}", &b)
            }
            AnswerPath::Contains { call, path, item } => {
                let noun = self.value_noun(*call, path, 0);
                // A name is quoted, as the seed is: "Is \"Alan Turing\" one of the authors …?"
                let item = match item {
                    Value::String(t) => format!("\"{t}\""),
                    other => other.to_string(),
                };
                let does = if plural_head(&noun) { "do" } else { "does" };
                let forms = ["is {item} among {noun}?", "{does} {noun} include {item}?", "is {item} one of {noun}?"];
                forms[variant % forms.len()].replace("{item}", &item).replace("{noun}", &noun).replace("{does}", does)
            }
            AnswerPath::Exceeds { of, than } => {
                let nouns: Vec<String> = of.iter().map(|b| self.value_noun(b.call, &b.path, 0)).collect();
                let a = nouns.first().cloned().unwrap_or_default();
                let b = match than {
                    Some(t) => dive_runtime::canonical::es_number(*t),
                    None => nouns.get(1).cloned().unwrap_or_default(),
                };
                let forms = ["is {a} higher than {b}?", "does {a} exceed {b}?", "is {a} larger than {b}, yes or no?"];
                forms[variant % forms.len()].replace("{a}", &a).replace("{b}", &b)
            }
        }
    }

    fn count_ask(&self, call: usize, path: &str, variant: usize) -> String {
        let (parent, last) = path.rsplit_once('/').unwrap_or(("", path));
        let tool = self.call(call).map(|c| c.tool.as_str()).unwrap_or("");
        if parent.is_empty() && phrases::relation(tool).and_then(|r| r.primary) == Some(last) {
            // The phrase names the list itself: "how many fragments left when … are there?"
            let noun = self.call_noun(call, 0);
            let bare = noun.strip_prefix("the ").unwrap_or(&noun);
            let forms: [&str; 2] = if plural_head(&noun) { ["how many {bare} are there?", "what is the number of {noun}?"] } else { ["how many values does {noun} hold?", "how many entries does {noun} have?"] };
            return forms[variant % forms.len()].replace("{bare}", bare).replace("{noun}", &noun);
        }
        let whole = if parent.is_empty() { self.call_noun(call, 0) } else { self.value_noun(call, parent, 0) };
        let key = last.replace("~1", "/").replace("~0", "~");
        let items = if GENERIC_LISTS.contains(&key.to_lowercase().as_str()) || key.parse::<usize>().is_ok() { "entries".to_string() } else { field_words(&key) };
        let items = if items.ends_with('s') { items } else { format!("{items} entries") };
        let forms = ["how many {items} does {whole} have?", "how many {items} are there in {whole}?", "how many {items} does {whole} list?"];
        forms[variant % forms.len()].replace("{items}", &items).replace("{whole}", &whole)
    }
}

/// Words that end a noun phrase's head ("the cut positions | of …").
const HEAD_ENDS: &[&str] = &["of", "in", "for", "from", "where", "when", "left", "against", "by", "under", "with", "encoded", "matching", "named", "to", "on", "found", "a", "linked", "related", "whose", "most", "best", "containing", "cited", "recommended", "citing", "deposited", "funded"];

/// Arguments of one call that took the same field of several entries of one list.
struct EntryGroup {
    /// The call whose result holds the list.
    producer: usize,
    /// The list's JSON Pointer in that result, and the field of each entry.
    list: String,
    field: String,
    /// The first argument's source path (`list/N/field`).
    first_path: String,
    /// The arguments, in the call's order, and the entry each took.
    params: Vec<String>,
    indices: Vec<usize>,
}

/// A field's words in the plural, roughly ("trading date" → "trading dates").
fn plural(words: &str) -> String {
    if words.ends_with('s') {
        words.to_string()
    } else {
        format!("{words}s")
    }
}

/// Whether a noun phrase's head noun is plural ("the cut positions of …" yes, "the GC
/// skew profile of …" no).
fn plural_head(noun: &str) -> bool {
    let head = noun.split_whitespace().take_while(|w| !HEAD_ENDS.contains(w)).last().unwrap_or("");
    head.ends_with('s') && !head.ends_with("ss") && !head.ends_with("sis")
}

/// Keys of objects that only wrap the result ("idGroup", "propConceptGroup", "message").
fn is_wrapper(key: &str) -> bool {
    let k = crate::types::normalize_name(key);
    k.ends_with("_group") || matches!(k.as_str(), "data" | "message" | "result" | "response" | "payload" | "id_group")
}

/// The parameter an argument path starts in ("/sequence" → "sequence").
fn arg_param(arg_path: &str) -> Option<&str> {
    arg_path.split('/').nth(1)
}

/// A constant argument as a modifier, or None when saying it adds nothing (a default, a
/// flag left off, an empty value).
fn constant_modifier(name: &str, v: &Value, param: Option<&Value>) -> Option<String> {
    let xtype = param.and_then(|p| p.get("x-dive-type")).and_then(Value::as_str);
    if xtype == Some("codon_table_id") || name == "table" || name == "table_id" {
        if let Some(code) = v.as_u64().and_then(words::genetic_code) {
            return Some(format!("under {code}"));
        }
    }
    if param.and_then(|p| p.get("default")) == Some(v) || v.is_null() || v == &Value::Bool(false) || v.as_str() == Some("") {
        return None;
    }
    let w = field_words(name);
    match (name, v) {
        (_, Value::Bool(true)) => Some(format!("with {w} on")),
        ("start_date", _) => Some(format!("from {}", words::constant(v))),
        ("end_date", _) => Some(format!("through {}", words::constant(v))),
        ("trade_date" | "cal_date" | "ann_date" | "date", _) => Some(format!("on {}", words::constant(v))),
        ("limit" | "max_results" | "retmax" | "rows" | "per_page" | "page_size", _) => Some(format!("listing at most {}", words::constant(v))),
        _ => Some(format!("with {w} {}", words::constant(v))),
    }
}

/// A constant argument as a noun: typed strings with their kind ("the enzyme AluI",
/// "the DNA sequence ACGT"), anything else in words.
fn typed_constant(xtype: Option<&str>, v: &Value) -> String {
    let kind = match xtype {
        Some("dna_sequence") => "the DNA sequence",
        Some("rna_sequence") => "the RNA sequence",
        Some("protein_sequence") => "the protein sequence",
        Some(t) if t.ends_with("sequence") => "the sequence",
        Some("enzyme_name") => "the enzyme",
        Some("pdb_residue_name") => "the residue",
        _ => return words::constant(v),
    };
    match v {
        Value::String(s) => format!("{kind} {s}"),
        other => words::constant(other),
    }
}

/// The seed said once in full (its first mention) and by its referent after.
fn say_seed(text: &str, first: &str, rest: &str) -> String {
    match text.split_once(SEED_MARK) {
        Some((before, after)) => format!("{before}{first}{}", after.replace(SEED_MARK, rest)),
        None => text.to_string(),
    }
}

/// Spacing and punctuation fixes after composition.
fn tidy(q: &str) -> String {
    let mut s = q.split_whitespace().collect::<Vec<_>>().join(" ");
    s = s.replace(" ,", ",").replace(",,", ",").replace("..", ".");
    if !s.ends_with('?') {
        s = format!("{}?", s.trim_end_matches(['.', '!', ',', ';', ':']));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn info(name: &str, input: Value) -> ToolInfo {
        ToolInfo { name: name.into(), domain: dive_runtime::Domain::Biological, description: String::new(), input_schema: input, output_schema: None, retrieval: false }
    }

    fn chain() -> (Vec<EvidenceCall>, BTreeMap<String, ToolInfo>) {
        let calls = vec![
            EvidenceCall { index: 0, tool: "bio_seq_reverse_complement".into(), args: json!({"sequence": "ATGAAACCCTAA"}), result: Some(json!({"reverse_complement": "TTAGGGTTTCAT"})) },
            EvidenceCall { index: 1, tool: "bio_seq_translate".into(), args: json!({"sequence": "TTAGGGTTTCAT", "table": 2}), result: Some(json!({"protein": "LGFH", "length": 4})) },
            EvidenceCall { index: 2, tool: "protparam_isoelectric_point".into(), args: json!({"sequence": "LGFH"}), result: Some(json!({"isoelectric_point": 6.75, "length": 4})) },
        ];
        let tools = BTreeMap::from([
            ("bio_seq_translate".to_string(), info("bio_seq_translate", json!({"properties": {"sequence": {}, "table": {"default": 1, "x-dive-type": "codon_table_id"}}}))),
            ("bio_seq_reverse_complement".to_string(), info("bio_seq_reverse_complement", json!({"properties": {"sequence": {}}}))),
            ("protparam_isoelectric_point".to_string(), info("protparam_isoelectric_point", json!({"properties": {"sequence": {}}}))),
        ]);
        (calls, tools)
    }

    #[test]
    fn phrases_compose_back_to_the_seed_with_constants_in_words() {
        let (calls, tools) = chain();
        let seed = json!("ATGAAACCCTAA");
        let graph = FlowGraph::build(&seed, &calls);
        let c = Composer { seed: &seed, seed_type: "dna_sequence", tools: &tools, calls: &calls, graph: &graph };
        let answer = AnswerPath::Value { call: 2, path: "/isoelectric_point".into() };
        let q = c.question(&answer, Style { opening: Opening::Inline, variant: 0 });
        assert_eq!(q, "What is the isoelectric point of the protein encoded by the reverse complement of the DNA sequence ATGAAACCCTAA under the vertebrate mitochondrial code?");
        let q = c.question(&answer, Style { opening: Opening::Given, variant: 1 });
        assert!(q.starts_with("Given the DNA sequence ATGAAACCCTAA, what would the isoelectric point of the protein encoded by the reverse complement of that sequence"), "{q}");
        let q = c.question(&AnswerPath::Value { call: 1, path: "/length".into() }, Style { opening: Opening::For, variant: 0 });
        assert!(q.contains("the length of the protein encoded by"), "{q}");
        assert!(q.ends_with('?') && !q.contains('`') && !q.contains("step"));
    }

    #[test]
    fn a_yes_no_comparison_names_both_values() {
        let (calls, tools) = chain();
        let seed = json!("ATGAAACCCTAA");
        let graph = FlowGraph::build(&seed, &calls);
        let c = Composer { seed: &seed, seed_type: "dna_sequence", tools: &tools, calls: &calls, graph: &graph };
        let of = vec![crate::task::Binding { call: 2, path: "/isoelectric_point".into() }, crate::task::Binding { call: 1, path: "/length".into() }];
        let q = c.question(&AnswerPath::Exceeds { of: of.clone(), than: None }, Style { opening: Opening::Inline, variant: 0 });
        assert!(q.starts_with("Is the isoelectric point of the protein encoded by") && q.contains(" higher than the length of the protein encoded by"), "{q}");
        assert!(q.ends_with('?') && !q.contains("yes") && !q.contains('`'), "{q}");
        let q = c.question(&AnswerPath::Exceeds { of: of[..1].to_vec(), than: Some(6.5) }, Style { opening: Opening::Inline, variant: 1 });
        assert!(q.starts_with("Does the isoelectric point of the protein encoded by") && q.ends_with(" exceed 6.5?"), "{q}");
    }

    #[test]
    fn entries_of_one_list_are_said_together_and_the_seed_once() {
        // quotes(ts_code = seed) → bars(start = quotes' first date, end = its third
        // date, ts_code = seed): one phrase for both dates, the seed said once.
        let calls = vec![
            EvidenceCall { index: 0, tool: "quotes_tool".into(), args: json!({"ts_code": "600000.SH"}), result: Some(json!({"data": [{"trade_date": "20240102"}, {"trade_date": "20240103"}, {"trade_date": "20240104"}]})) },
            EvidenceCall { index: 1, tool: "bars_tool".into(), args: json!({"start_date": "20240102", "end_date": "20240104", "ts_code": "600000.SH"}), result: Some(json!({"data": [{"close": 1.5}]})) },
        ];
        let tools = BTreeMap::from([
            ("quotes_tool".to_string(), info("quotes_tool", json!({"properties": {"ts_code": {}}}))),
            ("bars_tool".to_string(), info("bars_tool", json!({"properties": {"start_date": {}, "end_date": {}, "ts_code": {}}}))),
        ]);
        let seed = json!("600000.SH");
        let graph = FlowGraph::build(&seed, &calls);
        let c = Composer { seed: &seed, seed_type: "ts_code", tools: &tools, calls: &calls, graph: &graph };
        let noun = c.value_noun(1, "/data/0/close", 0);
        assert!(noun.contains("for the trading dates of the first and third entries of the result of the computation"), "{noun}");
        assert_eq!(noun.matches("trading date").count(), 1, "{noun}");
        // The bars' own ts_code comes right after the quotes' phrase, which ends with it.
        assert!(noun.ends_with(&format!("for {SEED_MARK}")) && noun.matches(SEED_MARK).count() == 1, "{noun}");
        // One entry alone is said as before.
        let one = c.value_noun(0, "/data/2/trade_date", 0);
        assert!(one.starts_with("the trading date of the third entry of"), "{one}");
    }

    #[test]
    fn paths_and_counts_read_as_words() {
        let calls = vec![EvidenceCall { index: 0, tool: "no_phrase_tool".into(), args: json!({"q": "x"}), result: Some(json!({"data": [{"authors": [{"name": "A"}, {"name": "B"}]}]})) }];
        let tools = BTreeMap::new();
        let seed = json!("x");
        let graph = FlowGraph::build(&seed, &calls);
        let c = Composer { seed: &seed, seed_type: "topic", tools: &tools, calls: &calls, graph: &graph };
        let n = c.value_noun(0, "/data/0/authors/1/name", 0);
        assert!(n.starts_with("the name of the second author of the first entry of the result"), "{n}");
        let q = c.question(&AnswerPath::Count { call: 0, path: "/data/0/authors".into() }, Style { opening: Opening::Inline, variant: 0 });
        assert!(q.starts_with("Given \"x\", how many authors does the first entry of"), "{q}");
    }

    #[test]
    fn exemplars_steer_the_opening() {
        let direct = ["What is the GC content?", "Which venue published it?", "How many works cite it?"];
        let counts = (0..30u64).filter(|s| Style::from_exemplars(&direct, *s).opening == Opening::Inline).count();
        assert!(counts >= 18, "{counts}");
        let clauses = ["Among the works that cite it, how many?", "On the last day, what was the close?", "After digesting, how long?"];
        let counts = (0..30u64).filter(|s| Style::from_exemplars(&clauses, *s).opening == Opening::For).count();
        assert!(counts >= 18, "{counts}");
    }
}
