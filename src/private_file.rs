//! Files the auditor writes for its user: reports, exported evidence, the
//! run lock. They hold children's personal data, so each output is created
//! new and exclusively (`O_EXCL`: an existing file or symlink in its place
//! is never written through), readable by its owner only (0600), and put
//! in place by an atomic rename, which replaces whatever stood at the
//! target (a symlink itself, not what it points at) and leaves no half file
//! after a failure. This module owns file creation; it knows nothing of
//! what goes in the files.

use std::io::Write;
use std::path::Path;

/// Creates a folder (and its missing parents) private to the user: 0700.
#[cfg(unix)]
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// Writes `path` through `write`: into a new temporary file beside it
/// (random name, `O_EXCL`, 0600), flushed to disk, then renamed over
/// `path`. A failure of `write` or of the disk removes the temporary file
/// and leaves `path` as it was. `io` turns a file error into the caller's.
pub fn write_atomically<E>(
    path: &Path,
    io: impl Fn(std::io::Error) -> E,
    write: impl FnOnce(&mut dyn Write) -> Result<(), E>,
) -> Result<(), E> {
    let dir = match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => {
            if !parent.exists() {
                create_private_dir(parent).map_err(&io)?;
            }
            parent
        }
        None => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // tempfile opens with O_CREAT | O_EXCL and mode 0600 on Unix.
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".part")
        .tempfile_in(dir)
        .map_err(&io)?;
    let mut out = std::io::BufWriter::new(tmp);
    write(&mut out)?;
    let tmp = out
        .into_inner()
        .map_err(|e| io(std::io::IntoInnerError::into_error(e)))?;
    tmp.as_file().sync_all().map_err(&io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

/// Writes `bytes` to `path` as [`write_atomically`] does.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomically(path, |e| e, |w| w.write_all(bytes))
}

/// Opens (creating if missing, 0600) a file that must be a regular file
/// of its own: a symlink in its place is refused (`O_NOFOLLOW`), so the
/// file cannot be redirected to another one.
pub fn open_own_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    opts.open(path)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_symlink_at_the_target_is_replaced_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let target = dir.path().join("report.html");
        std::os::unix::fs::symlink(&victim, &target).unwrap();
        write_private(&target, b"report").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        assert!(!std::fs::symlink_metadata(&target).unwrap().is_symlink());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "report");
        assert_eq!(mode(&target), 0o600);
    }

    #[test]
    fn an_existing_world_readable_target_ends_private() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("lookup.json");
        std::fs::write(&target, "old").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o666)).unwrap();
        write_private(&target, b"new").unwrap();
        assert_eq!(mode(&target), 0o600);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
    }

    #[test]
    fn a_failed_write_leaves_the_target_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("r.csv");
        std::fs::write(&target, "before").unwrap();
        let r: std::io::Result<()> = write_atomically(
            &target,
            |e| e,
            |w| {
                w.write_all(b"half")?;
                Err(std::io::Error::other("disk full"))
            },
        );
        assert!(r.is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "before");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
    }

    #[test]
    fn an_own_file_is_never_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "").unwrap();
        let lock = dir.path().join("db.lock");
        std::os::unix::fs::symlink(&victim, &lock).unwrap();
        assert!(open_own_file(&lock).is_err());
        let own = dir.path().join("other.lock");
        open_own_file(&own).unwrap();
        assert_eq!(mode(&own), 0o600);
    }
}
