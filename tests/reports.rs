//! The reports end to end: the real binary on `fixtures/demo-mini` (60 canonical orders that
//! raise slow-fulfillment, late-delivery and stockout-cancellations), on a hostile copy of it,
//! and on the bundled demo store (`examples/demo-store`).
//!
//! Every `report.json` a test here produces is validated against `schema/report.schema.json`
//! (see [`analyze`]). Snapshots (insta) pin the terminal table (COLUMNS=120, no colour), the
//! Markdown and the JSON of demo-mini; review changes with `cargo insta review` or
//! `INSTA_UPDATE=always cargo test --test reports`.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use assert_cmd::Command;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn demo() -> PathBuf {
    root().join("fixtures/demo-mini")
}

fn baseline() -> PathBuf {
    root().join("fixtures/baselines/demo-mini-previous.json")
}

fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let text =
            std::fs::read_to_string(root().join("schema/report.schema.json")).expect("schema file");
        let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
        jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("schema compiles")
    })
}

/// Panics with every violation when `path` does not match the report schema.
fn assert_schema_valid(path: &Path) {
    let text = std::fs::read_to_string(path).expect("report.json");
    let doc: Value = serde_json::from_str(&text).expect("report.json is JSON");
    let errors: Vec<String> = validator()
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{} does not match schema/report.schema.json:\n{}",
        path.display(),
        errors.join("\n")
    );
}

fn snagscan() -> Command {
    let mut cmd = Command::cargo_bin("snagscan").expect("binary");
    cmd.env("COLUMNS", "120")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE");
    cmd
}

/// Runs `snagscan analyze DIR --out OUT ARGS...`; validates report.json when one was written.
fn analyze(dir: &Path, out: &Path, args: &[&str]) -> Output {
    let output = snagscan()
        .arg("analyze")
        .arg(dir)
        .arg("--out")
        .arg(out)
        .args(args)
        .output()
        .expect("run snagscan");
    let json = out.join("report.json");
    if json.metadata().map(|m| m.len() > 0).unwrap_or(false) {
        assert_schema_valid(&json);
    }
    output
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

/// The snag `id` of a parsed report.json; panics when it is not raised.
#[track_caller]
fn snag_of<'r>(report: &'r Value, id: &str) -> &'r Value {
    report["snags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("{id} not raised"))
}

#[test]
fn demo_mini_snapshots() {
    let tmp = tempfile::tempdir().unwrap();
    let out = analyze(&demo(), tmp.path(), &[]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let terminal = String::from_utf8(out.stdout).unwrap();
    assert!(!terminal.contains('\u{1b}'), "colour on a pipe");
    insta::assert_snapshot!("terminal", terminal);
    insta::assert_snapshot!("markdown", read(&tmp.path().join("report.md")));
    insta::assert_snapshot!("json", read(&tmp.path().join("report.json")));
}

#[test]
fn no_raised_check_of_the_demo_store_lacks_its_sample() {
    let tmp = tempfile::tempdir().unwrap();
    let out = analyze(&root().join("examples/demo-store"), tmp.path(), &["-q"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_str(&read(&tmp.path().join("report.json"))).unwrap();
    let checks = doc["checks"].as_array().unwrap();
    let raised: Vec<&Value> = checks.iter().filter(|c| c["status"] == "raised").collect();
    assert!(!raised.is_empty(), "the demo store raises snags");
    for c in &raised {
        assert!(c["n"].as_u64().is_some_and(|n| n > 0), "{c}");
    }
    // slow-fulfillment and wismo-load both count the shipped orders.
    let n = |id: &str| checks.iter().find(|c| c["id"] == id).unwrap()["n"].clone();
    assert_eq!(n("slow-fulfillment"), doc["kpis"]["orders_shipped"]);
    assert_eq!(n("stockout-cancellations"), doc["kpis"]["orders"]);
}

#[test]
fn same_inputs_give_identical_files() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    assert_eq!(code(&analyze(&demo(), a.path(), &[])), 0);
    assert_eq!(code(&analyze(&demo(), b.path(), &[])), 0);
    for name in [
        "report.json",
        "report.md",
        "report.html",
        "snags.csv",
        "kpis.csv",
        "data_quality.csv",
        "journeys.csv",
        "customers.csv",
        "tickets.csv",
        "event_log.csv",
    ] {
        let (x, y) = (
            std::fs::read(a.path().join(name)).unwrap(),
            std::fs::read(b.path().join(name)).unwrap(),
        );
        assert!(!x.is_empty(), "{name} is empty");
        assert!(x == y, "{name} differs between two runs");
    }
    assert!(!read(&a.path().join("report.json")).contains("generated_at"));
}

#[test]
fn stamp_adds_the_run_time() {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(code(&analyze(&demo(), tmp.path(), &["--stamp", "-q"])), 0);
    let doc: Value = serde_json::from_str(&read(&tmp.path().join("report.json"))).unwrap();
    assert!(doc["generated_at"]
        .as_str()
        .is_some_and(|s| s.ends_with('Z')));
    assert!(read(&tmp.path().join("report.md")).contains("Generated "));
}

#[test]
fn html_is_self_contained_with_charts_and_cards() {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(code(&analyze(&demo(), tmp.path(), &["-q"])), 0);
    let html = read(&tmp.path().join("report.html"));
    let doc = scraper::Html::parse_document(&html);
    let sel = |s: &str| scraper::Selector::parse(s).unwrap();
    // Five charts, each drawn or replaced by a "no data" note: the matrix and the fulfillment
    // histogram are drawn for demo-mini; it has no tickets, so no WISMO series.
    let svgs = doc.select(&sel("figure svg")).count();
    let notes: Vec<String> = doc
        .select(&sel("p.nodata"))
        .map(|n| n.text().collect())
        .collect();
    assert_eq!(svgs + notes.len(), 5, "{notes:?}");
    assert!(svgs >= 2);
    assert!(
        notes.iter().any(|n| n.contains("no tickets export")),
        "{notes:?}"
    );
    assert_eq!(doc.select(&sel("script")).count(), 0);
    assert_eq!(doc.select(&sel("link")).count(), 0);
    assert_eq!(doc.select(&sel("img, iframe, object, embed")).count(), 0);
    for el in doc.select(&sel("[src], [href]")) {
        for attr in ["src", "href"] {
            if let Some(v) = el.value().attr(attr) {
                assert!(
                    !v.contains("//") && !v.starts_with("data:"),
                    "external reference {attr}={v}"
                );
            }
        }
    }
    assert!(!html.contains("url("), "CSS fetches nothing");
    assert!(html.contains("@media print"));
    let report: Value = serde_json::from_str(&read(&tmp.path().join("report.json"))).unwrap();
    let snags = report["snags"].as_array().unwrap();
    assert_eq!(snags.len(), 3);
    for s in snags {
        let id = s["id"].as_str().unwrap();
        let card = doc
            .select(&sel(&format!("article.card#snag-{id}")))
            .next()
            .unwrap_or_else(|| panic!("no card for {id}"));
        let text: String = card.text().collect();
        for part in [
            s["title"].as_str().unwrap(),
            "Evidence",
            "95% CI",
            "Impact / 30 d",
            "support cost",
            "Automation",
            "KPI to watch",
        ] {
            assert!(text.contains(part), "card {id} lacks {part:?}: {text}");
        }
    }
    let first: String = doc
        .select(&sel("section.first li"))
        .next()
        .unwrap()
        .text()
        .collect();
    assert!(first.contains("Start here"), "{first}");
    assert!(first.contains("stockout-cancellations"), "{first}");
}

/// demo-mini with hostile strings in the places customers and platforms write: an order id that
/// is a spreadsheet formula, a carrier name with HTML and Markdown, a file name with `|`,
/// backticks and a tag (skipped: its header is no known export), a ticket subject with a formula, a review date that is markup.
fn hostile_store(dir: &Path) {
    let orders = read(&demo().join("orders.csv")).replacen(
        "D1001,",
        "\"=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",",
        1,
    );
    std::fs::write(dir.join("orders.csv"), orders).unwrap();
    let ships = read(&demo().join("shipments.csv"))
        .replacen(
            "D1001,",
            "\"=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",",
            1,
        )
        .replace(",UPS,", ",<script>alert(1)</script> | `x`,")
        .replace(",DHL,", ",<script>alert(1)</script> | `x`,");
    std::fs::write(dir.join("shipments.csv"), ships).unwrap();
    let reviews = read(&demo().join("reviews.csv")).replacen(
        "D1002,5,2024-01-09T02:00:00Z",
        "D1002,5,<img src=x onerror=alert(1)>",
        1,
    );
    std::fs::write(dir.join("reviews.csv"), reviews).unwrap();
    std::fs::write(
        dir.join("tickets.csv"),
        "ticket_id,created_at,subject,order_id\n\
         T1,2024-02-01T10:00:00Z,\"=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\",D1003\n\
         T2,2024-02-02T10:00:00Z,<script>alert(2)</script> where is my order?,D1004\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("notes|`rm -rf`<b>x.csv"),
        "unrelated,columns\n1,2\n",
    )
    .unwrap();
}

#[test]
fn hostile_strings_are_neutralised_and_escaped() {
    let input = tempfile::tempdir().unwrap();
    hostile_store(input.path());
    let tmp = tempfile::tempdir().unwrap();
    let out = analyze(input.path(), tmp.path(), &["-q"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));

    // CSV: no text cell starts a formula.
    for name in [
        "journeys.csv",
        "customers.csv",
        "tickets.csv",
        "event_log.csv",
        "snags.csv",
        "kpis.csv",
        "data_quality.csv",
    ] {
        let mut r = csv::Reader::from_path(tmp.path().join(name)).unwrap();
        for rec in r.records() {
            for cell in rec.unwrap().iter() {
                let risky = cell.starts_with(['=', '+', '@', '\t', '\r'])
                    || (cell.starts_with('-') && cell.parse::<f64>().is_err());
                assert!(!risky, "{name}: formula cell {cell:?}");
            }
        }
    }
    let journeys = read(&tmp.path().join("journeys.csv"));
    assert!(
        journeys.contains("'=HYPERLINK("),
        "order id kept, neutralised"
    );

    // HTML: nothing executable, the hostile text shown as text.
    let html = read(&tmp.path().join("report.html"));
    assert!(!html.contains("<script"), "a script tag got through");
    assert!(!html.contains("<b>x") && !html.contains("<img"));
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;"),
        "lane label shown"
    );
    assert!(
        html.contains("notes|`rm -rf`&lt;b&gt;x.csv"),
        "file name shown"
    );
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse("script, img, iframe").unwrap();
    assert_eq!(doc.select(&sel).count(), 0);

    // Markdown: the file name cannot break out of its text, and the lane label is escaped in
    // its breakdown: every `<` but those of the report's own folds is backslash-escaped.
    let md = read(&tmp.path().join("report.md"));
    assert!(md.contains("notes\\|\\`rm -rf\\`\\<b\\>x.csv"), "{md}");
    assert!(md.contains("\\<script\\>alert(1)\\</script\\>"), "{md}");
    let mut own = md.clone();
    for tag in ["<details>", "</details>", "<summary>", "</summary>"] {
        own = own.replace(tag, "");
    }
    let bare = own
        .match_indices('<')
        .filter(|(i, _)| !own[..*i].ends_with('\\'))
        .count();
    assert_eq!(bare, 0, "{md}");
}

#[test]
fn journeys_as_parquet() {
    let tmp = tempfile::tempdir().unwrap();
    let out = analyze(&demo(), tmp.path(), &["-q", "--journeys-format", "parquet"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(tmp.path().join("journeys.parquet")).unwrap();
    assert!(bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"));
    assert!(!tmp.path().join("journeys.csv").exists());
    assert!(tmp.path().join("customers.csv").exists());

    // The same columns as journeys.csv, and no internal one (the customers' numbers).
    use snagscan::polars::prelude::{ParquetReader, SerReader};
    let parquet =
        ParquetReader::new(std::fs::File::open(tmp.path().join("journeys.parquet")).unwrap())
            .finish()
            .unwrap();
    let csv_run = tempfile::tempdir().unwrap();
    let out = analyze(&demo(), csv_run.path(), &["-q"]);
    assert_eq!(code(&out), 0);
    let header = |name: &str| -> Vec<String> {
        let text = read(&csv_run.path().join(name));
        text.lines()
            .next()
            .unwrap()
            .split(',')
            .map(str::to_string)
            .collect()
    };
    let journeys = header("journeys.csv");
    let names: Vec<String> = parquet
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert_eq!(names, journeys);
    assert_eq!(journeys.len(), 49);
    assert_eq!(journeys[..2], ["order_id", "customer_key"]);
    assert_eq!(
        header("customers.csv"),
        [
            "customer_key",
            "first_order_at",
            "last_order_at",
            "n_orders",
            "revenue",
            "first_order_late",
            "first_order_low_review",
            "first_order_wismo",
            "second_order_at",
            "days_to_second_order"
        ]
    );
    assert!(!journeys.iter().any(|c| c.starts_with('_')), "{journeys:?}");
}

/// The SKUs most cancelled come in the analyzer's order (cancelled orders beyond the store's
/// cancel share, most first; ties by SKU) in the terminal as in report.json, where ordering by
/// count or by share would give another order.
#[test]
fn stockout_skus_in_the_same_order_in_every_report() {
    let store = tempfile::tempdir().unwrap();
    // 24 of 93 orders cancelled (25.8%). SKU-A: 9 of 11 cancelled, 6.16 beyond 11 x 24/93;
    // SKU-B: 10 of 17, 5.61 beyond; SKU-C: 5 of 5, 3.71 beyond; SKU-D: 0 of 60. A, B and C are
    // significant (one-sided binomial P = 1.6e-4, 4.0e-3, 1.1e-3 < 0.05 / 4 SKUs); D is not. By
    // count the order would be B, A, C; by share C, A, B.
    let mut orders = String::from("order_id,customer_id,placed_at,status,cancel_reason,total\n");
    let mut items = String::from("order_id,sku,product,quantity,unit_price\n");
    let skus = [
        ("SKU-A", 11, 9),
        ("SKU-B", 17, 10),
        ("SKU-C", 5, 5),
        ("SKU-D", 60, 0),
    ];
    for (i, (sku, cancelled)) in skus
        .iter()
        .flat_map(|&(sku, n, k)| (0..n).map(move |j| (sku, j < k)))
        .enumerate()
    {
        let (status, reason) = if cancelled {
            ("cancelled", "out of stock")
        } else {
            ("paid", "")
        };
        orders.push_str(&format!(
            "{},C{i},2024-03-{:02}T10:00:00Z,{status},{reason},10.00\n",
            1001 + i,
            1 + i % 28
        ));
        items.push_str(&format!("{},{sku},Thing,1,10.00\n", 1001 + i));
    }
    std::fs::write(store.path().join("orders.csv"), orders).unwrap();
    std::fs::write(store.path().join("line_items.csv"), items).unwrap();
    std::fs::write(
        store.path().join("snagscan.toml"),
        "[thresholds]\nmin_sample = 2\n",
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = analyze(store.path(), tmp.path(), &[]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));

    let report: Value = serde_json::from_str(&read(&tmp.path().join("report.json"))).unwrap();
    let snag = snag_of(&report, "stockout-cancellations");
    let rows: Vec<(&str, u64, u64)> = snag["breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["label"].as_str().unwrap(),
                b["affected"].as_u64().unwrap(),
                b["n"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(rows, [("SKU-A", 9, 11), ("SKU-B", 10, 17), ("SKU-C", 5, 5)]);

    let terminal = String::from_utf8(out.stdout).unwrap();
    let at = |sku: &str| {
        terminal
            .find(sku)
            .unwrap_or_else(|| panic!("{sku} not in the terminal report:\n{terminal}"))
    };
    assert!(
        at("SKU-A") < at("SKU-B") && at("SKU-B") < at("SKU-C"),
        "{terminal}"
    );
}

#[test]
fn fail_on_start_here_exits_1_after_writing_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let out = analyze(&demo(), tmp.path(), &["-q", "--fail-on", "start-here"]);
    assert_eq!(code(&out), 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--fail-on start-here met by stockout-cancellations"),
        "{err}"
    );
    for name in ["report.json", "report.md", "report.html", "journeys.csv"] {
        assert!(
            std::fs::metadata(tmp.path().join(name)).unwrap().len() > 0,
            "{name} not written before exit 1"
        );
    }
    assert!(out.stdout.is_empty(), "--quiet prints nothing");
}

/// A nightly run whose shipments export lost its order column: the file is skipped and the run
/// succeeds (exit 0) unless `--fail-on skipped` asks to fail on it, which names the file after
/// every report is written. `diff --fail-on skipped` reads the same from report.json.
#[test]
fn fail_on_skipped_exits_1_naming_the_skipped_file() {
    let store = tempfile::tempdir().unwrap();
    std::fs::write(
        store.path().join("orders.csv"),
        "order_id,placed_at\nA-1,2024-05-01 10:00:00\nA-2,2024-05-02 10:00:00\n",
    )
    .unwrap();
    std::fs::write(
        store.path().join("shipments.csv"),
        "order,carrier,shipped_at\nA-1,UPS,2024-05-02 09:00:00\n",
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = analyze(store.path(), tmp.path(), &["-q"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let out = analyze(store.path(), tmp.path(), &["-q", "--fail-on", "skipped"]);
    assert_eq!(code(&out), 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim(),
        "snagscan: --fail-on skipped met by shipments.csv"
    );
    let report = tmp.path().join("report.json");
    assert!(read(&report).contains("\"skipped_files\""));
    let diff = snagscan()
        .args(["diff", "--fail-on", "skipped"])
        .arg(&report)
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(code(&diff), 1);
    // Clean inputs do not meet it.
    let clean = tempfile::tempdir().unwrap();
    let out = analyze(&demo(), clean.path(), &["-q", "--fail-on", "skipped"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let out = analyze(&demo(), clean.path(), &["--fail-on", "new+skipped"]);
    assert_eq!(code(&out), 2);
}

#[test]
fn fail_on_with_baseline() {
    let b = baseline();
    let b = b.to_str().unwrap();
    assert_schema_valid(&baseline());
    let cases: [(&[&str], i32); 6] = [
        (&["--fail-on", "new"], 1),
        (&["--fail-on", "worse"], 1),
        // The new snag (slow-fulfillment) is nice-to-have; the start-here one is not new.
        (&["--fail-on", "new+start-here"], 0),
        (&["--fail-on", "worse+start-here"], 0),
        (&["--fail-on", "new+start-here", "--fail-on", "worse"], 1),
        (&[], 0),
    ];
    for (args, expected) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let mut all = vec!["-q", "--baseline", b];
        all.extend_from_slice(args);
        let out = analyze(&demo(), tmp.path(), &all);
        assert_eq!(
            code(&out),
            expected,
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn baseline_marks_snags_and_kpis_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let b = baseline();
    let out = analyze(&demo(), tmp.path(), &["--baseline", b.to_str().unwrap()]);
    assert_eq!(code(&out), 0);
    let report: Value = serde_json::from_str(&read(&tmp.path().join("report.json"))).unwrap();
    let status = |id: &str| {
        report["comparison"]["snags"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .map(|s| s["status"].as_str().unwrap().to_string())
    };
    assert_eq!(status("slow-fulfillment").as_deref(), Some("new"));
    assert_eq!(status("late-delivery").as_deref(), Some("worse"));
    assert_eq!(
        status("stockout-cancellations").as_deref(),
        Some("unchanged")
    );
    assert_eq!(status("review-gap").as_deref(), Some("resolved"));
    let on_time = report["comparison"]["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "on_time_rate")
        .unwrap();
    assert_eq!(on_time["previous"], 0.95);
    assert_eq!(on_time["trend"], "worse");

    let terminal = String::from_utf8(out.stdout).unwrap();
    assert!(terminal.contains("1 new, 1 worse, 0 better, 1 unchanged, 1 resolved"));
    assert!(terminal.contains("vs baseline"));
    let md = read(&tmp.path().join("report.md"));
    insta::assert_snapshot!("markdown_baseline", md);
    let html = read(&tmp.path().join("report.html"));
    assert!(html.contains("Resolved since the baseline"));
    assert!(html.contains("badge s-new") && html.contains("badge s-worse"));
}

/// Orders in two currencies: `revenue` is null in report.json, beside its per-currency sums,
/// and every report for people shows those sums, as the terminal does.
#[test]
fn revenue_in_several_currencies_is_shown_per_currency_everywhere() {
    let store = tempfile::tempdir().unwrap();
    std::fs::write(
        store.path().join("orders.csv"),
        "order_id,customer_id,placed_at,total,currency\n\
         1,C1,2024-01-01T10:00:00Z,100,USD\n\
         2,C2,2024-01-02T10:00:00Z,10000,JPY\n\
         3,C3,2024-01-03T10:00:00Z,100,USD\n",
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = analyze(store.path(), tmp.path(), &[]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let terminal = String::from_utf8(out.stdout).unwrap();
    assert!(
        terminal.contains("| revenue 10,000 JPY + 200 USD\n"),
        "{terminal}"
    );

    let md = read(&tmp.path().join("report.md"));
    assert!(
        md.contains("Revenue **10,000 JPY + 200 USD**;"),
        "summary line: {md}"
    );
    assert!(
        md.contains("\n| Revenue | 10,000 JPY + 200 USD |\n"),
        "KPI table: {md}"
    );

    let html = read(&tmp.path().join("report.html"));
    let doc = scraper::Html::parse_document(&html);
    let sel = |s: &str| scraper::Selector::parse(s).unwrap();
    let tiles: Vec<String> = doc
        .select(&sel(".tile"))
        .map(|t| t.text().collect())
        .collect();
    assert!(
        tiles.iter().any(|t| t == "Revenue10,000 JPY + 200 USD"),
        "{tiles:?}"
    );
    let rows: Vec<String> = doc.select(&sel("tr")).map(|t| t.text().collect()).collect();
    assert!(
        rows.iter()
            .any(|t| t == "Revenue revenue10,000 JPY + 200 USD"),
        "{rows:?}"
    );

    let report: Value = serde_json::from_str(&read(&tmp.path().join("report.json"))).unwrap();
    assert!(report["kpis"]["revenue"].is_null());
    let by_currency: Vec<(String, f64)> = report["revenue_by_currency"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["currency"].as_str().unwrap().to_string(),
                c["revenue"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        by_currency,
        [("JPY".to_string(), 10000.0), ("USD".to_string(), 200.0)]
    );
}

/// Three orders placed within 4 h 03 min, one without a customer: a store like a dev store's
/// test export. Its reports are in `out`.
fn hours_store(out: &Path) -> String {
    let store = tempfile::tempdir().unwrap();
    std::fs::write(
        store.path().join("orders.csv"),
        "order_id,customer_id,placed_at,total\n\
         1,a,2024-05-01T10:00:00Z,10\n\
         2,b,2024-05-01T11:00:00Z,20\n\
         3,,2024-05-01T14:03:00Z,30\n",
    )
    .unwrap();
    let run = analyze(store.path(), out, &[]);
    assert_eq!(code(&run), 0, "{}", String::from_utf8_lossy(&run.stderr));
    String::from_utf8(run.stdout).unwrap()
}

/// A window under a day is told in hours, not "0 days" (report.json keeps its 0.16875 days),
/// and one data-quality finding (or input row) is one, not "1 findings".
#[test]
fn a_window_of_hours_and_single_counts_read_as_such() {
    let tmp = tempfile::tempdir().unwrap();
    let terminal = hours_store(tmp.path());
    assert!(
        terminal.starts_with("snagscan report: 2024-05-01 to 2024-05-01 (4 h), times in UTC"),
        "{terminal}"
    );
    let md = read(&tmp.path().join("report.md"));
    assert!(
        md.contains("\n2024-05-01 to 2024-05-01 (4 h, times in UTC, assumed). Orders **3**;"),
        "{md}"
    );
    assert!(
        md.contains("\nData quality: 1 finding: rows dropped, changed or left out of a statistic,"),
        "{md}"
    );
    let html = read(&tmp.path().join("report.html"));
    assert!(
        html.contains(" to 2024-05-01 (4 h), times in UTC"),
        "{html}"
    );
    assert!(
        html.contains("<p>1 finding: rows dropped, changed or left out of a statistic,"),
        "{html}"
    );
    let report: Value = serde_json::from_str(&read(&tmp.path().join("report.json"))).unwrap();
    assert_eq!(report["window"]["days"], 0.16875);

    // One row read is one row.
    let one = tempfile::tempdir().unwrap();
    std::fs::write(
        one.path().join("orders.csv"),
        "order_id,customer_id,placed_at,total\n1,a,2024-05-01T10:00:00Z,10\n",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let run = analyze(one.path(), out.path(), &[]);
    let terminal = String::from_utf8(run.stdout).unwrap();
    assert!(
        terminal.contains("\nInputs: orders.csv (orders, 1 row)\n"),
        "{terminal}"
    );
    assert!(
        read(&out.path().join("report.md")).contains("Inputs: orders.csv (orders, 1 row)."),
        "one row"
    );
}

/// The terminal and report.md list a file read with its format only when that tells something:
/// a platform's export, never snagscan's own columns (the terminal wrote `canonical orders`).
/// The Shopify export of case 01 holds 3 orders on 6 line-item rows: its orders table counts
/// the 3 orders the rows fold into (it read "3 rows" of a 6-row file).
#[test]
fn the_inputs_name_a_format_only_when_it_is_not_snagscans_own() {
    let tmp = tempfile::tempdir().unwrap();
    let run = analyze(
        &root().join("fixtures/cases/01-shopify-lineitem-rows"),
        tmp.path(),
        &[],
    );
    assert_eq!(code(&run), 0, "{}", String::from_utf8_lossy(&run.stderr));
    let terminal = String::from_utf8(run.stdout).unwrap();
    let listed = "orders_export.csv (Shopify orders, 3 orders), orders_export.csv (Shopify line items, 6 rows)";
    assert!(
        terminal.contains(&format!("\nInputs: {listed}\n")),
        "{terminal}"
    );
    assert!(
        read(&tmp.path().join("report.md"))
            .contains(&format!("Inputs: {}.", listed.replace('_', "\\_"))),
        "report.md"
    );
}

/// The HTML header tells the window as the data's (first order to data end, the latest event
/// of any kind), as the terminal and report.md do: not as the days orders were placed.
#[test]
fn html_window_is_the_data_window() {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(code(&analyze(&demo(), tmp.path(), &["-q"])), 0);
    let html = read(&tmp.path().join("report.html"));
    assert!(
        html.contains(
            "<p class=\"muted\">Data from 2024-01-02 to 2024-04-01 (90 days), times in UTC (assumed: no time zone was given); data end = latest event in the data (shipment).</p>"
        ),
        "{html}"
    );
    assert!(!html.contains("Orders placed 2024"), "{html}");
}

/// Orders that name no currency, and no `currency` configured: the terminal, report.md and
/// report.html say once, where they name the currency, that it is unknown and how to set it.
#[test]
fn an_unknown_currency_is_said_once_where_the_currency_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let terminal = hours_store(tmp.path());
    assert!(
        terminal.contains("| revenue 60 (currency unknown: set `currency` in snagscan.toml)\n"),
        "{terminal}"
    );
    assert_eq!(
        terminal.matches("currency unknown").count(),
        1,
        "{terminal}"
    );
    let md = read(&tmp.path().join("report.md"));
    assert!(
        md.contains(
            "90-day repeat rate **n/a**. Currency unknown: set `currency` in snagscan.toml.\n"
        ),
        "{md}"
    );
    assert_eq!(
        md.to_lowercase().matches("currency unknown").count(),
        1,
        "{md}"
    );
    let html = read(&tmp.path().join("report.html"));
    assert!(
        html.contains(
            "impact is priced per 30 days in the store currency (currency unknown: set <code>currency</code> in snagscan.toml) · every number"
        ),
        "{html}"
    );
    assert_eq!(html.matches("currency unknown").count(), 1, "{html}");
    let report: Value = serde_json::from_str(&read(&tmp.path().join("report.json"))).unwrap();
    assert!(report["store"]["currency"].is_null());

    // A known currency is named, and nothing is said of an unknown one.
    let known = tempfile::tempdir().unwrap();
    let run = analyze(&demo(), known.path(), &[]);
    assert!(!String::from_utf8(run.stdout)
        .unwrap()
        .contains("currency unknown"));
    assert!(!read(&known.path().join("report.html")).contains("currency unknown"));
}

/// A repeat window of 20 days (`[thresholds] repeat_window_days`): every label of the repeat
/// rate says 20, beside the 20-day rate, in the terminal, report.md and report.html, also in
/// the comparison with a baseline; none says 90.
#[test]
fn repeat_rate_labels_name_the_configured_window() {
    let store = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(root().join("examples/demo-store")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "csv") {
            std::fs::copy(&path, store.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    // A target no store meets raises repeat-dropoff, whose KPI to watch is the repeat rate.
    std::fs::write(
        store.path().join("snagscan.toml"),
        "timezone = \"America/New_York\"\ncurrency = \"USD\"\n\
         [thresholds]\nrepeat_window_days = 20\nrepeat_target = 0.95\n",
    )
    .unwrap();
    let before = tempfile::tempdir().unwrap();
    let out = analyze(&root().join("examples/demo-store"), before.path(), &["-q"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let tmp = tempfile::tempdir().unwrap();
    let baseline = before.path().join("report.json");
    let out = analyze(
        store.path(),
        tmp.path(),
        &["--baseline", baseline.to_str().unwrap()],
    );
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_str(&read(&tmp.path().join("report.json"))).unwrap();
    let old: Value = serde_json::from_str(&read(&baseline)).unwrap();
    let rate = report["kpis"]["repeat_rate"].as_f64().unwrap();
    assert_ne!(
        Some(rate),
        old["kpis"]["repeat_rate"].as_f64(),
        "the 20-day rate"
    );
    let pct = format!("{:.1}%", rate * 100.0);
    assert!(report["snags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["id"] == "repeat-dropoff"));

    let terminal = String::from_utf8(out.stdout).unwrap();
    assert!(
        terminal.contains(&format!("| repeat rate (20 d) {pct} |")),
        "{terminal}"
    );
    // The window is recorded, and a 20-day rate is not compared with the baseline's 90-day one.
    assert_eq!(report["repeat_window_days"], 20);
    assert_eq!(old["repeat_window_days"], 90);
    let trend = report["comparison"]["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "repeat_rate")
        .map(|k| (k["trend"].clone(), k["change"].clone()));
    assert_eq!(trend, Some((Value::from("n/a"), Value::Null)));
    assert!(
        terminal.contains(
            "Repeat rates not compared: the baseline measured them over 90 days, this run over 20 days\n"
        ),
        "{terminal}"
    );
    assert!(!terminal.contains("│ 20-day repeat rate "), "{terminal}");

    let md = read(&tmp.path().join("report.md"));
    assert!(
        md.contains(&format!("; 20-day repeat rate **{pct}**")),
        "summary line: {md}"
    );
    assert!(
        md.contains(&format!("\n| 20-day repeat rate | {pct} |")),
        "KPI table: {md}"
    );
    let snag_row = md
        .lines()
        .find(|l| l.contains("**repeat-dropoff**"))
        .unwrap_or_else(|| panic!("no repeat-dropoff row: {md}"));
    assert!(
        snag_row.contains(&format!("| 20-day repeat rate {pct}")),
        "KPI to watch: {snag_row}"
    );

    let html = read(&tmp.path().join("report.html"));
    let doc = scraper::Html::parse_document(&html);
    let sel = |s: &str| scraper::Selector::parse(s).unwrap();
    let card: String = doc
        .select(&sel("article#snag-repeat-dropoff"))
        .next()
        .expect("repeat-dropoff card")
        .text()
        .collect();
    assert!(
        card.contains(&format!(
            "KPI to watch20-day repeat rate repeat_rate: {pct}"
        )),
        "{card}"
    );
    let captions: Vec<String> = doc
        .select(&sel("figcaption"))
        .map(|c| c.text().collect())
        .collect();
    assert!(
        captions
            .iter()
            .any(|c| c.starts_with("20-day repeat rate of customers by what happened")),
        "{captions:?}"
    );
    let tiles: Vec<String> = doc
        .select(&sel(".tile .label"))
        .map(|t| t.text().collect())
        .collect();
    assert!(tiles.iter().any(|t| t == "20-day repeat rate"), "{tiles:?}");

    for (name, text) in [
        ("terminal", &terminal),
        ("report.md", &md),
        ("report.html", &html),
    ] {
        for ninety in ["90-day", "at least 90 days"] {
            assert!(!text.contains(ninety), "{name} says {ninety:?}: {text}");
        }
        // The baseline's 90-day rates are shown with their own window, and the reports say
        // why they are not compared.
        assert!(text.contains("% (90 d)"), "{name}: {text}");
        assert!(
            text.contains("Repeat rates not compared: the baseline measured them over 90 days, this run over 20 days"),
            "{name}: {text}"
        );
    }
}

#[test]
fn diff_compares_two_reports() {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(code(&analyze(&demo(), tmp.path(), &["-q"])), 0);
    let new = tmp.path().join("report.json");
    let out = snagscan()
        .args(["diff"])
        .arg(baseline())
        .arg(&new)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("1 new, 1 worse, 0 better, 1 unchanged, 1 resolved"),
        "{text}"
    );
    assert!(
        text.contains("review-gap") && text.contains("resolved"),
        "{text}"
    );

    let out = snagscan()
        .args(["diff", "--format", "json", "--fail-on", "new"])
        .arg(baseline())
        .arg(&new)
        .output()
        .unwrap();
    assert_eq!(code(&out), 1);
    let cmp: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cmp["snags"].as_array().unwrap().len(), 4);

    // A report compared with itself: nothing new, nothing worse.
    let out = snagscan()
        .args(["diff", "--fail-on", "new", "--fail-on", "worse"])
        .arg(&new)
        .arg(&new)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn errors_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    // new/worse need a baseline; refused before any work.
    let out = analyze(&demo(), tmp.path(), &["--fail-on", "new"]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("add --baseline"));
    let out = analyze(&demo(), tmp.path(), &["--fail-on", "sometimes"]);
    assert_eq!(code(&out), 2);
    let out = analyze(&root().join("fixtures/no-such-dir"), tmp.path(), &[]);
    assert_eq!(code(&out), 2);
    let not_json = tmp.path().join("old.json");
    std::fs::write(&not_json, "{\"hello\": 1}").unwrap();
    let out = analyze(
        &demo(),
        tmp.path(),
        &["--baseline", not_json.to_str().unwrap()],
    );
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a snagscan report.json"));
}

#[test]
fn closed_stdout_is_not_an_error() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let status = std::process::Command::new(assert_cmd::cargo::cargo_bin("snagscan"))
        .arg("analyze")
        .arg(demo())
        .stdout(writer)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn colour_only_when_asked_and_never_with_no_color() {
    let forced = snagscan()
        .arg("analyze")
        .arg(demo())
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&forced.stdout).contains('\u{1b}'));
    let no_color = snagscan()
        .arg("analyze")
        .arg(demo())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&no_color.stdout).contains('\u{1b}'));
}

/// A snag none of whose impact terms can be priced has a null impact, not a made-up 0: 40
/// one-order customers whose orders all ship 72 h after they are placed (slow-fulfillment,
/// 100% over the 48 h SLA), no tickets table (no support cost) and no repeat order (no
/// repeat-order value to price a drop with). report.json says null and validates, snags.csv
/// leaves the cell empty, and the terminal says it in the matrix and the table.
#[test]
fn an_unpriced_snag_has_no_impact_rather_than_zero() {
    let store = tempfile::tempdir().unwrap();
    let mut orders = String::from("order_id,customer_id,placed_at,total\n");
    let mut shipments = String::from("order_id,shipped_at\n");
    for i in 0..40 {
        let day = 1 + i % 28;
        orders.push_str(&format!(
            "{},C{i},2024-03-{day:02}T10:00:00Z,25.00\n",
            1001 + i
        ));
        shipments.push_str(&format!("{},2024-03-{:02}T10:00:00Z\n", 1001 + i, day + 3));
    }
    std::fs::write(store.path().join("orders.csv"), orders).unwrap();
    std::fs::write(store.path().join("shipments.csv"), shipments).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = analyze(store.path(), tmp.path(), &[]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_str(&read(&tmp.path().join("report.json"))).unwrap();
    let snag = snag_of(&report, "slow-fulfillment");
    assert_eq!(snag["impact_per_30d"], Value::Null, "{snag:#}");
    assert_eq!(snag["quadrant"], "nice-to-have");
    let csv = read(&tmp.path().join("snags.csv"));
    let row = csv
        .lines()
        .find(|l| l.contains(",slow-fulfillment,"))
        .expect("slow-fulfillment in snags.csv");
    assert!(row.contains(",nice-to-have,,low,"), "{row}");
    let terminal = String::from_utf8(out.stdout).unwrap();
    assert!(
        terminal.contains("slow-fulfillment (not measured)"),
        "{terminal}"
    );
    assert!(terminal.contains("not measured"), "{terminal}");
}

/// A tickets export missing from a later run leaves the snags measured from tickets
/// (wismo-load, wismo-spike, monday-surge: the demo store raises all three) unmeasured, and
/// every summary says why: not applicable, not "not enough data" (more rows of the same
/// exports would not help).
#[test]
fn snags_unmeasured_without_a_tickets_table_are_not_applicable_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let store = root().join("examples/demo-store");
    let with = tmp.path().join("with-tickets");
    assert_eq!(code(&analyze(&store, &with, &["-q"])), 0);
    let exports = tmp.path().join("exports");
    std::fs::create_dir(&exports).unwrap();
    for entry in std::fs::read_dir(&store).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap() != "tickets.csv" {
            std::fs::copy(&path, exports.join(path.file_name().unwrap())).unwrap();
        }
    }
    let baseline = with.join("report.json");
    let without = tmp.path().join("without-tickets");
    let out = analyze(
        &exports,
        &without,
        &["--baseline", baseline.to_str().unwrap()],
    );
    assert_eq!(code(&out), 0);
    let report: Value = serde_json::from_str(&read(&without.join("report.json"))).unwrap();
    let mut unmeasured: Vec<&str> = report["comparison"]["snags"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] == "unmeasured")
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    unmeasured.sort();
    assert_eq!(unmeasured, ["monday-surge", "wismo-load", "wismo-spike"]);

    let terminal = String::from_utf8(out.stdout).unwrap();
    assert!(
        terminal.contains(", 0 resolved, 3 no longer measurable (not applicable)\n"),
        "{terminal}"
    );
    let diff = snagscan()
        .arg("diff")
        .arg(&baseline)
        .arg(without.join("report.json"))
        .output()
        .unwrap();
    assert_eq!(code(&diff), 0);
    let diff = String::from_utf8(diff.stdout).unwrap();
    assert!(
        diff.contains(", 0 resolved, 3 no longer measurable (not applicable)\n"),
        "{diff}"
    );
    for text in [&terminal, &diff] {
        assert!(!text.contains("not enough data"), "{text}");
    }
    let md = read(&without.join("report.md"));
    assert!(
        md.contains(", 0 resolved, 3 unmeasured (not applicable)."),
        "{md}"
    );
    let html = read(&without.join("report.html"));
    assert!(
        html.contains(r#"<span class="badge s-unmeasured">3 unmeasured (not applicable)</span>"#),
        "{html}"
    );
}
