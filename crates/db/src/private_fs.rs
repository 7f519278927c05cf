//! Owner-only files and folders. Database files, generated secrets and the email outbox
//! (which holds live sign-in and reset links) are readable by the service's own account
//! alone: files 0600, folders 0700, whatever the process umask says.

use anyhow::Context as _;
use std::fs::{File, OpenOptions};
use std::path::Path;

const DIR_MODE: u32 = 0o700;
const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and missing parents) and makes it owner-only; an existing folder is
/// tightened when it is open to others.
pub fn ensure_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    tighten(dir, DIR_MODE)
}

/// Makes sure `path` exists as an owner-only file (created empty when missing); an
/// existing file is tightened when it is open to others.
pub fn ensure_file(path: &Path) -> anyhow::Result<()> {
    match open_options().write(true).create_new(true).open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => tighten(path, FILE_MODE),
        Err(e) => Err(e).with_context(|| format!("cannot create {}", path.display())),
    }
}

/// Tightens `path` if it exists; nothing to do when it does not.
pub fn tighten_if_present(path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        tighten(path, FILE_MODE)
    } else {
        Ok(())
    }
}

/// Opens a new owner-only file for writing (replacing one of the same name).
pub fn create_file(path: &Path) -> std::io::Result<File> {
    open_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
}

fn open_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    options
}

/// Removes group and other permissions from `path` if it has any.
fn tighten(path: &Path, mode: u32) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta =
            std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        if meta.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
                .with_context(|| format!("cannot restrict permissions of {}", path.display()))?;
            tracing::info!(path = %path.display(), "restricted permissions to the owner");
        }
    }
    let _ = (path, mode);
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_and_existing_paths_end_owner_only() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data/outbox");
        ensure_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let file = dir.join("main.db");
        ensure_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);

        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::write(&file, b"kept").unwrap();
        ensure_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(std::fs::read(&file).unwrap(), b"kept");

        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        ensure_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);

        let mail = dir.join("x.eml");
        create_file(&mail).unwrap();
        assert_eq!(mode(&mail), 0o600);
        tighten_if_present(&dir.join("absent")).unwrap();
    }
}
