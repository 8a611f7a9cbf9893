//! The demo: a bundled school website served on 127.0.0.1 and audited into
//! a local database, so a newcomer sees the product work with no setup. The
//! same fixture-site server backs the integration tests.
//!
//! The server is deliberately ordinary: static files with ETag and
//! Last-Modified (so a second audit gets 304s), Apache-style listings for
//! folders holding a `.autoindex` marker, and the WordPress media endpoint
//! answered from `wp-json/wp/v2/media.json`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The bundled demo site, relative to the crate root or the working folder.
pub const DEMO_SITE: &str = "demo/site";

/// Finds the demo site: next to the working folder first, then the source tree.
pub fn demo_site_dir() -> Option<PathBuf> {
    [
        PathBuf::from(DEMO_SITE),
        Path::new(env!("CARGO_MANIFEST_DIR")).join(DEMO_SITE),
    ]
    .into_iter()
    .find(|p| p.join("index.html").is_file())
}

/// A running fixture site.
pub struct SiteServer {
    pub addr: SocketAddr,
    handle: JoinHandle<()>,
}

impl SiteServer {
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

impl Drop for SiteServer {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// The port the demo prefers, so that URLs (and so conditional requests and
/// changes) stay the same from one demo run to the next.
pub const DEMO_PORT: u16 = 8917;

/// Serves `root` on 127.0.0.1 at `port`, or at a free port if that is taken or 0.
pub async fn serve_site(root: PathBuf, port: u16) -> std::io::Result<SiteServer> {
    let listener = match TcpListener::bind(("127.0.0.1", port)).await {
        Ok(l) => l,
        Err(_) => TcpListener::bind(("127.0.0.1", 0)).await?,
    };
    let addr = listener.local_addr()?;
    let app = axum::Router::new()
        .fallback(handle)
        .with_state(Arc::new(root));
    let handle = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(SiteServer { addr, handle })
}

async fn handle(State(root): State<Arc<PathBuf>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or_default().to_string();
    let decoded = percent_decode(&path);
    if decoded.split('/').any(|seg| seg == "..") {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let rel = decoded.trim_start_matches('/');
    if rel == "wp-json/wp/v2/media" {
        return media(&root, &query, req.headers());
    }
    let mut file = root.join(rel);
    if file.is_dir() {
        if !path.ends_with('/') {
            return redirect(&format!("{path}/"));
        }
        if file.join("index.html").is_file() {
            file = file.join("index.html");
        } else if file.join(".autoindex").is_file() {
            return listing(&file, &path);
        } else {
            return (StatusCode::FORBIDDEN, "Forbidden").into_response();
        }
    }
    let origin = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| format!("http://{h}"));
    match tokio::fs::read(&file).await {
        Ok(bytes) => {
            let ctype = content_type(&file);
            let bytes = with_origin(bytes, ctype, origin.as_deref());
            conditional(req.headers(), bytes, ctype)
        }
        Err(_) => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/html")],
            "<h1>Not Found</h1>",
        )
            .into_response(),
    }
}

/// Text files may write `{{origin}}` where a real site has its own absolute
/// address (sitemaps, feeds, APIs); the server fills in where it listens.
fn with_origin(bytes: Vec<u8>, ctype: &str, origin: Option<&str>) -> Vec<u8> {
    let textual = ctype.starts_with("text/") || ctype.contains("xml") || ctype.contains("json");
    match (textual, origin) {
        (true, Some(origin)) if bytes.windows(10).any(|w| w == b"{{origin}}") => {
            String::from_utf8_lossy(&bytes)
                .replace("{{origin}}", origin)
                .into_bytes()
        }
        _ => bytes,
    }
}

fn redirect(to: &str) -> Response {
    (
        StatusCode::MOVED_PERMANENTLY,
        [(header::LOCATION, to.to_string())],
    )
        .into_response()
}

/// 200 with validators, or 304 when the client's validators still match.
fn conditional(req: &HeaderMap, bytes: Vec<u8>, ctype: &'static str) -> Response {
    let etag = format!("\"{}\"", &crate::analysis::hash::sha256_hex(&bytes)[..16]);
    let last_modified = "Fri, 19 Jun 2026 10:00:00 GMT";
    let matches = req
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut resp = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = Response::new(Body::from(bytes));
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
        r
    };
    let h = resp.headers_mut();
    h.insert(
        header::ETAG,
        HeaderValue::from_str(&etag).expect("hex etag"),
    );
    h.insert(
        header::LAST_MODIFIED,
        HeaderValue::from_static(last_modified),
    );
    resp
}

fn media(root: &Path, query: &str, req: &HeaderMap) -> Response {
    let page: u32 = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("page="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let Ok(bytes) = std::fs::read(root.join("wp-json/wp/v2/media.json")) else {
        return (StatusCode::NOT_FOUND, "{\"code\":\"rest_no_route\"}").into_response();
    };
    if page > 1 {
        return (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "application/json")],
            "{\"code\":\"rest_post_invalid_page_number\"}",
        )
            .into_response();
    }
    let origin = req
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| format!("http://{h}"));
    let bytes = with_origin(bytes, "application/json", origin.as_deref());
    let mut resp = conditional(req, bytes, "application/json");
    resp.headers_mut()
        .insert("x-wp-totalpages", HeaderValue::from_static("1"));
    resp
}

fn listing(dir: &Path, path: &str) -> Response {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(std::result::Result::ok)
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    if name.starts_with('.') {
                        return None;
                    }
                    Some(if e.path().is_dir() {
                        format!("{name}/")
                    } else {
                        name
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut html = format!("<html><head><title>Index of {path}</title></head><body><h1>Index of {path}</h1><ul><li><a href=\"../\">Parent Directory</a></li>");
    for n in names {
        html.push_str(&format!("<li><a href=\"{n}\">{n}</a></li>"));
    }
    html.push_str("</ul></body></html>");
    ([(header::CONTENT_TYPE, "text/html")], html).into_response()
}

fn content_type(p: &Path) -> &'static str {
    match p.extension().and_then(|e| e.to_str()).unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css",
        "xml" => "application/xml",
        "json" => "application/json",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "txt" => "text/plain",
        "pdf" => "application/pdf",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => "application/octet-stream",
    }
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}
