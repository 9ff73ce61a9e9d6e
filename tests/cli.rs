//! The binary end to end: `analyze` on a hand-made store whose figures are worked out by hand
//! (fixtures/tiny-store), and the errors a user can run into (exit code 2, one line).

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn snagscan() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin!("snagscan"))
}

fn analyze(dir: &Path) -> (Value, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    snagscan()
        .args(["analyze", dir.to_str().unwrap(), "--quiet", "--out"])
        .arg(out.path())
        .assert()
        .success();
    let report = std::fs::read_to_string(out.path().join("report.json")).unwrap();
    (serde_json::from_str(&report).unwrap(), out)
}

fn close(v: &Value, expected: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - expected).abs() < 1e-9)
}

/// A temporary folder holding `files` (name, contents).
fn folder_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

#[test]
fn analyze_reports_hand_computed_kpis() {
    let (r, out) = analyze(Path::new("fixtures/tiny-store"));
    let k = &r["kpis"];
    // 8 orders, one cancelled (1004, out of stock).
    assert_eq!(k["orders"], 8);
    assert!(close(&k["cancel_share"], 1.0 / 8.0));
    // Shipped: 1001, 1002, 1003, 1005, 1006, 1007. Waits 24, 6, 72, 72, 24, 48 h:
    // sorted 6 24 24 48 72 72, linear p50 = (24 + 48) / 2 = 36, p90 at rank 4.5 = 72.
    assert_eq!(k["orders_shipped"], 6);
    assert!(close(&k["fulfillment_wait_p50_h"], 36.0));
    assert!(close(&k["fulfillment_wait_p90_h"], 72.0));
    assert!(close(&k["sla_breach_share"], 2.0 / 6.0));
    // Delivered: 1001 (transit 72, door 96), 1002 (48, 54), 1003 (96, 168), 1005 (108, 180),
    // 1006 (48, 72): medians 72 and 96.
    assert_eq!(k["orders_delivered"], 5);
    assert!(close(&k["transit_time_p50_h"], 72.0));
    assert!(close(&k["click_to_door_p50_h"], 96.0));
    // 1003 (promised 03-08, delivered 03-09) and 1005 (03-09 / 03-10) are late: 3 of 5 on time.
    assert!(close(&k["on_time_rate"], 0.6));
    assert!(close(&k["late_share"], 0.4));
    // 1008, promised 03-10, unshipped at the data end (03-11 12:00, the last review).
    assert_eq!(k["overdue_orders"], 1);
    assert_eq!(r["window"]["end"], "2024-03-11T12:00:00Z");
    assert_eq!(r["window"]["start"], "2024-03-01T10:00:00Z");
    // Customers: C1, C2, C4, C5 and the guest keyed by e-mail (C3 only cancelled).
    assert_eq!(k["customers"], 5);
    // Net revenue of non-cancelled orders: 100 + 50 + 80 + 60 + 70 + 30 + 90.
    assert!(close(&k["revenue"], 480.0));
    // Nobody's first order is 90 days old: repeat rate cannot be computed.
    assert!(k["repeat_rate"].is_null());
    // Second orders: C1 after 23 h, C2 after 4 d 22 h: median (0.958333 + 4.916667) / 2.
    assert!(close(&k["time_to_second_order_p50_d"], 2.9375));
    assert!(close(&k["review_coverage"], 0.8));
    assert!(close(&k["review_score_mean"], 3.0));
    // No tickets table: ticket KPIs are null, never 0.
    assert!(k["tickets"].is_null() && k["wismo_rate_per_100"].is_null());

    // Snags (min_sample lowered to 2 in the fixture's snagscan.toml), ranked by impact.
    let ids: Vec<&str> = r["snags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "stockout-cancellations",
            "review-gap",
            "slow-fulfillment",
            "late-delivery"
        ]
    );
    let stockout = &r["snags"][0];
    // Cancelled value 40 over a 10 d 2 h window, per 30 days: 40 x 30 / 10.0833 = 119.008.
    assert!((stockout["impact_per_30d"].as_f64().unwrap() - 119.008_264).abs() < 1e-3);
    // Revenue per 30 days is 1,428.1: 119 is above 1% of it, and the playbook says low effort.
    assert_eq!(stockout["quadrant"], "start-here");
    assert_eq!(r["snags"][3]["quadrant"], "hold-off");
    assert_eq!(r["snags"][3]["affected_orders"], 3);

    // Every output file is there; journeys has one row per order.
    for f in [
        "report.json",
        "snags.csv",
        "kpis.csv",
        "journeys.csv",
        "customers.csv",
        "data_quality.csv",
    ] {
        assert!(out.path().join(f).is_file(), "{f}");
    }
    let journeys = std::fs::read_to_string(out.path().join("journeys.csv")).unwrap();
    assert_eq!(journeys.lines().count(), 1 + 8);
}

#[test]
fn raised_checks_carry_the_sample_they_were_tested_on() {
    let (r, _out) = analyze(Path::new("fixtures/tiny-store"));
    let n_of = |id: &str| {
        let c = r["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no check {id}"));
        assert_eq!(c["status"], "raised", "{c}");
        c["n"].as_u64()
    };
    // The same populations as the KPIs above: all 8 orders; the 6 shipped (1001, 1002, 1003,
    // 1005, 1006, 1007); the 5 delivered (1001, 1002, 1003, 1005, 1006), each with a promise.
    assert_eq!(n_of("stockout-cancellations"), Some(8));
    assert_eq!(n_of("slow-fulfillment"), Some(6));
    assert_eq!(n_of("late-delivery"), Some(5));
    assert_eq!(n_of("review-gap"), Some(5));
    // Only a check that measured nothing (no tickets table here) has no n.
    for c in r["checks"].as_array().unwrap() {
        assert_eq!(c["n"].is_null(), c["status"] == "not_applicable", "{c}");
    }
}

/// Runs snagscan with `args` and expects exit code 0 (its stderr shown otherwise).
fn succeeds(args: &[&str]) {
    let out = snagscan().args(args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn fails_with(args: &[&str], needle: &str) {
    let assert = snagscan().args(args).assert().code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(needle), "{stderr} should mention {needle}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_missing_folder_is_an_error() {
    fails_with(
        &["analyze", "no/such/folder"],
        "no/such/folder: no such folder",
    );
}

#[test]
fn a_file_given_for_the_folder_names_its_folder() {
    fails_with(
        &["analyze", "examples/demo-store/orders.csv"],
        "examples/demo-store/orders.csv: is a file; give the folder that holds the exports (here examples/demo-store)",
    );
}

/// `--out` the analysed folder itself would overwrite the user's tickets.csv with the tickets
/// table: refused before anything is written, the export left as it was.
#[test]
fn out_the_analysed_folder_is_refused_and_nothing_overwritten() {
    let dir = folder_with(&[
        (
            "orders.csv",
            "order_id,placed_at\nA-1,2024-05-01 10:00:00\n",
        ),
        (
            "tickets.csv",
            "ticket_id,created_at,subject\nT-1,2024-05-02 10:00:00,Where is my order\n",
        ),
    ]);
    let before = std::fs::read(dir.path().join("tickets.csv")).unwrap();
    let d = dir.path().to_str().unwrap();
    fails_with(
        &["analyze", d, "--out", &format!("{d}/.")],
        "is the folder being analysed",
    );
    assert_eq!(
        std::fs::read(dir.path().join("tickets.csv")).unwrap(),
        before
    );
    assert!(!dir.path().join("journeys.csv").exists());
}

/// `--out` an existing file (or a path under one) is refused with a message naming it, before
/// anything is written: the file is left as it was (it was a bare "File exists" OS error).
#[test]
fn out_a_file_is_refused_naming_it() {
    let dir = folder_with(&[
        (
            "orders.csv",
            "order_id,placed_at\nA-1,2024-05-01 10:00:00\n",
        ),
        ("notes.txt", "keep me\n"),
    ]);
    let d = dir.path().to_str().unwrap();
    let file = format!("{d}/notes.txt");
    fails_with(
        &["analyze", d, "--out", &file],
        &format!(
            "snagscan: --out {file} is a file, not a folder; give a folder for the reports \
             (it is created when missing)"
        ),
    );
    fails_with(
        &["analyze", d, "--out", &format!("{file}/reports")],
        &format!("snagscan: --out {file}/reports: {file} is a file, not a folder;"),
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me\n");
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["notes.txt", "orders.csv"]);
}

#[test]
fn a_folder_without_exports_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.csv"), "colour,size\nred,2\n").unwrap();
    fails_with(
        &["analyze", dir.path().to_str().unwrap()],
        "notes.csv (header matches no known export",
    );
}

/// `inspect` on a folder with nothing to read fails as `analyze` does (exit 2, one line on
/// stderr); it exited 0. A folder whose files are all skipped still lists them on stdout.
#[test]
fn inspect_a_folder_without_exports_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap().to_string();
    fails_with(
        &["inspect", &d],
        &format!(
            "{d}: no recognisable export (orders, shipments, tickets, reviews...); skipped: \
             the folder has no .csv, .tsv, .csv.gz, .tsv.gz or .parquet file"
        ),
    );
    std::fs::write(dir.path().join("notes.csv"), "colour,size\nred,2\n").unwrap();
    fails_with(
        &["inspect", &d],
        &format!(
            "{d}: no recognisable export (orders, shipments, tickets, reviews...); skipped: \
             notes.csv (header matches no known export (columns: colour, size))"
        ),
    );
    let out = snagscan().args(["inspect", &d]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "config: none; times without an offset read in UTC (assumed: no timezone given)\n\
         notes.csv\n  skipped: header matches no known export (columns: colour, size)\n"
    );
    // One file read is enough: exit 0, as before.
    std::fs::write(
        dir.path().join("orders.csv"),
        "order_id,placed_at\nA-1,2024-05-01 10:00:00\n",
    )
    .unwrap();
    succeeds(&["inspect", &d]);
}

/// `inspect` lists a file's file-level findings (a header read twice, a header not read that
/// looks meant for a column, lines decoded as Windows-1252), as `analyze` counts them in
/// data_quality.csv; it showed none of them, so a misspelt column looked simply absent.
#[test]
fn inspect_lists_the_file_level_findings() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("orders.csv"),
        b"order_id,placed_at,email,Email,curency\n\
          A-1,2024-05-01 10:00:00,a@x.com,b@x.com,USD\n\
          A-2,2024-05-02 10:00:00,caf\xe9@x.com,,USD\n\
          A-3,2024-05-03 10:00:00,d\xe9@x.com,,USD\n",
    )
    .unwrap();
    let d = dir.path().to_str().unwrap();
    let out = snagscan().args(["inspect", d]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for note in [
        "  note: header 'email' appears in columns 3, 4: column 3 is read, the others are ignored\n",
        "  note: header 'curency' is not read: if it means 'currency', rename it (column currency is missing)\n",
        "  note: line not all UTF-8: the bytes that are not were decoded as Windows-1252 (2 lines)\n",
    ] {
        assert!(stdout.contains(note), "{note}: {stdout}");
    }
}

/// A spreadsheet workbook in the folder is never read: it is listed as skipped (report.json,
/// terminal) with what to do, and meets `--fail-on skipped`; it was ignored silently. Excel's
/// lock file beside an open workbook is no sheet and stays unlisted.
#[test]
fn spreadsheets_are_listed_as_skipped_with_what_to_do() {
    let dir = folder_with(&[
        (
            "orders.csv",
            "order_id,placed_at\nA-1,2024-05-01 10:00:00\n",
        ),
        ("orders.xlsx", "PK\u{3}\u{4} not a real workbook"),
        ("~$orders.xlsx", "lock"),
        ("Returns.ODS", "PK\u{3}\u{4}"),
    ]);
    let d = dir.path().to_str().unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap();
    let run = snagscan().args(["analyze", d, "--out", o]).assert().code(0);
    let stdout = String::from_utf8_lossy(&run.get_output().stdout).into_owned();
    let xlsx = "a spreadsheet (.xlsx), not read: export the sheet as CSV (UTF-8) into this folder";
    let ods = "a spreadsheet (.ods), not read: export the sheet as CSV (UTF-8) into this folder";
    assert!(
        stdout.contains(&format!(
            "Skipped: Returns.ODS: {ods}\nSkipped: orders.xlsx: {xlsx}\n"
        )),
        "{stdout}"
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(
        report["skipped_files"],
        serde_json::json!([
            {"file": "Returns.ODS", "reason": ods},
            {"file": "orders.xlsx", "reason": xlsx},
        ])
    );
    let run = snagscan()
        .args(["analyze", d, "--quiet", "--fail-on", "skipped"])
        .assert()
        .code(1);
    assert_eq!(
        String::from_utf8_lossy(&run.get_output().stderr),
        "snagscan: --fail-on skipped met by Returns.ODS, orders.xlsx\n"
    );
    // Workbooks alone: the error for a folder without exports names them.
    std::fs::remove_file(dir.path().join("orders.csv")).unwrap();
    fails_with(
        &["analyze", d],
        &format!(
            "no recognisable export (orders, shipments, tickets, reviews...); skipped: \
             Returns.ODS ({ods}); orders.xlsx ({xlsx})"
        ),
    );
}

#[test]
fn no_orders_file_names_the_skipped_files_and_why() {
    // A pipe-delimited orders export beside a shipments export: '|' is not sniffed, so the
    // header is one column and no format fits; the error names the file and that reason.
    let dir = folder_with(&[
        (
            "orders.csv",
            "order_id|placed_at|total|currency\n1001|2024-03-01T10:00:00Z|10.00|USD\n",
        ),
        (
            "shipments.csv",
            "order_id,tracking_number,carrier,shipped_at\n1001,T1,UPS,2024-03-02T10:00:00Z\n",
        ),
    ]);
    fails_with(
        &["analyze", dir.path().to_str().unwrap()],
        "no orders file among the inputs (shipments.csv: shipments); skipped: orders.csv \
         (header matches no known export (columns: order_id|placed_at|total|currency)); \
         snagscan needs orders to build journeys",
    );
    // A semicolon export whose id column has a name of its own: the nearest format and the
    // column it lacks, as `inspect` and `skipped_files` give them.
    std::fs::write(
        dir.path().join("orders.csv"),
        "Bestellung;placed_at;total\n1001;2024-03-01T10:00:00Z;10,00\n",
    )
    .unwrap();
    fails_with(
        &["analyze", dir.path().to_str().unwrap()],
        "skipped: orders.csv (header matches no known export (columns: Bestellung, placed_at, \
         total); nearest format: canonical orders (lacks order_id)); snagscan needs orders",
    );
}

#[test]
fn a_missing_required_column_names_file_column_and_suggestion() {
    let dir = folder_with(&[("orders.csv", "order_id,placed,total\n1,2024-01-01,5\n")]);
    fails_with(
        &["analyze", dir.path().to_str().unwrap()],
        "orders.csv: no column 'placed_at' (needed for canonical orders); did you mean 'placed'?",
    );
}

/// An orders export that lost its `order_id` is refused for it, not read as a customers or
/// tickets table ("no orders file"); one without `placed_at` is not told to use `paid_at`,
/// which is read as the payment time.
#[test]
fn an_orders_file_without_its_id_or_placement_is_refused_for_that_column() {
    let cases = [
        (
            "customer_id,email,placed_at,paid_at,status,total,currency,shipping_method",
            "orders.csv: no column 'order_id' (needed for canonical orders); add it or map",
        ),
        (
            "id,customer_id,email,placed_at,paid_at,status,total,currency,tags",
            "orders.csv: no column 'order_id' (needed for canonical orders); add it or map",
        ),
        (
            "order_id,customer_id,email,paid_at,status,total,currency",
            "orders.csv: no column 'placed_at' (needed for canonical orders); add it or map",
        ),
        // A customer's name and a row id are Shopify's order and row ids: these were taken for
        // Shopify exports lacking `Created at` and `Name`.
        (
            "customer_id,name,email,placed_at,paid_at,status,total,currency",
            "orders.csv: no column 'order_id' (needed for canonical orders); add it or map",
        ),
        (
            "id,email,paid_at,total,currency",
            "orders.csv: no column 'order_id' (needed for canonical orders); add it or map",
        ),
    ];
    for (header, message) in cases {
        let dir = tempfile::tempdir().unwrap();
        let row = vec!["1"; header.split(',').count()].join(",");
        std::fs::write(dir.path().join("orders.csv"), format!("{header}\n{row}\n")).unwrap();
        fails_with(&["analyze", dir.path().to_str().unwrap()], message);
    }
    // Beside a good orders file, one whose id column is misspelt is refused too, not skipped
    // (which would drop its orders from the totals).
    let dir = folder_with(&[
        (
            "orders.csv",
            "order_id,placed_at,total\n1,2024-05-01T10:00:00Z,10\n",
        ),
        (
            "orders_2.csv",
            "ordr_id,customer_id,placed_at,total\n2,C2,2024-05-03T10:00:00Z,20\n",
        ),
    ]);
    fails_with(
        &["analyze", dir.path().to_str().unwrap()],
        "orders_2.csv: no column 'order_id' (needed for canonical orders); did you mean 'ordr_id'?",
    );
}

#[test]
fn an_empty_file_is_named() {
    fails_with(
        &["analyze", "fixtures/cases/19-empty-and-header-only"],
        "empty_orders.csv: empty file (0 bytes, no header)",
    );
}

#[test]
fn a_malformed_record_names_its_line() {
    let dir = folder_with(&[(
        "orders.csv",
        "order_id,placed_at\n1,2024-01-01\n2,2024-01-02,extra\n",
    )]);
    fails_with(
        &["analyze", dir.path().to_str().unwrap()],
        "orders.csv, line 3: record has 3 fields",
    );
}

#[test]
fn header_only_orders_give_zero_orders_and_null_kpis() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("orders.csv"), "order_id,placed_at,total\n").unwrap();
    let (r, _out) = analyze(dir.path());
    assert_eq!(r["kpis"]["orders"], 0);
    assert_eq!(r["kpis"]["customers"], 0);
    for kpi in [
        "fulfillment_wait_p50_h",
        "on_time_rate",
        "cancel_share",
        "revenue",
        "repeat_rate",
    ] {
        assert!(r["kpis"][kpi].is_null(), "{kpi} should be null");
    }
    assert_eq!(r["snags"].as_array().unwrap().len(), 0);
    assert!(r["window"]["start"].is_null() && r["window"]["days"].is_null());
}

#[test]
fn analyzers_lists_the_registry() {
    let out = snagscan()
        .arg("analyzers")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    for id in [
        "slow-fulfillment",
        "late-delivery",
        "stockout-cancellations",
        "review-gap",
    ] {
        assert!(text.contains(id), "{text}");
    }
}

#[test]
fn a_failed_run_keeps_the_previous_reports() {
    let (out, before) = reports_of("fixtures/tiny-store");
    let out_s = out.path().to_str().unwrap();
    let bad = folder_with(&[(
        "orders.csv",
        "order_id,placed_at\n1,2024-01-01\n2,2024-01-02,x\n",
    )]);
    snagscan()
        .args([
            "analyze",
            bad.path().to_str().unwrap(),
            "-q",
            "--out",
            out_s,
        ])
        .assert()
        .code(2);
    assert_eq!(
        std::fs::read(out.path().join("report.json")).unwrap(),
        before
    );
    let leftovers = hidden_files(out.path());
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A new `--out` folder holding the reports of a successful run on `store`, and the bytes of
/// its report.json.
fn reports_of(store: &str) -> (tempfile::TempDir, Vec<u8>) {
    let out = tempfile::tempdir().unwrap();
    snagscan()
        .args(["analyze", store, "-q", "--out"])
        .arg(out.path())
        .assert()
        .success();
    let report = std::fs::read(out.path().join("report.json")).unwrap();
    (out, report)
}

/// The hidden files in `dir` but the lock file that stays (a run's partial files, files set
/// aside, its publishing marker).
fn hidden_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with('.') && n != ".snagscan.lock")
        .collect()
}

/// A folder reused by runs with other options keeps no file of the earlier run that the later
/// one did not write (the other journeys format, the OCEL log), and no other file is touched; a
/// run that fails removes nothing.
#[test]
fn a_run_removes_the_outputs_of_an_earlier_run_it_does_not_write() {
    let out = tempfile::tempdir().unwrap();
    let out_s = out.path().to_str().unwrap();
    let file = |name: &str| out.path().join(name);
    let run = |dir: &str, args: &[&str]| {
        snagscan()
            .args(["analyze", dir, "-q", "--out", out_s])
            .args(args)
            .assert()
    };
    std::fs::write(file("notes.txt"), "mine\n").unwrap();
    std::fs::write(file("journeys.xlsx"), "mine too\n").unwrap();
    run(
        "fixtures/tiny-store",
        &["--ocel", "--journeys-format", "parquet"],
    )
    .success();
    assert!(file("journeys.parquet").exists() && file("event_log.jsonocel").exists());
    assert!(!file("journeys.csv").exists());

    // A failed run leaves the previous run's files, those it would not write among them.
    let bad = folder_with(&[(
        "orders.csv",
        "order_id,placed_at\n1,2024-01-01\n2,2024-01-02,x\n",
    )]);
    run(bad.path().to_str().unwrap(), &[]).code(2);
    assert!(file("journeys.parquet").exists() && file("event_log.jsonocel").exists());

    run("fixtures/tiny-store", &[]).success();
    assert!(
        !file("journeys.parquet").exists(),
        "an earlier run's journeys"
    );
    assert!(
        !file("event_log.jsonocel").exists(),
        "an earlier run's OCEL log"
    );
    let journeys = std::fs::read_to_string(file("journeys.csv")).unwrap();
    assert!(journeys.starts_with("order_id,customer_key,"), "{journeys}");
    for name in [
        "report.json",
        "event_log.csv",
        "customers.csv",
        "tickets.csv",
    ] {
        assert!(file(name).exists(), "{name}");
    }

    run("fixtures/tiny-store", &["--journeys-format", "parquet"]).success();
    assert!(!file("journeys.csv").exists(), "an earlier run's journeys");
    assert!(file("journeys.parquet").exists());

    // Files snagscan does not write are never removed.
    assert_eq!(
        std::fs::read_to_string(file("notes.txt")).unwrap(),
        "mine\n"
    );
    assert_eq!(
        std::fs::read_to_string(file("journeys.xlsx")).unwrap(),
        "mine too\n"
    );
}

#[test]
fn meaningless_config_values_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "[costs]\ncost_per_ticket = nan\n").unwrap();
    fails_with(
        &[
            "analyze",
            "fixtures/tiny-store",
            "--config",
            cfg.to_str().unwrap(),
        ],
        "cost_per_ticket = NaN: must be zero or more",
    );
    std::fs::write(&cfg, "[thresholds]\nlate_share = 2.0\n").unwrap();
    fails_with(
        &[
            "analyze",
            "fixtures/tiny-store",
            "--config",
            cfg.to_str().unwrap(),
        ],
        "late_share = 2: a share must be between 0 and 1",
    );
    // A currency that is no ISO 4217 code (it was shown as "199,112 DOLLARS", and a baseline
    // in USD stopped comparing impacts).
    std::fs::write(&cfg, "currency = \"dollars\"\n").unwrap();
    fails_with(
        &[
            "analyze",
            "fixtures/tiny-store",
            "--config",
            cfg.to_str().unwrap(),
        ],
        "currency = \"DOLLARS\": give the store currency as its three-letter ISO 4217 code (USD, EUR, BRL)",
    );
    // An SLA past a year (its histogram axis read 1e300 h).
    std::fs::write(&cfg, "[thresholds]\nfulfillment_sla_h = 1e300\n").unwrap();
    fails_with(
        &[
            "analyze",
            "fixtures/tiny-store",
            "--config",
            cfg.to_str().unwrap(),
        ],
        "fulfillment_sla_h = 1e300: an SLA must be at most 8760 hours (a year)",
    );
    // A value of the wrong type names its key and what it must be in plain words (it said
    // `invalid type: string "48", expected f64`), with the file and the line.
    for (toml, message) in [
        (
            "[thresholds]\nfulfillment_sla_h = \"48\"\n",
            "c.toml: line 2: fulfillment_sla_h = \"48\": must be a number (48, not \"48\")",
        ),
        (
            "timezone = \"UTC\"\n\n[thresholds]\nmin_sample = 30.0\n",
            "c.toml: line 4: min_sample = 30.0: must be a whole number",
        ),
    ] {
        std::fs::write(&cfg, toml).unwrap();
        fails_with(
            &[
                "analyze",
                "fixtures/tiny-store",
                "--config",
                cfg.to_str().unwrap(),
            ],
            message,
        );
    }
    // A mistyped key or a broken table header: one line, with the line of the file.
    std::fs::write(&cfg, "timezone = \"UTC\"\n[thresholds]\nlate_shar = 0.1\n").unwrap();
    fails_with(
        &[
            "analyze",
            "fixtures/tiny-store",
            "--config",
            cfg.to_str().unwrap(),
        ],
        "c.toml: line 3: unknown field `late_shar`",
    );
    // The per-day spike level of earlier releases is refused with what replaced it, and a
    // false-alarm rate of 0 (no day could be a spike) is refused.
    std::fs::write(&cfg, "[thresholds]\nspike_max_p = 0.005\n").unwrap();
    fails_with(
        &[
            "analyze",
            "fixtures/tiny-store",
            "--config",
            cfg.to_str().unwrap(),
        ],
        "spike_max_p, a level each day was tested at, is replaced by spike_false_alarm_rate",
    );
    std::fs::write(&cfg, "[thresholds]\nspike_false_alarm_rate = 0\n").unwrap();
    fails_with(
        &[
            "analyze",
            "fixtures/tiny-store",
            "--config",
            cfg.to_str().unwrap(),
        ],
        "spike_false_alarm_rate = 0: no day could be a spike",
    );
    std::fs::write(&cfg, "[thresholds]\nspike_false_alarm_rate = 1.0\n").unwrap();
    fails_with(
        &[
            "analyze",
            "fixtures/tiny-store",
            "--config",
            cfg.to_str().unwrap(),
        ],
        "spike_false_alarm_rate = 1: every store without a spike would be allowed false spike days",
    );
    // A significance level of 0 (nothing is significant: late-first-order-churn always
    // clear) or 1 (everything is) is refused, as a false-alarm rate of 0 is.
    for (level, why) in [
        ("0", "churn_p_value = 0: no difference could be significant: late-first-order-churn would read clear whatever the data, and no repeat-rate drop would be priced; use a small level such as 0.05"),
        ("1.0", "churn_p_value = 1: every difference, however small, would be significant: late-first-order-churn would be raised on chance, and chance repeat-rate drops priced; use a small level such as 0.05"),
        ("-0.05", "churn_p_value = -0.05: a significance level must be above 0 and below 1"),
    ] {
        std::fs::write(&cfg, format!("[thresholds]\nchurn_p_value = {level}\n")).unwrap();
        fails_with(
            &[
                "analyze",
                "fixtures/tiny-store",
                "--config",
                cfg.to_str().unwrap(),
            ],
            why,
        );
    }
    // The spread's bound: 0.5 is the spread as measured; below would be a lower bound, and 1
    // an infinite one.
    for confidence in ["0.3", "1.0"] {
        std::fs::write(
            &cfg,
            format!("[thresholds]\nspike_spread_confidence = {confidence}\n"),
        )
        .unwrap();
        fails_with(
            &[
                "analyze",
                "fixtures/tiny-store",
                "--config",
                cfg.to_str().unwrap(),
            ],
            &format!("spike_spread_confidence = {}: the confidence of the spread's upper bound must be at least 0.5", confidence.trim_end_matches(".0")),
        );
    }
    std::fs::write(&cfg, "a = 1\n[thresholds\n").unwrap();
    fails_with(
        &[
            "analyze",
            "fixtures/tiny-store",
            "--config",
            cfg.to_str().unwrap(),
        ],
        "c.toml: line 2: invalid table header; expected",
    );
    // A mistyped snag id in [playbook] is refused, not silently left at the built-in effort.
    std::fs::write(&cfg, "[playbook]\nlate-delivry = \"low\"\n").unwrap();
    fails_with(
        &[
            "analyze",
            "fixtures/tiny-store",
            "--config",
            cfg.to_str().unwrap(),
        ],
        "unknown snag id 'late-delivry' in [playbook] (did you mean 'late-delivery'?)",
    );
    std::fs::write(&cfg, "[playbook]\nlate-delivery = \"low\"\n").unwrap();
    succeeds(&[
        "analyze",
        "fixtures/tiny-store",
        "-q",
        "--config",
        cfg.to_str().unwrap(),
    ]);
}

#[test]
fn a_config_currency_does_not_relabel_the_orders_currency() {
    // The orders say USD; a config that says EUR is reported, and USD is shown.
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("eur.toml");
    std::fs::write(&cfg, "currency = \"EUR\"\n").unwrap();
    let out = tempfile::tempdir().unwrap();
    let run = snagscan()
        .args(["analyze", "fixtures/tiny-store", "-q", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(r["store"]["currency"], "USD");
    let warning = r["data_quality"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["reason"]
                .as_str()
                .unwrap()
                .starts_with("currency = \"EUR\" differs")
        })
        .unwrap();
    assert_eq!(warning["count"], 1);
    assert_eq!(warning["effect"], "warning");
    assert!(
        warning["file"].as_str().unwrap().ends_with("eur.toml"),
        "{warning}"
    );
}

#[test]
fn an_unknown_time_zone_is_named_after_where_it_came_from() {
    fails_with(
        &["analyze", "fixtures/tiny-store", "--timezone", "est"],
        "--timezone: unknown time zone 'est' (use an IANA name such as America/New_York)",
    );
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("tz.toml");
    std::fs::write(&cfg, "timezone = \"Mars/Olympus\"\n").unwrap();
    fails_with(
        &[
            "analyze",
            "fixtures/tiny-store",
            "--config",
            cfg.to_str().unwrap(),
        ],
        "tz.toml: unknown time zone 'Mars/Olympus'",
    );
    // IANA names in another letter case are the zones they name.
    for (given, zone) in [("utc", "UTC"), ("america/new_york", "America/New_York")] {
        let out = dir.path().join(given.replace('/', "_"));
        snagscan()
            .args([
                "analyze",
                "fixtures/tiny-store",
                "--timezone",
                given,
                "--out",
            ])
            .arg(&out)
            .assert()
            .success();
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap())
                .unwrap();
        assert_eq!(report["store"]["timezone"], zone);
    }
}

#[test]
fn an_as_of_before_the_data_is_refused() {
    fails_with(
        &["analyze", "fixtures/tiny-store", "--as-of", "2020-01-01"],
        "--as-of 2020-01-01T00:00:00Z is before the first order (2024-03-01T10:00:00Z)",
    );
}

/// An `--as-of` local time that the store's clocks skip or pass twice is asked again with an
/// offset (was: moved or resolved silently, unlike such times in the data, which are warned).
#[test]
fn an_as_of_in_a_dst_change_is_asked_again_with_an_offset() {
    fails_with(
        &[
            "analyze",
            "fixtures/tiny-store",
            "--timezone",
            "America/New_York",
            "--as-of",
            "2024-03-10 02:30:00",
        ],
        "--as-of '2024-03-10 02:30:00' does not exist (the clocks skip it) in America/New_York; give it with an offset",
    );
    fails_with(
        &[
            "analyze",
            "fixtures/tiny-store",
            "--timezone",
            "America/New_York",
            "--as-of",
            "2024-11-03 01:30:00",
        ],
        "--as-of '2024-11-03 01:30:00' is ambiguous (the clocks pass it twice) in America/New_York",
    );
    succeeds(&[
        "analyze",
        "fixtures/tiny-store",
        "-q",
        "--timezone",
        "America/New_York",
        "--as-of",
        "2024-03-10 02:30:00 -0500",
    ]);
}

#[test]
fn an_as_of_far_after_the_data_is_refused() {
    // The tiny store's data ends on 2024-03-11; six years later is refused, a
    // month later is measured.
    fails_with(
        &["analyze", "fixtures/tiny-store", "--as-of", "2030-01-01"],
        "--as-of 2030-01-01T00:00:00Z is more than 365 days after the data end",
    );
    succeeds(&[
        "analyze",
        "fixtures/tiny-store",
        "-q",
        "--as-of",
        "2024-04-10",
    ]);
}

#[test]
fn an_unusable_placement_time_drops_the_order_and_counts_it() {
    let dir = folder_with(&[(
        "orders.csv",
        "order_id,placed_at,total\n1,2024-01-01,5\n2,31/02/2024,7\n3,2024-01-03,9\n",
    )]);
    let (r, _out) = analyze(dir.path());
    assert_eq!(r["kpis"]["orders"], 2);
    let dropped = r["data_quality"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["reason"] == "order without a usable placed_at (row dropped)")
        .unwrap();
    assert_eq!(dropped["count"], 1);
    assert_eq!(dropped["first_lines"][0], 3);
    // The terminal counts flags: line 3 is flagged twice (its value, then its row), and the
    // two orders without a customer once each, under three reasons.
    let out = snagscan().arg("analyze").arg(dir.path()).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Data quality: 4 flagged under 3 reasons (see below)"),
        "{text}"
    );
    assert!(
        text.contains("order without a usable placed_at (row dropped) x1 (line 3)"),
        "{text}"
    );
    assert!(text.contains("x2 (lines 2, 4)"), "{text}");
}

#[test]
fn csat_is_the_share_of_satisfied_ratings() {
    // Scores 1, 2 and 5 on the 1-5 scale: one satisfied (4-5) of three.
    let dir = folder_with(&[
        (
            "orders.csv",
            "order_id,placed_at\n1,2024-01-01\n",
        ),
        (
            "tickets.csv",
            "ticket_id,created_at,subject,csat\nT1,2024-01-02,Hi,1\nT2,2024-01-02,Hi,2\nT3,2024-01-02,Hi,5\nT4,2024-01-02,Hi,\n",
        ),
    ]);
    let (r, out) = analyze(dir.path());
    assert!(
        close(&r["kpis"]["csat"], 1.0 / 3.0),
        "{}",
        r["kpis"]["csat"]
    );
    // tickets.csv says satisfied or not, never a 0/1 that reads like a score.
    let tickets = std::fs::read_to_string(out.path().join("tickets.csv")).unwrap();
    let mut rows = csv::Reader::from_reader(tickets.as_bytes());
    let at = rows
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "satisfied")
        .unwrap();
    let satisfied: Vec<String> = rows.records().map(|r| r.unwrap()[at].to_string()).collect();
    assert_eq!(satisfied, ["false", "false", "true", ""]);
}

/// Two runs into one `--out` at once (overlapping cron jobs) take turns: both succeed, and the
/// folder holds one run's complete set, each file from the same run (was: the runs wrote into
/// each other's hidden files; one failed, and the other's report described the first store).
#[test]
fn runs_into_one_folder_at_once_take_turns() {
    let out = tempfile::tempdir().unwrap();
    let out_s = out.path().to_str().unwrap().to_string();
    for _ in 0..3 {
        let runs: Vec<_> = ["fixtures/tiny-store", "fixtures/mixed-store"]
            .into_iter()
            .map(|store| {
                let out_s = out_s.clone();
                std::thread::spawn(move || {
                    snagscan()
                        .args(["analyze", store, "-q", "--out", &out_s])
                        .output()
                        .unwrap()
                })
            })
            .collect();
        for run in runs {
            let run = run.join().unwrap();
            assert!(
                run.status.success(),
                "{}",
                String::from_utf8_lossy(&run.stderr)
            );
        }
        let report: Value =
            serde_json::from_str(&std::fs::read_to_string(out.path().join("report.json")).unwrap())
                .unwrap();
        let journeys = std::fs::read_to_string(out.path().join("journeys.csv")).unwrap();
        assert_eq!(
            report["kpis"]["orders"].as_u64().unwrap(),
            journeys.lines().count() as u64 - 1
        );
        let hidden = hidden_files(out.path());
        assert!(hidden.is_empty(), "{hidden:?}");
    }
}

/// A folder where an output goes is refused before the analysis, naming it, and nothing is
/// replaced (was: the reports were moved into place, then the run failed on the folder and left
/// the earlier run's tables beside the new reports).
#[test]
fn a_folder_in_the_place_of_an_output_is_refused_before_anything_is_written() {
    let (out, before) = reports_of("fixtures/mixed-store");
    let out_s = out.path().to_str().unwrap();
    std::fs::remove_file(out.path().join("snags.csv")).unwrap();
    std::fs::create_dir_all(out.path().join("snags.csv").join("x")).unwrap();
    let run = snagscan()
        .args(["analyze", "fixtures/tiny-store", "-q", "--out", out_s])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("snags.csv") && stderr.contains("is a folder"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(out.path().join("report.json")).unwrap(),
        before
    );
}

/// A required column none of whose values can be read names the first one, its line and why,
/// and the setting to try (was: "no row has a usable placed_at value", nothing more).
#[test]
fn a_required_column_with_no_usable_value_shows_the_first_one() {
    let dir = folder_with(&[(
        "orders.csv",
        "order_id;placed_at;total\n1;03.03.2025 01:17:23;10,00\n2;04.03.2025 09:00:00;12,50\n",
    )]);
    let run = snagscan()
        .args(["analyze", dir.path().to_str().unwrap(), "-q"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("no row has a usable placed_at value (line 2: '03.03.2025 01:17:23' ")
            && stderr.contains("set `date_format` in a [[mapping]]"),
        "{stderr}"
    );
}

/// `inspect` says which config it read and the time zone it read times in, and names the
/// reason behind each count of its data-quality line (was: "6 rows dropped", with no reason).
#[test]
fn inspect_names_its_settings_and_each_finding() {
    let out = snagscan()
        .args(["inspect", "examples/demo-store"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(
            "config: examples/demo-store/snagscan.toml; times without an offset read in America/New_York\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "    data quality: 6 rows dropped, 0 values unusable, 0 warnings (analyze lists them in data_quality.csv)\n      test order (excluded everywhere) x6\n"
        ),
        "{text}"
    );
}

/// Config values are checked one key at a time, naming the file given with `--config` (was: a
/// bad `[wismo]` pattern named "snagscan.toml" on four lines; `min_sample = 0` blamed two keys;
/// `vip_min_orders = 1` was accepted and counted one-order VIPs as having a cadence).
#[test]
fn config_errors_name_their_file_and_key_on_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    for (name, text, error) in [
        (
            "other.toml",
            "[wismo]\npatterns = [\"(unclosed\"]\n",
            "other.toml: [wismo] pattern '(unclosed': unclosed group",
        ),
        (
            "zero.toml",
            "[thresholds]\nmin_sample = 0\n",
            "min_sample = 0: must be at least 1",
        ),
        (
            "format.toml",
            "[[mapping]]\nfile = \"x.csv\"\nkind = \"orders\"\ndate_format = \"%Q.%m\"\n\n[mapping.columns]\norder_id = \"id\"\nplaced_at = \"when\"\n",
            "date_format '%Q.%m' is not a chrono format",
        ),
        (
            "one.toml",
            "[thresholds]\nvip_min_orders = 1\n",
            "vip_min_orders = 1: must be at least 2",
        ),
    ] {
        let file = cfg(name, text);
        fails_with(
            &["analyze", "fixtures/tiny-store", "--config", &file],
            error,
        );
    }
}

/// The terminal's breakdowns give each row's count as well as its share, as the HTML does, so
/// that a ranking by count reads in order (was: "MUG-1 50% of 2"). The tiny store's late
/// deliveries: 2 of USPS's 2 delivered orders, 0 of UPS's 3.
#[test]
fn terminal_breakdowns_give_counts_and_shares() {
    let out = snagscan()
        .args(["analyze", "fixtures/tiny-store"])
        .env("COLUMNS", "400")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("breakdown: USPS 2 of 2 (100%), UPS 0 of 3 (0%)"),
        "{text}"
    );
}

/// The headline repeat rate gives its sample when it is under `min_sample` customers (the
/// demo store as of 2025-06-01: 1 of the 5 customers whose first order is 90+ days old came
/// back, and repeat-dropoff says "not enough data"); a rate over enough customers is bare.
#[test]
fn a_repeat_rate_over_few_customers_says_how_few() {
    let run = |args: &[&str]| {
        let out = snagscan()
            .args(["analyze", "examples/demo-store"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let early = run(&["--as-of", "2025-06-01"]);
    assert!(
        early.contains("| repeat rate (90 d) 20.0% of 5 customers |"),
        "{early}"
    );
    let all = run(&[]);
    assert!(all.contains("| repeat rate (90 d) 26.7% |"), "{all}");
}
