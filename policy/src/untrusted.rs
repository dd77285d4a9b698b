//! Reading bytes a stranger chose: package files, traces, cassettes, task files.
//!
//! Every reader here opens without blocking (a FIFO cannot stall the open), checks what it
//! opened is a regular file (no devices, FIFOs or sockets), refuses anything larger than
//! its bound before reading, and reads at most that bound even if the file grows while it
//! is read. ARCHITECTURE.md §9 fixes the bounds.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The host caps of ARCHITECTURE.md §9: no manifest can raise them.
pub mod caps {
    /// A manifest file (`dive-tool.toml`).
    pub const MANIFEST_BYTES: u64 = 1 << 20;
    /// A component file.
    pub const COMPONENT_BYTES: u64 = 256 << 20;
    /// `memory_mib`.
    pub const MEMORY_MIB: u64 = 4_096;
    /// `timeout_ms` (600 s).
    pub const TIMEOUT_MS: u64 = 600_000;
    /// `max_response_bytes` (64 MiB).
    pub const RESPONSE_BYTES: u64 = 64 << 20;
    /// `max_output_bytes` (64 MiB).
    pub const OUTPUT_BYTES: u64 = 64 << 20;
    /// `max_http_requests`.
    pub const HTTP_REQUESTS: u32 = 1_024;
    /// Entries in one policy list (`network`, `files`, `secrets`).
    pub const POLICY_LIST_LEN: usize = 256;
    /// `[tools.*]` sections and `[secrets.*]` tables in one manifest.
    pub const MANIFEST_SECTIONS: usize = 1_024;
    /// Tools one component may list.
    pub const TOOLS_PER_COMPONENT: usize = 1_024;
    /// Entries (files and dirs) under one mounted package dir.
    pub const MOUNT_ENTRIES: usize = 100_000;
    /// A trace file.
    pub const TRACE_BYTES: u64 = 64 << 20;
    /// One stored object (a body or a result).
    pub const OBJECT_BYTES: u64 = 256 << 20;
    /// The distinct evidence bytes (bodies and results) one replay of a trace may load.
    pub const TRACE_EVIDENCE_BYTES: u64 = 1 << 30;
    /// A cassette file.
    pub const CASSETTE_BYTES: u64 = 64 << 20;
    /// What a cassette's YAML may expand to, aliases included.
    pub const CASSETTE_EXPANDED_BYTES: u64 = 256 << 20;
    /// Nesting of flow collections (`[`/`{`) in a cassette.
    pub const YAML_FLOW_DEPTH: usize = 256;
    /// One decoded (gzip/deflate) body.
    pub const DECODED_BODY_BYTES: u64 = 64 << 20;
    /// A task file, an answers file or a seed file.
    pub const TASK_FILE_BYTES: u64 = 1 << 30;
    /// One line of a task, answers or seed file.
    pub const TASK_LINE_BYTES: usize = 16 << 20;
    /// Nodes of a task's tool graph.
    pub const GRAPH_NODES: usize = 4_096;
    /// Call arguments (`@FILE`, stdin).
    pub const ARGS_BYTES: u64 = 64 << 20;
}

/// Why an untrusted file was not read.
#[derive(Debug, Error)]
pub enum UntrustedError {
    /// Opening, reading or resolving the file failed, or text was not UTF-8
    /// (`InvalidData`).
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file (or root) that failed.
        path: PathBuf,
        /// What the filesystem said.
        #[source]
        source: std::io::Error,
    },
    /// The file is a directory, device, FIFO or socket, or a symlink where none is
    /// followed.
    #[error("{path} is not a regular file (it is {kind}); only regular files are read")]
    NotRegular {
        /// The file as named by the caller.
        path: PathBuf,
        /// What it is instead, in words (from [`kind_of`]).
        kind: &'static str,
    },
    /// The file is over its bound; nothing past the bound was read.
    #[error("{path} is {size} bytes; at most {limit} are read ({what})")]
    TooLarge {
        /// The file (`(streamed body)` for a reader).
        path: PathBuf,
        /// Its size in bytes, or the bytes read when it grew past the bound (at least
        /// `limit + 1`).
        size: u64,
        /// The bound, in bytes.
        limit: u64,
        /// Which cap the bound is, in words (e.g. "the manifest size cap").
        what: &'static str,
    },
    /// The path resolves, through `..` or a symlink, to somewhere outside `root`.
    #[error("{path} leads outside {root} (a symlink?); only files inside it are read")]
    Escapes {
        /// The path as named by the caller.
        path: PathBuf,
        /// The canonical directory it had to stay in.
        root: PathBuf,
    },
}

/// What kind of file a file type is, in words.
pub fn kind_of(t: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_file() {
        "a regular file"
    } else if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symlink"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_block_device() || t.is_char_device() {
        "a device"
    } else {
        "not a regular file"
    }
}

/// How to open: following a final symlink or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Follow {
    /// A symlink as the last component is followed (its target is still checked).
    Yes,
    /// A symlink as the last component is refused (`O_NOFOLLOW`).
    No,
}

/// Open `path` for reading without blocking and check it is a regular file.
pub fn open_regular(path: &Path, follow: Follow) -> Result<File, UntrustedError> {
    open_regular_with_meta(path, follow).map(|(file, _)| file)
}

/// [`open_regular`], with the metadata it checked.
fn open_regular_with_meta(path: &Path, follow: Follow) -> Result<(File, std::fs::Metadata), UntrustedError> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut flags = libc::O_NONBLOCK | libc::O_CLOEXEC;
    if follow == Follow::No {
        flags |= libc::O_NOFOLLOW;
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) && follow == Follow::No {
                UntrustedError::NotRegular { path: path.to_path_buf(), kind: "a symlink" }
            } else {
                UntrustedError::Io { path: path.to_path_buf(), source: e }
            }
        })?;
    regular(file, path)
}

/// The file if it is a regular one, with its metadata.
fn regular(file: File, path: &Path) -> Result<(File, std::fs::Metadata), UntrustedError> {
    let meta = file.metadata().map_err(|source| UntrustedError::Io { path: path.to_path_buf(), source })?;
    if !meta.file_type().is_file() {
        return Err(UntrustedError::NotRegular { path: path.to_path_buf(), kind: kind_of(meta.file_type()) });
    }
    Ok((file, meta))
}

/// Read a whole regular file of at most `limit` bytes.
pub fn read_bounded(path: &Path, limit: u64, what: &'static str, follow: Follow) -> Result<Vec<u8>, UntrustedError> {
    let (file, meta) = open_regular_with_meta(path, follow)?;
    read_open(file, meta.len(), path, limit, what)
}

/// Read an open file of `size` bytes (as its metadata says), refusing more than `limit`.
fn read_open(file: File, size: u64, path: &Path, limit: u64, what: &'static str) -> Result<Vec<u8>, UntrustedError> {
    let too_large = |size| UntrustedError::TooLarge { path: path.to_path_buf(), size, limit, what };
    if size > limit {
        return Err(too_large(size));
    }
    let mut out = Vec::with_capacity(size as usize);
    file.take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|source| UntrustedError::Io { path: path.to_path_buf(), source })?;
    if out.len() as u64 > limit {
        return Err(too_large(out.len() as u64));
    }
    Ok(out)
}

/// [`read_bounded`] of `rel` below the directory `dir` (shown as `path` in errors), with
/// the kernel refusing a symlink in any of its components and any step out of `dir`
/// (Linux `openat2`, `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`): one lookup instead of a
/// check of each directory and then an open, and no moment between the two in which a
/// directory could be swapped for a link.
///
/// `None` when this way cannot answer: the kernel lacks `openat2` or refuses it, `rel`
/// crosses a symlink or does not exist, or the open fails otherwise. The caller then
/// reads the way that names exactly what is wrong ([`read_bounded`] after its own
/// checks).
pub fn read_bounded_beneath(dir: &File, rel: &Path, path: &Path, limit: u64, what: &'static str) -> Option<Result<Vec<u8>, UntrustedError>> {
    let file = open_beneath(dir, rel)?;
    Some(regular(file, path).and_then(|(file, meta)| read_open(file, meta.len(), path, limit, what)))
}

/// `openat2(dir, rel, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW, RESOLVE_BENEATH |
/// RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)`; None on any failure.
#[cfg(target_os = "linux")]
fn open_beneath(dir: &File, rel: &Path) -> Option<File> {
    use std::os::fd::{AsRawFd, FromRawFd};
    use std::os::unix::ffi::OsStrExt;
    let name = std::ffi::CString::new(rel.as_os_str().as_bytes()).ok()?;
    // SAFETY: open_how is plain data (three integers), valid when zeroed.
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = (libc::O_RDONLY | libc::O_NONBLOCK | libc::O_CLOEXEC | libc::O_NOFOLLOW) as u64;
    how.resolve = libc::RESOLVE_BENEATH | libc::RESOLVE_NO_SYMLINKS | libc::RESOLVE_NO_MAGICLINKS;
    // SAFETY: `dir` is an open descriptor for the call's duration, `name` is a
    // NUL-terminated string and `how` a valid open_how whose size is passed with it.
    let fd = unsafe {
        libc::syscall(libc::SYS_openat2, dir.as_raw_fd(), name.as_ptr(), &how as *const libc::open_how, std::mem::size_of::<libc::open_how>())
    };
    // SAFETY: a non-negative return is a new descriptor that nothing else owns.
    (fd >= 0).then(|| unsafe { File::from_raw_fd(fd as std::os::fd::RawFd) })
}

#[cfg(not(target_os = "linux"))]
fn open_beneath(_dir: &File, _rel: &Path) -> Option<File> {
    None
}

/// [`read_bounded`] as UTF-8 text.
pub fn read_text_bounded(path: &Path, limit: u64, what: &'static str) -> Result<String, UntrustedError> {
    let bytes = read_bounded(path, limit, what, Follow::Yes)?;
    String::from_utf8(bytes).map_err(|e| UntrustedError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, format!("not UTF-8 text ({e})")),
    })
}

/// Read at most `limit` bytes from a reader (stdin, a decoder); `None` when there are more.
pub fn read_at_most(reader: impl Read, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut out = Vec::new();
    reader.take(limit + 1).read_to_end(&mut out)?;
    Ok((out.len() as u64 <= limit).then_some(out))
}

/// Check that `path` resolves to somewhere inside `root` (both canonicalized).
pub fn inside(root: &Path, path: &Path) -> Result<PathBuf, UntrustedError> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| UntrustedError::Io { path: p, source }
    };
    let root = root.canonicalize().map_err(io(root))?;
    inside_real(&root, path)
}

/// [`inside`] for a `root` that is already canonical (its symlinks resolved).
pub fn inside_real(root: &Path, path: &Path) -> Result<PathBuf, UntrustedError> {
    let real = path.canonicalize().map_err(|source| UntrustedError::Io { path: path.to_path_buf(), source })?;
    if !real.starts_with(root) {
        return Err(UntrustedError::Escapes { path: path.to_path_buf(), root: root.to_path_buf() });
    }
    Ok(real)
}

/// The first `chars` characters of `text`, with `…` when there was more: how a message
/// quotes a text that may be huge (a result, an upstream's answer).
pub fn snippet(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_cut_on_characters() {
        assert_eq!(snippet("αβγδ", 2), "αβ…");
        assert_eq!(snippet("ab", 2), "ab");
        assert_eq!(snippet("", 0), "");
    }

    #[test]
    fn devices_fifos_and_large_files_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let err = read_bounded(&fifo, 10, "test", Follow::Yes).unwrap_err();
        assert!(matches!(err, UntrustedError::NotRegular { kind: "a FIFO", .. }), "{err}");
        let err = read_bounded(Path::new("/dev/zero"), 10, "test", Follow::Yes).unwrap_err();
        assert!(matches!(err, UntrustedError::NotRegular { kind: "a device", .. }), "{err}");
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'x'; 11]).unwrap();
        let err = read_bounded(&big, 10, "test", Follow::Yes).unwrap_err();
        assert!(err.to_string().contains("11 bytes; at most 10"), "{err}");
        assert_eq!(read_bounded(&big, 11, "test", Follow::Yes).unwrap().len(), 11);
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&big, &link).unwrap();
        assert!(read_bounded(&link, 11, "test", Follow::Yes).is_ok());
        let err = read_bounded(&link, 11, "test", Follow::No).unwrap_err();
        assert!(matches!(err, UntrustedError::NotRegular { kind: "a symlink", .. }), "{err}");
    }

    #[test]
    fn reads_beneath_a_dir_cross_no_symlink_and_step_nowhere_out() {
        let root = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        let r = root.path();
        std::fs::create_dir(r.join("sub")).unwrap();
        std::fs::write(r.join("sub/f"), "hello").unwrap();
        std::fs::write(out.path().join("f"), "outside").unwrap();
        std::os::unix::fs::symlink(out.path(), r.join("linked")).unwrap();
        std::os::unix::fs::symlink(r.join("sub/f"), r.join("sub/alias")).unwrap();
        let dir = File::open(r).unwrap();
        let read = |rel: &str, limit| read_bounded_beneath(&dir, Path::new(rel), &r.join(rel), limit, "test");
        assert_eq!(read("sub/f", 5).expect("openat2 answers on this kernel").unwrap(), b"hello");
        let err = read("sub/f", 4).unwrap().unwrap_err();
        assert!(matches!(err, UntrustedError::TooLarge { size: 5, limit: 4, .. }), "{err}");
        assert!(read("linked/f", 100).is_none(), "a symlinked dir on the way");
        assert!(read("sub/alias", 100).is_none(), "a symlink at the end, even to a file inside");
        assert!(read("../f", 100).is_none(), "a step out");
        assert!(read(out.path().join("f").to_str().unwrap(), 100).is_none(), "an absolute path");
        assert!(read("sub/missing", 100).is_none());
        let fifo = r.join("sub/fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let err = read("sub/fifo", 100).unwrap().unwrap_err();
        assert!(matches!(err, UntrustedError::NotRegular { kind: "a FIFO", .. }), "opened without blocking, then refused: {err}");
    }

    #[test]
    fn inside_follows_symlinks_and_refuses_escapes() {
        let root = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        std::fs::write(out.path().join("f"), "x").unwrap();
        std::os::unix::fs::symlink(out.path().join("f"), root.path().join("esc")).unwrap();
        std::fs::write(root.path().join("ok"), "x").unwrap();
        assert!(inside(root.path(), &root.path().join("ok")).is_ok());
        assert!(matches!(inside(root.path(), &root.path().join("esc")), Err(UntrustedError::Escapes { .. })));
    }
}
