//! Human and JSON output of replay and store maintenance.

use anyhow::Result;
use dive_runtime::fsck::{FsckReport, GcReport};
use dive_runtime::replay::{ReplayReport, Verdict};
use dive_runtime::store::Store;

pub fn replay(r: &ReplayReport, as_json: bool) -> Result<u8> {
    let ok = r.all_same();
    if as_json {
        println!("{}", serde_json::to_string_pretty(r)?);
    } else {
        let mode = if r.live { "live re-verification" } else { "offline replay" };
        for c in &r.calls {
            match &c.verdict {
                Verdict::Same => println!("#{:<4} {:<40} same", c.index, c.tool),
                Verdict::Diverged { reason } => {
                    let word = if r.live { "DRIFTED" } else { "DIVERGED" };
                    println!("#{:<4} {:<40} {word}: {reason}", c.index, c.tool)
                }
            }
        }
        let differing = r.calls.iter().filter(|c| c.verdict != Verdict::Same).count();
        if ok {
            match &r.replayed_trace {
                Some(id) => eprintln!("{mode}: {} calls identical; trace {id} reproduced", r.calls.len()),
                None => eprintln!("{mode}: {} calls, no drift", r.calls.len()),
            }
        } else {
            eprintln!("{mode}: {differing} of {} calls differ", r.calls.len());
            if let Some(first) = r.first_divergence() {
                if let Verdict::Diverged { reason } = &first.verdict {
                    eprintln!("first difference: call #{} ({}): {reason}", first.index, first.tool);
                }
            }
        }
    }
    Ok(if ok { 0 } else { 1 })
}

pub fn fsck(r: &FsckReport, as_json: bool) -> Result<u8> {
    if as_json {
        println!("{}", serde_json::to_string_pretty(r)?);
    } else {
        for p in &r.problems {
            println!("{p}");
        }
        eprintln!(
            "checked {} objects, {} traces, {} refs, {} cassettes: {}",
            r.objects_checked,
            r.traces_checked,
            r.refs_checked,
            r.cassettes_checked,
            if r.is_clean() { "clean".to_string() } else { format!("{} problems", r.problems.len()) }
        );
        if r.stale_temp_files > 0 {
            eprintln!("{} temporary files from interrupted writes (harmless; `dive store gc --apply` removes them)", r.stale_temp_files);
        }
    }
    Ok(if r.is_clean() { 0 } else { 1 })
}

pub fn gc(r: &GcReport, as_json: bool) -> Result<u8> {
    if as_json {
        println!("{}", serde_json::to_string_pretty(r)?);
    } else {
        for h in &r.unreachable_objects {
            println!("{} {h}", if r.applied { "removed" } else { "would remove" });
        }
        for s in &r.strays {
            eprintln!("warning: left alone: {s}");
        }
        eprintln!(
            "{} unreachable objects ({} bytes), {} stale temporary files{}{}",
            r.unreachable_objects.len(),
            r.bytes,
            r.stale_temp_files,
            if r.kept_recent > 0 { format!("; kept {} recent ones", r.kept_recent) } else { String::new() },
            if r.applied { "" } else { "; dry run: pass --apply to remove" }
        );
    }
    Ok(0)
}

pub fn ls(store: &Store, as_json: bool) -> Result<u8> {
    let traces = store.trace_ids()?;
    let refs = store.refs()?;
    if as_json {
        println!("{}", serde_json::json!({ "traces": traces, "refs": refs }));
    } else {
        for (name, id) in &refs {
            println!("refs/{name} -> {id}");
        }
        for t in &traces {
            println!("{t}");
        }
    }
    Ok(0)
}
