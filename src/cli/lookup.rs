//! `lookup`: where a picture (a file) is public, from the stored runs.

use super::*;

pub(super) fn lookup_cmd(
    config: &Config,
    file: &Path,
    format: CheckFormat,
    export: Option<&Path>,
) -> Exit {
    let db = &config.storage.database;
    if !db.exists() {
        eprintln!(
            "exposure-audit: no database at {}: nothing has been audited to look up",
            db.display()
        );
        return Exit::Usage;
    }
    let result = Store::open(db)
        .map_err(crate::lookup::LookupError::from)
        .and_then(|store| {
            let c = &config.crawl;
            crate::lookup::lookup(&store, file, c.max_image_pixels, c.max_image_bytes)
        });
    let l = match result {
        Ok(l) => l,
        Err(e) => {
            eprintln!("exposure-audit: {e}");
            return match e {
                crate::lookup::LookupError::Store(_) => Exit::Failed,
                _ => Exit::Usage,
            };
        }
    };
    let json = serde_json::to_string_pretty(&l).expect("lookup serialises");
    match format {
        CheckFormat::Text => print!("{}", escape_controls(&crate::lookup::render_text(&l))),
        CheckFormat::Json => println!("{json}"),
    }
    if let Some(dir) = export {
        let path = dir.join("lookup.json");
        if let Err(e) = crate::private_file::write_private(&path, json.as_bytes()) {
            eprintln!("exposure-audit: cannot write {}: {e}", path.display());
            return Exit::Failed;
        }
        eprintln!("evidence written to {}", path.display());
    }
    Exit::Ok
}
