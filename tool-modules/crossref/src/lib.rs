//! The Crossref REST API (api.crossref.org). Every answer is Crossref's JSON envelope
//! `{status, message-type, message-version, message}`, passed through unchanged. Only
//! the parameters a caller gives are sent (Crossref's own defaults apply otherwise).
//! Crossref errors — `Resource not found.` as text, or a JSON validation failure listing
//! what was wrong — become `upstream` errors carrying Crossref's message.

use dive_tool_sdk::http::{self, encode, url_with_query};
use dive_tool_sdk::{Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

const API: &str = "https://api.crossref.org";

/// Crossref's answer envelope.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Envelope {
    pub status: String,
    #[serde(rename = "message-type")]
    pub message_type: String,
    #[serde(rename = "message-version", default, skip_serializing_if = "Option::is_none")]
    pub message_version: Option<String>,
    /// The work, member, journal, ... or a list page `{items, total-results, ...}`.
    pub message: Value,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// A path segment with reserved characters escaped; `/` kept (DOIs contain it and
/// Crossref accepts it unescaped).
fn path_part(s: &str) -> String {
    s.split('/').map(encode).collect::<Vec<_>>().join("/")
}

fn doi_part(raw: &str) -> Result<String, ToolError> {
    let r = raw.trim();
    let doi = r
        .strip_prefix("https://doi.org/")
        .or_else(|| r.strip_prefix("http://doi.org/"))
        .or_else(|| r.strip_prefix("http://dx.doi.org/"))
        .or_else(|| r.strip_prefix("doi:"))
        .unwrap_or(r);
    if doi.is_empty() || doi.contains("..") {
        return Err(ToolError::invalid(format!("'{raw}' is not a DOI")));
    }
    Ok(path_part(doi))
}

fn plain_id(what: &str, raw: &str) -> Result<String, ToolError> {
    let r = raw.trim();
    if r.is_empty() || r.contains("..") || r.contains('?') || r.contains('#') {
        return Err(ToolError::invalid(format!("'{raw}' is not a valid {what}")));
    }
    Ok(path_part(r))
}

/// Query parameters from optional values, in a fixed order.
fn params(pairs: &[(&'static str, Option<String>)]) -> Vec<(&'static str, String)> {
    pairs
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (*k, v.clone())))
        .collect()
}

fn check_rows(rows: Option<i64>, offset: Option<i64>, sample: Option<i64>) -> Result<(), ToolError> {
    if let Some(r) = rows {
        if !(0..=1000).contains(&r) {
            return Err(ToolError::invalid(format!("rows must be between 0 and 1000 (got {r})")));
        }
    }
    if let Some(o) = offset {
        if !(0..=10000).contains(&o) {
            return Err(ToolError::invalid(format!("offset must be between 0 and 10000 (got {o}); use cursor for deep paging")));
        }
    }
    if let Some(s) = sample {
        if !(1..=100).contains(&s) {
            return Err(ToolError::invalid(format!("sample must be between 1 and 100 (got {s})")));
        }
    }
    Ok(())
}

async fn get(path: &str, query: Vec<(&'static str, String)>) -> Result<Envelope, ToolError> {
    let url = url_with_query(&format!("{API}/{path}"), &query);
    let resp = http::get(&url).await?;
    if !resp.is_success() {
        let msg = match serde_json::from_slice::<Value>(&resp.body) {
            Ok(v) => match v.get("message") {
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|i| i.get("message").and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| i.to_string()))
                    .collect::<Vec<_>>()
                    .join("; "),
                Some(Value::String(s)) => s.clone(),
                _ => http::snippet(&resp.body),
            },
            Err(_) => http::snippet(&resp.body),
        };
        return Err(ToolError::upstream(format!("Crossref answered HTTP {}: {msg}", resp.status)));
    }
    resp.json()
}

// ---- argument shapes ----------------------------------------------------------------

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DoiArgs {
    /// The DOI, e.g. 10.1371/journal.pone.0020476 (doi: and https://doi.org/ forms accepted).
    #[schemars(length(min = 1), extend("x-dive-type" = "doi"))]
    pub doi: String,
    /// Contact e-mail for Crossref's polite pool.
    #[serde(default)]
    #[schemars(email)]
    pub mailto: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MembersArgs {
    /// Search text for member names.
    #[serde(default)]
    pub query: Option<String>,
    /// Filters, e.g. has-full-text:true.
    #[serde(default)]
    pub filter: Option<String>,
    /// Results per page (Crossref's default is 20).
    #[serde(default)]
    #[schemars(range(min = 1, max = 1000), extend("default" = 20))]
    pub rows: Option<i64>,
    /// 0-based offset of the first result.
    #[serde(default)]
    #[schemars(range(min = 0), extend("default" = 0))]
    pub offset: Option<i64>,
    /// Deep-paging cursor (* to start).
    #[serde(default)]
    pub cursor: Option<String>,
    #[serde(default)]
    #[schemars(email)]
    pub mailto: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberIdArgs {
    /// The Crossref member id, e.g. 98.
    #[schemars(extend("format" = "int64", "x-dive-type" = "crossref_member_id"))]
    pub id: i64,
    #[serde(default)]
    #[schemars(email)]
    pub mailto: Option<String>,
}

/// Declare a works-listing argument struct keyed by `$key` (member id, ISSN or funder id).
macro_rules! works_args {
    ($args:ident, $key:ident, $key_name:literal, $key_ty:ty, $key_doc:literal, $key_type:literal) => {
        #[derive(Debug, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $args {
            #[doc = $key_doc]
            #[serde(rename = $key_name)]
            #[schemars(extend("x-dive-type" = $key_type))]
            pub $key: $key_ty,
            /// Search text.
            #[serde(default)]
            pub query: Option<String>,
            /// Filters, e.g. from-pub-date:2020,has-license:true.
            #[serde(default)]
            pub filter: Option<String>,
            /// Facet counts to return, e.g. type-name:*.
            #[serde(default)]
            pub facet: Option<String>,
            /// Sort field, e.g. published or is-referenced-by-count.
            #[serde(default)]
            pub sort: Option<String>,
            /// asc or desc.
            #[serde(default)]
            #[schemars(regex(pattern = r"(asc|desc)"))]
            pub order: Option<String>,
            /// Results per page.
            #[serde(default)]
            #[schemars(extend("format" = "int64"))]
            pub rows: Option<i64>,
            /// 0-based offset.
            #[serde(default)]
            #[schemars(extend("format" = "int64"))]
            pub offset: Option<i64>,
            /// Deep-paging cursor (* to start).
            #[serde(default)]
            pub cursor: Option<String>,
            /// Comma-separated fields to return, e.g. DOI,title.
            #[serde(default)]
            #[schemars(regex(pattern = r"^\w+(,\w+)*$"))]
            pub select: Option<String>,
            /// A random sample of this many works.
            #[serde(default)]
            #[schemars(extend("format" = "int64"))]
            pub sample: Option<i64>,
            #[serde(default)]
            #[schemars(regex(pattern = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z]{2,6}$"))]
            pub mailto: Option<String>,
        }

        impl $args {
            fn query(&self) -> Result<Vec<(&'static str, String)>, ToolError> {
                check_rows(self.rows, self.offset, self.sample)?;
                Ok(params(&[
                    ("query", self.query.clone()),
                    ("filter", self.filter.clone()),
                    ("facet", self.facet.clone()),
                    ("sort", self.sort.clone()),
                    ("order", self.order.clone()),
                    ("rows", self.rows.map(|v| v.to_string())),
                    ("offset", self.offset.map(|v| v.to_string())),
                    ("cursor", self.cursor.clone()),
                    ("select", self.select.clone()),
                    ("sample", self.sample.map(|v| v.to_string())),
                    ("mailto", self.mailto.clone()),
                ]))
            }
        }
    };
}

works_args!(MemberWorksArgs, id, "id", i64, "The Crossref member id.", "crossref_member_id");
works_args!(JournalWorksArgs, issn, "issn", String, "The journal's ISSN, e.g. 1932-6203.", "issn");
works_args!(FunderWorksArgs, funder_id, "funder_id", String, "The funder id, e.g. 10.13039/100000001.", "funder_id");

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JournalsArgs {
    /// Search text for journal titles.
    #[serde(default)]
    pub query: Option<String>,
    /// Results per page.
    #[serde(default)]
    #[schemars(extend("format" = "int64"))]
    pub rows: Option<i64>,
    /// 0-based offset.
    #[serde(default)]
    #[schemars(extend("format" = "int64"))]
    pub offset: Option<i64>,
    /// Deep-paging cursor (* to start).
    #[serde(default)]
    pub cursor: Option<String>,
    #[serde(default)]
    #[schemars(regex(pattern = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z]{2,6}$"))]
    pub mailto: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FundersArgs {
    /// Search text for funder names.
    #[serde(default)]
    pub query: Option<String>,
    /// A location filter, e.g. location:Germany.
    #[serde(default)]
    #[schemars(regex(pattern = r"location:.*"))]
    pub filter: Option<String>,
    /// Results per page.
    #[serde(default)]
    #[schemars(extend("format" = "int64"))]
    pub rows: Option<i64>,
    /// 0-based offset.
    #[serde(default)]
    #[schemars(extend("format" = "int64"))]
    pub offset: Option<i64>,
    /// Deep-paging cursor (* to start).
    #[serde(default)]
    pub cursor: Option<String>,
    #[serde(default)]
    #[schemars(regex(pattern = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z]{2,6}$"))]
    pub mailto: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TypesArgs {
    /// Results per page.
    #[serde(default)]
    #[schemars(extend("format" = "int64"))]
    pub rows: Option<i64>,
    /// 0-based offset.
    #[serde(default)]
    #[schemars(extend("format" = "int64"))]
    pub offset: Option<i64>,
    #[serde(default)]
    #[schemars(regex(pattern = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z]{2,6}$"))]
    pub mailto: Option<String>,
}

/// Declare an "id + mailto" argument struct.
macro_rules! id_args {
    ($args:ident, $field:ident, $doc:literal, $dtype:literal) => {
        #[derive(Debug, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $args {
            #[doc = $doc]
            #[schemars(extend("x-dive-type" = $dtype))]
            pub $field: String,
            #[serde(default)]
            #[schemars(regex(pattern = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z]{2,6}$"))]
            pub mailto: Option<String>,
        }
    };
}

id_args!(IssnArgs, issn, "The journal's ISSN, e.g. 1932-6203.", "issn");
id_args!(FunderIdArgs, id, "The funder id, e.g. 10.13039/100000001 or 100000001.", "funder_id");
id_args!(PrefixArgs, prefix, "A DOI prefix, e.g. 10.1016.", "doi_prefix");
id_args!(TypeIdArgs, id, "A work type id, e.g. journal-article.", "crossref_type");
id_args!(AgencyDoiArgs, doi, "The DOI whose registration agency to look up.", "doi");

// ---- tools --------------------------------------------------------------------------

macro_rules! tool {
    ($ty:ident, $name:literal, $args:ty, $desc:literal, |$a:ident| $body:expr) => {
        pub struct $ty;
        impl Tool for $ty {
            const NAME: &'static str = $name;
            const DESCRIPTION: &'static str = $desc;
            type Args = $args;
            type Output = Envelope;
            async fn run($a: $args) -> Result<Envelope, ToolError> {
                $body.await
            }
        }
    };
}

/// The query of a listing route (members, journals, funders, licenses, types): checks
/// rows/offset, then sends only the parameters given.
fn listing(
    query: &Option<String>,
    filter: &Option<String>,
    rows: Option<i64>,
    offset: Option<i64>,
    cursor: &Option<String>,
    mailto: &Option<String>,
) -> Result<Vec<(&'static str, String)>, ToolError> {
    check_rows(rows, offset, None)?;
    Ok(params(&[
        ("query", query.clone()),
        ("filter", filter.clone()),
        ("rows", rows.map(|v| v.to_string())),
        ("offset", offset.map(|v| v.to_string())),
        ("cursor", cursor.clone()),
        ("mailto", mailto.clone()),
    ]))
}

fn mail(m: &Option<String>) -> Vec<(&'static str, String)> {
    params(&[("mailto", m.clone())])
}

tool!(GetWork, "crossref_get_work", DoiArgs, "Fetch the Crossref metadata of one work by DOI.", |a| async move {
    get(&format!("works/{}", doi_part(&a.doi)?), mail(&a.mailto)).await
});
tool!(Members, "crossref_members", MembersArgs, "Search or list Crossref members (publishers and other registrants).", |a| async move {
    get("members", listing(&a.query, &a.filter, a.rows, a.offset, &a.cursor, &a.mailto)?).await
});
tool!(GetMember, "crossref_get_member", MemberIdArgs, "Fetch one Crossref member by id, with its counts and coverage.", |a| async move {
    get(&format!("members/{}", a.id), mail(&a.mailto)).await
});
tool!(MemberWorks, "crossref_member_works", MemberWorksArgs, "List or search the works registered by one Crossref member.", |a| async move {
    let q = a.query()?;
    get(&format!("members/{}/works", a.id), q).await
});
tool!(Journals, "crossref_journals", JournalsArgs, "Search or list journals known to Crossref.", |a| async move {
    get("journals", listing(&a.query, &None, a.rows, a.offset, &a.cursor, &a.mailto)?).await
});
tool!(GetJournal, "crossref_get_journal", IssnArgs, "Fetch one journal by ISSN.", |a| async move {
    get(&format!("journals/{}", plain_id("ISSN", &a.issn)?), mail(&a.mailto)).await
});
tool!(JournalWorks, "crossref_journal_works", JournalWorksArgs, "List or search the works published in one journal (by ISSN).", |a| async move {
    let q = a.query()?;
    get(&format!("journals/{}/works", plain_id("ISSN", &a.issn)?), q).await
});
tool!(Funders, "crossref_funders", FundersArgs, "Search or list research funders in the Crossref funder registry.", |a| async move {
    get("funders", listing(&a.query, &a.filter, a.rows, a.offset, &a.cursor, &a.mailto)?).await
});
tool!(GetFunder, "crossref_get_funder", FunderIdArgs, "Fetch one funder from the Crossref funder registry.", |a| async move {
    get(&format!("funders/{}", plain_id("funder id", &a.id)?), mail(&a.mailto)).await
});
tool!(FunderWorks, "crossref_funder_works", FunderWorksArgs, "List or search the works that acknowledge one funder.", |a| async move {
    let q = a.query()?;
    get(&format!("funders/{}/works", plain_id("funder id", &a.funder_id)?), q).await
});
tool!(GetPrefix, "crossref_get_prefix", PrefixArgs, "Look up the owner of a DOI prefix.", |a| async move {
    get(&format!("prefixes/{}", plain_id("DOI prefix", &a.prefix)?), mail(&a.mailto)).await
});
tool!(Types, "crossref_types", TypesArgs, "List the work types Crossref uses.", |a| async move {
    get("types", listing(&None, &None, a.rows, a.offset, &None, &a.mailto)?).await
});
tool!(GetType, "crossref_get_type", TypeIdArgs, "Fetch one Crossref work type by id.", |a| async move {
    get(&format!("types/{}", plain_id("type id", &a.id)?), mail(&a.mailto)).await
});
tool!(Licenses, "crossref_licenses", JournalsArgs, "List or search the license URLs attached to Crossref works.", |a| async move {
    get("licenses", listing(&a.query, &None, a.rows, a.offset, &a.cursor, &a.mailto)?).await
});
tool!(WorkAgency, "crossref_work_agency", AgencyDoiArgs, "Find which registration agency (Crossref, DataCite, ...) a DOI belongs to.", |a| async move {
    get(&format!("works/{}/agency", doi_part(&a.doi)?), mail(&a.mailto)).await
});

dive_tool_sdk::export_tools!(
    GetWork, Members, GetMember, MemberWorks, Journals, GetJournal, JournalWorks, Funders, GetFunder, FunderWorks, GetPrefix, Types, GetType, Licenses, WorkAgency,
);
