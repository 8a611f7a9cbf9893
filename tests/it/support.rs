//! Test support: real HTTP servers on 127.0.0.1 built from routes, which
//! record every request they get; config text for a temporary database;
//! helpers to run an audit and read its report.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use exposure_audit::config::Config;
use exposure_audit::crawl::Quiet;
use serde_json::Value;

/// A route's answer.
pub type Handler = Arc<dyn Fn(&Request) -> Response + Send + Sync>;

#[derive(Clone, Default)]
pub struct Shared {
    routes: Arc<HashMap<String, Handler>>,
    pub log: Arc<Mutex<Vec<(String, HeaderMap)>>>,
}

/// A fixture site on 127.0.0.1 at a free port.
pub struct Site {
    pub addr: SocketAddr,
    pub shared: Shared,
    handle: tokio::task::JoinHandle<()>,
}

impl Drop for Site {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

impl Site {
    pub async fn start(routes: Vec<(&str, Handler)>) -> Site {
        let shared = Shared {
            routes: Arc::new(
                routes
                    .into_iter()
                    .map(|(p, h)| (p.to_string(), h))
                    .collect(),
            ),
            log: Arc::default(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new()
            .fallback(dispatch)
            .with_state(shared.clone());
        let handle = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Site {
            addr,
            shared,
            handle,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Paths and queries requested so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.shared
            .log
            .lock()
            .unwrap()
            .iter()
            .map(|(p, _)| p.clone())
            .collect()
    }

    pub fn request_count(&self, path: &str) -> usize {
        self.requests().iter().filter(|p| *p == path).count()
    }

    pub fn headers_of(&self, path: &str) -> Vec<HeaderMap> {
        self.shared
            .log
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, h)| h.clone())
            .collect()
    }
}

async fn dispatch(State(shared): State<Shared>, req: Request) -> Response {
    let path_q = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    shared
        .log
        .lock()
        .unwrap()
        .push((path_q.clone(), req.headers().clone()));
    let handler = shared
        .routes
        .get(&path_q)
        .or_else(|| shared.routes.get(req.uri().path()))
        .or_else(|| shared.routes.get("*"))
        .cloned();
    match handler {
        Some(h) => h(&req),
        None => Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Body::from("not found"))
            .unwrap(),
    }
}

pub fn respond(status: u16, ctype: &str, body: impl Into<Vec<u8>>) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", ctype)
        .body(Body::from(body.into()))
        .unwrap()
}

/// A route that always answers with these bytes.
pub fn fixed(status: u16, ctype: &'static str, body: impl Into<Vec<u8>>) -> Handler {
    let body: Vec<u8> = body.into();
    Arc::new(move |_| respond(status, ctype, body.clone()))
}

/// A route that answers as `before` until `flag` is set, then as `after`:
/// a site that changes between two audits.
pub fn switch(
    flag: &Arc<std::sync::atomic::AtomicBool>,
    before: Handler,
    after: Handler,
) -> Handler {
    let flag = flag.clone();
    Arc::new(move |req| {
        if flag.load(std::sync::atomic::Ordering::SeqCst) {
            after(req)
        } else {
            before(req)
        }
    })
}

pub fn html(body: &str) -> Handler {
    fixed(200, "text/html; charset=utf-8", body.as_bytes().to_vec())
}

pub fn jpeg(bytes: Vec<u8>) -> Handler {
    fixed(200, "image/jpeg", bytes)
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/images")
            .join(name),
    )
    .unwrap()
}

/// A picture re-encoded as JPEG at `width` pixels wide: another copy of the same photo.
pub fn resized_jpeg(name: &str, width: u32, quality: u8) -> Vec<u8> {
    let img = image::load_from_memory(&fixture(name)).unwrap();
    let h = img.height() * width / img.width();
    let small = img
        .resize_exact(width, h, image::imageops::FilterType::Triangle)
        .to_rgb8();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&small)
        .unwrap();
    out
}

/// Config text for a fast test crawl of `start` into `db`; `crawl_extra`
/// lines add to or replace the test defaults of `[crawl]`.
pub fn config_text(db: &Path, start: &str, crawl_extra: &str) -> String {
    let defaults = [
        "per_host_delay_ms = 0",
        "concurrency = 4",
        "request_timeout_secs = 5",
        "connect_timeout_secs = 2",
        "max_retries = 1",
    ];
    let key = |line: &str| {
        line.split('=')
            .next()
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    let overridden: Vec<String> = crawl_extra.lines().map(key).collect();
    let mut crawl: Vec<String> = defaults
        .iter()
        .filter(|d| !overridden.contains(&key(d)))
        .map(|d| d.to_string())
        .collect();
    crawl.extend(crawl_extra.lines().map(str::to_string));
    format!(
        "[storage]\ndatabase = \"{}\"\n\n[crawl]\n{}\n\n[[sources]]\nkind = \"website\"\nname = \"Test site\"\nstart_urls = [\"{start}\"]\n",
        db.display(),
        crawl.join("\n")
    )
}

pub fn config(text: &str) -> Config {
    Config::parse(text, Path::new("test.toml")).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

pub struct Audited {
    pub summary: exposure_audit::audit::AuditSummary,
    pub report: Value,
}

/// Runs an audit and returns its summary and JSON report.
pub async fn audit(config: &Config) -> Audited {
    let summary = exposure_audit::audit::run(config, Arc::new(Quiet))
        .await
        .expect("audit runs");
    let json = exposure_audit::cli::render_report(
        &config.storage.database,
        &summary.run_id.to_string(),
        exposure_audit::cli::Format::Json,
    )
    .unwrap_or_else(|(_, m)| panic!("{m}"));
    Audited {
        summary,
        report: serde_json::from_str(&json).unwrap(),
    }
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

pub fn db_in(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("audit.db")
}

/// Every (found_via, image_url) in a report.
pub fn occurrences(report: &Value) -> Vec<(String, String)> {
    report["exposures"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["occurrences"].as_array().unwrap().iter())
        .map(|o| {
            (
                o["found_via"].as_str().unwrap().to_string(),
                o["image_url"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The exposure holding a copy at a URL ending in `suffix`.
pub fn exposure_with<'a>(report: &'a Value, suffix: &str) -> &'a Value {
    report["exposures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["occurrences"]
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o["image_url"].as_str().unwrap().ends_with(suffix))
        })
        .unwrap_or_else(|| panic!("no exposure has a copy at *{suffix}"))
}

/// Errors recorded for a run's fetches, from the store.
pub fn recorded_errors(db: &Path, run_id: i64) -> Vec<(String, String)> {
    let store = exposure_audit::store::Store::open(db).unwrap();
    store.fetch_failures(run_id).unwrap()
}

/// CONTRACT's found_via vocabulary.
pub const FOUND_VIA: &[&str] = &[
    "img",
    "srcset",
    "picture",
    "css",
    "lazy",
    "og_image",
    "link",
    "sitemap",
    "media_api",
    "directory_listing",
    "feed",
    "api",
    "document",
];

/// Writes a config file for a test crawl of `site` into a database in `dir`;
/// returns (database, config file).
pub fn config_file(dir: &tempfile::TempDir, site: &Site) -> (PathBuf, PathBuf) {
    let db = db_in(dir);
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, config_text(&db, &site.url("/"), "")).unwrap();
    (db, cfg)
}

/// Checks a report against the shape CONTRACT.md promises: every key there,
/// with its type and vocabulary.
pub fn assert_contract_shape(r: &Value) {
    let s = |v: &Value, what: &str| assert!(v.is_string(), "{what} must be a string: {v}");
    let n = |v: &Value, what: &str| assert!(v.is_u64(), "{what} must be a whole number: {v}");
    assert_eq!(r["schema"], "exposure-audit/report/v1");
    s(&r["generated_at"], "generated_at");
    let run = &r["run"];
    n(&run["id"], "run.id");
    assert!(run["previous_run_id"].is_u64() || run["previous_run_id"].is_null());
    s(&run["started_at"], "run.started_at");
    assert!(["complete", "partial", "failed"].contains(&run["status"].as_str().unwrap()));
    for k in ["pages_fetched", "images_fetched", "fetch_errors"] {
        n(&run[k], k);
    }
    let sum = &r["summary"];
    n(&sum["exposures"], "summary.exposures");
    for k in ["high", "medium", "low"] {
        n(&sum["by_risk"][k], k);
    }
    for k in ["new", "unchanged", "changed", "resolved"] {
        n(&sum["by_change"][k], k);
    }
    let exposures = r["exposures"].as_array().expect("exposures array");
    assert_eq!(exposures.len() as u64, sum["exposures"].as_u64().unwrap());

    for e in exposures {
        s(&e["id"], "exposure id");
        assert!(["high", "medium", "low"].contains(&e["risk"].as_str().unwrap()));
        n(&e["score"], "score");
        assert!(e["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .all(Value::is_string));
        let change = e["change"].as_str().unwrap();
        assert!(["new", "unchanged", "changed", "resolved"].contains(&change));
        let why = e["change_reasons"]
            .as_array()
            .expect("change_reasons array");
        // Empty for new and unchanged; a changed exposure says why.
        match change {
            "new" | "unchanged" => assert!(why.is_empty(), "{change} with reasons: {e}"),
            "changed" => assert!(!why.is_empty(), "changed without a reason: {e}"),
            _ => {}
        }
        for w in why {
            assert!(
                [
                    "copy_added",
                    "copy_gone",
                    "now_unlinked",
                    "detail_added",
                    "detail_gone",
                    "risk_up",
                    "risk_down"
                ]
                .contains(&w["kind"].as_str().unwrap()),
                "{w}"
            );
            s(&w["where"], "change_reasons.where");
        }
        let img = &e["image"];
        assert_eq!(img["phash"].as_str().unwrap().len(), 16);
        n(&img["width"], "width");
        n(&img["height"], "height");
        assert!(img["faces"].is_u64() || img["faces"].is_null());
        let meta = &img["metadata"];
        assert!(
            meta["gps"].is_null() || (meta["gps"]["lat"].is_f64() && meta["gps"]["lon"].is_f64())
        );
        assert!(meta["people"].is_array());
        assert!(meta["author"].is_null() || meta["author"].is_string());
        for o in e["occurrences"].as_array().unwrap() {
            for k in ["source", "page_url", "image_url"] {
                s(&o[k], k);
            }
            assert!(
                FOUND_VIA.contains(&o["found_via"].as_str().unwrap()),
                "{}",
                o["found_via"]
            );
            for k in ["alt", "caption", "title", "nearby_text"] {
                assert!(
                    o["context"][k].is_null() || o["context"][k].is_string(),
                    "context.{k}"
                );
            }
            assert!(o["robots"]
                .as_object()
                .unwrap()
                .values()
                .all(|v| v == "allowed" || v == "disallowed"));
        }
        for d in e["details"].as_array().unwrap() {
            for k in ["kind", "text", "where", "page_url"] {
                s(&d[k], k);
            }
        }
    }
    for f in r["site_findings"].as_array().unwrap() {
        for k in ["kind", "url", "detail"] {
            s(&f[k], k);
        }
    }
}

/// Every picture address in a report (its path) with its exposure's
/// change: what a test of change asserts whole, each run, so no picture's
/// change goes unchecked.
pub fn changes(report: &Value) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    for e in report["exposures"].as_array().unwrap() {
        for o in e["occurrences"].as_array().unwrap() {
            let url = url::Url::parse(o["image_url"].as_str().unwrap()).unwrap();
            out.insert(
                url.path().to_string(),
                e["change"].as_str().unwrap().to_string(),
            );
        }
    }
    out
}

/// The map [`changes`] is compared with.
pub fn expect(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(p, c)| (p.to_string(), c.to_string()))
        .collect()
}

/// The person names of an exposure's details, with where each was found,
/// sorted and without repeats.
pub fn names_on(exposure: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = exposure["details"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"] == "person_name")
        .map(|d| {
            (
                d["text"].as_str().unwrap().to_string(),
                d["where"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v.dedup();
    v
}
