//! The event logs: PM4Py-style CSV and OCEL 2.0 JSON, read back by an independent OCEL reader
//! (the `process_mining` crate).

use std::collections::BTreeMap;

fn run(args: &[&str]) {
    let cli = <snagscan::cli::Cli as clap::Parser>::try_parse_from(args).unwrap();
    assert_eq!(snagscan::run(cli).unwrap(), 0);
}

#[test]
fn tiny_store_event_logs_have_every_event_once() {
    let out = tempfile::tempdir().unwrap();
    let out_s = out.path().to_str().unwrap();
    run(&[
        "snagscan",
        "analyze",
        "fixtures/tiny-store",
        "--quiet",
        "--ocel",
        "--out",
        out_s,
    ]);

    // Case-centric CSV: placed 8, paid 7 (the cancelled 1004 was never paid), shipped 6,
    // delivered 5, reviews 4; 1004 has no cancellation time, so no "order cancelled" event.
    let mut r = csv::Reader::from_path(out.path().join("event_log.csv")).unwrap();
    let headers = r.headers().unwrap().clone();
    assert_eq!(&headers[0], "case:concept:name");
    assert_eq!(&headers[1], "concept:name");
    assert_eq!(&headers[2], "time:timestamp");
    let mut per_activity: BTreeMap<String, usize> = BTreeMap::new();
    for rec in r.records() {
        *per_activity.entry(rec.unwrap()[1].to_string()).or_default() += 1;
    }
    let expected: BTreeMap<String, usize> = [
        ("order placed", 8),
        ("order paid", 7),
        ("order shipped", 6),
        ("order delivered", 5),
        ("review posted", 4),
    ]
    .into_iter()
    .map(|(a, n)| (a.to_string(), n))
    .collect();
    assert_eq!(per_activity, expected);

    // OCEL 2.0: 8 orders, 6 people (C3 ordered once and cancelled), 6 shipments; 30 order events + 6 dispatches + 5 deliveries.
    let ocel = process_mining::core::event_data::object_centric::ocel_json::import_ocel_json_path(
        out.path().join("event_log.jsonocel"),
    )
    .unwrap();
    let mut objects: BTreeMap<String, usize> = BTreeMap::new();
    for o in &ocel.objects {
        *objects.entry(o.object_type.clone()).or_default() += 1;
    }
    assert_eq!(objects.get("order"), Some(&8));
    assert_eq!(objects.get("customer"), Some(&6));
    assert_eq!(objects.get("shipment"), Some(&6));
    assert_eq!(objects.get("ticket"), None);
    assert_eq!(ocel.events.len(), 30 + 6 + 5);
    // Every relationship points at an object that exists.
    let ids: std::collections::HashSet<&str> = ocel.objects.iter().map(|o| o.id.as_str()).collect();
    for e in &ocel.events {
        for rel in &e.relationships {
            assert!(
                ids.contains(rel.object_id.as_str()),
                "{} -> {}",
                e.id,
                rel.object_id
            );
        }
    }
    let placed_1001 = ocel
        .events
        .iter()
        .find(|e| {
            e.event_type == "order placed"
                && e.relationships.iter().any(|r| r.object_id == "order:1001")
        })
        .unwrap();
    assert_eq!(placed_1001.time.to_rfc3339(), "2024-03-01T10:00:00+00:00");
}
