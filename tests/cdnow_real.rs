//! CDNOW (real purchase history, 23,570 customers): repeat_rate and time_to_second_order_p50_d
//! against an independent computation in this file (plain Rust, no snagscan code).
//!
//! Rules (SPEC section 2): one order per line; dates are bare dates read at midnight UTC; the
//! second order is the first one on a later date (same-day lines are one visit); repeat rate =
//! customers whose second order came within 90 days of the first / customers whose first order
//! is at least 90 days before the data end (the latest purchase date); the median of days to
//! second order is linear-interpolated over all customers with a second order.

use std::collections::BTreeMap;

use chrono::NaiveDate;

const DATA: &str = "../shared/data/cdnow/CDNOW_master.txt";

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let rank = 0.5 * (v.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (rank - lo as f64)
}

#[test]
#[ignore = "needs ../shared/data"]
fn cdnow_repeat_rate_matches_an_independent_computation() {
    let text = std::fs::read_to_string(DATA)
        .unwrap_or_else(|e| panic!("{DATA}: {e} (this test needs ../shared/data)"));
    let mut dates: BTreeMap<String, Vec<NaiveDate>> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if !f[1].bytes().all(|b| b.is_ascii_digit()) {
            continue; // the header line
        }
        let d = NaiveDate::parse_from_str(f[1], "%Y%m%d").unwrap();
        dates.entry(f[0].to_string()).or_default().push(d);
    }
    let end = dates.values().flatten().max().copied().unwrap();
    let (mut eligible, mut repeated, mut gaps) = (0u32, 0u32, Vec::new());
    for ds in dates.values() {
        let first = *ds.iter().min().unwrap();
        let second = ds.iter().filter(|d| **d > first).min().copied();
        if let Some(s) = second {
            gaps.push((s - first).num_days() as f64);
        }
        if (end - first).num_days() >= 90 {
            eligible += 1;
            if second.is_some_and(|s| (s - first).num_days() <= 90) {
                repeated += 1;
            }
        }
    }
    let expected_rate = f64::from(repeated) / f64::from(eligible);
    let expected_p50 = median(gaps);

    let out = tempfile::tempdir().unwrap();
    let cli = <snagscan::cli::Cli as clap::Parser>::try_parse_from([
        "snagscan",
        "analyze",
        "../shared/data/cdnow",
        "--config",
        "examples/cdnow/snagscan.toml",
        "--quiet",
        "--out",
        out.path().to_str().unwrap(),
    ])
    .unwrap();
    assert_eq!(snagscan::run(cli).unwrap(), 0);
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("report.json")).unwrap())
            .unwrap();
    println!(
        "independent: repeat rate {expected_rate:.6} ({repeated}/{eligible}), p50 {expected_p50} d"
    );
    assert_eq!(r["kpis"]["customers"], 23_570);
    let rate = r["kpis"]["repeat_rate"].as_f64().unwrap();
    let p50 = r["kpis"]["time_to_second_order_p50_d"].as_f64().unwrap();
    assert!(
        (rate - expected_rate).abs() < 1e-9,
        "repeat_rate {rate} vs {expected_rate}"
    );
    assert!(
        (p50 - expected_p50).abs() < 1e-6,
        "p50 {p50} vs {expected_p50}"
    );
}
