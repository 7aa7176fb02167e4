//! The layers of ARCHITECTURE.md, enforced: every `crate::…` path (a `use`
//! line, a `pub use`, a path written inline) and every `super::` that climbs
//! out of its room is an arrow from the file's room to another, and the lower
//! rooms may only point down.
//!
//! A room is a top-level module: `src/store/read.rs` and `src/store/mod.rs`
//! are `store`, `src/input.rs` is `input`. Comments and string literals are
//! not code and are skipped.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each lower room and the only rooms its files may name besides itself:
/// domain ← store ← till ← ui/replay/cli. `data` and `input` read the data
/// file into domain values. compliance sits on store and domain; sync and
/// payments also on the till (they implement its ports and answer its
/// questions), never the other way round.
const ALLOWED: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("input", &["domain"]),
    ("data", &["domain", "input"]),
    ("store", &["domain", "data", "input"]),
    ("till", &["domain", "store", "data", "input"]),
    ("compliance", &["domain", "store", "data", "input"]),
    ("sync", &["domain", "store", "till", "data", "input"]),
    ("payments", &["domain", "store", "till", "data", "input"]),
    // The central ledger never imports the till's store, till or screens.
    ("ledger", &["domain", "data", "input"]),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file under `src/`: `store/read.rs` → [store, read],
/// `store/mod.rs` → [store]; the crate root (`lib.rs`, `main.rs`) → [].
fn module_path(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs");
        if !matches!(stem, "mod" | "lib" | "main") {
            parts.push(stem.to_string());
        }
    }
    parts
}

fn is_ident(ch: char) -> bool {
    ch.is_alphanumeric() || ch == '_'
}

/// True when the `r` at `i` begins a token (or follows the `b` of `br"…"`).
fn starts_token(c: &[char], i: usize) -> bool {
    let before = |k: usize| i.checked_sub(k).and_then(|j| c.get(j)).copied();
    match before(1) {
        Some('b') => !before(2).is_some_and(is_ident),
        Some(ch) => !is_ident(ch),
        None => true,
    }
}

/// The character `k` places after `i`, or NUL past the end.
fn peek(c: &[char], i: usize, k: usize) -> char {
    c.get(i + k).copied().unwrap_or('\0')
}

/// `text` with comments and the contents of string and char literals
/// blanked out (line breaks kept, so line numbers still match).
fn code_only(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, ch: char| out.push(if ch == '\n' { '\n' } else { ' ' });
    let mut i = 0;
    while i < c.len() {
        if peek(&c, i, 0) == '/' && peek(&c, i, 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if peek(&c, i, 0) == '/' && peek(&c, i, 1) == '*' {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && peek(&c, i, 1) == '*' {
                    depth += 1;
                    i += 2;
                    out.push_str("  ");
                } else if c[i] == '*' && peek(&c, i, 1) == '/' {
                    depth -= 1;
                    i += 2;
                    out.push_str("  ");
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, c[i]);
                    i += 1;
                }
            }
        } else if peek(&c, i, 0) == 'r'
            && (peek(&c, i, 1) == '"'
                || (peek(&c, i, 1) == '#' && matches!(peek(&c, i, 2), '#' | '"')))
            && starts_token(&c, i)
        {
            // A raw string: r"…", r#"…"#, br"…".
            let mut hashes = 0;
            i += 1;
            while peek(&c, i, 0) == '#' {
                hashes += 1;
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
            while i < c.len() {
                if c[i] == '"' && (1..=hashes).all(|k| peek(&c, i, k) == '#') {
                    i += 1 + hashes;
                    break;
                }
                blank(&mut out, c[i]);
                i += 1;
            }
        } else if peek(&c, i, 0) == '"' {
            i += 1;
            out.push_str("\"\"");
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    blank(&mut out, c[i]);
                    i += 1;
                }
                if i < c.len() {
                    blank(&mut out, c[i]);
                    i += 1;
                }
            }
            i += 1;
        } else if peek(&c, i, 0) == '\'' && (peek(&c, i, 2) == '\'' || peek(&c, i, 1) == '\\') {
            // A char literal ('"', '\'', '\u{..}'); a lifetime has no closing quote.
            i += 1;
            while i < c.len() && c[i] != '\'' {
                if c[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// Where a path that starts with `word` begins, seen from `module`: the crate
/// root for `crate`, the parent for `super`; None for any other word.
fn path_root(word: &str, module: &[String]) -> Option<Vec<String>> {
    match word {
        "crate" => Some(Vec::new()),
        "super" => Some(module[..module.len().saturating_sub(1)].to_vec()),
        _ => None,
    }
}

/// The rooms (top-level modules) that `code` names, with the line of each,
/// seen from a file at module path `module`.
fn arrows(code: &str, module: &[String]) -> Vec<(usize, String)> {
    let c: Vec<char> = code.chars().collect();
    let line_of = |i: usize| c[..i].iter().filter(|&&ch| ch == '\n').count() + 1;
    let skip_ws = |mut i: usize| {
        while i < c.len() && c[i].is_whitespace() {
            i += 1;
        }
        i
    };
    let ident_at = |i: usize| {
        let end = (i..c.len()).find(|&k| !is_ident(c[k])).unwrap_or(c.len());
        (c[i..end].iter().collect::<String>(), end)
    };
    let sep_at = |i: usize| {
        let i = skip_ws(i);
        (c.get(i) == Some(&':') && c.get(i + 1) == Some(&':')).then(|| skip_ws(i + 2))
    };
    let mut found = Vec::new();
    let mut i = 0;
    while i < c.len() {
        if !is_ident(c[i]) || (i > 0 && is_ident(c[i - 1])) {
            i += 1;
            continue;
        }
        let (word, end) = ident_at(i);
        let start = i;
        i = end;
        // Where the path is, as a module path, once `crate`/`super` are read.
        let Some(mut at) = path_root(&word, module) else {
            continue;
        };
        let mut next = sep_at(end);
        while let Some(k) = next {
            let (w, e) = ident_at(k);
            if w != "super" {
                break;
            }
            at.pop();
            next = sep_at(e);
        }
        // Only a path that starts at the crate root names a room.
        let (Some(k), true) = (next, at.is_empty()) else {
            continue;
        };
        if c.get(k) == Some(&'{') {
            // `crate::{a::b, c}`: the first name of each top-level item.
            let (mut depth, mut item_start, mut j) = (0, true, k + 1);
            while j < c.len() && depth >= 0 {
                match c[j] {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    ch if item_start && is_ident(ch) => {
                        let (w, e) = ident_at(j);
                        if w != "self" {
                            found.push((line_of(start), w));
                        }
                        item_start = false;
                        j = e;
                        continue;
                    }
                    _ => {}
                }
                j += 1;
            }
            i = j;
        } else {
            let (w, _) = ident_at(k);
            if !w.is_empty() {
                found.push((line_of(start), w));
            }
        }
    }
    found
}

#[test]
fn the_reader_finds_every_kind_of_arrow_and_nothing_else() {
    let check = |code: &str, module: &[&str], expected: &[&str]| {
        let module: Vec<String> = module.iter().map(|s| s.to_string()).collect();
        let got: Vec<String> = arrows(&code_only(code), &module)
            .into_iter()
            .map(|(_, room)| room)
            .collect();
        assert_eq!(got, expected, "{code}");
    };
    let store = ["store", "read"];
    check("use crate::domain::Money;", &store, &["domain"]);
    check("pub use crate::till::Mode;", &store, &["till"]);
    check(
        "use crate::{domain::{Money, Sale}, compliance::sign, self};",
        &store,
        &["domain", "compliance"],
    );
    check(
        "let s = crate::compliance::sign::Signer::demo();",
        &store,
        &["compliance"],
    );
    check("x: &'a crate :: ui :: Element", &store, &["ui"]);
    // Within the room: not an arrow. Climbing out of it: an arrow.
    check("use super::{Store, write_tx};", &store, &[]);
    check("use super::super::sync::Worker;", &store, &["sync"]);
    check("use super::till::Till;", &["store"], &["till"]);
    // Not code.
    check(
        "// use crate::ui::App;\n/* crate::sync /* nested */ crate::cli */",
        &store,
        &[],
    );
    check(
        r#"let s = "crate::ui"; let r = r"crate::cli\"; let b = br"\"; let q = '"';"#,
        &store,
        &[],
    );
    check("/// See [`crate::till::Till`].\nfn f() {}", &store, &[]);
    check(
        "fn f<'a>(x: &'a str) -> crate::domain::Money",
        &store,
        &["domain"],
    );
    check("let supercrate = 1; my_crate::x();", &store, &[]);
}

#[test]
fn lower_rooms_only_point_down() {
    let root = src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut rooms_seen = BTreeSet::new();
    let mut wrong = Vec::new();
    for path in &files {
        let relative = path.strip_prefix(&root).expect("under src/");
        let module = module_path(relative);
        let Some(room) = module.first() else {
            continue; // lib.rs, main.rs
        };
        rooms_seen.insert(room.clone());
        let Some((_, allowed)) = ALLOWED.iter().find(|(r, _)| r == room) else {
            continue;
        };
        let text = std::fs::read_to_string(path).expect("readable source");
        for (line, target) in arrows(&code_only(&text), &module) {
            if &target != room && !allowed.contains(&target.as_str()) {
                wrong.push(format!(
                    "src/{}:{line}: {room} → {target}",
                    relative.display()
                ));
            }
        }
    }
    for (room, _) in ALLOWED {
        assert!(
            rooms_seen.contains(*room),
            "no files found for room `{room}`"
        );
    }
    assert!(
        wrong.is_empty(),
        "arrows that point up (see ARCHITECTURE.md, Layers):\n{}",
        wrong.join("\n")
    );
}

/// Inside `ui`, the tour wraps the app and the app never names the tour
/// (ARCHITECTURE.md: tour → app → screen): no code under `src/ui/app/` says
/// `tour` (comments and strings aside).
#[test]
fn the_app_never_names_the_tour() {
    let dir = src().join("ui").join("app");
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    assert!(!files.is_empty(), "no files under {}", dir.display());
    let mut wrong = Vec::new();
    for path in &files {
        let code = code_only(&std::fs::read_to_string(path).expect("readable source"));
        for (n, line) in code.lines().enumerate() {
            let named = line
                .split(|ch: char| !is_ident(ch))
                .any(|word| word == "tour" || word == "Tour" || word == "Touring");
            if named {
                wrong.push(format!("{}:{}", path.display(), n + 1));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "ui/app names the tour (an arrow up to ui/tour.rs):\n{}",
        wrong.join("\n")
    );
}

/// The module paths that `code` names through `crate::…` or `super::…`
/// (each item of a `{…}` group its own path), seen from `module`.
fn paths(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let c: Vec<char> = code.chars().collect();
    let word_at = |i: usize| {
        let end = (i..c.len()).find(|&k| !is_ident(c[k])).unwrap_or(c.len());
        (c[i..end].iter().collect::<String>(), end)
    };
    let sep_at = |mut i: usize| {
        while i < c.len() && c[i].is_whitespace() {
            i += 1;
        }
        (c.get(i) == Some(&':') && c.get(i + 1) == Some(&':')).then_some(i + 2)
    };
    let skip_ws = |mut i: usize| {
        while i < c.len() && c[i].is_whitespace() {
            i += 1;
        }
        i
    };
    let mut found = Vec::new();
    let mut i = 0;
    while i < c.len() {
        if !is_ident(c[i]) || (i > 0 && (is_ident(c[i - 1]) || c[i - 1] == ':')) {
            i += 1;
            continue;
        }
        let (first, end) = word_at(i);
        i = end;
        let Some(mut at) = path_root(&first, module) else {
            continue;
        };
        let mut next = sep_at(end);
        while let Some(k) = next.map(skip_ws) {
            if c.get(k) == Some(&'{') {
                // One level of `{a, b::c}`: the first name of each item.
                let close = (k..c.len()).find(|&j| c[j] == '}').unwrap_or(c.len());
                for item in c[k + 1..close].iter().collect::<String>().split(',') {
                    let name: String = item.trim().chars().take_while(|&ch| is_ident(ch)).collect();
                    if !name.is_empty() && name != "self" {
                        found.push([at.clone(), vec![name]].concat());
                    }
                }
                break;
            }
            let (w, e) = word_at(k);
            if w.is_empty() {
                break;
            }
            if w == "super" {
                at.pop();
            } else {
                at.push(w);
            }
            next = sep_at(e);
        }
        found.push(at);
    }
    found
}

/// No two files under `src/ui/` name each other (ARCHITECTURE.md: tour →
/// app → screen → widget, text, theme). A `mod.rs` declaring its children is
/// not a name; a child's `use super::*` is one.
#[test]
fn ui_files_do_not_import_each_other_in_a_circle() {
    let root = src();
    let mut files = Vec::new();
    rust_files(&root.join("ui"), &mut files);
    let modules: Vec<(Vec<String>, &PathBuf)> = files
        .iter()
        .map(|p| (module_path(p.strip_prefix(&root).expect("under src/")), p))
        .collect();
    let mut named: Vec<BTreeSet<usize>> = Vec::new();
    for (module, path) in &modules {
        let code = code_only(&std::fs::read_to_string(path).expect("readable source"));
        let mut targets = BTreeSet::new();
        for p in paths(&code, module) {
            // The longest module path that is a file of ours.
            let hit = (1..=p.len())
                .rev()
                .find_map(|k| modules.iter().position(|(m, _)| m[..] == p[..k]));
            if let Some(t) = hit.filter(|t| modules[*t].0 != *module) {
                targets.insert(t);
            }
        }
        named.push(targets);
    }
    let mut circles = Vec::new();
    for (a, targets) in named.iter().enumerate() {
        for &b in targets {
            if a < b && named[b].contains(&a) {
                circles.push(format!(
                    "{} ↔ {}",
                    modules[a].1.display(),
                    modules[b].1.display()
                ));
            }
        }
    }
    assert!(
        circles.is_empty(),
        "files under src/ui that name each other:\n{}",
        circles.join("\n")
    );
}
