//! A static file server for the built book (`cargo xtask serve`), on `tiny_http`. It serves what
//! is on disk at request time; there is no live reload.

use crate::Result;
use std::path::{Path, PathBuf};
use tiny_http::{Header, Method, Response, Server};

/// Serves `root` on 127.0.0.1:`port` until the process is stopped.
pub fn serve(root: &Path, port: u16) -> Result<()> {
    let server = Server::http(("127.0.0.1", port))
        .map_err(|e| format!("could not listen on 127.0.0.1:{port}: {e}"))?;
    println!("serving {} at http://127.0.0.1:{port}/", root.display());
    println!("(Ctrl-C to stop; no live reload: run `cargo xtask serve` again after editing)");
    answer(&server, root, true);
    Ok(())
}

/// Serves `root` on an ephemeral port of 127.0.0.1 from a background thread, for as long as the
/// process lives (`cargo xtask check-pages`); returns the port. Requests are not logged.
pub fn serve_in_background(root: &Path) -> Result<u16> {
    let server = Server::http(("127.0.0.1", 0))
        .map_err(|e| format!("could not listen on an ephemeral port of 127.0.0.1: {e}"))?;
    let port = server
        .server_addr()
        .to_ip()
        .map(|a| a.port())
        .ok_or("the server has no IP address")?;
    let root = root.to_path_buf();
    std::thread::spawn(move || answer(&server, &root, false));
    Ok(port)
}

/// Answers every request with the file it names (or 403/404/405); `log` prints the failures.
fn answer(server: &Server, root: &Path, log: bool) {
    for request in server.incoming_requests() {
        let url = request.url().to_string();
        let (status, file) = if !matches!(request.method(), Method::Get | Method::Head) {
            (405, None)
        } else {
            match resolve(root, &url) {
                Lookup::Found(path) => (200, Some(path)),
                Lookup::Forbidden => (403, None),
                // mdBook renders a 404 page; show it with the right status.
                Lookup::NotFound => (404, Some(root.join("404.html")).filter(|p| p.is_file())),
            }
        };
        if status != 200 && log {
            println!("    {} {url} -> {status}", request.method());
        }
        let result = match file.map(|path| std::fs::File::open(&path).map(|f| (path, f))) {
            Some(Ok((path, f))) => request.respond(
                Response::from_file(f)
                    .with_status_code(status)
                    .with_header(content_type(&path)),
            ),
            _ => {
                request.respond(Response::from_string(status_text(status)).with_status_code(status))
            }
        };
        if let Err(e) = result
            && log
        {
            println!("    {url}: could not send the response: {e}");
        }
    }
}

/// What a request URL names under the served directory.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    /// An existing file (`index.html` for a directory).
    Found(PathBuf),
    /// The path tries to leave the served directory (`..`) or is not a plain path.
    Forbidden,
    NotFound,
}

/// Maps a request URL (`/ch01-generators.html?x#y`, `/fonts/`, ...) to a file under `root`.
pub fn resolve(root: &Path, url: &str) -> Lookup {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let Some(path) = percent_decode(path) else {
        return Lookup::Forbidden;
    };
    let mut file = root.to_path_buf();
    for segment in path.split('/').filter(|s| !s.is_empty() && *s != ".") {
        if segment == ".." || segment.contains(['\\', '\0']) {
            return Lookup::Forbidden;
        }
        file.push(segment);
    }
    if file.is_dir() {
        file.push("index.html");
    }
    if file.is_file() {
        Lookup::Found(file)
    } else {
        Lookup::NotFound
    }
}

/// `%41` -> `A`; None if the result is not UTF-8 or an escape is malformed.
fn percent_decode(s: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(s.len());
    let mut iter = s.bytes();
    while let Some(b) = iter.next() {
        if b == b'%' {
            let hex = [iter.next()?, iter.next()?];
            bytes.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
        } else {
            bytes.push(b);
        }
    }
    String::from_utf8(bytes).ok()
}

/// The Content-Type for the kinds of file an mdBook site holds.
pub fn content_type(path: &Path) -> Header {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let mime = match ext.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "txt" | "md" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "eot" => "application/vnd.ms-fontobject",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        _ => "application/octet-stream",
    };
    Header::from_bytes("Content-Type", mime).expect("a valid header")
}

fn status_text(status: u16) -> String {
    match status {
        403 => "403 Forbidden\n",
        404 => "404 Not Found\n",
        405 => "405 Method Not Allowed\n",
        _ => "error\n",
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_map_to_files_and_never_leave_the_root() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")); // xtask/: has src/, Cargo.toml
        assert_eq!(
            resolve(root, "/Cargo.toml?x=1#frag"),
            Lookup::Found(root.join("Cargo.toml"))
        );
        assert_eq!(resolve(root, "/src/../../Cargo.toml"), Lookup::Forbidden);
        assert_eq!(resolve(root, "/src/%2e%2e/Cargo.toml"), Lookup::Forbidden);
        assert_eq!(resolve(root, "/no-such-file.html"), Lookup::NotFound);
        // A directory without index.html.
        assert_eq!(resolve(root, "/src/"), Lookup::NotFound);
        assert_eq!(
            resolve(root, "/src/%6Cib.rs"),
            Lookup::Found(root.join("src/lib.rs"))
        );
    }

    #[test]
    fn content_types() {
        let ct = |p: &str| content_type(Path::new(p)).value.to_string();
        assert_eq!(ct("a/index.html"), "text/html; charset=utf-8");
        assert_eq!(ct("fonts/x.woff2"), "font/woff2");
        assert_eq!(ct("searchindex-abc.js"), "text/javascript; charset=utf-8");
        assert_eq!(ct("favicon.svg"), "image/svg+xml");
        assert_eq!(ct("favicon.png"), "image/png");
        assert_eq!(ct("x.json"), "application/json");
    }
}
