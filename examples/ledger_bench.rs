//! `cargo run --release --example ledger_bench -- <connection> [sales] [batch] [members] [page]`
//!
//! `<connection>` is a SQLite path or a `postgres://` URL; use an empty
//! database (the pull counts everything in it).

use kasse::ledger::{BenchOptions, bench, open_storage};

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(conn) = args.first() else {
        eprintln!(
            "usage: ledger_bench <sqlite-path | postgres://…> [sales] [batch] [members] [page]"
        );
        std::process::exit(2);
    };
    let mut o = BenchOptions::default();
    let num = |i: usize, d: usize| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    o.sales = num(1, o.sales);
    o.batch = num(2, o.batch);
    o.members = num(3, o.members);
    o.page = u32::try_from(num(4, o.page as usize)).unwrap_or(o.page);
    let storage = match open_storage(conn).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("ledger_bench: {e}");
            std::process::exit(1);
        }
    };
    match bench(storage, o).await {
        Ok(report) => println!("{report}"),
        Err(e) => {
            eprintln!("ledger_bench: {e}");
            std::process::exit(1);
        }
    }
}
