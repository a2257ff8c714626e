//! The open-files limit (RLIMIT_NOFILE) of this process, raised so that thousands of attack
//! connections (and, in children started afterwards, which inherit the limit, thousands of
//! accepted ones) fit.
//!
//! Must not lower a limit: only raises the soft limit towards the hard one, and the hard one
//! too when the process may (root, CAP_SYS_RESOURCE).

use anyhow::{Result, bail};

/// Raises the soft RLIMIT_NOFILE to at least `want` if it can (up to the hard limit, or past it
/// when privileged); returns the soft limit now in force, which may still be below `want`.
#[allow(unsafe_code)]
pub fn raise_open_files_limit(want: u64) -> Result<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one `rlimit` into the valid, exclusively borrowed `limit` and
    // nothing else; errors come back as -1 with errno.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        bail!(
            "getrlimit(RLIMIT_NOFILE): {}",
            std::io::Error::last_os_error()
        );
    }
    if limit.rlim_cur >= want {
        return Ok(limit.rlim_cur);
    }
    let attempts = [
        libc::rlimit {
            rlim_cur: want,
            rlim_max: limit.rlim_max.max(want),
        },
        libc::rlimit {
            rlim_cur: want.min(limit.rlim_max),
            rlim_max: limit.rlim_max,
        },
    ];
    for wanted in attempts {
        // SAFETY: setrlimit reads one `rlimit` from a valid reference and touches no other
        // memory; a refusal (EPERM past the hard limit) is an error return, not a fault.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) } == 0 {
            return Ok(wanted.rlim_cur);
        }
    }
    Ok(limit.rlim_cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_never_lowered_and_reaches_a_modest_want() {
        let before = raise_open_files_limit(0).unwrap();
        assert!(before > 0);
        let after = raise_open_files_limit(before.min(1_024)).unwrap();
        assert_eq!(after, before, "asking for less changes nothing");
        let raised = raise_open_files_limit(2_048).unwrap();
        assert!(raised >= before.min(2_048), "{raised} < {before}");
    }
}
