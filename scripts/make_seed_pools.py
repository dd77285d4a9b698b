#!/usr/bin/env python3
"""Write deriver/data/seeds/<domain>.jsonl: the entity seed pools dive ships.

Each line is {"value": ..., "type": ...}; the type is the semantic type the synthesis
policy uses to decide which tool parameters a seed can fill. Topic pools come from
DIVE's published seed lists (entity names are facts; pass their folder as argv[1]);
the typed identifiers below (drug names, Tushare codes, gene symbols) are added by hand.
"""
import json
import os
import sys

src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "shared", "reference", "dive", "seeds")
# argv[2]: where to write them (default deriver/data/seeds).
out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "deriver", "data", "seeds")
os.makedirs(out, exist_ok=True)

DRUGS = """aspirin ibuprofen acetaminophen metformin lisinopril atorvastatin simvastatin amlodipine
omeprazole losartan albuterol gabapentin hydrochlorothiazide sertraline furosemide warfarin
clopidogrel levothyroxine prednisone amoxicillin azithromycin ciprofloxacin doxycycline insulin
metoprolol carvedilol digoxin fluoxetine citalopram escitalopram bupropion venlafaxine duloxetine
tramadol morphine oxycodone naproxen celecoxib allopurinol colchicine montelukast fluticasone
budesonide pantoprazole ranitidine famotidine ondansetron cetirizine loratadine diphenhydramine
methotrexate tamoxifen letrozole imatinib rituximab adalimumab etanercept heparin enoxaparin
apixaban rivaroxaban dabigatran sitagliptin glipizide pioglitazone empagliflozin dapagliflozin
liraglutide semaglutide rosuvastatin ezetimibe spironolactone valsartan diltiazem verapamil
nitroglycerin sildenafil tadalafil finasteride tamsulosin alprazolam lorazepam diazepam zolpidem
quetiapine olanzapine risperidone aripiprazole lithium lamotrigine levetiracetam valproate
carbamazepine phenytoin topiramate sumatriptan propranolol hydroxychloroquine acyclovir
valacyclovir oseltamivir fluconazole nitrofurantoin trimethoprim vancomycin""".split()

TS_CODES = """600519.SH 000001.SZ 601398.SH 601939.SH 601288.SH 601988.SH 600036.SH 601318.SH
600000.SH 600030.SH 600276.SH 600887.SH 600900.SH 601166.SH 601328.SH 601601.SH 601628.SH
601857.SH 601088.SH 600028.SH 600104.SH 600585.SH 600309.SH 601012.SH 601899.SH 600690.SH
000002.SZ 000333.SZ 000651.SZ 000858.SZ 000568.SZ 002415.SZ 002594.SZ 300750.SZ 300059.SZ
300760.SZ 002475.SZ 000725.SZ 002304.SZ 000100.SZ 601668.SH 601390.SH 601186.SH 600048.SH
601888.SH 600809.SH 603288.SH 600438.SH 688981.SH 688111.SH""".split()

GENES = """BRCA1 BRCA2 TP53 EGFR KRAS BRAF PTEN MYC CFTR APOE HBB INS TNF IL6 VEGFA ESR1 AR ERBB2
CDKN2A RB1 APC MLH1 MSH2 ATM JAK2 FLT3 NPM1 IDH1 IDH2 ALK""".split()


def write(domain, rows):
    seen = set()
    with open(os.path.join(out, f"{domain}.jsonl"), "w") as f:
        for value, typ in rows:
            if (value, typ) in seen or not value.strip():
                continue
            seen.add((value, typ))
            f.write(json.dumps({"value": value, "type": typ}, ensure_ascii=False) + "\n")


def topics(domain):
    with open(os.path.join(src, f"seeds_{domain}.json")) as f:
        return [s.strip() for s in json.load(f) if isinstance(s, str) and s.strip()]


write("academic", [(t, "topic") for t in topics("academic")])
write("biological", [(g, "gene_symbol") for g in GENES] + [(t, "topic") for t in topics("biological")])
write("medical", [(d, "drug_name") for d in DRUGS] + [(t, "medical_term") for t in topics("medical")])
write("financial", [(c, "ts_code") for c in TS_CODES] + [(t, "topic") for t in topics("financial")])
print("seed pools written to", os.path.normpath(out))
