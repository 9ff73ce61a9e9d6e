//! Property tests for the cell parsers (`snagscan::ingest::value`): values formatted the ways
//! exports write them parse back to the same value, and no string makes a parser panic.

use chrono::{DateTime, FixedOffset, LocalResult, TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use snagscan::ingest::value::{parse_id, parse_money, parse_timestamp, IdIssue, SlashOrder};

/// `1234567` -> `1,234,567` with `sep` between groups of three.
fn group_thousands(int: u64, sep: &str) -> String {
    let digits = int.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(ch);
    }
    out
}

/// The ways exports write an amount of `cents` (with 2 decimals), and whether each needs
/// `decimal_comma` to be unambiguous.
fn money_renderings(cents: i64) -> Vec<(String, bool)> {
    let neg = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let (int, frac) = (abs / 100, abs % 100);
    vec![
        (format!("{neg}{int}.{frac:02}"), false),
        (
            format!("{neg}{}.{frac:02}", group_thousands(int, ",")),
            false,
        ),
        (
            format!("{neg}${}.{frac:02}", group_thousands(int, ",")),
            false,
        ),
        (format!("USD {neg}{int}.{frac:02}"), false),
        (
            format!("{neg}{},{frac:02} €", group_thousands(int, ".")),
            false,
        ),
        (
            format!("{neg}{},{frac:02}", group_thousands(int, "\u{a0}")),
            false,
        ),
        (
            format!("R$ {neg}{},{frac:02}", group_thousands(int, ".")),
            true,
        ),
    ]
}

proptest! {
    #[test]
    fn money_round_trips(cents in -100_000_000_000i64..100_000_000_000i64) {
        let expected = cents as f64 / 100.0;
        for (text, dc) in money_renderings(cents) {
            let got = parse_money(&text, dc);
            prop_assert!(
                matches!(got, Ok(Some(v)) if (v - expected).abs() < 1e-6),
                "{text:?} -> {got:?}, expected {expected}"
            );
        }
    }

    #[test]
    fn whole_amounts_with_thousands_round_trip(units in 1_000u64..10_000_000_000u64) {
        let text = format!("${}", group_thousands(units, ","));
        prop_assert_eq!(parse_money(&text, false), Ok(Some(units as f64)));
    }

    #[test]
    fn money_never_panics(s in "\\PC*", dc in any::<bool>()) {
        let _ = parse_money(&s, dc);
    }

    #[test]
    fn offset_timestamps_round_trip(
        secs in 31_536_000i64..4_102_444_800i64,
        quarter_hours in -56i32..=56,
        millis in 0u32..1000,
    ) {
        let instant = DateTime::<Utc>::from_timestamp(secs, millis * 1_000_000)
            .expect("in range");
        let offset = FixedOffset::east_opt(quarter_hours * 900).expect("valid offset");
        let local = instant.with_timezone(&offset);
        let whole = instant - chrono::Duration::milliseconds(i64::from(millis));
        let renderings = [
            (local.format("%Y-%m-%d %H:%M:%S %z").to_string(), whole),
            (local.format("%Y-%m-%dT%H:%M:%S%:z").to_string(), whole),
            (local.format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string(), instant),
            (instant.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(), instant),
            (instant.format("%Y-%m-%d %H:%M:%S UTC").to_string(), whole),
        ];
        for (text, expected) in renderings {
            let got = parse_timestamp(&text, Tz::UTC, SlashOrder::Unknown);
            prop_assert!(
                matches!(got, Ok(Some(s)) if s.instant == expected),
                "{text:?} -> {got:?}, expected {expected}"
            );
        }
    }

    #[test]
    fn naive_local_times_round_trip_in_the_store_zone(secs in 31_536_000i64..4_102_444_800i64) {
        let tz: Tz = "America/New_York".parse().expect("zone");
        let instant = DateTime::<Utc>::from_timestamp(secs, 0).expect("in range");
        let local = instant.with_timezone(&tz).naive_local();
        // Only wall times that exist once name one instant (DST gaps and overlaps are tested
        // with their resolution rule in value.rs).
        if let LocalResult::Single(_) = tz.from_local_datetime(&local) {
            let text = local.format("%Y-%m-%d %H:%M:%S").to_string();
            let got = parse_timestamp(&text, tz, SlashOrder::Unknown);
            prop_assert!(matches!(got, Ok(Some(s)) if s.instant == instant), "{text} -> {got:?}");
            let slash = local.format("%d/%m/%Y %H:%M:%S").to_string();
            let got = parse_timestamp(&slash, tz, SlashOrder::DayFirst);
            prop_assert!(matches!(got, Ok(Some(s)) if s.instant == instant), "{slash} -> {got:?}");
        }
    }

    #[test]
    fn timestamps_never_panic(s in "\\PC*", day_first in any::<bool>()) {
        let order = if day_first { SlashOrder::DayFirst } else { SlashOrder::MonthFirst };
        let _ = parse_timestamp(&s, Tz::UTC, order);
        let _ = parse_timestamp(&s, Tz::UTC, SlashOrder::Unknown);
    }

    #[test]
    fn identifiers_round_trip_as_text(id in "[A-Za-z0-9#_-]{0,8}[A-Za-z0-9#_]") {
        prop_assert_eq!(parse_id(&id), (Some(id.clone()), None));
        prop_assert_eq!(parse_id(&format!("  {id}\u{a0}")), (Some(id.clone()), None));
        prop_assert_eq!(
            parse_id(&format!("'{id}")),
            (Some(id.clone()), Some(IdIssue::QuotePrefixed))
        );
    }

    #[test]
    fn leading_zeros_are_kept(zeros in 1usize..6, rest in "[0-9]{1,12}") {
        let id = format!("{}{rest}", "0".repeat(zeros));
        prop_assert_eq!(parse_id(&id).0, Some(id));
    }

    #[test]
    fn scientific_notation_is_flagged(m in 1u32..10, frac in 0u32..10_000, e in 1u32..30) {
        let id = format!("{m}.{frac}E+{e}");
        prop_assert_eq!(parse_id(&id), (Some(id.clone()), Some(IdIssue::ScientificNotation)));
    }

    #[test]
    fn whole_numbers_written_as_decimals_are_read_whole(n in "[0-9]{1,12}", zeros in 1usize..4) {
        let cell = format!("{n}.{}", "0".repeat(zeros));
        prop_assert_eq!(parse_id(&cell), (Some(n.clone()), Some(IdIssue::DecimalZero)));
    }

    #[test]
    fn identifiers_never_panic(s in "\\PC*") {
        let _ = parse_id(&s);
    }
}
