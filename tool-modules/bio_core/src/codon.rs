//! Genetic codes and translation with the semantics of Biopython's
//! `Bio.Seq.translate` on the "ambiguous generic" tables
//! (`CodonTable.ambiguous_generic_by_id`), which is what `Seq.translate(table=N)`
//! uses:
//!
//! * DNA and RNA letters are both accepted, even mixed inside one codon (T reads as U).
//! * An ambiguous codon (IUPAC codes) translates to the one amino acid all its
//!   readings give, else to the narrowest ambiguous amino acid letter that covers
//!   them all (B = D/N, Z = E/Q, J = I/L, then X); if every reading is a stop, it is
//!   a stop; if some readings are stops and others are not, it is a possible stop and
//!   becomes `X` — but only when none of its letters is Biopython's historical `X`
//!   (read as N inside the lookup, yet missing from the IUPAC letter strings), so
//!   `TAN` gives `X` while `TAX` is an invalid codon.
//! * A codon of three gap characters becomes the gap character when one is given.
//! * Anything else is an invalid codon: an error.

use crate::data::{
    CodonTableData, AMBIGUOUS_DNA_LETTERS, AMBIGUOUS_RNA_LETTERS, AMBIGUOUS_RNA_VALUES,
    CODON_TABLES, EXTENDED_PROTEIN_VALUES,
};

/// Bit per base: A, C, G, U (T reads as U).
fn base_bit(b: u8) -> u8 {
    match b {
        b'A' => 1,
        b'C' => 2,
        b'G' => 4,
        b'U' | b'T' => 8,
        _ => 0,
    }
}

/// The readings of every letter of Biopython's merged table (`ambiguous_rna_values`
/// plus `T` read as `U`), as base bit masks; 0 for any other byte.
fn letter_masks() -> [u8; 256] {
    let mut masks = [0u8; 256];
    for (letter, values) in AMBIGUOUS_RNA_VALUES {
        masks[letter.as_bytes()[0] as usize] = values.bytes().fold(0, |m, b| m | base_bit(b));
    }
    masks[b'T' as usize] = masks[b'U' as usize];
    masks
}

/// Index of an unambiguous codon (A, C, G, T/U letters) in the 64-entry tables.
fn codon_index(codon: &str) -> usize {
    codon
        .bytes()
        .fold(0, |i, b| i * 4 + base_bit(b).trailing_zeros() as usize)
}

/// What the forward table says about a codon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Forward {
    /// It codes for this amino acid letter.
    Amino(u8),
    /// No reading codes (every reading is a stop), or a letter is not a nucleotide code.
    NoCode,
    /// Readings disagree (stops and amino acids, or amino acids with no common letter).
    Ambiguous,
}

#[derive(Debug, Clone, Copy)]
struct Resolved {
    forward: Forward,
    /// In Biopython's (ambiguity-extended) stop codon list.
    stop: bool,
    /// In Biopython's (ambiguity-extended) start codon list.
    start: bool,
}

const UNKNOWN: Resolved = Resolved {
    forward: Forward::NoCode,
    stop: false,
    start: false,
};

/// One genetic code, ready to translate.
pub struct GeneticCode {
    pub data: &'static CodonTableData,
    /// Per unambiguous codon (index over A, C, G, U): amino acid letter or 0.
    forward: [u8; 64],
    stop: [bool; 64],
    start: [bool; 64],
    masks: [u8; 256],
    /// Index of each merged letter in `cache` (or 255).
    letter_slot: [u8; 256],
    /// How many merged letters there are.
    letters: usize,
    /// Resolutions of every codon over the merged letters, computed on first use.
    cache: Vec<Option<Resolved>>,
    /// Amino acid letter of each ambiguous protein code, with its readings as a bit set.
    protein_codes: Vec<(u8, u32, usize)>,
    /// Letters that make an unresolvable codon a possible stop (`X`).
    valid_letters: [bool; 256],
}

/// The Biopython table with this NCBI id.
pub fn table_by_id(id: u32) -> Option<&'static CodonTableData> {
    CODON_TABLES.iter().find(|t| u32::from(t.id) == id)
}

/// All tables, by id.
pub fn tables() -> &'static [CodonTableData] {
    CODON_TABLES
}

pub fn known_ids() -> String {
    CODON_TABLES
        .iter()
        .map(|t| t.id.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl GeneticCode {
    pub fn new(id: u32) -> Result<GeneticCode, String> {
        let data = table_by_id(id).ok_or_else(|| {
            format!(
                "there is no genetic code table {id}; the NCBI tables are {}",
                known_ids()
            )
        })?;
        let mut forward = [0u8; 64];
        for (codon, aa) in data.forward {
            forward[codon_index(codon)] = aa.as_bytes()[0];
        }
        let mut stop = [false; 64];
        for codon in data.stop_codons {
            stop[codon_index(codon)] = true;
        }
        let mut start = [false; 64];
        for codon in data.start_codons {
            start[codon_index(codon)] = true;
        }
        let masks = letter_masks();
        let mut letter_slot = [255u8; 256];
        let mut n = 0u8;
        for (i, m) in masks.iter().enumerate() {
            if *m != 0 {
                letter_slot[i] = n;
                n += 1;
            }
        }
        let n = usize::from(n);
        let protein_codes = EXTENDED_PROTEIN_VALUES
            .iter()
            .map(|(code, values)| {
                let set = values.bytes().fold(0u32, |s, b| s | 1 << (b - b'A'));
                (code.as_bytes()[0], set, values.len())
            })
            .collect();
        let mut valid_letters = [false; 256];
        for b in AMBIGUOUS_DNA_LETTERS
            .bytes()
            .chain(AMBIGUOUS_RNA_LETTERS.bytes())
        {
            valid_letters[b as usize] = true;
        }
        Ok(GeneticCode {
            data,
            forward,
            stop,
            start,
            masks,
            letter_slot,
            letters: n,
            cache: vec![None; n * n * n],
            protein_codes,
            valid_letters,
        })
    }

    /// Stop codons that also code for an amino acid (tables 27, 28, 31): Biopython
    /// translates them as the amino acid and refuses `to_stop`.
    pub fn dual_coding(&self) -> Vec<(&'static str, &'static str)> {
        self.data
            .stop_codons
            .iter()
            .filter_map(|c| {
                self.data
                    .forward
                    .iter()
                    .find(|(f, _)| f == c)
                    .map(|(f, aa)| (*f, *aa))
            })
            .collect()
    }

    fn resolve(&mut self, codon: &[u8]) -> Resolved {
        let slots = [
            self.letter_slot[codon[0] as usize],
            self.letter_slot[codon[1] as usize],
            self.letter_slot[codon[2] as usize],
        ];
        if slots.contains(&255) {
            return UNKNOWN;
        }
        let n = self.letters;
        let key = (usize::from(slots[0]) * n + usize::from(slots[1])) * n + usize::from(slots[2]);
        if let Some(r) = self.cache[key] {
            return r;
        }
        let r = self.compute(codon);
        self.cache[key] = Some(r);
        r
    }

    /// Biopython's AmbiguousForwardTable lookup plus membership in the
    /// list_ambiguous_codons() start and stop lists, for a codon of merged letters.
    fn compute(&self, codon: &[u8]) -> Resolved {
        let m = [
            self.masks[codon[0] as usize],
            self.masks[codon[1] as usize],
            self.masks[codon[2] as usize],
        ];
        let mut aminos = 0u32;
        let mut non_coding = false;
        let mut all_stop = true;
        let mut all_start = true;
        for a in 0..4 {
            if m[0] & (1 << a) == 0 {
                continue;
            }
            for b in 0..4 {
                if m[1] & (1 << b) == 0 {
                    continue;
                }
                for c in 0..4 {
                    if m[2] & (1 << c) == 0 {
                        continue;
                    }
                    let i = a * 16 + b * 4 + c;
                    match self.forward[i] {
                        0 => non_coding = true,
                        aa => aminos |= 1 << (aa - b'A'),
                    }
                    all_stop &= self.stop[i];
                    all_start &= self.start[i];
                }
            }
        }
        let forward = if non_coding {
            if aminos != 0 {
                Forward::Ambiguous
            } else {
                Forward::NoCode
            }
        } else if aminos.count_ones() == 1 {
            Forward::Amino(b'A' + aminos.trailing_zeros() as u8)
        } else {
            // The narrowest ambiguous protein code covering every reading; ties by letter.
            self.protein_codes
                .iter()
                .filter(|(_, set, _)| set & aminos == aminos)
                .min_by_key(|(code, _, len)| (*len, *code))
                .map_or(Forward::Ambiguous, |(code, _, _)| Forward::Amino(*code))
        };
        Resolved {
            forward,
            stop: all_stop,
            start: all_start,
        }
    }

    /// Translate a nucleotide sequence (ASCII) like
    /// `Bio.Seq.Seq(seq).translate(table, stop_symbol, to_stop, cds, gap)`.
    pub fn translate(&mut self, seq: &str, opts: &TranslateOptions) -> Result<Translation, String> {
        let id = self.data.id;
        if opts.to_stop {
            let dual = self.dual_coding();
            if let Some((codon, aa)) = dual.first() {
                return Err(format!(
                    "to_stop cannot be used with table {id}: its stop codon {codon} also codes for {aa} \
                     (Biopython translates such codons as the amino acid)"
                ));
            }
        }
        let seq = seq.to_ascii_uppercase();
        let bytes = seq.as_bytes();
        let n = bytes.len();
        let mut protein = Vec::with_capacity(n / 3 + 1);
        let body = if opts.cds {
            let first = String::from_utf8_lossy(&bytes[..n.min(3)]);
            if n < 3 || !self.resolve(&bytes[..3]).start {
                return Err(format!(
                    "cds: the first codon '{first}' is not a start codon of table {id}"
                ));
            }
            if n % 3 != 0 {
                return Err(format!(
                    "cds: the sequence length {n} is not a multiple of three"
                ));
            }
            if !self.resolve(&bytes[n - 3..]).stop {
                return Err(format!(
                    "cds: the final codon '{}' is not a stop codon of table {id}",
                    String::from_utf8_lossy(&bytes[n - 3..])
                ));
            }
            protein.push(b'M');
            if n >= 6 {
                &bytes[3..n - 3]
            } else {
                &bytes[0..0]
            }
        } else {
            bytes
        };
        let partial_codon = !opts.cds && n % 3 != 0;
        for codon in body.chunks_exact(3) {
            let r = self.resolve(codon);
            if let Forward::Amino(aa) = r.forward {
                protein.push(aa);
            } else if r.stop {
                if opts.cds {
                    return Err(format!(
                        "cds: extra in-frame stop codon '{}' found",
                        String::from_utf8_lossy(codon)
                    ));
                }
                if opts.to_stop {
                    break;
                }
                protein.extend_from_slice(opts.stop_symbol.as_bytes());
            } else if codon.iter().all(|&b| self.valid_letters[b as usize]) {
                // A possible stop codon (e.g. TAN or NNN).
                protein.push(b'X');
            } else if opts.gap.is_some_and(|g| codon.iter().all(|&b| b == g)) {
                protein.push(opts.gap.unwrap_or(b'-'));
            } else {
                return Err(format!(
                    "codon '{}' is invalid",
                    String::from_utf8_lossy(codon)
                ));
            }
        }
        if !protein.is_ascii() {
            return Err(format!(
                "a stop codon is written with the stop symbol {:?}, which is not ASCII: \
                 Biopython's Seq holds ASCII text only (it raises UnicodeEncodeError)",
                opts.stop_symbol
            ));
        }
        let protein = String::from_utf8(protein).expect("ASCII bytes are UTF-8");
        Ok(Translation {
            protein,
            partial_codon,
        })
    }
}

pub struct TranslateOptions<'a> {
    pub stop_symbol: &'a str,
    pub to_stop: bool,
    pub cds: bool,
    /// The gap character (ASCII), if any. A non-ASCII gap never matches a codon of an
    /// ASCII sequence, so it is the same as none.
    pub gap: Option<u8>,
}

pub struct Translation {
    pub protein: String,
    /// The length was not a multiple of three: the trailing partial codon was not
    /// translated (Biopython warns).
    pub partial_codon: bool,
}

/// Biopython's naive back table: for each amino acid, the last codon (in sorted
/// order) that codes for it, in the order the amino acids first appear when the
/// codons are sorted.
pub fn back_table(data: &CodonTableData) -> Vec<(&'static str, &'static str)> {
    let mut codons: Vec<(&'static str, &'static str)> = data.forward.to_vec();
    codons.sort();
    let mut out: Vec<(&'static str, &'static str)> = Vec::new();
    for (codon, aa) in codons {
        match out.iter_mut().find(|(a, _)| *a == aa) {
            Some(slot) => slot.1 = codon,
            None => out.push((aa, codon)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tr(
        seq: &str,
        table: u32,
        to_stop: bool,
        cds: bool,
        gap: Option<u8>,
    ) -> Result<String, String> {
        let opts = TranslateOptions {
            stop_symbol: "*",
            to_stop,
            cds,
            gap,
        };
        GeneticCode::new(table)?
            .translate(seq, &opts)
            .map(|t| t.protein)
    }

    #[test]
    fn biopython_doc_examples() {
        let dna = "GTGGCCATTGTAATGGGCCGCTGAAAGGGTGCCCGATAG";
        assert_eq!(tr(dna, 1, false, false, None).unwrap(), "VAIVMGR*KGAR*");
        assert_eq!(tr(dna, 1, true, false, None).unwrap(), "VAIVMGR");
        assert_eq!(tr(dna, 2, false, false, None).unwrap(), "VAIVMGRWKGAR*");
        assert_eq!(tr(dna, 2, false, true, None).unwrap(), "MAIVMGRWKGAR");
        assert!(tr(dna, 1, false, true, None).is_err());
        assert_eq!(tr("TAR", 1, false, false, None).unwrap(), "*");
        assert_eq!(tr("TAN", 1, false, false, None).unwrap(), "X");
        assert!(tr("TA?", 1, false, false, None).is_err());
        assert_eq!(
            tr("ATGGCACGGAAGTGA", 27, false, false, None).unwrap(),
            "MARKW"
        );
        assert_eq!(
            tr("ATGGCACGGAAGTGA", 27, false, true, None).unwrap(),
            "MARK"
        );
        assert!(tr("ATGGCACGGAAGTGA", 27, true, false, None).is_err());
        assert_eq!(
            tr("RATGAYMTATUG---", 1, false, false, Some(b'-')).unwrap(),
            "BDJL-"
        );
        assert!(tr("ATG", 7, false, false, None).is_err());
    }

    #[test]
    fn a_non_ascii_stop_symbol_fails_only_when_written() {
        let opts = |stop_symbol| TranslateOptions {
            stop_symbol,
            to_stop: false,
            cds: false,
            gap: None,
        };
        let mut code = GeneticCode::new(1).unwrap();
        assert_eq!(code.translate("ATG?", &opts("é")).unwrap().protein, "M");
        assert!(code.translate("ATGTAA", &opts("é")).is_err());
        assert_eq!(
            code.translate("ATGTAA", &opts("\n")).unwrap().protein,
            "M\n"
        );
        assert!(code.translate("ATG1AA", &opts("*")).is_err());
    }

    #[test]
    fn back_table_matches_biopython_order() {
        let t = table_by_id(1).unwrap();
        let b = back_table(t);
        assert_eq!(b[0], ("K", "AAG"));
        assert_eq!(b.last().unwrap(), &("F", "TTT"));
        assert_eq!(b.iter().find(|(a, _)| *a == "L").unwrap().1, "TTG");
    }
}
