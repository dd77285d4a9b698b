//! Readable text from a page: charset decoding and an HTML-to-blocks walk over the
//! html5ever tokenizer (no tree is built: a page is read once, front to back).

use encoding_rs::Encoding;
use html5ever::buffer_queue::BufferQueue;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts};
use std::cell::RefCell;
use std::collections::HashSet;

/// At most this much decoded markup is read (a larger page is cut, `truncated`).
pub const MAX_MARKUP_CHARS: usize = 4_000_000;
/// At most this much text is extracted from a page (the rest is dropped, `truncated`).
pub const MAX_EXTRACT_CHARS: usize = 1_000_000;
/// At most this many distinct links are kept.
pub const MAX_LINKS: usize = 300;

// ---------------------------------------------------------------------------------------
// Charset

/// The `charset` parameter of a Content-Type value.
pub fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case("charset").then(|| v.trim().trim_matches(|c| c == '"' || c == '\'').to_string())
    })
}

/// The charset a page declares in a `<meta charset>` or `<meta http-equiv="Content-Type"
/// content="...; charset=...">` within its first bytes.
pub fn meta_charset(body: &[u8]) -> Option<String> {
    let head = &body[..body.len().min(8192)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let mut from = 0;
    while let Some(i) = find(&lower[from..], b"<meta") {
        let start = from + i + 5;
        let end = lower[start..].iter().position(|&b| b == b'>').map(|e| start + e).unwrap_or(lower.len());
        let tag = &lower[start..end];
        if let Some(c) = find(tag, b"charset") {
            let mut j = c + 7;
            while j < tag.len() && tag[j].is_ascii_whitespace() {
                j += 1;
            }
            if j < tag.len() && tag[j] == b'=' {
                j += 1;
                while j < tag.len() && (tag[j].is_ascii_whitespace() || tag[j] == b'"' || tag[j] == b'\'') {
                    j += 1;
                }
                let k = tag[j..]
                    .iter()
                    .position(|&b| b == b'"' || b == b'\'' || b == b';' || b == b'/' || b.is_ascii_whitespace())
                    .map(|k| j + k)
                    .unwrap_or(tag.len());
                if k > j {
                    return Some(String::from_utf8_lossy(&tag[j..k]).into_owned());
                }
            }
        }
        from = end.max(start);
        if from >= lower.len() {
            break;
        }
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Decode a body: byte-order mark, then the Content-Type charset, then (for HTML) the
/// page's own meta declaration, then UTF-8 if the bytes are valid UTF-8, else
/// Windows-1252 (what browsers assume for unlabelled Western pages). Returns the text
/// and the name of the encoding used.
pub fn decode(body: &[u8], header_charset: Option<&str>, html: bool) -> (String, &'static str) {
    let labelled = |l: &str| {
        Encoding::for_label(l.trim().as_bytes()).map(|e| {
            // A page cannot really be UTF-16 if its declaration was readable as ASCII.
            if e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE {
                encoding_rs::UTF_8
            } else {
                e
            }
        })
    };
    let encoding = Encoding::for_bom(body)
        .map(|(e, _)| e)
        .or_else(|| header_charset.and_then(|c| Encoding::for_label(c.trim().as_bytes())))
        .or_else(|| if html { meta_charset(body).and_then(|c| labelled(&c)) } else { None })
        .unwrap_or_else(|| if std::str::from_utf8(body).is_ok() { encoding_rs::UTF_8 } else { encoding_rs::WINDOWS_1252 });
    let (text, used, _had_errors) = encoding.decode(body);
    (text.into_owned(), used.name())
}

// ---------------------------------------------------------------------------------------
// Blocks

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Paragraph,
    Heading(u8),
    ListItem,
    Row,
    Pre,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub kind: Kind,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub text: String,
    pub url: String,
}

#[derive(Debug, Default)]
pub struct Page {
    pub title: Option<String>,
    pub blocks: Vec<Block>,
    pub links: Vec<Link>,
    pub links_total: usize,
    pub truncated: bool,
}

impl Page {
    /// The page as readable text: `#` headings, `- ` list items, table rows as
    /// `cell | cell`, blank lines between paragraphs.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut prev: Option<Kind> = None;
        for b in &self.blocks {
            if let Some(p) = prev {
                let tight = p == b.kind && matches!(b.kind, Kind::ListItem | Kind::Row);
                out.push_str(if tight { "\n" } else { "\n\n" });
            }
            match b.kind {
                Kind::Heading(n) => {
                    out.push_str(&"#".repeat(n as usize));
                    out.push(' ');
                }
                Kind::ListItem => out.push_str("- "),
                _ => {}
            }
            out.push_str(&b.text);
            prev = Some(b.kind);
        }
        out
    }
}

/// Elements whose content is never page text. The first group is raw text to the
/// tokenizer (no markup inside), the second holds markup that is skipped whole.
const RAW_SKIP: &[&str] = &["script", "style", "noscript", "xmp", "iframe", "noembed", "noframes", "textarea"];
const TREE_SKIP: &[&str] = &["template", "svg", "math", "object", "canvas", "select", "datalist"];
/// Elements that start a new block of text.
const BLOCKS: &[&str] = &[
    "p", "div", "section", "article", "main", "header", "footer", "nav", "aside", "ul", "ol", "dl", "figure",
    "figcaption", "form", "address", "details", "summary", "hr", "fieldset", "legend", "caption", "center",
    "blockquote", "body", "html", "menu", "dialog", "hgroup", "search", "tbody", "thead", "tfoot",
];
/// Elements that may appear in <head>; anything else means the body has begun.
const HEAD_ONLY: &[&str] = &["title", "meta", "link", "base", "script", "style", "noscript", "template", "head", "html"];

struct State {
    base: Option<url::Url>,
    base_set: bool,
    title: Option<String>,
    in_title: bool,
    title_buf: String,
    in_head: bool,
    skip: Vec<String>,
    blocks: Vec<Block>,
    cur: String,
    kind: Kind,
    pre: usize,
    row: Option<Vec<String>>,
    cell: Option<String>,
    link: Option<(String, String)>,
    links: Vec<Link>,
    seen_links: HashSet<String>,
    links_total: usize,
    chars: usize,
    truncated: bool,
}

/// Append text collapsing runs of white space to one space (kept as is inside <pre>).
fn push_collapsed(buf: &mut String, text: &str, keep_space: bool) {
    for c in text.chars() {
        if keep_space {
            buf.push(if c == '\u{a0}' { ' ' } else { c });
        } else if c.is_whitespace() {
            if !buf.is_empty() && !buf.ends_with(' ') && !buf.ends_with('\n') {
                buf.push(' ');
            }
        } else {
            buf.push(c);
        }
    }
}

fn tidy(text: &str, pre: bool) -> String {
    if pre {
        let t = text.trim_matches('\n');
        return t.lines().map(str::trim_end).collect::<Vec<_>>().join("\n");
    }
    text.split('\n').map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n")
}

impl State {
    fn text(&mut self, s: &str) {
        if !self.skip.is_empty() {
            return;
        }
        if self.in_title {
            self.title_buf.push_str(s);
            return;
        }
        if self.in_head {
            if s.trim().is_empty() {
                return;
            }
            // Text can't live in <head>: the body has begun without a tag saying so.
            self.in_head = false;
        }
        if self.chars >= MAX_EXTRACT_CHARS {
            self.truncated = true;
            return;
        }
        self.chars += s.len();
        let pre = self.pre > 0;
        if let Some((_, t)) = &mut self.link {
            push_collapsed(t, s, false);
        }
        match &mut self.cell {
            Some(c) => push_collapsed(c, s, false),
            None => push_collapsed(&mut self.cur, s, pre),
        }
    }

    fn flush(&mut self) {
        let text = tidy(&self.cur, self.kind == Kind::Pre);
        self.cur.clear();
        if !text.is_empty() {
            self.blocks.push(Block { kind: self.kind, text });
        }
        self.kind = if self.pre > 0 { Kind::Pre } else { Kind::Paragraph };
    }

    fn end_cell(&mut self) {
        if let Some(c) = self.cell.take() {
            let c = tidy(&c, false).replace('\n', " ");
            self.row.get_or_insert_with(Vec::new).push(c);
        }
    }

    fn end_row(&mut self) {
        self.end_cell();
        if let Some(cells) = self.row.take() {
            if cells.iter().any(|c| !c.is_empty()) {
                self.blocks.push(Block { kind: Kind::Row, text: cells.join(" | ") });
            }
        }
    }

    fn resolve(&self, href: &str) -> Option<String> {
        let href = href.trim();
        let u = match &self.base {
            Some(b) => b.join(href).ok()?,
            None => url::Url::parse(href).ok()?,
        };
        if u.scheme() != "http" && u.scheme() != "https" {
            return None;
        }
        Some(u.to_string())
    }

    fn end_link(&mut self) {
        let Some((href, text)) = self.link.take() else { return };
        let Some(url) = self.resolve(&href) else { return };
        if self.seen_links.insert(url.clone()) {
            self.links_total += 1;
            if self.links.len() < MAX_LINKS {
                self.links.push(Link { text: tidy(&text, false).replace('\n', " "), url });
            }
        }
    }

    fn start(&mut self, tag: &Tag) -> TokenSinkResult<()> {
        let name: &str = &tag.name;
        let attr = |n: &str| tag.attrs.iter().find(|a| &*a.name.local == n).map(|a| a.value.to_string());
        if RAW_SKIP.contains(&name) {
            if tag.self_closing {
                return TokenSinkResult::Continue;
            }
            self.skip.push(name.to_string());
            return TokenSinkResult::RawData(if name == "script" {
                RawKind::ScriptData
            } else if name == "textarea" {
                RawKind::Rcdata
            } else {
                RawKind::Rawtext
            });
        }
        if !self.skip.is_empty() {
            if TREE_SKIP.contains(&name) && !tag.self_closing {
                self.skip.push(name.to_string());
            }
            return TokenSinkResult::Continue;
        }
        if TREE_SKIP.contains(&name) {
            if !tag.self_closing {
                self.skip.push(name.to_string());
            }
            return TokenSinkResult::Continue;
        }
        if self.in_head && !HEAD_ONLY.contains(&name) {
            self.in_head = false;
        }
        match name {
            "head" => self.in_head = true,
            "title" => {
                if self.title.is_none() {
                    self.in_title = true;
                    self.title_buf.clear();
                }
                return TokenSinkResult::RawData(RawKind::Rcdata);
            }
            "base" => {
                if !self.base_set {
                    if let Some(h) = attr("href") {
                        if let Some(u) = self.base.as_ref().and_then(|b| b.join(&h).ok()).or_else(|| url::Url::parse(&h).ok()) {
                            self.base = Some(u);
                            self.base_set = true;
                        }
                    }
                }
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                if self.cell.is_some() {
                    self.text(" ");
                } else {
                    self.flush();
                    self.kind = Kind::Heading(name.as_bytes()[1] - b'0');
                }
            }
            "li" | "dt" | "dd" => {
                if self.cell.is_some() {
                    self.text(" ");
                } else {
                    self.flush();
                    self.kind = Kind::ListItem;
                }
            }
            "pre" | "listing" => {
                self.flush();
                self.pre += 1;
                self.kind = Kind::Pre;
            }
            "br" => {
                if self.cell.is_some() || self.pre > 0 {
                    self.text(if self.pre > 0 { "\n" } else { " " });
                } else if self.skip.is_empty() && !self.in_head {
                    self.cur.push('\n');
                }
            }
            "table" => {
                self.flush();
                self.end_row();
            }
            "tr" => {
                self.flush();
                self.end_row();
                self.row = Some(Vec::new());
            }
            "td" | "th" => {
                if self.row.is_none() {
                    self.flush();
                    self.row = Some(Vec::new());
                }
                self.end_cell();
                self.cell = Some(String::new());
            }
            "a" => {
                self.end_link();
                if let Some(h) = attr("href") {
                    self.link = Some((h, String::new()));
                }
            }
            "img" => {
                if let (Some(alt), Some((_, t))) = (attr("alt"), &self.link) {
                    if t.trim().is_empty() && !alt.trim().is_empty() {
                        self.text(&alt);
                    }
                }
            }
            _ if BLOCKS.contains(&name) => {
                if self.cell.is_some() {
                    self.text(" ");
                } else {
                    self.flush();
                }
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }

    fn end(&mut self, tag: &Tag) {
        let name: &str = &tag.name;
        if !self.skip.is_empty() {
            if let Some(pos) = self.skip.iter().rposition(|s| s == name) {
                self.skip.truncate(pos);
            }
            return;
        }
        match name {
            "title" => {
                if self.in_title {
                    self.in_title = false;
                    let t = tidy(&{
                        let mut b = String::new();
                        push_collapsed(&mut b, &self.title_buf, false);
                        b
                    }, false);
                    if !t.is_empty() {
                        self.title = Some(t);
                    }
                }
            }
            "head" => self.in_head = false,
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "li" | "dt" | "dd" => {
                if self.cell.is_some() {
                    self.text(" ");
                } else {
                    self.flush();
                }
            }
            "pre" | "listing" => {
                self.flush();
                self.pre = self.pre.saturating_sub(1);
                self.kind = if self.pre > 0 { Kind::Pre } else { Kind::Paragraph };
            }
            "td" | "th" => self.end_cell(),
            "tr" | "table" => {
                self.end_row();
            }
            "a" => self.end_link(),
            _ if BLOCKS.contains(&name) => {
                if self.cell.is_some() {
                    self.text(" ");
                } else {
                    self.flush();
                }
            }
            _ => {}
        }
    }
}

struct Sink(RefCell<State>);

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut s = self.0.borrow_mut();
        match token {
            Token::TagToken(tag) => match tag.kind {
                TagKind::StartTag => return s.start(&tag),
                TagKind::EndTag => s.end(&tag),
            },
            Token::CharacterTokens(t) => s.text(&t),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

/// Read an HTML page into blocks of text, its title and its links (made absolute
/// against `base`, or the page's own `<base href>`).
pub fn html_to_page(markup: &str, base: Option<&url::Url>) -> Page {
    let mut truncated = false;
    let markup = if markup.len() > MAX_MARKUP_CHARS {
        truncated = true;
        let mut cut = MAX_MARKUP_CHARS;
        while !markup.is_char_boundary(cut) {
            cut -= 1;
        }
        &markup[..cut]
    } else {
        markup
    };
    let state = State {
        base: base.cloned(),
        base_set: false,
        title: None,
        in_title: false,
        title_buf: String::new(),
        in_head: false,
        skip: Vec::new(),
        blocks: Vec::new(),
        cur: String::new(),
        kind: Kind::Paragraph,
        pre: 0,
        row: None,
        cell: None,
        link: None,
        links: Vec::new(),
        seen_links: HashSet::new(),
        links_total: 0,
        chars: 0,
        truncated,
    };
    let tok = Tokenizer::new(Sink(RefCell::new(state)), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(markup));
    let _ = tok.feed(&input);
    tok.end();
    let mut s = tok.sink.0.into_inner();
    if s.in_title {
        s.in_title = false;
        let t = tidy(&s.title_buf, false);
        if !t.is_empty() {
            s.title = Some(t);
        }
    }
    s.end_link();
    s.end_row();
    s.flush();
    Page { title: s.title, blocks: s.blocks, links: s.links, links_total: s.links_total, truncated: s.truncated }
}

/// Plain text (text/plain, JSON, XML, ...) as blocks: one per paragraph (blank-line
/// separated), line breaks kept.
pub fn text_to_page(text: &str) -> Page {
    let mut truncated = false;
    let text = if text.len() > MAX_EXTRACT_CHARS {
        truncated = true;
        let mut cut = MAX_EXTRACT_CHARS;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        &text[..cut]
    } else {
        text
    };
    let normalized = text.replace("\r\n", "\n");
    let blocks = normalized
        .split("\n\n")
        .map(|p| p.lines().map(str::trim_end).collect::<Vec<_>>().join("\n").trim_matches('\n').to_string())
        .filter(|p| !p.trim().is_empty())
        .map(|text| Block { kind: Kind::Paragraph, text })
        .collect();
    Page { title: None, blocks, links: Vec::new(), links_total: 0, truncated }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_links_and_skips() {
        let html = r#"<!doctype html><html><head><title> A &amp; B </title><style>p{x:1}</style>
            <script>var s = "<p>not text</p>";</script></head><body>
            <h1>Main  heading</h1><p>First <b>para</b> with <a href="/x?a=1&amp;b=2">a link</a>.</p>
            <ul><li>one</li><li>two<ul><li>inner</li></ul></li></ul>
            <table><tr><th>Name</th><th>Value</th></tr><tr><td>pi</td><td>3.14</td></tr></table>
            <noscript>enable js</noscript><svg><title>icon</title><text>svgtext</text></svg>
            <template><p>tmpl</p></template><p>caf&eacute; &#8220;q&#8221;</p></body></html>"#;
        let base = url::Url::parse("https://ex.org/dir/page").unwrap();
        let p = html_to_page(html, Some(&base));
        assert_eq!(p.title.as_deref(), Some("A & B"));
        let text = p.render();
        assert!(text.starts_with("# Main heading\n\nFirst para with a link."), "{text}");
        assert!(text.contains("- one\n- two\n- inner"), "{text}");
        assert!(text.contains("Name | Value\npi | 3.14"), "{text}");
        assert!(text.contains("café “q”"), "{text}");
        for bad in ["not text", "enable js", "icon", "svgtext", "tmpl", "x:1"] {
            assert!(!text.contains(bad), "{bad} in {text}");
        }
        assert_eq!(p.links, vec![Link { text: "a link".into(), url: "https://ex.org/x?a=1&b=2".into() }]);
    }

    #[test]
    fn charsets() {
        assert_eq!(charset_param("text/html; charset=\"ISO-8859-1\""), Some("ISO-8859-1".into()));
        assert_eq!(meta_charset(b"<html><head><META CHARSET='windows-1252'>"), Some("windows-1252".into()));
        assert_eq!(
            meta_charset(b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\">"),
            Some("iso-8859-1".into())
        );
        let (t, e) = decode(b"caf\xe9", Some("iso-8859-1"), true);
        assert_eq!((t.as_str(), e), ("café", "windows-1252"));
        let (t, _) = decode(b"<meta charset=windows-1252><p>\x93hi\x94", None, true);
        assert!(t.ends_with("“hi”"), "{t}");
        let (t, e) = decode("naïve".as_bytes(), None, true);
        assert_eq!((t.as_str(), e), ("naïve", "UTF-8"));
    }
}
