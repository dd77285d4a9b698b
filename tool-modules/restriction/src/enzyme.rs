//! One restriction enzyme as Bio.Restriction models it, and its search and digestion
//! of a linear sequence (Biopython's default topology).

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Cuts {
    NoCut,
    OneCut,
    TwoCuts,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Ends {
    Blunt,
    Ov5,
    Ov3,
    Unknown,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Definition {
    Defined,
    Ambiguous,
    NotDefined,
}

pub struct Enzyme {
    pub name: &'static str,
    /// REBASE recognition site (IUPAC).
    pub site: &'static str,
    /// Biopython's search pattern of the site ('.' any, '[..]' a class).
    pub forward: &'static str,
    /// The pattern of the reverse-complement site (non-palindromic enzymes only).
    pub reverse: Option<&'static str>,
    pub size: usize,
    pub fst5: Option<i64>,
    pub fst3: Option<i64>,
    pub scd5: Option<i64>,
    pub scd3: Option<i64>,
    pub ovhg: Option<i64>,
    pub ovhgseq: Option<&'static str>,
    pub freq: f64,
    pub id: Option<u64>,
    /// Supplier codes.
    pub suppl: &'static str,
    pub cuts: Cuts,
    pub palindromic: bool,
    pub ends: Ends,
    pub definition: Definition,
    pub methylable: bool,
    pub commercial: bool,
}

/// A base of the formatted sequence as a bit: A C G T, and the leading space
/// Biopython puts in front of the sequence (1-based indexing).
fn bit(b: u8) -> u8 {
    match b {
        b'A' => 1,
        b'C' => 2,
        b'G' => 4,
        b'T' => 8,
        _ => 16,
    }
}

/// A search pattern as one mask per position ('.' matches anything but a newline).
fn masks(pattern: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut in_class = false;
    let mut class = 0u8;
    for b in pattern.bytes() {
        match b {
            b'[' => {
                in_class = true;
                class = 0;
            }
            b']' => {
                in_class = false;
                out.push(class);
            }
            b'.' => out.push(31),
            _ if in_class => class |= bit(b),
            _ => out.push(bit(b)),
        }
    }
    out
}

fn matches_at(data: &[u8], i: usize, m: &[u8]) -> bool {
    i + m.len() <= data.len()
        && m.iter()
            .zip(&data[i..])
            .all(|(&mask, &b)| mask & bit(b) != 0)
}

fn need(v: Option<i64>, what: &str, name: &str) -> Result<i64, String> {
    v.ok_or_else(|| format!("{name}: the cut position {what} is not defined"))
}

impl Enzyme {
    /// `_modify`: the cut(s) of a site matched at `loc` on the given strand.
    fn modify(&self, loc: i64, out: &mut Vec<i64>) -> Result<(), String> {
        match self.cuts {
            Cuts::NoCut => out.push(loc),
            Cuts::OneCut => out.push(loc + need(self.fst5, "fst5", self.name)?),
            Cuts::TwoCuts => {
                out.push(loc + need(self.fst5, "fst5", self.name)?);
                out.push(loc + need(self.scd5, "scd5", self.name)?);
            }
        }
        Ok(())
    }

    /// `_rev_modify`: the same for a site on the antiparallel strand.
    fn rev_modify(&self, loc: i64, out: &mut Vec<i64>) -> Result<(), String> {
        match self.cuts {
            Cuts::NoCut => out.push(loc),
            Cuts::OneCut => out.push(loc - need(self.fst3, "fst3", self.name)?),
            Cuts::TwoCuts => {
                out.push(loc - need(self.fst3, "fst3", self.name)?);
                out.push(loc - need(self.scd3, "scd3", self.name)?);
            }
        }
        Ok(())
    }

    /// `RE.search(Seq(seq), linear=True)`: 1-based positions of the first base after
    /// each cut, in Biopython's order. `seq` holds upper-case A C G T only.
    pub fn search(&self, seq: &str) -> Result<Vec<i64>, String> {
        let mut data = Vec::with_capacity(seq.len() + 1);
        data.push(b' ');
        data.extend_from_slice(seq.as_bytes());
        let fwd = masks(self.forward);
        let rev = self.reverse.map(masks);
        let mut results = Vec::new();
        let mut on_minus = Vec::new();
        for i in 0..data.len() {
            if matches_at(&data, i, &fwd) {
                self.modify(i as i64, &mut results)?;
            } else if let Some(r) = &rev {
                if matches_at(&data, i, r) {
                    self.rev_modify(i as i64, &mut on_minus)?;
                }
            }
        }
        if !self.palindromic {
            results.extend(on_minus);
            if !results.is_empty() {
                results.sort_unstable();
            }
        }
        if !results.is_empty() && self.definition != Definition::NotDefined {
            // `_drop` for a linear sequence: both strands' cuts must fall inside it.
            let length = seq.len() as i64;
            let ovhg = need(self.ovhg, "ovhg", self.name)?;
            results.retain(|&c| {
                let crick = c - ovhg;
                1 < c && c <= length && 1 < crick && crick <= length
            });
        }
        Ok(results)
    }

    /// `RE.catalyse(Seq(seq), linear=True)`: the fragments of the digestion, or an
    /// error when there would be more than `max` of them.
    pub fn catalyse(&self, seq: &str, max: usize) -> Result<Vec<String>, String> {
        if self.ends == Ends::Unknown {
            return Err(format!(
                "{} cuts at an unknown place: Biopython cannot digest with it",
                self.name
            ));
        }
        let r = self.search(seq)?;
        if r.is_empty() {
            return Ok(vec![seq.to_string()]);
        }
        if r.len() + 1 > max {
            return Err(format!(
                "{} fragments: more than {max} (the result must fit the 16 MiB output cap); digest a shorter sequence",
                r.len() + 1
            ));
        }
        // Python slices of " " + seq (indices here are all >= 1).
        let n = seq.len() as i64 + 1;
        let slice = |a: i64, b: i64| -> String {
            let (a, b) = (a.clamp(1, n), b.clamp(1, n));
            if a >= b {
                String::new()
            } else {
                seq[(a - 1) as usize..(b - 1) as usize].to_string()
            }
        };
        let mut fragments = vec![slice(1, r[0])];
        for w in r.windows(2) {
            fragments.push(slice(w[0], w[1]));
        }
        fragments.push(slice(r[r.len() - 1], n));
        Ok(fragments)
    }

    /// `RE.overhang()`.
    pub fn overhang(&self) -> &'static str {
        match self.ends {
            Ends::Blunt => "blunt",
            Ends::Ov5 => "5' overhang",
            Ends::Ov3 => "3' overhang",
            Ends::Unknown => "unknown",
        }
    }
}
