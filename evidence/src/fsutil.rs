//! Files that are never seen half-written.

use std::io::Write;
use std::path::Path;

/// Write `bytes` to `path` through a temporary file in the same directory, fsync it,
/// then rename it into place. Readers see the old file, no file, or the whole new one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_mode(path, bytes, 0o666)
}

/// [`write_atomic`] creating the file with `mode` (less the umask); 0o600 for files
/// only their owner may read or change (the compiled-component cache).
pub fn write_atomic_mode(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    write_atomic_with(path, mode, |f| f.write_all(bytes))
}

/// [`write_atomic`] for output written by `write` as it is made (a large file need not
/// be held in memory): the temp file is fsynced and renamed into place only when
/// `write` succeeded; on an error it is removed and the old file stays.
pub fn write_atomic_with(path: &Path, mode: u32, write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir)?;
    use std::os::unix::fs::PermissionsExt;
    // `mode` less the umask, as any other file a program writes (tempfile alone gives 0600).
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .permissions(std::fs::Permissions::from_mode(mode))
        .tempfile_in(dir)?;
    write(tmp.as_file_mut())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Whether a file and its directory belong to this user and nobody else can write them:
/// what must hold before bytes from it are trusted as much as our own (a compiled
/// component is native code).
pub fn owned_and_private(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    let private = |m: &std::fs::Metadata| m.uid() == me && m.mode() & 0o022 == 0;
    let file_ok = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file() && private(&m));
    let dir_ok = path
        .parent()
        .and_then(|d| std::fs::symlink_metadata(d).ok())
        .is_some_and(|m| m.file_type().is_dir() && private(&m));
    file_ok && dir_ok
}

/// Create the directory of `entry` (a cache or index file) readable and writable by this
/// user only, when it does not exist yet.
pub fn private_dir(entry: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    match entry.parent() {
        Some(d) if !d.exists() => std::fs::DirBuilder::new().recursive(true).mode(0o700).create(d),
        _ => Ok(()),
    }
}
