//! The integration tests: one binary (one link of wasmtime), a module per area.
//! Filter by module, e.g. `cargo test --release -p dive-integration-tests --test integration trace::`.

mod api_arxiv;
mod api_browse_llm;
mod api_clinical_tables;
mod api_crossref;
mod api_expasy;
mod api_general_web;
mod api_ncbi_entrez;
mod api_openalex;
mod api_rxnav;
mod api_semantic_scholar;
mod api_togows;
mod api_tushare;
mod authoring;
mod bio_differential;
mod bio_differential_more;
mod bio_differential_numeric;
mod catalog_facts;
mod cli;
mod code_execution;
mod export;
mod fuzz_corpus;
mod install;
mod layout;
mod loading;
mod parity;
mod s3;
mod sandbox;
mod serve;
mod synth;
mod trace;
