//! Filesystem: a guest sees only its package's declared dirs, read-only, each at
//! `/<dir>`. Nothing else exists for it; nothing can be written.
//!
//! The dirs are checked once per package (they must be real directories inside the
//! package, not symlinks out of it); at run time cap-std refuses `..` and symlinks that
//! leave a mounted dir.

use std::path::{Path, PathBuf};
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

/// Resolve a package's `files` entries to (host dir, guest path) pairs.
pub fn resolve_mounts(package_dir: &Path, files: &[String]) -> Result<Vec<(PathBuf, String)>, String> {
    let root = package_dir
        .canonicalize()
        .map_err(|e| format!("cannot resolve the package directory {}: {e}", package_dir.display()))?;
    let mut out = Vec::new();
    for rel in files {
        let host = package_dir.join(rel);
        let real = host.canonicalize().map_err(|e| {
            format!("files entry \"{rel}\": {} cannot be opened: {e}", host.display())
        })?;
        if !real.starts_with(&root) {
            return Err(format!(
                "files entry \"{rel}\" leads outside the package (to {}); package data must live inside the package",
                real.display()
            ));
        }
        if !real.is_dir() {
            return Err(format!("files entry \"{rel}\" ({}) is not a directory", host.display()));
        }
        out.push((real, format!("/{rel}")));
    }
    Ok(out)
}

pub fn mount_read_only(b: &mut WasiCtxBuilder, host: &Path, guest: &str) -> wasmtime::Result<()> {
    b.preopened_dir(host, guest, FsPerms::ReadOnly)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirs_must_stay_inside_the_package() {
        let pkg = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir(pkg.path().join("data")).unwrap();
        std::fs::write(pkg.path().join("file.txt"), "x").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(outside.path(), pkg.path().join("escape")).unwrap();

        let ok = resolve_mounts(pkg.path(), &["data".into()]).unwrap();
        assert_eq!(ok[0].1, "/data");
        let err = resolve_mounts(pkg.path(), &["file.txt".into()]).unwrap_err();
        assert!(err.contains("not a directory"), "{err}");
        let err = resolve_mounts(pkg.path(), &["missing".into()]).unwrap_err();
        assert!(err.contains("cannot be opened"), "{err}");
        #[cfg(unix)]
        {
            let err = resolve_mounts(pkg.path(), &["escape".into()]).unwrap_err();
            assert!(err.contains("outside the package"), "{err}");
        }
    }
}
