//! Issue 6: one generated store, written as snagscan's canonical CSVs and as a Shopify "Export
//! orders" file (`generate --format shopify`: orders and line items in `orders_export.csv`, the
//! same shipments, tickets and reviews referring to orders as `#1001`), gives the same report.
//!
//! Both stores are made and analysed by the real binary. `report.json` is compared field by
//! field; the few parts that cannot agree, because one layout carries information the other has
//! no column for, are named where they are left out and compared as narrowly as they allow.

use std::collections::BTreeMap;
use std::path::Path;

use assert_cmd::Command;
use serde_json::{Map, Value};

/// Small enough for a quick test, large enough that every check has its minimum sample.
const ORDERS: &str = "3000";
const SEED: &str = "7";
/// The generator's store clock (`src/generate.rs`).
const STORE_TZ: &str = "America/New_York";

fn snagscan() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin!("snagscan"))
}

/// One generated store and the outputs of `analyze --out` on it (temp dirs kept alive).
struct Run {
    store: tempfile::TempDir,
    out: tempfile::TempDir,
    report: Value,
}

fn generate_and_analyze(format: &str, seed: &str, inject: &str) -> Run {
    generate_and_analyze_with(&["--format", format], seed, inject)
}

/// [`generate_and_analyze`] with the generator flags `flags` (a format, `--parquet`).
fn generate_and_analyze_with(flags: &[&str], seed: &str, inject: &str) -> Run {
    let store = tempfile::tempdir().unwrap();
    let mut generate = snagscan();
    generate
        .args(["generate", "--orders", ORDERS, "--seed", seed])
        .args(flags)
        .arg("--out")
        .arg(store.path());
    if !inject.is_empty() {
        generate.args(["--inject", inject]);
    }
    generate.assert().success();
    let out = tempfile::tempdir().unwrap();
    snagscan()
        .arg("analyze")
        .arg(store.path())
        .args(["--quiet", "--timezone", STORE_TZ, "--out"])
        .arg(out.path())
        .assert()
        .success();
    let text = std::fs::read_to_string(out.path().join("report.json")).unwrap();
    let mut report: Value = serde_json::from_str(&text).unwrap();
    // The config file the generator wrote is read from each store's own (temporary) folder.
    let config = report["store"]["config"].take();
    assert!(
        config.as_str().unwrap().ends_with("snagscan.toml"),
        "{config}"
    );
    Run { store, out, report }
}

/// Rows of `journeys.csv` (header -> cell), keyed by order id without Shopify's `#`.
fn journeys(run: &Run) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut rdr = csv::Reader::from_path(run.out.path().join("journeys.csv")).unwrap();
    let headers = rdr.headers().unwrap().clone();
    rdr.records()
        .map(|r| {
            let row: BTreeMap<String, String> = headers
                .iter()
                .zip(r.unwrap().iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect();
            (row["order_id"].trim_start_matches('#').to_string(), row)
        })
        .collect()
}

/// Orders overdue at the data end that never shipped. Their promise is in the canonical
/// orders file only: a Shopify orders export has no promise column, so in the Shopify store an
/// order's promise is its carrier estimate, which exists once a parcel is shipped.
fn unshipped_overdue(j: &BTreeMap<String, BTreeMap<String, String>>) -> Vec<String> {
    j.iter()
        .filter(|(_, r)| r["overdue"] == "true" && r["n_shipments"] == "0")
        .map(|(id, _)| id.clone())
        .collect()
}

/// Order id (without `#`) of each record of an orders or line-items file, by the physical line
/// the record starts on; the id is in `order_id` (canonical) or `Name` (Shopify).
fn order_ids_by_line(path: &Path) -> BTreeMap<u64, String> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let id = headers
        .iter()
        .position(|h| h == "order_id" || h == "Name")
        .unwrap();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            let line = r.position().unwrap().line();
            (line, r[id].trim_start_matches('#').to_string())
        })
        .collect()
}

fn obj(v: &Value) -> &Map<String, Value> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
}

fn arr(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("not an array: {v}"))
}

/// Files holding the orders (and line items): `orders.csv` and `line_items.csv` in the
/// canonical store, `orders_export.csv` in the Shopify one. Every other file (shipments,
/// tickets, reviews) has the same name in both.
fn is_orders_file(file: &str) -> bool {
    matches!(file, "orders.csv" | "line_items.csv" | "orders_export.csv")
}

/// `inputs`: the same tables with the same record counts. Only the file name and the format of
/// the orders and line-items tables differ (that is what `--format` changes), and they are
/// checked to be exactly what the layout says.
fn assert_same_inputs(canonical: &Value, shopify: &Value) {
    let by_kind = |inputs: &Value| -> BTreeMap<String, Map<String, Value>> {
        arr(inputs)
            .iter()
            .map(|i| (i["kind"].as_str().unwrap().to_string(), obj(i).clone()))
            .collect()
    };
    let (c, s) = (by_kind(canonical), by_kind(shopify));
    assert_eq!(
        c.keys().collect::<Vec<_>>(),
        s.keys().collect::<Vec<_>>(),
        "table kinds read"
    );
    for (kind, ci) in &c {
        let si = &s[kind];
        assert_eq!(ci["format"], "canonical", "{kind}");
        let mut ci = ci.clone();
        let mut si = si.clone();
        if kind == "orders" || kind == "line_items" {
            assert_eq!(si["format"], "shopify", "{kind}");
            assert_eq!(si["file"], "orders_export.csv", "{kind}");
            assert_eq!(ci["file"], format!("{kind}.csv"));
            for field in ["file", "format"] {
                ci.remove(field);
                si.remove(field);
            }
        }
        assert_eq!(ci, si, "inputs, {kind} table");
    }
}

/// A data-quality entry as compared: (file, or "orders export" for the orders files; reason;
/// effect).
type QualityKey = (String, String, String);
/// Its count, example, and first examples (order ids in the orders files, else lines).
type QualityFacts = (u64, Value, Vec<String>);

/// `data_quality`: the same reasons, effects, counts and examples. Entries about files with
/// the same name in both stores are compared whole. Entries about the orders files are keyed by
/// reason instead of file name, and their first lines are compared as the orders on those
/// lines: the Shopify export has one row per line item, so the same orders sit on other lines.
fn assert_same_data_quality(canonical: &Run, shopify: &Run) {
    assert_eq!(
        quality_facts(canonical),
        quality_facts(shopify),
        "data_quality"
    );
}

fn quality_facts(run: &Run) -> BTreeMap<QualityKey, QualityFacts> {
    let mut out = BTreeMap::new();
    for e in arr(&run.report["data_quality"]) {
        let file = e["file"].as_str().unwrap();
        let lines: Vec<u64> = arr(&e["first_lines"])
            .iter()
            .map(|l| l.as_u64().unwrap())
            .collect();
        let (role, firsts) = if is_orders_file(file) {
            let ids = order_ids_by_line(&run.store.path().join(file));
            let firsts: Vec<String> = lines
                .iter()
                .map(|l| {
                    ids.get(l)
                        .cloned()
                        .unwrap_or_else(|| panic!("{file}: no record starts on line {l}"))
                })
                .collect();
            ("orders export".to_string(), firsts)
        } else {
            (
                file.to_string(),
                lines.iter().map(|l| format!("line {l}")).collect(),
            )
        };
        let key = (
            role,
            e["reason"].as_str().unwrap().to_string(),
            e["effect"].as_str().unwrap().to_string(),
        );
        // Canonical orders.csv and line_items.csv are one file in Shopify: add up.
        let entry = out.entry(key).or_insert((0, Value::Null, Vec::new()));
        entry.0 += e["count"].as_u64().unwrap();
        if entry.1.is_null() {
            entry.1 = e["example"].clone();
        }
        entry.2.extend(firsts);
    }
    out
}

/// A snag as compared: everything but what one layout cannot carry.
fn comparable_snag(snag: &Value) -> Map<String, Value> {
    let mut s = obj(snag).clone();
    match snag["id"].as_str().unwrap() {
        // Lanes are `carrier -> region`. Only the Shopify export has a region (`Shipping
        // Province`); canonical orders have none, so its lanes are carriers alone. The rest of
        // the snag, which does not depend on the lane, is compared.
        "late-delivery" => {
            s.remove("breakdown");
        }
        // The split of cancellations into stockouts needs the cancel reason: canonical
        // `cancel_reason` ("out of stock"); a Shopify orders export has no such column. Left out:
        // that share (value and interval of "of which stockouts", still compared on its n, the
        // cancelled orders) and the title, which quotes it. Impact and counts do not use it.
        "stockout-cancellations" => {
            s.remove("title");
            for e in s["evidence"].as_array_mut().unwrap() {
                if e["name"] == "of which stockouts" {
                    let e = e.as_object_mut().unwrap();
                    e.remove("value");
                    e.remove("ci95");
                }
            }
        }
        _ => {}
    }
    s
}

/// Fields in the order they are compared (headline numbers first, so that a failure names the
/// most telling difference); a field not listed is compared after them, as written.
const FIELDS: [&str; 12] = [
    "schema_version",
    "window",
    "store",
    "kpis",
    "revenue_by_currency",
    "snags",
    "not_enough_data",
    "checks",
    "skipped_files",
    "inputs",
    "data_quality",
    "charts",
];

/// `a` and `b` are equal, compared member by member when they are objects (so that a failure
/// names the KPI or chart that differs).
fn assert_same_members(a: &Value, b: &Value, what: &str) {
    match (a.as_object(), b.as_object()) {
        (Some(a), Some(b)) => {
            assert_eq!(
                a.keys().collect::<Vec<_>>(),
                b.keys().collect::<Vec<_>>(),
                "{what}"
            );
            for (k, v) in a {
                assert_eq!(v, &b[k], "{what}.{k}");
            }
        }
        _ => assert_eq!(a, b, "{what}"),
    }
}

/// Asserts that the two reports agree everywhere they must (see the module doc).
fn assert_same_report(canonical: &Run, shopify: &Run) {
    // Exact equality is the precondition for comparing whole reports: every overdue order has a
    // shipment, so its promise is known in both layouts (see the last test for the other case).
    assert_eq!(
        unshipped_overdue(&journeys(canonical)),
        Vec::<String>::new(),
        "this store has unshipped overdue orders, whose promise a Shopify store cannot carry; \
         pick another seed or compare as in the last test"
    );
    let (c, s) = (obj(&canonical.report), obj(&shopify.report));
    assert_eq!(
        c.keys().collect::<Vec<_>>(),
        s.keys().collect::<Vec<_>>(),
        "report fields"
    );
    let mut fields: Vec<&String> = c.keys().collect();
    fields.sort_by_key(|f| FIELDS.iter().position(|x| x == f).unwrap_or(FIELDS.len()));
    for field in fields {
        let (cv, sv) = (&c[field], &s[field]);
        match field.as_str() {
            "inputs" => assert_same_inputs(cv, sv),
            "data_quality" => assert_same_data_quality(canonical, shopify),
            "snags" => {
                let ids = |v: &Value| -> Vec<String> {
                    arr(v)
                        .iter()
                        .map(|x| x["id"].as_str().unwrap().to_string())
                        .collect()
                };
                assert_eq!(ids(cv), ids(sv), "snags raised, in rank order");
                for (a, b) in arr(cv).iter().zip(arr(sv)) {
                    let what = format!("snag {}", a["id"]);
                    let (a, b) = (comparable_snag(a), comparable_snag(b));
                    assert_same_members(&a.into(), &b.into(), &what);
                }
            }
            // Everything else is equal as written: window, store, every KPI, revenue by
            // currency, not_enough_data, every check, skipped files and the chart series.
            _ => assert_same_members(cv, sv, field),
        }
    }
}

fn raised(run: &Run) -> Vec<&str> {
    arr(&run.report["snags"])
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect()
}

#[test]
fn healthy_store_gives_the_same_report_in_both_formats() {
    let canonical = generate_and_analyze("canonical", SEED, "");
    let shopify = generate_and_analyze("shopify", SEED, "");
    assert_same_report(&canonical, &shopify);
    // What was compared is a real store: orders delivered, tickets linked, reviews read.
    let k = &canonical.report["kpis"];
    assert!(k["orders_delivered"].as_u64().unwrap() > 0);
    assert!(k["wismo_tickets"].as_u64().unwrap() > 0);
    assert!(k["review_coverage"].as_f64().unwrap() > 0.0);
}

#[test]
fn store_with_planted_snags_gives_the_same_report_in_both_formats() {
    let inject = "late-lane,stockouts,express-buried,wismo-spike";
    let canonical = generate_and_analyze("canonical", SEED, inject);
    let shopify = generate_and_analyze("shopify", SEED, inject);
    assert_same_report(&canonical, &shopify);
    // The snags compared above include each planted one and both excluded parts.
    for id in [
        "late-delivery",
        "stockout-cancellations",
        "express-buried",
        "wismo-spike",
    ] {
        assert!(raised(&canonical).contains(&id), "{id} not raised");
    }
}

/// The one KPI the layouts cannot agree on, pinned to its cause: an order that never shipped
/// has its promise in canonical `orders.csv` but nowhere in a Shopify store (the export has no
/// promise column; carrier estimates come with shipments), so it cannot be overdue there.
/// Every promise the Shopify store does carry must arrive intact.
#[test]
fn shopify_store_loses_only_the_promise_of_unshipped_orders() {
    // Every snag planted: this seed leaves one order overdue at the data end with no shipment.
    let inject = "express-buried,weekend-backlog,late-lane,wismo-spike,monday-surge,\
                  late-first-order-churn,stockouts,vip-at-risk,high-risk-holds";
    let canonical = generate_and_analyze("canonical", "1", inject);
    let shopify = generate_and_analyze("shopify", "1", inject);
    let (jc, js) = (journeys(&canonical), journeys(&shopify));
    assert_eq!(
        jc.keys().collect::<Vec<_>>(),
        js.keys().collect::<Vec<_>>(),
        "orders"
    );
    let lost = unshipped_overdue(&jc);
    assert!(!lost.is_empty(), "the store no longer has the case");

    let promise = ["promise_deadline", "promise_is_date", "promised_date"];
    for (id, c) in &jc {
        let s = &js[id];
        for col in promise {
            if c["n_shipments"] != "0" {
                assert_eq!(c[col], s[col], "order {id}: {col}");
            } else {
                assert_eq!(s[col], "", "order {id}: {col} without a shipment");
            }
        }
        assert_eq!(
            c["overdue"] == "true",
            s["overdue"] == "true" || lost.contains(id),
            "order {id}: overdue"
        );
    }

    let (kc, ks) = (obj(&canonical.report["kpis"]), obj(&shopify.report["kpis"]));
    for (kpi, v) in kc {
        if kpi == "overdue_orders" {
            assert_eq!(
                v.as_u64().unwrap(),
                ks[kpi].as_u64().unwrap() + lost.len() as u64,
                "overdue_orders: the Shopify store lacks exactly {lost:?}"
            );
        } else {
            assert_eq!(v, &ks[kpi], "kpi {kpi}");
        }
    }
}

/// `generate --parquet` stores the canonical times, dates and amounts typed, which the importer
/// reads as stored, not through text: the report and every order's journey are those of the
/// same store in CSV, but for the file names (and the source line of records: a Parquet "line"
/// is the row index + 2, where a CSV record may span lines).
#[test]
fn typed_parquet_store_gives_the_csv_report() {
    use polars::prelude::{DataType, ParquetReader, SerReader, TimeUnit, TimeZone};
    let csv = generate_and_analyze_with(&[], SEED, "monday-surge,late-lane");
    let parquet = generate_and_analyze_with(&["--parquet"], SEED, "monday-surge,late-lane");
    let file = std::fs::File::open(parquet.store.path().join("orders.parquet")).unwrap();
    let schema = ParquetReader::new(file).finish().unwrap().schema().clone();
    assert_eq!(
        schema.get("placed_at"),
        Some(&DataType::Datetime(
            TimeUnit::Milliseconds,
            Some(TimeZone::UTC)
        ))
    );
    assert_eq!(schema.get("promised_by"), Some(&DataType::Date));
    assert_eq!(schema.get("total"), Some(&DataType::Float64));
    assert_eq!(schema.get("order_id"), Some(&DataType::String));

    let renamed = serde_json::to_string(&parquet.report)
        .unwrap()
        .replace(".parquet", ".csv");
    assert_eq!(
        serde_json::from_str::<Value>(&renamed).unwrap(),
        csv.report,
        "report.json differs"
    );
    let (a, b) = (journeys(&csv), journeys(&parquet));
    assert_eq!(a.len(), b.len());
    for (id, row) in &a {
        for (column, cell) in row {
            if column == "src_file" || column == "src_line" {
                continue;
            }
            assert_eq!(&b[id][column], cell, "order {id}, {column}");
        }
    }
}
