//! XML to JSON, keeping every element, attribute and text.
//!
//! - An element with only text (or mixed text and inline markup such as `<i>`) is its
//!   text; with attributes it is `{"@attr": ..., "#text": ...}`.
//! - Any other element is an object: attributes as `"@name"`, children under their tag
//!   name. A name repeated among siblings holds an array; the children of a container
//!   element (a name ending in List, Set, Stack or Array whose children all have one
//!   name) are always arrays, so that a one-author AuthorList has the same shape as a
//!   long one.

use serde_json::{Map, Value};

pub fn options<'a>() -> roxmltree::ParsingOptions<'a> {
    roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() }
}

/// The concatenated text of a node and its descendants.
pub fn all_text(n: roxmltree::Node<'_, '_>) -> String {
    let mut s = String::new();
    for d in n.descendants() {
        if d.is_text() {
            s.push_str(d.text().unwrap_or_default());
        }
    }
    s
}

fn is_container(name: &str) -> bool {
    ["List", "Set", "Stack", "Array"].iter().any(|suffix| name.ends_with(suffix))
}

pub fn element_to_json(n: roxmltree::Node<'_, '_>) -> Value {
    let elements: Vec<roxmltree::Node<'_, '_>> = n.children().filter(|c| c.is_element()).collect();
    let has_text = n.children().any(|c| c.is_text() && !c.text().unwrap_or_default().trim().is_empty());
    let mut attrs = Map::new();
    for a in n.attributes() {
        attrs.insert(format!("@{}", a.name()), Value::String(a.value().to_string()));
    }
    if elements.is_empty() || has_text {
        let text = all_text(n).trim().to_string();
        if attrs.is_empty() {
            return Value::String(text);
        }
        if !text.is_empty() {
            attrs.insert("#text".into(), Value::String(text));
        }
        return Value::Object(attrs);
    }
    // A *Set/*List holding children of one name is a container; one with children of
    // several names (TermSet: Term, Field, Count; IdLinkSet: Id, LinkInfo) is a record.
    let distinct = {
        let mut names: Vec<&str> = elements.iter().map(|c| c.tag_name().name()).collect();
        names.sort_unstable();
        names.dedup();
        names.len()
    };
    let container = is_container(n.tag_name().name()) && distinct == 1;
    let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
    for c in elements {
        let name = c.tag_name().name().to_string();
        let v = element_to_json(c);
        match groups.iter_mut().find(|(k, _)| *k == name) {
            Some((_, vs)) => vs.push(v),
            None => groups.push((name, vec![v])),
        }
    }
    let mut m = attrs;
    for (k, mut vs) in groups {
        let v = if vs.len() == 1 && !container { vs.pop().unwrap() } else { Value::Array(vs) };
        m.insert(k, v);
    }
    Value::Object(m)
}
