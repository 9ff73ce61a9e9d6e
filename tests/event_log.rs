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

/// Every ticket has its "ticket opened" event in the OCEL log, the unlinked ones too (related to
/// the ticket alone); the case-centric CSV keeps the linked ones only, as they have a case.
#[test]
fn every_ticket_is_opened_in_the_ocel_log() {
    let store = tempfile::tempdir().unwrap();
    for f in [
        "orders.csv",
        "line_items.csv",
        "shipments.csv",
        "reviews.csv",
        "snagscan.toml",
    ] {
        std::fs::copy(
            std::path::Path::new("fixtures/tiny-store").join(f),
            store.path().join(f),
        )
        .unwrap();
    }
    // T1 cites order 1005 (C4); T3 is linked by e-mail to the guest's order 1007 (placed
    // 5 March); T2 has no order nor e-mail, T4's e-mail placed no order: both unlinked.
    std::fs::write(
        store.path().join("tickets.csv"),
        "ticket_id,created_at,subject,order_id,email\n\
         T1,2024-03-07T09:00:00Z,Where is my order?,1005,\n\
         T2,2024-03-07T10:00:00Z,Do you ship to Canada?,,\n\
         T3,2024-03-08T11:00:00Z,Hello,,guest@x.test\n\
         T4,2024-03-08T12:00:00Z,Hi there,,nobody@else.test\n",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    run(&[
        "snagscan",
        "analyze",
        store.path().to_str().unwrap(),
        "--quiet",
        "--ocel",
        "--out",
        out.path().to_str().unwrap(),
    ]);

    // CSV: the two linked tickets, in their orders' cases.
    let mut r = csv::Reader::from_path(out.path().join("event_log.csv")).unwrap();
    let mut opened: Vec<(String, String)> = Vec::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        if &rec[1] == "ticket opened" {
            opened.push((rec[0].to_string(), rec[4].to_string()));
        }
    }
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    assert_eq!(opened, pairs(&[("1005", "T1"), ("1007", "T3")]));

    // OCEL: four tickets, four "ticket opened" events; 30 order events + 2 + 2 tickets
    // opened + 6 dispatches + 5 deliveries.
    let ocel = process_mining::core::event_data::object_centric::ocel_json::import_ocel_json_path(
        out.path().join("event_log.jsonocel"),
    )
    .unwrap();
    assert_eq!(
        ocel.objects
            .iter()
            .filter(|o| o.object_type == "ticket")
            .count(),
        4
    );
    assert_eq!(ocel.events.len(), 30 + 4 + 6 + 5);
    let mut opened: Vec<(String, Vec<(String, String)>)> = ocel
        .events
        .iter()
        .filter(|e| e.event_type == "ticket opened")
        .map(|e| {
            let mut rel: Vec<(String, String)> = e
                .relationships
                .iter()
                .map(|r| (r.qualifier.clone(), r.object_id.clone()))
                .collect();
            rel.sort();
            (e.time.to_rfc3339(), rel)
        })
        .collect();
    opened.sort();
    assert_eq!(
        opened,
        [
            (
                "2024-03-07T09:00:00+00:00".to_string(),
                pairs(&[
                    ("customer", "customer:C4"),
                    ("order", "order:1005"),
                    ("ticket", "ticket:T1")
                ])
            ),
            (
                "2024-03-07T10:00:00+00:00".to_string(),
                pairs(&[("ticket", "ticket:T2")])
            ),
            (
                "2024-03-08T11:00:00+00:00".to_string(),
                pairs(&[
                    ("customer", "customer:guest@x.test"),
                    ("order", "order:1007"),
                    ("ticket", "ticket:T3")
                ])
            ),
            (
                "2024-03-08T12:00:00+00:00".to_string(),
                pairs(&[("ticket", "ticket:T4")])
            ),
        ]
    );
}
