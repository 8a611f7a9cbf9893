//! `protect-name`: the do-not-publish list.

use super::*;

pub(super) fn protect_name_cmd(config: &Config, name: &str, remove: bool) -> Exit {
    use std::io::BufRead;
    let names: Vec<String> = if name == "-" {
        std::io::stdin()
            .lock()
            .lines()
            .map_while(Result::ok)
            .filter(|l| !l.trim().is_empty())
            .collect()
    } else {
        vec![name.to_string()]
    };
    let store = match Store::open_for_edit(&config.storage.database) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("exposure-audit: {e}");
            return Exit::Usage;
        }
    };
    let (mut changed, mut unchanged) = (0, 0);
    for n in &names {
        let result = if remove {
            crate::protect::unprotect(&store, n)
        } else {
            crate::protect::protect(&store, n, &crate::audit::now())
        };
        match result {
            Ok(true) => changed += 1,
            Ok(false) => unchanged += 1,
            Err(e) => {
                eprintln!("exposure-audit: {e}");
                return match e {
                    crate::protect::ProtectError::Empty => Exit::Usage,
                    crate::protect::ProtectError::Store(_) => Exit::Failed,
                };
            }
        }
    }
    // The names themselves are not echoed: they may be in a terminal log.
    if remove {
        println!("{changed} name(s) taken off the do-not-publish list; {unchanged} were not on it");
    } else {
        println!(
            "{changed} name(s) added to the do-not-publish list (stored as salted hashes); {unchanged} were on it already"
        );
    }
    Exit::Ok
}
