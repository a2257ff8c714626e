//! A private mount namespace for a test, so that it may mount a small tmpfs (a disk that fills
//! up) under a temporary directory without touching the host's mounts.
//!
//! ```text
//!   let ns = mountns::isolate()?;            unshare(CLONE_NEWNS) for THIS thread; every mount private
//!   let disk = ns.tmpfs(&dir, 8 << 20)?;     mount -t tmpfs -o size=8388608 tmpfs <dir>
//!   DialogdNode::start_in(..)                children spawned from this thread see the mount
//!   drop(disk);                              umount -l <dir>
//! ```
//!
//! The thread rules are [`crate::netns`]'s: `unshare(2)` moves the calling thread only; threads
//! and processes it creates afterwards inherit the namespace, others do not. So the test
//! function calls [`isolate`] first, then mounts, starts the node and writes to the mount, all
//! from that thread. Mounts are made private first, so nothing propagates to the host; the
//! namespace and its mounts disappear with their last thread and process, and [`Tmpfs`]
//! unmounts on drop so the directory under it can be removed.
//!
//! Needs root (CAP_SYS_ADMIN) and `mount`/`umount` (util-linux): [`running_as_root`] lets a
//! test skip, with a printed reason, where it cannot run.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::namespace::{self, Kind};

/// Whether this process runs as root (what [`isolate`] needs).
#[allow(unsafe_code)]
pub fn running_as_root() -> bool {
    // SAFETY: geteuid(2) takes no arguments, touches no memory of this process and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// A mount namespace made by [`isolate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountNs {
    name: String,
}

/// A tmpfs mounted by [`MountNs::tmpfs`]; unmounted (lazily) on drop.
#[derive(Debug)]
pub struct Tmpfs {
    ns: MountNs,
    dir: PathBuf,
}

/// Moves the calling thread into a fresh mount namespace whose mounts are all private. See the
/// module doc for which threads and processes end up inside.
pub fn isolate() -> Result<MountNs> {
    let ns = MountNs {
        name: namespace::enter_fresh(Kind::Mount)?,
    };
    ns.run("mount", &["--make-rprivate", "/"])
        .context("cannot make the new namespace's mounts private")?;
    Ok(ns)
}

impl MountNs {
    /// Mounts a tmpfs of `bytes` bytes on `dir` (which must exist), inside the namespace.
    pub fn tmpfs(&self, dir: &Path, bytes: u64) -> Result<Tmpfs> {
        let target = dir.to_string_lossy().into_owned();
        let size = format!("size={bytes}");
        self.run("mount", &["-t", "tmpfs", "-o", &size, "tmpfs", &target])?;
        Ok(Tmpfs {
            ns: self.clone(),
            dir: dir.to_path_buf(),
        })
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<()> {
        namespace::run_inside(Kind::Mount, &self.name, program, args)
    }
}

impl Tmpfs {
    /// Where it is mounted.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes zeros to `name` under the mount until the file system is full (ENOSPC); returns
    /// the bytes written. Any other error is returned.
    pub fn fill(&self, name: &str) -> Result<u64> {
        use std::io::Write;
        let path = self.dir.join(name);
        let mut file =
            fs::File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        let chunk = vec![0u8; 64 << 10];
        let mut written = 0u64;
        loop {
            match file.write(&chunk) {
                Ok(0) => return Ok(written),
                Ok(n) => written += n as u64,
                Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => return Ok(written),
                Err(e) => return Err(e).with_context(|| format!("writing {}", path.display())),
            }
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let target = self.dir.to_string_lossy().into_owned();
        // Lazily: a process still holding a file there must not keep the directory busy.
        let _ = self.ns.run("umount", &["-l", &target]);
    }
}

#[cfg(test)]
mod tests {
    use std::thread;

    use super::*;

    #[test]
    fn a_tmpfs_fills_up_and_the_host_never_sees_it() {
        if !running_as_root() {
            eprintln!("skipped: mounting a tmpfs needs root");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let disk = dir.path().join("disk");
        fs::create_dir(&disk).unwrap();
        let host = namespace::current(Kind::Mount).unwrap();
        let inside = disk.clone();
        let written = thread::spawn(move || {
            let ns = isolate().unwrap_or_else(|e| panic!("{e:#}"));
            let tmpfs = ns.tmpfs(&inside, 1 << 20).unwrap();
            let written = tmpfs.fill("fill").unwrap();
            assert!(inside.join("fill").exists());
            written
        })
        .join()
        .unwrap();
        assert!(
            written > 0 && written <= 1 << 20,
            "{written} bytes in a 1 MiB tmpfs"
        );
        assert_eq!(
            namespace::current(Kind::Mount).unwrap(),
            host,
            "the test thread stayed"
        );
        assert!(
            !disk.join("fill").exists(),
            "the mount was private to the namespace"
        );
    }
}
