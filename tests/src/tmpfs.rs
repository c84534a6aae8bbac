//! A small tmpfs of its own for a test: a disk that fills up, or turns read-only, on demand.
//! Mounting needs root; where it is refused the test skips, unless `LMSDR_REQUIRE_MOUNT` is set
//! (as CI sets it), in which case it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Set to make tests that need a tmpfs fail rather than skip when mounting is refused.
pub const REQUIRE_MOUNT: &str = "LMSDR_REQUIRE_MOUNT";

/// A mounted tmpfs, unmounted when dropped.
pub struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (`3m`, `256m`) on a new temporary directory, or says why not and
    /// returns `None` when mounting is refused and not required.
    pub fn mount(size: &str) -> Option<Tmpfs> {
        Self::mount_with(&format!("size={size},mode=0755"))
    }

    /// Mounts a tmpfs of `size` owned by `user` (`postgres`, for a tablespace on it).
    pub fn mount_owned_by(size: &str, user: &str) -> Option<Tmpfs> {
        let id = |flag: &str| {
            Command::new("id")
                .args([flag, user])
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
                .filter(|id| !id.is_empty())
        };
        let (uid, gid) = (id("-u")?, id("-g")?);
        Self::mount_with(&format!("size={size},mode=0700,uid={uid},gid={gid}"))
    }

    fn mount_with(options: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().expect("create a mount point");
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(dir.path())
            .output();
        match output {
            Ok(output) if output.status.success() => Some(Tmpfs { dir }),
            other => {
                let why = match other {
                    Ok(output) => String::from_utf8_lossy(&output.stderr).into_owned(),
                    Err(err) => err.to_string(),
                };
                assert!(
                    std::env::var_os(REQUIRE_MOUNT).is_none(),
                    "{REQUIRE_MOUNT} is set but a tmpfs cannot be mounted: {why}"
                );
                eprintln!("skipped: cannot mount a tmpfs ({why}); run as root to test faults");
                None
            }
        }
    }

    /// Where it is mounted.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A file inside it.
    pub fn join(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The URL of an SQLite database on it.
    pub fn sqlite_url(&self) -> String {
        format!("sqlite://{}?mode=rwc", self.join("lmsdr.db").display())
    }

    /// Remounts it with new options: `size=256m`, `ro`, `rw`.
    pub fn remount(&self, options: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(self.dir.path())
            .status()
            .expect("mount runs");
        assert!(status.success(), "remount {options}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazily, so that a process still holding a file open cannot keep it mounted.
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}
