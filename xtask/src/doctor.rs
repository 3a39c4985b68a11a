//! `cargo xtask doctor`: the pre-flight before a workshop. Each check says what it found; each
//! problem comes with the one command that fixes it. The decisions (is this toolchain new enough?
//! is the port free?) are plain functions, tested without a toolchain or a network.

use std::net::{Ipv4Addr, SocketAddrV4, TcpListener};
use std::path::Path;

/// A `major.minor.patch` version; a missing part is 0 (`1.88` is `1.88.0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u32, pub u32, pub u32);

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

impl Version {
    /// `1.88`, `1.95.0`, `1.96.0-nightly`, `1.95.0 (59807616e 2026-...)`.
    pub fn parse(text: &str) -> Option<Version> {
        let word = text.split_whitespace().next()?;
        let numbers = word.split(['-', '+']).next()?;
        let mut parts = numbers.split('.').map(|p| p.parse::<u32>());
        let major = parts.next()?.ok()?;
        let minor = parts.next().unwrap_or(Ok(0)).ok()?;
        let patch = parts.next().unwrap_or(Ok(0)).ok()?;
        if parts.next().is_some() {
            return None;
        }
        Some(Version(major, minor, patch))
    }

    /// The version in `rustc --version` output (`rustc 1.95.0 (59807616e 2026-01-01)`).
    pub fn from_rustc(output: &str) -> Option<Version> {
        Version::parse(output.trim().strip_prefix("rustc ")?)
    }
}

/// The `rust-version` under `[workspace.package]` of the root Cargo.toml.
pub fn workspace_rust_version(cargo_toml: &str) -> Option<Version> {
    let mut in_table = false;
    for line in cargo_toml.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_table = line == "[workspace.package]";
            continue;
        }
        if in_table
            && let Some(rest) = line.strip_prefix("rust-version")
            && let Some(value) = rest.trim_start().strip_prefix('=')
        {
            return Version::parse(value.trim().trim_matches('"'));
        }
    }
    None
}

/// Compares the installed compiler with the workspace's minimum: Ok with what was found, or the
/// problem with its fix.
pub fn check_toolchain(rustc_output: &str, required: Version) -> Result<String, Problem> {
    let Some(found) = Version::from_rustc(rustc_output) else {
        return Err(Problem {
            what: format!(
                "could not read the compiler version from `rustc --version` (it printed {:?})",
                rustc_output.trim()
            ),
            fix: "rustup default stable".into(),
        });
    };
    if found < required {
        Err(Problem {
            what: format!("rustc {found} is older than the course's rust-version {required}"),
            fix: "rustup update stable".into(),
        })
    } else {
        Ok(format!(
            "rustc {found} (the course needs {required} or newer)"
        ))
    }
}

/// Whether a TCP port on 127.0.0.1 can be listened on now (what `cargo xtask serve` does).
pub fn port_is_free(port: u16) -> bool {
    TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)).is_ok()
}

/// The port check: Ok, or the problem with the command that serves on another port.
pub fn check_port(port: u16) -> Result<String, Problem> {
    if port_is_free(port) {
        return Ok(format!("127.0.0.1:{port} is free for `cargo xtask serve`"));
    }
    let other = (port.saturating_add(1)..port.saturating_add(50))
        .find(|&p| port_is_free(p))
        .unwrap_or(8000);
    Err(Problem {
        what: format!(
            "127.0.0.1:{port} is in use (another `cargo xtask serve`, or another server), so \
             `cargo xtask serve` would fail"
        ),
        fix: format!("cargo xtask serve --port {other}"),
    })
}

/// Where Chromium is, for `cargo xtask check-pages` (informational).
pub fn find_chromium() -> Option<std::path::PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Some(path.into());
    }
    let names = [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ];
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// A problem the doctor found and the one command that fixes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub what: String,
    pub fix: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_compare_numerically() {
        assert_eq!(Version::parse("1.88"), Some(Version(1, 88, 0)));
        assert_eq!(Version::parse("1.95.0"), Some(Version(1, 95, 0)));
        assert_eq!(Version::parse("1.96.0-nightly"), Some(Version(1, 96, 0)));
        assert_eq!(Version::parse("one.two"), None);
        assert_eq!(
            Version::from_rustc("rustc 1.95.0 (59807616e 2026-01-01)\n"),
            Some(Version(1, 95, 0))
        );
        assert_eq!(Version::from_rustc("cargo 1.95.0"), None);
        // 1.100 is newer than 1.88 (numbers, not strings).
        assert!(Version(1, 100, 0) > Version(1, 88, 0));
        assert!(Version(1, 88, 1) > Version(1, 88, 0));
    }

    #[test]
    fn the_workspace_rust_version_is_read_from_its_table() {
        let toml = "[workspace]\nresolver = \"3\"\n\n[workspace.package]\nedition = \"2024\"\n\
                    rust-version = \"1.88\"\n\n[package]\nrust-version = \"1.99\"\n";
        assert_eq!(workspace_rust_version(toml), Some(Version(1, 88, 0)));
        assert_eq!(
            workspace_rust_version("[package]\nrust-version = \"1.9\"\n"),
            None
        );
    }

    #[test]
    fn an_old_compiler_is_a_problem_with_the_update_command() {
        let required = Version(1, 88, 0);
        let old = check_toolchain("rustc 1.87.0 (17067e9ac 2025-05-09)", required).unwrap_err();
        assert!(
            old.what.contains("1.87.0") && old.what.contains("1.88.0"),
            "{old:?}"
        );
        assert_eq!(old.fix, "rustup update stable");
        assert!(check_toolchain("rustc 1.88.0 (x)", required).is_ok());
        assert!(check_toolchain("rustc 1.95.0 (x)", required).is_ok());
        assert!(check_toolchain("garbage", required).is_err());
    }

    #[test]
    fn a_port_in_use_is_a_problem_that_names_a_free_one() {
        let taken = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        assert!(
            !port_is_free(port),
            "a port we listen on must read as taken"
        );
        let problem = check_port(port).unwrap_err();
        assert!(problem.what.contains(&port.to_string()), "{problem:?}");
        assert!(
            problem.fix.starts_with("cargo xtask serve --port "),
            "{problem:?}"
        );
        let suggested: u16 = problem.fix.rsplit(' ').next().unwrap().parse().unwrap();
        assert_ne!(suggested, port);
        drop(taken);
        assert!(
            port_is_free(port),
            "a port nobody listens on must read as free"
        );
        assert!(check_port(port).is_ok());
    }
}
