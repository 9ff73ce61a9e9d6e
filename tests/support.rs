//! Ticket linking (field case 18) and the support analyzers on generated stores whose planted
//! snags are known (`snagscan generate`, deterministic by seed).

use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;
use snagscan::config::{Config, Overrides};
use snagscan::generate::{generate, GenerateOptions, Injection, StoreFormat, Truth};
use snagscan::polars::prelude::*;
use snagscan::schema as s;

#[test]
fn case_18_order_references_in_text_link_tickets() {
    // The case's Shopify export and helpdesk export, read by the real importers.
    let dir = Path::new("fixtures/cases/18-wismo-order-reference-in-text");
    let overrides = Overrides {
        timezone: Some("America/New_York".into()),
        ..Default::default()
    };
    let cfg = Config::load(dir, None, &overrides).unwrap();
    let analysis = snagscan::pipeline::analyze(dir, &cfg).unwrap();
    let j = &analysis.journeys;
    let t = tickets_by_id(&analysis);
    let linked = text_column(&t, s::ORDER_ID);
    let by = text_column(&t, "linked_by");
    // 201 -> #1042 ("#1042"), 202 -> #1043 ("Order 1043"), 203 -> #1044 ("[#1044]"),
    // 204 unlinked ("Ticket #732" is a ticket number), 205 unlinked (date, ZIP, phone),
    // 206 -> #1045 by requester e-mail, 207 unlinked (#9999 does not exist).
    assert_eq!(
        linked,
        [
            Some("#1042"),
            Some("#1043"),
            Some("#1044"),
            None,
            None,
            Some("#1045"),
            None
        ]
    );
    assert_eq!(
        by,
        [
            Some("reference"),
            Some("reference"),
            Some("reference"),
            None,
            None,
            Some("email"),
            None
        ]
    );
    let missing = quality_entry(&analysis, "ticket cites an order not in");
    assert_eq!((missing.count, missing.first_lines.clone()), (1, vec![8]));
    // Tickets per order: 1, 1, 1, 1, 0; all 7 tickets kept.
    let per_order: Vec<Option<u32>> = j
        .orders
        .sort([s::ORDER_ID], SortMultipleOptions::default())
        .unwrap()
        .column(s::N_TICKETS)
        .unwrap()
        .u32()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(per_order, [Some(1), Some(1), Some(1), Some(1), Some(0)]);
    assert_eq!(t.height(), 7);
    // 203 is about tracking, on #1044 which has no ship time: a WISMO ticket on an unshipped order.
    let wismo: Vec<Option<bool>> = t.column("wismo").unwrap().bool().unwrap().iter().collect();
    let state = text_column(&t, "delivery_state");
    assert_eq!(wismo[2], Some(true));
    assert_eq!(state[2], Some("not_shipped"));
    assert_eq!(wismo[4], Some(false), "205 'Wrong size' is not WISMO");
    // 201, 202, 206 concern fulfilled orders (status `fulfilled`, no ship time): shipped at a
    // time not known, never "not shipped". 203 is the one WISMO ticket on an unshipped order.
    for i in [0, 1, 5] {
        assert_eq!(state[i], Some("shipped_time_unknown"), "ticket {}", 201 + i);
    }
    assert_eq!(analysis.report.kpis.wismo_tickets_unshipped, Some(1));
}

#[test]
fn a_ticket_order_id_written_as_a_decimal_links_to_the_order() {
    // A helpdesk export whose order_id column went through a spreadsheet: 1004 became 1004.0.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("orders.csv"),
        "order_id,customer_id,email,placed_at,total,currency\n\
         1003,C1,a@example.test,2024-03-01T10:00:00Z,10.00,USD\n\
         1004,C2,b@example.test,2024-03-02T10:00:00Z,20.00,USD\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("tickets.csv"),
        "ticket_id,created_at,subject,order_id\n\
         501,2024-03-05T09:00:00Z,Where is my order?,1004.0\n\
         502,2024-03-05T10:00:00Z,Question,1003\n",
    )
    .unwrap();
    let analysis = analyze_folder(dir.path());
    let t = tickets_by_id(&analysis);
    assert_eq!(text_column(&t, s::ORDER_ID), [Some("1004"), Some("1003")]);
    let warning = quality_entry(&analysis, "order_id: whole number written as a decimal");
    assert_eq!(
        (
            warning.file.as_str(),
            warning.count,
            warning.first_lines.clone()
        ),
        ("tickets.csv", 1, vec![2])
    );
}

/// A store whose order names carry a prefix (Shopify's order name prefix, `#AB-1152`): a
/// ticket citing `#AB-1152` or `order AB1153` in its text links to that order. Such tickets
/// stayed unlinked: the references were read as digits only. A ticket number
/// (`ticket #AB-1154`) still is not an order reference, nor is a cited name no order has.
#[test]
fn references_with_a_store_prefix_link_tickets() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("orders.csv"),
        "order_id,customer_id,placed_at,total,currency\n\
         #AB-1152,C1,2024-03-01T10:00:00Z,10.00,USD\n\
         #AB1153,C2,2024-03-02T10:00:00Z,20.00,USD\n\
         #AB-1154,C3,2024-03-02T11:00:00Z,20.00,USD\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("tickets.csv"),
        "ticket_id,created_at,subject,body\n\
         601,2024-03-05T09:00:00Z,Where is my order #AB-1152?,\n\
         602,2024-03-05T10:00:00Z,Late,Hi! My order ab1153 has not arrived\n\
         603,2024-03-05T11:00:00Z,Re: ticket #AB-1154,thanks\n\
         604,2024-03-05T12:00:00Z,Where is order #XY-9999,\n",
    )
    .unwrap();
    let analysis = analyze_folder(dir.path());
    let t = tickets_by_id(&analysis);
    assert_eq!(
        text_column(&t, s::ORDER_ID),
        [Some("#AB-1152"), Some("#AB1153"), None, None]
    );
    assert_eq!(
        text_column(&t, "linked_by"),
        [Some("reference"), Some("reference"), None, None]
    );
    let missing = quality_entry(&analysis, "ticket cites an order not in");
    assert_eq!((missing.count, missing.first_lines.clone()), (1, vec![5]));
}

/// "My order number is N" in the five languages links the ticket to order N (was: only the
/// English `is` was read between the keyword and the number, so the others fell back to the
/// e-mail, and a customer's later order took the ticket).
#[test]
fn order_number_is_n_links_in_five_languages() {
    let dir = tempfile::tempdir().unwrap();
    let mut orders = String::from("order_id,email,placed_at,total,currency\n");
    for id in 1301..=1305 {
        orders.push_str(&format!("{id},c@x.test,2024-03-01T10:00:00Z,10.00,USD\n"));
    }
    // A later order of the same customer: the e-mail fallback would pick it.
    orders.push_str("1399,c@x.test,2024-03-04T10:00:00Z,10.00,USD\n");
    std::fs::write(dir.path().join("orders.csv"), orders).unwrap();
    std::fs::write(
        dir.path().join("tickets.csv"),
        "ticket_id,created_at,email,subject,body\n\
         701,2024-03-05T09:00:00Z,c@x.test,Late,My order number is 1301\n\
         702,2024-03-05T09:00:00Z,c@x.test,Atraso,O número do pedido é 1302\n\
         703,2024-03-05T09:00:00Z,c@x.test,Retraso,Mi número de pedido es 1303\n\
         704,2024-03-05T09:00:00Z,c@x.test,Verspätet,Meine Bestellnummer ist 1304\n\
         705,2024-03-05T09:00:00Z,c@x.test,Retard,Mon numéro de commande est 1305\n",
    )
    .unwrap();
    let analysis = analyze_folder(dir.path());
    let t = tickets_by_id(&analysis);
    assert_eq!(
        text_column(&t, s::ORDER_ID),
        [
            Some("1301"),
            Some("1302"),
            Some("1303"),
            Some("1304"),
            Some("1305")
        ]
    );
    assert_eq!(text_column(&t, "linked_by"), [Some("reference"); 5]);
}

/// An order reference written with "número"/"numero"/"numéro", "n.", "ID" or "ref" between the
/// order keyword and the number links the ticket (was: unlinked; only "number", "no.", "nr.",
/// "num." and "nº" were read there), and so do "Order #: 2002" and the German "Bestellnr." and
/// "Auftragsnummer" / "Auftrag Nr." (an invoice, "Rechnung", is no order). A ticket number, a return request's number, a date, ZIP
/// code or phone number and a bare number in brackets still link nothing. The requester's e-mail
/// is no customer's, so a ticket links by its reference or not at all.
#[test]
fn order_references_with_numero_id_or_ref_link() {
    let dir = tempfile::tempdir().unwrap();
    let mut orders = String::from("order_id,email,placed_at,total,currency\n");
    for id in 2001..=2012 {
        orders.push_str(&format!(
            "{id},u{id}@example.test,2024-06-01T10:00:00Z,10.00,BRL\n"
        ));
    }
    std::fs::write(dir.path().join("orders.csv"), orders).unwrap();
    let bodies = [
        ("pedido número 2001", Some("2001")),
        ("pedido numero 2005", Some("2005")),
        ("pedido número 2004 não chegou", Some("2004")),
        ("pedido n. 2001 não chegou", Some("2001")),
        ("commande numéro 2007", Some("2007")),
        ("order ID: 2009", Some("2009")),
        ("order id 2010", Some("2010")),
        ("where is my order ID 2008", Some("2008")),
        ("order ref 2012", Some("2012")),
        ("Order #: 2002 where is it", Some("2002")),
        ("Meine Bestellnr. 2003 ist nicht angekommen", Some("2003")),
        ("Auftragsnummer 2006 nicht geliefert", Some("2006")),
        ("Auftrag Nr. 2010 fehlt", Some("2010")),
        ("Rechnung 2004 anbei", None),
        // A date after the keyword is no order number (it linked order 2005 or 2012).
        ("my order 2005-06-01 has not come", None),
        ("Bestellung 2012/03/04", None),
        ("Auftrag vom 12.03.2024", None),
        ("my order #2005-06-01 is late", None),
        ("Re: ticket #2011 received", None),
        ("Return request #2003", None),
        ("Ordered 2005-06-01, zip 2006, phone 2011-5550", None),
        ("my order (2005)", None),
    ];
    let mut tickets = String::from("Id,Subject,Description,Requester email,Created at,Status\n");
    for (i, (body, _)) in bodies.iter().enumerate() {
        tickets.push_str(&format!(
            "{},Help,\"{body}\",x@example.test,2024-06-05 09:00:00,open\n",
            901 + i
        ));
    }
    std::fs::write(dir.path().join("tickets.csv"), tickets).unwrap();
    let analysis = analyze_folder(dir.path());
    let t = tickets_by_id(&analysis);
    let expected: Vec<Option<&str>> = bodies.iter().map(|(_, order)| *order).collect();
    assert_eq!(text_column(&t, s::ORDER_ID), expected);
    let by: Vec<Option<&str>> = expected.iter().map(|o| o.map(|_| "reference")).collect();
    assert_eq!(text_column(&t, "linked_by"), by);
}

/// The analysis of the exports in `dir`, with the default settings.
fn analyze_folder(dir: &Path) -> snagscan::pipeline::Analysis {
    let cfg = Config::load(dir, None, &Overrides::default()).unwrap();
    snagscan::pipeline::analyze(dir, &cfg).unwrap()
}

/// The data-quality entry of an analysis whose reason starts with `reason`.
fn quality_entry<'a>(
    analysis: &'a snagscan::pipeline::Analysis,
    reason: &str,
) -> &'a snagscan::quality::QualityEntry {
    analysis
        .report
        .data_quality
        .iter()
        .find(|e| e.reason.starts_with(reason))
        .unwrap_or_else(|| panic!("no data-quality entry {reason:?}"))
}

/// The linked tickets of an analysis, sorted by ticket id.
#[test]
fn order_ids_and_e_mails_are_compared_without_case_spaces_or_hash() {
    // Upper-case order ids and an e-mail with capitals and a space: the orders' ids and e-mails
    // are rewritten to keys before the tickets are linked (a clean column is used as it is).
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("orders.csv"),
        "order_id,customer_id,email,placed_at,total,currency\n\
         AB-1001,C1,bo@example.test,2024-03-01T10:00:00Z,10.00,USD\n\
         AB-1002,C2, Ana@Example.test,2024-03-02T10:00:00Z,20.00,USD\n\
         AB-1003,C2, Ana@Example.test,2024-03-09T10:00:00Z,30.00,USD\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("tickets.csv"),
        "ticket_id,created_at,subject,order_id,email\n\
         601,2024-03-05T09:00:00Z,Question,#ab-1001,\n\
         602,2024-03-05T10:00:00Z,Where is my parcel?,,ana@example.test\n\
         603,2024-03-05T11:00:00Z,Hello,,nobody@example.test\n",
    )
    .unwrap();
    let analysis = analyze_folder(dir.path());
    let t = tickets_by_id(&analysis);
    // 602: the requester's latest order placed by the ticket's time (AB-1003 comes later).
    assert_eq!(
        text_column(&t, s::ORDER_ID),
        [Some("AB-1001"), Some("AB-1002"), None]
    );
    assert_eq!(
        text_column(&t, "linked_by"),
        [Some("order_id"), Some("email"), None]
    );
    // The orders hold no shipping data: shipped or not is not known.
    assert_eq!(
        text_column(&t, "delivery_state"),
        [Some("time_unknown"), Some("time_unknown"), Some("unlinked")]
    );
}

/// A ticket's delivery state says only what the inputs can tell: with no shipping data at all
/// its order is not "not shipped" but unknown, and with shipping but no delivery data a ticket
/// after the hand-off is not "in transit" (the parcel may have come); an order not yet shipped
/// when shipping is known stays `not_shipped`.
#[test]
fn a_delivery_state_the_inputs_cannot_tell_is_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let tickets = "ticket_id,created_at,subject,order_id
                   701,2024-03-05T09:00:00Z,Where is my order?,1001
                   702,2024-03-05T09:00:00Z,Where is my order?,1002
";
    std::fs::write(dir.path().join("tickets.csv"), tickets).unwrap();
    std::fs::write(
        dir.path().join("orders.csv"),
        "order_id,placed_at,total
         1001,2024-03-01T10:00:00Z,10.00
         1002,2024-03-02T10:00:00Z,20.00
",
    )
    .unwrap();
    let states = |dir: &Path| {
        let analysis = analyze_folder(dir);
        let t = tickets_by_id(&analysis);
        text_column(&t, "delivery_state")
            .into_iter()
            .map(|s| s.map(str::to_string))
            .collect::<Vec<_>>()
    };
    let unknown = Some("time_unknown".to_string());
    assert_eq!(states(dir.path()), [unknown.clone(), unknown.clone()]);
    // 1001 handed off before its ticket, 1002 after: no delivery data.
    std::fs::write(
        dir.path().join("orders.csv"),
        "order_id,placed_at,fulfilled_at,total
         1001,2024-03-01T10:00:00Z,2024-03-02T10:00:00Z,10.00
         1002,2024-03-02T10:00:00Z,2024-03-06T10:00:00Z,20.00
",
    )
    .unwrap();
    assert_eq!(
        states(dir.path()),
        [unknown, Some("not_shipped".to_string())]
    );
    // With a delivery column, 1001 is in transit when the ticket comes (delivered later).
    std::fs::write(
        dir.path().join("orders.csv"),
        "order_id,placed_at,fulfilled_at,delivered_at,total
         1001,2024-03-01T10:00:00Z,2024-03-02T10:00:00Z,2024-03-07T10:00:00Z,10.00
         1002,2024-03-02T10:00:00Z,2024-03-06T10:00:00Z,,20.00
",
    )
    .unwrap();
    assert_eq!(
        states(dir.path()),
        [
            Some("in_transit_before_promise".to_string()),
            Some("not_shipped".to_string())
        ]
    );
}

fn tickets_by_id(analysis: &snagscan::pipeline::Analysis) -> DataFrame {
    analysis
        .journeys
        .tickets
        .as_ref()
        .unwrap()
        .sort([s::TICKET_ID], SortMultipleOptions::default())
        .unwrap()
}

/// The values of String column `name` of `df`.
fn text_column<'a>(df: &'a DataFrame, name: &str) -> Vec<Option<&'a str>> {
    df.column(name).unwrap().str().unwrap().iter().collect()
}

fn store(
    name: &str,
    orders: usize,
    seed: u64,
    inject: Vec<Injection>,
) -> (tempfile::TempDir, Truth, Value) {
    let dir = tempfile::tempdir().unwrap();
    let truth = generate(
        &GenerateOptions {
            orders,
            seed,
            format: StoreFormat::Canonical,
            inject,
        },
        dir.path(),
    )
    .unwrap();
    let overrides = Overrides {
        timezone: Some("America/New_York".into()),
        ..Default::default()
    };
    let cfg = Config::load(dir.path(), None, &overrides).unwrap();
    let analysis = snagscan::pipeline::analyze(dir.path(), &cfg).unwrap();
    let report = serde_json::to_value(&analysis.report).unwrap();
    let _ = name;
    (dir, truth, report)
}

fn status<'a>(r: &'a Value, id: &str) -> &'a str {
    r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()["status"]
        .as_str()
        .unwrap()
}

fn healthy() -> &'static Value {
    static HEALTHY: OnceLock<Value> = OnceLock::new();
    HEALTHY.get_or_init(|| store("healthy", 10_000, 11, vec![]).2)
}

#[test]
fn a_healthy_store_raises_no_support_snag() {
    let r = healthy();
    for id in ["wismo-load", "wismo-spike", "monday-surge"] {
        assert_ne!(status(r, id), "raised", "{id} raised on a healthy store");
    }
    let rate = r["kpis"]["wismo_rate_per_100"].as_f64().unwrap();
    assert!(rate > 0.3 && rate < 1.0, "healthy WISMO rate {rate}");
}

#[test]
fn a_monday_surge_is_raised_on_monday() {
    let (_d, _truth, r) = store("monday", 10_000, 5, vec![Injection::MondaySurge]);
    assert_eq!(status(&r, "monday-surge"), "raised");
    let snag = snag(&r, "monday-surge");
    assert!(
        snag["title"].as_str().unwrap().starts_with("Monday"),
        "{}",
        snag["title"]
    );
    // The generator plants ~30% of tickets on Mondays.
    let share = snag["kpi"]["value"].as_f64().unwrap();
    assert!((0.25..0.36).contains(&share), "{share}");
    // Its support cost is the tickets above an even seventh, and says so (was: "tickets on
    // affected orders", which they are not).
    let basis = snag["impact_terms"][0]["basis"].as_str().unwrap();
    assert!(
        basis.ends_with("tickets above an even spread over the weekdays x 5.00 per ticket"),
        "{basis}"
    );
}

#[test]
fn a_wismo_spike_is_found_in_the_planted_week() {
    let (_d, truth, r) = store("spike", 20_000, 3, vec![Injection::WismoSpike]);
    assert_eq!(status(&r, "wismo-spike"), "raised");
    let params = &truth.planted[0].params;
    let (start, end) = (
        params["week_start"].as_str().unwrap(),
        params["week_end"].as_str().unwrap(),
    );
    let spikes: Vec<&str> = r["charts"]["wismo_daily"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["spike"] == true)
        .map(|d| d["date"].as_str().unwrap())
        .collect();
    assert!(!spikes.is_empty());
    assert!(
        spikes.iter().all(|d| *d >= start && *d <= end),
        "spikes {spikes:?} outside {start}..{end}"
    );
    // The customers write on the outage day or the day after, so the spike days are those.
    let outage: chrono::NaiveDate = params["outage_day"].as_str().unwrap().parse().unwrap();
    let after = (outage + chrono::Days::new(1)).to_string();
    let outage = outage.to_string();
    assert!(
        spikes.iter().all(|d| *d == outage || *d == after),
        "spikes {spikes:?} beside the outage day {outage}"
    );
    // The report gives the level the day cleared: 0.05 / days tested, the scored days with an
    // expected level above 0.
    let level = spike_evidence(&r, "level a day must clear");
    let days = level["n"].as_f64().unwrap();
    assert!(
        (level["value"].as_f64().unwrap() * days - 0.05).abs() < 1e-12,
        "{level}"
    );
    let scored = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "wismo-spike")
        .unwrap()["n"]
        .as_f64()
        .unwrap();
    assert!(days <= scored && days > scored - 20.0, "{days} of {scored}");
}

#[test]
fn a_late_carrier_lane_raises_wismo_load() {
    let (_d, _truth, r) = store("late-lane", 10_000, 7, vec![Injection::LateLane]);
    assert_eq!(status(&r, "wismo-load"), "raised");
    assert!(r["kpis"]["wismo_rate_per_100"].as_f64().unwrap() >= 1.0);
}

/// No spike planted, no spike raised, over many stores. A store's daily WISMO counts are
/// Poisson-like (each order's ticket is its own chance), and testing each of ~330 days at
/// p < 0.005 raised a "spike" on 7 of these 20 stores (healthy seeds 1, 3, 6, 7 and 8;
/// late-lane seeds 2 and 6). Tested at `spike_false_alarm_rate` / days tested (Bonferroni), a
/// store's chance of any false spike day is at most 5%; one of the 20 raises a day (late-lane
/// seed 2: 5 tickets about late USPS parcels on Sunday 2024-10-13). A late carrier lane raises
/// the WISMO level everywhere but plants no spike week.
#[test]
fn wismo_spike_false_alarms_are_rare_without_a_planted_spike() {
    let mut raised = Vec::new();
    for seed in 1..=10 {
        for (name, inject) in [
            ("healthy", vec![]),
            ("late-lane", vec![Injection::LateLane]),
        ] {
            let (_d, _truth, r) = store(name, 10_000, seed, inject);
            if status(&r, "wismo-spike") == "raised" {
                raised.push(format!("{name} {seed}"));
            }
        }
    }
    assert!(raised.len() <= 1, "false spikes in {raised:?}");
}

#[test]
fn short_ticket_history_is_not_enough_for_spikes() {
    // 150 orders over the generator's minimum 120-day window still give tickets on only a few
    // dozen days; the check must say "not enough data" or "clear", never crash.
    let (_d, _truth, r) = store("small", 150, 2, vec![]);
    assert!(["not_enough_data", "clear", "not_applicable"].contains(&status(&r, "wismo-spike")));
}

/// wismo-load's in-transit shares are of the WISMO tickets whose delivery state is known:
/// without delivery data every ticket after the hand-off is `time_unknown`, and the title says
/// so instead of "0% were opened while the parcel was in transit" (measured on nothing).
#[test]
fn wismo_load_does_not_share_out_unknown_delivery_states() {
    let dir = tempfile::tempdir().unwrap();
    let mut orders = String::from("order_id,placed_at,fulfilled_at,total\n");
    let mut tickets = String::from("ticket_id,created_at,subject,order_id\n");
    for i in 0..40 {
        let day = 1 + i % 20;
        orders.push_str(&format!(
            "{},2024-03-{day:02}T10:00:00Z,2024-03-{day:02}T18:00:00Z,10.00\n",
            1001 + i
        ));
        if i < 5 {
            tickets.push_str(&format!(
                "{},2024-03-{:02}T09:00:00Z,Where is my order?,{}\n",
                701 + i,
                day + 3,
                1001 + i
            ));
        }
    }
    std::fs::write(dir.path().join("orders.csv"), orders).unwrap();
    std::fs::write(dir.path().join("tickets.csv"), tickets).unwrap();
    let analysis = analyze_folder(dir.path());
    let s = analysis
        .report
        .snags
        .iter()
        .find(|s| s.id == "wismo-load")
        .expect("wismo-load raised: 5 WISMO tickets on 40 shipped orders");
    assert_eq!(
        s.title,
        "12.50 where-is-my-order tickets per 100 shipped orders; the delivery state of all 5 is unknown (unlinked, or times the inputs do not give)"
    );
    let names: Vec<&str> = s.evidence.iter().map(|e| e.name.as_str()).collect();
    assert!(
        !names.iter().any(|n| n.contains("preventable")),
        "{names:?}"
    );
    let unknown = s
        .evidence
        .iter()
        .find(|e| {
            e.name
                .starts_with("WISMO tickets whose delivery state is not known")
        })
        .unwrap();
    assert_eq!((unknown.value, unknown.n), (1.0, Some(5)));
}

/// A store of `days` days from 2024-01-01 (UTC): 20 orders placed each day at 10:00 and shipped
/// the next day at 12:00, and `wismo[d]` "where is my order" tickets opened on day d at 09:00,
/// each about an order placed two days before. Analyzed; returns the report.
fn daily_wismo_store(wismo: &[u64]) -> Value {
    daily_wismo_store_with(wismo, "", "")
}

/// [`daily_wismo_store`] with `extra_orders` and `extra_tickets` (CSV lines) added to its
/// orders and tickets.
fn daily_wismo_store_with(wismo: &[u64], extra_orders: &str, extra_tickets: &str) -> Value {
    use std::fmt::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let day = |d: usize| {
        chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Days::new(d as u64)
    };
    let mut orders = String::from("order_id,email,placed_at,fulfilled_at,total\n");
    for d in 0..wismo.len() {
        for i in 0..20 {
            let id = 1000 + d * 20 + i;
            let (placed, shipped) = (day(d), day(d + 1));
            writeln!(
                orders,
                "{id},c{id}@example.test,{placed}T10:{i:02}:00Z,{shipped}T12:{i:02}:00Z,30.00"
            )
            .unwrap();
        }
    }
    let mut tickets = String::from("ticket_id,created_at,subject,order_id\n");
    let mut ticket = 0;
    for (d, &n) in wismo.iter().enumerate() {
        for j in 0..n {
            ticket += 1;
            let about = if d >= 2 {
                (1000 + (d - 2) * 20 + (j as usize % 20)).to_string()
            } else {
                String::new()
            };
            let at = day(d);
            writeln!(
                tickets,
                "T{ticket},{at}T09:{:02}:00Z,Where is my order?,{about}",
                j % 60
            )
            .unwrap();
        }
    }
    orders.push_str(extra_orders);
    tickets.push_str(extra_tickets);
    std::fs::write(dir.path().join("orders.csv"), orders).unwrap();
    std::fs::write(dir.path().join("tickets.csv"), tickets).unwrap();
    let overrides = Overrides {
        timezone: Some("UTC".into()),
        ..Default::default()
    };
    let cfg = Config::load(dir.path(), None, &overrides).unwrap();
    let analysis = snagscan::pipeline::analyze(dir.path(), &cfg).unwrap();
    serde_json::to_value(&analysis.report).unwrap()
}

/// The snag `id` of report `r` (JSON).
fn snag<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["snags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no snag {id}"))
}

/// The wismo-spike snag's evidence item whose name starts with `prefix`.
fn spike_evidence(r: &Value, prefix: &str) -> Value {
    let snag = snag(r, "wismo-spike");
    snag["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"].as_str().unwrap().starts_with(prefix))
        .unwrap()
        .clone()
}

fn spike_days(r: &Value) -> Vec<String> {
    r["charts"]["wismo_daily"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["spike"] == true)
        .map(|d| d["date"].as_str().unwrap().to_string())
        .collect()
}

/// Daily WISMO counts that vary twice as much as a Poisson count (geometric: P(k) = 0.5^(k+1),
/// mean 1, variance 2), as a real store's do when carriers have good and bad days.
fn geometric_days(seed: u64, days: usize) -> Vec<u64> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..days)
        .map(|_| {
            let mut k = 0;
            while rng.gen_bool(0.5) {
                k += 1;
            }
            k
        })
        .collect()
}

/// Daily WISMO counts of a Poisson count of mean `mean` (a binomial of 10,000 chances of
/// `mean` / 10,000), the same on every day.
fn poisson_days(seed: u64, days: usize, mean: f64) -> Vec<u64> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..days)
        .map(|_| {
            (0..10_000)
                .filter(|_| rng.gen_bool(mean / 10_000.0))
                .count() as u64
        })
        .collect()
}

/// A store whose days vary more than a Poisson count's is judged against its own spread: at 1
/// ticket a day, a day of 7 has P = 8.3e-5 for a Poisson count, below the 0.05 / ~350 days
/// tested, but P = 0.5^7 = 0.0078 here, and 360 such days hold one with a chance of 94% (9 of
/// these 10 stores raised a spike against the Poisson tail). Against the spread measured
/// (variance / mean about 2), a day needs about 13 tickets (0.5^13 = 1.2e-4), which 360 days
/// hold with a chance of 4% (3 of seeds 1-60 raised one: 1, 42 and 52); against its upper
/// bound (about 2.4), about 15, and none of seeds 1-60 raises one.
#[test]
fn wismo_spike_judges_days_against_the_store_s_own_spread() {
    let raised: Vec<u64> = (1..=10)
        .filter(|&seed| {
            let r = daily_wismo_store(&geometric_days(seed, 360));

            status(&r, "wismo-spike") == "raised"
        })
        .collect();
    assert!(raised.len() <= 1, "false spikes on seeds {raised:?}");

    // A day of 25 tickets in such a store is a spike (0.5^25 = 3.0e-8), and leaving it out of
    // the spread keeps the spread the other days' (about 2, and 2.38 at its upper bound; with
    // the day of 25 in it, it would read above 3.5).
    let mut days = geometric_days(2, 360);
    days[200] = 25;
    let r = daily_wismo_store(&days);
    assert_eq!(status(&r, "wismo-spike"), "raised");
    assert_eq!(spike_days(&r), ["2024-07-19"]);
    let spread = spike_evidence(&r, "spread")["value"].as_f64().unwrap();
    assert!((2.0..2.8).contains(&spread), "spread {spread}");
}

/// A ticket export that starts with the orders' has tickets in its first week about orders
/// shipped before the orders' export began: that week's exposure (orders shipped on the 7 days
/// before) is cut short, and a few tickets read as a spike against an expected level near 0 (3
/// of these 10 stores raised one so). A day is scored only when its exposure window lies
/// within the days the orders cover; the chart still shows the first week.
#[test]
fn the_first_week_of_orders_is_no_exposure_for_a_spike() {
    let raised: Vec<u64> = (1..=10)
        .filter(|&seed| {
            let r = daily_wismo_store(&poisson_days(seed, 200, 3.0));
            status(&r, "wismo-spike") == "raised"
        })
        .collect();
    assert!(raised.len() <= 1, "false spikes on seeds {raised:?}");
    let r = daily_wismo_store(&poisson_days(1, 200, 3.0));
    assert_eq!(r["charts"]["wismo_daily"][0]["date"], "2024-01-01");
    // One stray order three months before the others (as an export filtered by update date
    // holds) does not stretch the orders' dates back: they start on the day by which 1% of the
    // orders were placed.
    let stray = "1,old@example.test,2023-10-01T10:00:00Z,2023-10-02T12:00:00Z,30.00\n";
    let raised: Vec<u64> = (1..=10)
        .filter(|&seed| {
            let r = daily_wismo_store_with(&poisson_days(seed, 200, 3.0), stray, "");
            status(&r, "wismo-spike") == "raised"
        })
        .collect();
    assert!(
        raised.len() <= 1,
        "false spikes on seeds {raised:?} with a stray order"
    );
}

/// A large spike widened every other week's spread and hid a smaller one: at 1 ticket a day, a
/// day of 25 adds (25 - 1)^2 / 1 = 576 to a Pearson statistic of about 350, so the other weeks'
/// spread reads about 2.6 and a day of 8 (P = 1.0e-5 for a Poisson count, below 0.05 / ~350)
/// had a tail of about 0.005. Each spike found is left out of the other days' spread, which is
/// measured again, and the day of 8 is found too.
#[test]
fn a_large_spike_does_not_hide_a_smaller_one_in_another_week() {
    let mut days = poisson_days(5, 360, 1.0);
    days[100] = 25;
    days[250] = 8;
    let r = daily_wismo_store(&days);
    assert_eq!(status(&r, "wismo-spike"), "raised");
    assert_eq!(spike_days(&r), ["2024-04-10", "2024-09-07"]);
}

/// The breakdown gives each spike day's WISMO tickets expected and the chance of as many, and
/// counts its WISMO tickets among all its tickets: on the day of 25, 5 other tickets (asking to
/// cancel) make 30, so 25 of 30. The worst day's chance is the evidence's, as written there.
#[test]
fn the_spike_breakdown_gives_each_day_s_expected_level_and_chance() {
    let mut days = poisson_days(5, 360, 1.0);
    days[100] = 25;
    days[250] = 8;
    let cancel: String = (0..5)
        .map(|i| format!("X{i},2024-04-10T15:0{i}:00Z,Please cancel my order,\n"))
        .collect();
    let r = daily_wismo_store_with(&days, "", &cancel);
    assert_eq!(spike_days(&r), ["2024-04-10", "2024-09-07"]);
    let rows = snag(&r, "wismo-spike")["breakdown"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let (first, second) = (&rows[0], &rows[1]);
    assert_eq!(
        (first["affected"].as_u64(), first["n"].as_u64()),
        (Some(25), Some(30))
    );
    assert!((first["share"].as_f64().unwrap() - 25.0 / 30.0).abs() < 1e-12);
    assert_eq!(
        (second["affected"].as_u64(), second["n"].as_u64()),
        (Some(8), Some(8))
    );
    let top_p = spike_evidence(&r, "chance of as many")["value"]
        .as_f64()
        .unwrap();
    let label = first["label"].as_str().unwrap();
    assert!(
        label.starts_with("2024-04-10 (")
            && label.ends_with(&format!(", p {})", snagscan::stats::fmt_p(top_p))),
        "{label}"
    );
    // Every scored day (from 2024-01-11: a week after the day by which 1% of the orders were
    // placed) has 140 orders shipped in its 7 days before, so the day's expected level is the
    // mean count of its weekday's scored days, the day of 25 among them.
    let same_weekday: Vec<u64> = (10..360)
        .filter(|d| d % 7 == 100 % 7)
        .map(|d| days[d])
        .collect();
    let expected = same_weekday.iter().sum::<u64>() as f64 / same_weekday.len() as f64;
    assert!(
        label.starts_with(&format!("2024-04-10 ({expected:.1} expected, p ")),
        "{label}, expected {expected}"
    );
    assert!(second["label"]
        .as_str()
        .unwrap()
        .starts_with("2024-09-07 ("));
}
