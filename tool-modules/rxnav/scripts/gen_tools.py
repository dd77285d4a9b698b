#!/usr/bin/env python3
"""Generate src/tools.json, the table the rxnav component serves its 79 tools from.

Facts that must match the DIVE catalog (tool names, parameter names, types, required,
enums, bounds, defaults, patterns) are read from the catalog; everything else -- the
RxNav endpoint, the upstream query name of each parameter, semantic types, the response
groups and every description -- is written here by hand.

    python3 scripts/gen_tools.py [path/to/medical.json [OUT]]   (OUT: default src/tools.json)

Default catalog path: ../../../shared/reference/dive/tool-catalog/medical.json
(relative to this crate). Prints any conflict between duplicate catalog entries.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CRATE = os.path.dirname(HERE)
DEFAULT_CATALOG = os.path.join(CRATE, "../../../shared/reference/dive/tool-catalog/medical.json")

# Schema keywords that are catalog facts (descriptions are ours).
FACT_KEYS = ["type", "enum", "minimum", "maximum", "minLength", "maxLength", "pattern", "default"]

# ---------------------------------------------------------------------------------------
# Parameter descriptions and semantic types shared by many tools, by parameter name.
# A tool may override either in its own entry.
# ---------------------------------------------------------------------------------------
COMMON = {
    "rxcui": ("RxNorm concept unique identifier (digits only), e.g. 161 for acetaminophen.", "rxcui"),
    "name": ("Drug name to look up (ingredient, brand or full drug description).", "drug_name"),
    "term": ("Free-text drug name; misspellings and partial names are tolerated.", "drug_name"),
    "tty": ("One or more RxNorm term types separated by spaces (e.g. 'IN', 'SCD SBD', 'BN').", "term_type"),
    "expand": ("Extra fields to include in each concept; 'psn' adds the prescribable name.", None),
    "allsrc": ("'0' limits the lookup to active RxNorm concepts; '1' also searches current concepts from every source vocabulary.", None),
    "srclist": ("Source vocabularies to restrict to (space-separated abbreviations such as 'MMSL GS'); only used with allsrc=1.", "rxnorm_source"),
    "search": ("Matching strategy: '0' exact, '1' normalized, '2' exact then normalized, '9' approximate.", None),
    "idtype": ("Kind of identifier given in 'id' (for example NDC, UNII_CODE, SPL_SET_ID, or a source vocabulary such as MMSL).", "rxnorm_id_type"),
    "id": ("The identifier to resolve, interpreted according to 'idtype'.", None),
    "maxEntries": ("Largest number of candidate matches to return.", None),
    "option": ("'0' searches all RxNorm concepts; '1' only concepts that have an RxNorm atom.", None),
    "propName": ("Name of a concept property, e.g. 'RxNorm Name', 'TTY', 'UNII_CODE' (see the property-name list tools).", "rxnorm_property"),
    "prop": ("Property categories to return, separated by spaces (e.g. 'names codes attributes'), or 'all'.", "rxnorm_prop_category"),
    "ingredientids": ("RxCUIs of ingredients, separated by spaces; brands containing all of them are returned.", "rxcui"),
    "rela": ("Relationship name, e.g. 'has_ingredient' or 'tradename_of'; several may be separated by spaces.", "rxnorm_relation"),
    "start": ("Term type the paths must begin at, e.g. 'SCD'; any when omitted.", "term_type"),
    "finish": ("Term type the paths must end at, e.g. 'IN'; any when omitted.", "term_type"),
    "ndcstatus": ("Which NDCs to consider by status: 'active', 'obsolete', 'alien' or 'all'.", None),
    "ndc": ("National Drug Code, 10 or 11 digits, with or without hyphens.", "ndc"),
    "status": ("Concept or NDC status to list (e.g. 'Active', 'Obsolete', 'Remapped'); several may be separated by spaces.", None),
    "history": ("How much history to include (service-defined levels; '0' = current only).", None),
    "classTypes": ("Class types to keep, separated by spaces (e.g. 'ATC1-4 EPC MOA'); all types when omitted.", "rxclass_type"),
    "classType": ("Class type to restrict to (e.g. 'ATC1-4', 'EPC', 'MOA', 'DISEASE').", "rxclass_type"),
    "className": ("Drug class name or synonym to look up, e.g. 'Beta-Adrenergic Blockers'.", "rxclass_name"),
    "classId": ("RxClass class identifier, e.g. an ATC code ('C07AA') or a MED-RT/MeSH id ('N0000175556').", "rxclass_id"),
    "relaSource": ("Source asserting drug-class relations, e.g. 'ATC', 'MEDRT', 'VA', 'DAILYMED', 'FDASPL', 'MESH'.", "rxclass_source"),
    "relas": ("Drug-class relationship names to keep, separated by spaces (e.g. 'may_treat has_epc').", "rxclass_relation"),
    "drugName": ("Drug name to classify (ingredient or brand name).", "drug_name"),
    "trans": ("'0' returns only drugs directly linked to the class; '1' adds those linked through subclasses.", None),
    "ttys": ("Term types of the member drugs to return, separated by spaces (e.g. 'IN PIN').", "term_type"),
    "source": ("Class source whose hierarchy should be followed (e.g. 'MESHPA', 'ATC').", "rxclass_source"),
    "scoreType": ("Similarity measure: '0' equivalence, '1' inclusion of the first in the second, '2' inclusion of the second in the first.", None),
    "top": ("Maximum number of similar classes to return.", None),
    "equivalenceThreshold": ("Lowest equivalence score (0 to 1) a similar class must reach.", None),
    "inclusionThreshold": ("Lowest inclusion score (0 to 1) a similar class must reach.", None),
    "rxcuis": ("RxCUIs of the drugs, separated by spaces.", "rxcui"),
}

# ---------------------------------------------------------------------------------------
# The tools: name -> (endpoint path template, description, {param: overrides}, groups).
# Path templates use {param} for path segments; every other parameter is a query
# parameter. Overrides: "q" = RxNav's query name when it differs from ours, "d" = our
# description, "t" = semantic type ("" to drop the common one).
# groups: the top-level keys of RxNav's JSON answer (used for the output schema).
# ---------------------------------------------------------------------------------------
RX = "/REST"
PR = "/REST/Prescribe"
TOOLS = {}

def tool(name, path, desc, params=None, groups=None):
    TOOLS[name] = {"path": path, "description": desc, "params": params or {}, "groups": groups or []}

# --- RxNorm (full RxNorm) and Prescribable RxNorm (the subset with current US prescribable drugs)
for prefix, base, scope in [("rxnorm", RX, "RxNorm"), ("prescribable", PR, "the Prescribable RxNorm subset (currently prescribable US drugs)")]:
    tool(f"{prefix}_find_rxcui_by_string", f"{base}/rxcui.json",
         f"Resolve a drug name to RxNorm concept identifiers (RxCUIs) in {scope}, with a choice of exact, normalized or approximate matching.",
         {"name": {"d": "Drug name to resolve, e.g. 'lipitor' or 'atorvastatin 10 MG Oral Tablet'."}}, ["idGroup"])
    tool(f"{prefix}_find_rxcui_by_id", f"{base}/rxcui.json",
         f"Find the RxNorm concept(s) in {scope} that an outside identifier (NDC, UNII, SPL set id, source-vocabulary code, ...) maps to.",
         {}, ["idGroup"])
    tool(f"{prefix}_get_drugs", f"{base}/drugs.json",
         f"List the clinical and branded drug products in {scope} that relate to a name (ingredient, brand, dose form or drug component), grouped by term type.",
         {"name": {"d": "Ingredient, brand, dose form or component name, e.g. 'cetirizine'."}}, ["drugGroup"])
    tool(f"{prefix}_get_approximate_match", f"{base}/approximateTerm.json",
         f"Fuzzy search of {scope}: rank concepts whose names resemble a possibly misspelled or partial drug string, with match scores.",
         {}, ["approximateGroup"])
    tool(f"{prefix}_get_spelling_suggestions", f"{base}/spellingsuggestions.json",
         f"Suggest correctly spelled drug names from {scope} for a name that may be misspelled.",
         {"name": {"d": "Drug name as typed, possibly misspelled, e.g. 'ambienn'."}}, ["suggestionGroup"])
    tool(f"{prefix}_get_all_concepts_by_tty", f"{base}/allconcepts.json",
         f"List every concept of the given term type(s) in {scope} (can be a very long list).",
         {}, ["minConceptGroup"])
    tool(f"{prefix}_get_rxnorm_name", f"{base}/rxcui/{{rxcui}}.json",
         f"Look up the preferred name of an RxNorm concept (RxCUI) in {scope}.",
         {}, ["idGroup"])
    tool(f"{prefix}_get_term_types", f"{base}/termtypes.json",
         f"List the term types (TTY codes such as IN, SCD, SBD, BN) used in {scope}.", {}, ["termTypeList"])
    tool(f"{prefix}_get_source_types", f"{base}/sourcetypes.json",
         f"List the abbreviations of the source vocabularies that contribute to {scope}.", {}, ["sourceTypeList"])
    tool(f"{prefix}_get_id_types", f"{base}/idtypes.json",
         f"List the kinds of outside identifiers that can be resolved to concepts in {scope} (values for 'idtype').", {}, ["idTypeList"])
    tool(f"{prefix}_get_prop_categories", f"{base}/propCategories.json",
         f"List the categories that concept properties are grouped in ({scope}).", {}, ["propCategoryList"])
    tool(f"{prefix}_get_prop_names", f"{base}/propnames.json",
         f"List the property names that concepts in {scope} can carry.", {}, ["propNameList"])
    tool(f"{prefix}_get_rela_types", f"{base}/relatypes.json",
         f"List the relationship names linking concepts in {scope} (e.g. has_ingredient, tradename_of).", {}, ["relationTypeList"])
    tool(f"{prefix}_get_rela_paths", f"{base}/relapaths.json",
         f"Show the chains of relationships that connect one term type to another in {scope}; both ends are optional filters.",
         {}, ["relaPathList"])
    tool(f"{prefix}_get_display_terms", f"{base}/displaynames.json",
         f"Download the full list of drug names offered for auto-completion in {scope} (a very long list).", {}, ["displayTermsList"])
    tool(f"{prefix}_get_ndcs", f"{base}/rxcui/{{rxcui}}/ndcs.json",
         f"List the National Drug Codes currently linked to an RxNorm concept in {scope}.", {}, ["ndcGroup"])
    tool(f"{prefix}_get_multi_ingred_brand", f"{base}/brands.json",
         f"Find brand names in {scope} whose products contain every one of the given ingredients.", {}, ["brandGroup"])
    tool(f"{prefix}_get_rx_property", f"{base}/rxcui/{{rxcui}}/property.json",
         f"Read the value(s) of one named property of an RxNorm concept in {scope}.", {}, ["propConceptGroup"])
    tool(f"{prefix}_get_rx_concept_properties", f"{base}/rxcui/{{rxcui}}/properties.json",
         f"Get the basic attributes of an RxNorm concept in {scope}: name, synonym, term type, language, suppression flag.",
         {}, ["properties"])
    tool(f"{prefix}_get_all_properties", f"{base}/rxcui/{{rxcui}}/allProperties.json",
         f"Get all properties of an RxNorm concept in {scope} that fall in the chosen categories (names, codes, attributes, sources).",
         {}, ["propConceptGroup"])
    tool(f"{prefix}_get_related_by_type", f"{base}/rxcui/{{rxcui}}/related.json",
         f"Find concepts of the requested term types that are related, directly or through other concepts, to an RxNorm concept in {scope}.",
         {}, ["relatedGroup"])
    tool(f"{prefix}_get_related_by_relationship", f"{base}/rxcui/{{rxcui}}/related.json",
         f"Find concepts linked to an RxNorm concept in {scope} by the named relationship(s).",
         {}, ["relatedGroup"])
    tool(f"{prefix}_get_all_related_info", f"{base}/rxcui/{{rxcui}}/allrelated.json",
         f"Get every concept related to an RxNorm concept in {scope}, grouped by term type (ingredients, brands, dose forms, products, packs).",
         {}, ["allRelatedGroup"])
    tool(f"{prefix}_filter_by_property", f"{base}/rxcui/{{rxcui}}/filter.json",
         f"Check whether an RxNorm concept in {scope} has a property (optionally with one of the given values); the concept id comes back only if it does.",
         {}, ["rxcui"])

# Catalog spells the value parameter of rxnorm_filter_by_property 'propValue'; RxNav's name is 'propValues'.
TOOLS["rxnorm_filter_by_property"]["params"]["propValue"] = {"q": "propValues", "d": "Property value(s) that must match, separated by spaces; any value passes when omitted."}
TOOLS["prescribable_filter_by_property"]["params"]["propValues"] = {"d": "Property value(s) that must match, separated by spaces; any value passes when omitted."}
TOOLS["prescribable_find_rxcui_by_id"]["params"]["idtype"] = {"d": "Kind of identifier given in 'id' (NDC, UNII_CODE, SPL_SET_ID, an FDA application number type, ...)."}

# --- RxNorm only
tool("rxnorm_get_rxnorm_version", f"{RX}/version.json",
     "Report which monthly RxNorm release the service is serving, and the API version.", {}, ["version", "apiVersion"])
tool("rxnorm_get_ndc_properties", f"{RX}/ndcproperties.json",
     "Get the packaging, labeler and product details recorded for an NDC (or for all NDCs of an RxCUI or SPL set id).",
     {"id": {"d": "An NDC (10 or 11 digit, hyphens allowed), an RxCUI, or an SPL set id.", "t": "ndc"}}, ["ndcPropertyList"])
tool("rxnorm_get_ndc_status", f"{RX}/ndcstatus.json",
     "Tell whether an NDC is active, obsolete, alien or unknown, with its concept history over a date range.",
     {"start": {"d": "Earliest month of history to report, as YYYYMM."},
      "end": {"d": "Latest month of history to report, as YYYYMM."},
      "history": {"d": "'1' includes the NDC's full history of concept associations; '0' gives only the current state."},
      "altpkg": {"d": "'1' also tries alternative package formats of the NDC when the given one is unknown."}}, ["ndcStatus"])
tool("rxnorm_find_related_ndcs", f"{RX}/relatedndc.json",
     "Given one NDC, list other NDCs that share its concept, its product, or its drug.",
     {"relation": {"d": "Scope of relatedness: 'concept' (same RxCUI), 'product' (same product code) or 'drug' (same drug, any labeler)."}},
     ["ndcInfoList"])
tool("rxnorm_get_all_concepts_by_status", f"{RX}/allstatus.json",
     "List all RxNorm concepts that have the given status(es) (a very long list).",
     {"status": {"d": "Which concepts to list by their current state; give one or more of Active, Obsolete, Quantified, Remapped, NotCurrent (space between them), or ALL for every state."}}, ["minConceptGroup"])
tool("rxnorm_get_all_historical_ndcs", f"{RX}/rxcui/{{rxcui}}/allhistoricalndcs.json",
     "List every NDC ever associated with an RxNorm concept, with the months each association started and ended.",
     {"history": {"d": "How far to follow concept history: '0' this concept only, '1' also remapped predecessors, '2' also related concepts."}},
     ["historicalNdcConcept"])
tool("rxnorm_get_all_ndcs_by_status", f"{RX}/allNDCstatus.json",
     "List all NDCs known to RxNorm that have the given status (a very long list).",
     {"status": {"d": "Which codes to list by their state in RxNorm; give ACTIVE, OBSOLETE or ALIEN (several separated by spaces), or ALL."}}, ["ndcList"])
tool("rxnorm_get_proprietary_information", f"{RX}/rxcui/{{rxcui}}/proprietary.json",
     "Get the names and codes that proprietary (licensed) source vocabularies give an RxNorm concept; the service may require UMLS credentials.",
     {"srclist": {"d": "Source vocabularies to include, separated by spaces (e.g. 'GS MMSL')."},
      "rxaui": {"d": "Restrict the answer to one RxNorm atom id (RXAUI).", "t": "rxaui"}}, ["proprietaryGroup"])
tool("rxnorm_get_reformulation_concepts", f"{RX}/reformulationConcepts.json",
     "List RxNorm concepts that were reformulated, each paired with the concept it was reformulated into.", {}, ["reformulationConceptList"])
tool("rxnorm_get_rxcui_history_status", f"{RX}/rxcui/{{rxcui}}/historystatus.json",
     "Get the life history of an RxCUI: current status (active, obsolete, remapped, ...), remapping targets, ingredients and NDCs over time.",
     {}, ["rxcuiStatusHistory"])

# --- RxTerms
tool("rxterms_get_rxterms_version", "/REST/RxTerms/version.json",
     "Report which RxTerms release the service is serving.", {}, ["rxtermsVersion"])
tool("rxterms_get_all_concepts", "/REST/RxTerms/allconcepts.json",
     "Download every RxTerms concept (prescribable drugs with display name, route, strength and form) - a very long list.", {}, ["minConceptGroup"])
tool("rxterms_get_rxterm_display_name", "/REST/RxTerms/rxcui/{rxcui}/name.json",
     "Get the short RxTerms display name of a drug concept (RxCUI), as shown in prescription pick lists.", {}, ["displayGroup"])
tool("rxterms_get_all_rxterm_info", "/REST/RxTerms/rxcui/{rxcui}/allinfo.json",
     "Get the full RxTerms record of a drug concept: display name, route, strength, new dose form, brand/generic flag and more.",
     {}, ["rxtermsProperties"])

# --- RxClass
tool("rxclass_get_class_types", "/REST/rxclass/classTypes.json",
     "List the kinds of drug classes RxClass covers (ATC levels, established pharmacologic class, mechanism of action, disease, ...).", {}, ["classTypeList"])
tool("rxclass_get_all_classes", "/REST/rxclass/allClasses.json",
     "List all drug classes, optionally only those of certain class types.", {}, ["rxclassMinConceptList"])
tool("rxclass_find_class_by_name", "/REST/rxclass/class/byName.json",
     "Look up drug classes by class name or synonym.",
     {"classType": {"q": "classTypes", "d": "Class type(s) to restrict to, separated by spaces (e.g. 'EPC MOA')."}}, ["rxclassMinConceptList"])
tool("rxclass_find_classes_by_id", "/REST/rxclass/class/byId.json",
     "Get the name and type of a drug class from its class id.", {}, ["rxclassMinConceptList"])
tool("rxclass_get_class_by_rxnorm_drug_id", "/REST/rxclass/class/byRxcui.json",
     "List the drug classes an RxNorm concept (RxCUI) belongs to, with the source and relationship asserting each membership.",
     {"rxcui": {"d": "RxCUI of the drug to classify."}}, ["rxclassDrugInfoList"])
tool("rxclass_get_class_by_rxnorm_drug_name", "/REST/rxclass/class/byDrugName.json",
     "List the drug classes a drug belongs to, looked up by drug name, with the asserting source and relationship.", {}, ["rxclassDrugInfoList"])
tool("rxclass_get_relas", "/REST/rxclass/relas.json",
     "List the drug-class relationship names (e.g. may_treat, has_moa) used by a class source, or by all sources.",
     {"relaSource": {"d": "Class source whose relationships to list (e.g. 'MEDRT'); all sources when omitted."}}, ["relaList"])
tool("rxclass_get_sources_of_drug_class_relations", "/REST/rxclass/relaSources.json",
     "List the sources that assert relations between drugs and classes (ATC, MEDRT, VA, DAILYMED, ...).", {}, ["relaSourceList"])
tool("rxclass_get_rela_source_version", "/REST/rxclass/version/{relaSource}.json",
     "Report which version of a class source's data RxClass is using.",
     {"relaSource": {"d": "Class source to ask about, e.g. 'ATC' or 'MEDRT'."}}, ["version"])
tool("rxclass_get_spelling_suggestions", "/REST/rxclass/spellingsuggestions.json",
     "Suggest correctly spelled drug or class names for a possibly misspelled term.",
     {"term": {"d": "Drug or class name as typed, possibly misspelled.", "t": ""},
      "type": {"d": "Which names to suggest from: 'DRUG' or 'CLASS'."}}, ["suggestionList"])
tool("rxclass_get_class_contexts", "/REST/rxclass/classContext.json",
     "Show every path from a drug class up to the root of each hierarchy it appears in.", {}, ["classPathList"])
tool("rxclass_get_class_members", "/REST/rxclass/classMembers.json",
     "List the drugs that belong to a drug class according to one class source.",
     {"relaSource": {"d": "Source whose membership assertions to use, e.g. 'ATC', 'MEDRT', 'DAILYMED'."},
      "rela": {"d": "Relationship to follow, e.g. 'may_treat' or 'has_epc'; needed by sources with several relationships.", "t": "rxclass_relation"}},
     ["drugMemberGroup"])
tool("rxclass_get_similarity_information", "/REST/rxclass/class/similarInfo.json",
     "Compare the drug memberships of two classes and report their similarity scores and shared/unique members.",
     {"classId1": {"d": "Id of the first class.", "t": "rxclass_id"},
      "relaSource1": {"d": "Source of the first class's memberships.", "t": "rxclass_source"},
      "rela1": {"d": "Relationship for the first class's memberships, when the source has several.", "t": "rxclass_relation"},
      "classId2": {"d": "Id of the second class.", "t": "rxclass_id"},
      "relaSource2": {"d": "Source of the second class's memberships.", "t": "rxclass_source"},
      "rela2": {"d": "Relationship for the second class's memberships, when the source has several.", "t": "rxclass_relation"}},
     ["similarityMember"])
tool("rxclass_get_class_tree", "/REST/rxclass/classTree.json",
     "Get the subtree of classes below a drug class.", {}, ["rxclassTree"])
tool("rxclass_get_class_graph_by_source", "/REST/rxclass/classGraph.json",
     "Get the ancestors of a class in one source's hierarchy, as nodes and edges.", {}, ["rxclassGraph"])
tool("rxclass_find_similar_classes_by_class", "/REST/rxclass/class/similar.json",
     "Find drug classes whose members overlap most with those of a given class.",
     {"rela": {"d": "Relationship defining the given class's members (e.g. 'has_epc', 'may_treat')."}}, ["similarityEntityList"])
tool("rxclass_find_similar_classes_by_drug_list", "/REST/rxclass/class/similarByRxcuis.json",
     "Find drug classes whose members best match a given list of drugs.",
     {"relaSource": {"d": "Class source to compare against (e.g. 'ATC', 'MEDRT')."}}, ["similarityEntityList"])

# Tools whose duplicate catalog entries disagree on the parameter set: the one kept.
KEEP_PARAMS = {
    # One entry has rxcui at /rxcui/{rxcui}/displaynames.json, which RxNav does not
    # serve; the real endpoint /REST/displaynames.json takes no parameters.
    "rxnorm_get_display_terms": [],
}


def merge_prop(name, tname, versions, conflicts):
    out = {}
    for v in versions:
        for k in FACT_KEYS:
            if k in v:
                if k in out and out[k] != v[k]:
                    conflicts.append(f"{tname}.{name}: {k} {out[k]!r} vs {v[k]!r} (kept the first)")
                    continue
                out.setdefault(k, v[k])
    return out


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_CATALOG
    cat = json.load(open(path))
    entries = [t for fam, ts in cat.items() if fam != "clinical_tables" for t in ts]
    by_name = {}
    for t in entries:
        by_name.setdefault(t["name"], []).append(t)
    missing = sorted(set(by_name) - set(TOOLS))
    extra = sorted(set(TOOLS) - set(by_name))
    if missing or extra:
        sys.exit(f"table and catalog differ: missing {missing}, not in catalog {extra}")
    conflicts = []
    out = []
    for name in sorted(by_name):
        spec = TOOLS[name]
        versions = by_name[name]
        psets = [list(v["parameters"].get("properties", {}).keys()) for v in versions]
        if name in KEEP_PARAMS:
            order = KEEP_PARAMS[name]
            for ps in psets:
                if sorted(ps) != sorted(order):
                    conflicts.append(f"{name}: catalog entry with parameters {ps} not followed (kept {order})")
        else:
            order = []
            for ps in psets:
                for p in ps:
                    if p not in order:
                        order.append(p)
            if any(sorted(ps) != sorted(order) for ps in psets):
                conflicts.append(f"{name}: parameter sets differ {psets} (took the union)")
        required = set()
        for v, ps in zip(versions, psets):
            if name in KEEP_PARAMS and sorted(ps) != sorted(order):
                continue
            required |= set(v["parameters"].get("required", []))
        params = []
        for p in order:
            vs = [v["parameters"]["properties"][p] for v in versions if p in v["parameters"].get("properties", {})]
            schema = merge_prop(p, name, vs, conflicts)
            over = spec["params"].get(p, {})
            desc, stype = COMMON.get(p, (None, None))
            desc = over.get("d", desc)
            stype = over.get("t", stype)
            if not desc:
                sys.exit(f"{name}.{p}: no description written")
            schema["description"] = desc
            if stype:
                schema["x-dive-type"] = stype
            in_path = "{" + p + "}" in spec["path"]
            params.append({
                "name": p,
                "in": "path" if in_path else "query",
                "query": None if in_path else over.get("q", p),
                "required": p in required,
                "schema": schema,
            })
        for seg in [s[1:-1] for s in spec["path"].split("/") if s.startswith("{")]:
            seg = seg.split("}")[0]
            if seg not in order:
                sys.exit(f"{name}: path parameter {seg} is not a parameter")
        out.append({
            "name": name,
            "description": spec["description"],
            "path": spec["path"],
            "groups": spec["groups"],
            "params": params,
        })
    dest = sys.argv[2] if len(sys.argv) > 2 else os.path.join(CRATE, "src", "tools.json")
    with open(dest, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {len(out)} tools to {dest}")
    for c in conflicts:
        print("conflict:", c)


if __name__ == "__main__":
    main()
