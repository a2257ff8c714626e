//! What [`crate::netns`] and [`crate::mountns`] share: moving the calling thread into a fresh
//! namespace of one kind (`unshare(2)`), naming the thread's current one, and running a
//! command only from a thread inside a given namespace.

use std::fs;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::process::run_with_timeout;

/// Bound on one command run inside a namespace (`ip`, `iptables`, `mount`, `umount`).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// A kind of namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Net,
    Mount,
}

impl Kind {
    /// Its entry under `/proc/thread-self/ns`.
    fn proc_name(self) -> &'static str {
        match self {
            Kind::Net => "net",
            Kind::Mount => "mnt",
        }
    }

    fn flag(self) -> (libc::c_int, &'static str) {
        match self {
            Kind::Net => (libc::CLONE_NEWNET, "CLONE_NEWNET"),
            Kind::Mount => (libc::CLONE_NEWNS, "CLONE_NEWNS"),
        }
    }

    /// The module a caller must have called `isolate()` of.
    fn module(self) -> &'static str {
        match self {
            Kind::Net => "netns",
            Kind::Mount => "mountns",
        }
    }
}

/// The calling thread's namespace of `kind`, as the kernel names it (`net:[4026531840]`).
pub(crate) fn current(kind: Kind) -> Result<String> {
    let path = format!("/proc/thread-self/ns/{}", kind.proc_name());
    let link =
        fs::read_link(&path).with_context(|| format!("cannot read {path} (is /proc mounted?)"))?;
    Ok(link.to_string_lossy().into_owned())
}

/// Moves the calling thread into a fresh namespace of `kind` and returns its name; an error if
/// `unshare(2)` fails or leaves the thread where it was.
pub(crate) fn enter_fresh(kind: Kind) -> Result<String> {
    let before = current(kind)?;
    unshare(kind)?;
    let name = current(kind)?;
    let (_, flag) = kind.flag();
    if name == before {
        bail!("unshare({flag}) returned success but the thread is still in {before}");
    }
    Ok(name)
}

#[allow(unsafe_code)]
fn unshare(kind: Kind) -> Result<()> {
    let (flag, flag_name) = kind.flag();
    // SAFETY: unshare(2) takes a flag word and reads or writes no memory of this process. With
    // CLONE_NEWNET alone it only points the calling thread at a new network namespace; with
    // CLONE_NEWNS (which implies CLONE_FS) it gives the calling thread its own copy of the
    // mount table and of its root and working directory. Rust's memory model knows nothing of
    // either (open file descriptors stay valid and keep their namespace), and both are allowed
    // in a multi-threaded process. Failure is reported through errno, read at once below.
    let rc = unsafe { libc::unshare(flag) };
    if rc != 0 {
        let error = std::io::Error::last_os_error();
        let hint = if error.raw_os_error() == Some(libc::EPERM) {
            " (needs root or CAP_SYS_ADMIN: run the test as root)"
        } else {
            ""
        };
        let what = match kind {
            Kind::Net => "a network",
            Kind::Mount => "a mount",
        };
        bail!("cannot create {what} namespace: unshare({flag_name}) failed: {error}{hint}");
    }
    Ok(())
}

/// Runs `program args` (bounded), refused unless the calling thread is in the namespace
/// `name` of `kind`, so a command meant for the namespace never lands on the host.
pub(crate) fn run_inside(kind: Kind, name: &str, program: &str, args: &[&str]) -> Result<()> {
    let here = current(kind)?;
    if here != name {
        bail!(
            "{program} {} called from a thread in {here}, not in {name}: call it from the thread \
             that called {}::isolate() or one spawned after it",
            args.join(" "),
            kind.module()
        );
    }
    let done = run_with_timeout(Command::new(program).args(args), COMMAND_TIMEOUT)
        .with_context(|| format!("cannot run {program}"))?;
    if !done.status.success() {
        bail!(
            "{program} {} failed ({}): {}",
            args.join(" "),
            done.status,
            done.stderr.trim()
        );
    }
    Ok(())
}
