//! Filesystem: a guest sees only its package's declared dirs, read-only, each at
//! `/<dir>`. Nothing else exists for it; nothing can be written.
//!
//! The dirs are checked once per package, whole: they must be real directories inside
//! the package, and everything under them a regular file, a directory or a symlink that
//! stays inside the package — no devices, FIFOs or sockets (a guest opening a FIFO would
//! block a host thread). At run time cap-std refuses `..` and symlinks that leave a
//! mounted dir.

use crate::untrusted::{caps, kind_of};
use std::path::{Path, PathBuf};
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

/// Resolve a package's `files` entries to (host dir, guest path) pairs.
pub fn resolve_mounts(package_dir: &Path, files: &[String]) -> Result<Vec<(PathBuf, String)>, String> {
    if files.is_empty() {
        return Ok(Vec::new());
    }
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
        check_tree(&root, &real).map_err(|m| format!("files entry \"{rel}\": {m}"))?;
        out.push((real, format!("/{rel}")));
    }
    Ok(out)
}

/// Everything under `dir` is a regular file, a directory, or a symlink to one of those
/// inside `root`; at most [`caps::MOUNT_ENTRIES`] entries.
fn check_tree(root: &Path, dir: &Path) -> Result<(), String> {
    let mut stack = vec![dir.to_path_buf()];
    let mut seen = 0usize;
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| format!("cannot list {}: {e}", d.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot list {}: {e}", d.display()))?;
            seen += 1;
            if seen > caps::MOUNT_ENTRIES {
                return Err(format!("more than {} entries; mounted dirs are bounded", caps::MOUNT_ENTRIES));
            }
            let path = entry.path();
            let t = entry.file_type().map_err(|e| format!("cannot inspect {}: {e}", path.display()))?;
            if t.is_dir() {
                stack.push(path);
            } else if t.is_symlink() {
                check_symlink(root, &path)?;
            } else if !t.is_file() {
                return Err(format!(
                    "{} is {}; mounted dirs may hold only regular files and dirs",
                    path.display(),
                    kind_of(t)
                ));
            }
        }
    }
    Ok(())
}

/// A symlink in a mounted dir must lead to a regular file or dir inside the package.
fn check_symlink(root: &Path, link: &Path) -> Result<(), String> {
    let real = link
        .canonicalize()
        .map_err(|e| format!("{} is a symlink that cannot be followed: {e}", link.display()))?;
    if !real.starts_with(root) {
        return Err(format!("{} is a symlink out of the package (to {})", link.display(), real.display()));
    }
    let t = std::fs::metadata(&real).map_err(|e| format!("cannot inspect {}: {e}", real.display()))?.file_type();
    if t.is_file() || t.is_dir() {
        Ok(())
    } else {
        Err(format!("{} leads to {}; mounted dirs may hold only regular files and dirs", link.display(), kind_of(t)))
    }
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

    #[test]
    fn special_files_and_escaping_links_inside_a_mounted_dir_are_refused() {
        let pkg = tempfile::tempdir().unwrap();
        let data = pkg.path().join("data");
        std::fs::create_dir_all(data.join("sub")).unwrap();
        std::fs::write(data.join("sub/ok.txt"), "x").unwrap();
        std::os::unix::fs::symlink("ok.txt", data.join("sub/inner")).unwrap();
        assert!(resolve_mounts(pkg.path(), &["data".into()]).is_ok());

        let fifo = data.join("sub/fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let err = resolve_mounts(pkg.path(), &["data".into()]).unwrap_err();
        assert!(err.contains("is a FIFO"), "{err}");
        std::fs::remove_file(&fifo).unwrap();

        std::os::unix::fs::symlink("/dev/zero", data.join("zero")).unwrap();
        let err = resolve_mounts(pkg.path(), &["data".into()]).unwrap_err();
        assert!(err.contains("symlink out of the package"), "{err}");
    }
}
