//! The data-quality audit: every row that is dropped, changed or excluded from a statistic is
//! counted here by file and reason, with the physical lines of the first examples (SPEC section 1).

use std::collections::BTreeMap;

/// How many example lines are kept per (file, reason).
pub const FIRST_LINES: usize = 5;

/// What happened to the rows counted under a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// The row is not used at all.
    RowDropped,
    /// The row was replaced by a later version of the same record.
    RowReplaced,
    /// One value was unusable and is treated as missing; the rest of the row is kept.
    ValueNulled,
    /// The row is kept; one measurement is left out of the statistics.
    ExcludedFromStats,
    /// The row is kept as read; the warning is for the user to check.
    Warning,
}

/// One line of the audit (`data_quality.csv`, `report.json.data_quality`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QualityEntry {
    pub file: String,
    pub reason: String,
    pub effect: Effect,
    pub count: u64,
    /// 1-based physical lines of the first examples, ascending.
    pub first_lines: Vec<u64>,
    /// The raw value of the first example, when the reason is about a value (for a negative
    /// wait, the wait in hours: `gap of -13.0 h`).
    pub example: Option<String>,
}

/// Collects data-quality findings; iteration order is deterministic (file, reason).
#[derive(Debug, Default)]
pub struct DataQuality {
    entries: BTreeMap<(String, String), QualityEntry>,
}

impl DataQuality {
    /// Counts one row under `reason`.
    pub fn note(
        &mut self,
        file: &str,
        line: u64,
        reason: &str,
        effect: Effect,
        example: Option<&str>,
    ) {
        let e = self.entry(file, reason, effect);
        e.count += 1;
        if e.first_lines.len() < FIRST_LINES || e.first_lines.last().is_some_and(|&l| line < l) {
            e.first_lines.push(line);
            e.first_lines.sort_unstable();
            e.first_lines.truncate(FIRST_LINES);
        }
        if e.example.is_none() {
            e.example = example.map(str::to_string);
        }
    }

    /// Counts `count` rows at once, with the first example lines already known.
    pub fn note_many(
        &mut self,
        file: &str,
        reason: &str,
        effect: Effect,
        count: u64,
        lines: &[u64],
    ) {
        let e = self.entry(file, reason, effect);
        e.count += count;
        e.first_lines.extend_from_slice(lines);
        e.first_lines.sort_unstable();
        e.first_lines.dedup();
        e.first_lines.truncate(FIRST_LINES);
    }

    /// Sets the example of the finding (`file`, `reason`) when it has none yet.
    pub fn note_example(&mut self, file: &str, reason: &str, example: &str) {
        if let Some(e) = self
            .entries
            .get_mut(&(file.to_string(), reason.to_string()))
        {
            if e.example.is_none() {
                e.example = Some(example.to_string());
            }
        }
    }

    /// Adds the findings of `other` as if each of its rows had been noted here after the rows
    /// already counted: counts add up, the first lines are the smallest of both, and an
    /// existing example or effect is kept. Used to merge audits kept apart by parallel work.
    pub fn merge(&mut self, other: DataQuality) {
        for (key, o) in other.entries {
            match self.entries.get_mut(&key) {
                None => {
                    self.entries.insert(key, o);
                }
                Some(e) => {
                    e.count += o.count;
                    for line in o.first_lines {
                        if e.first_lines.len() < FIRST_LINES
                            || e.first_lines.last().is_some_and(|&l| line < l)
                        {
                            e.first_lines.push(line);
                            e.first_lines.sort_unstable();
                            e.first_lines.truncate(FIRST_LINES);
                        }
                    }
                    if e.example.is_none() {
                        e.example = o.example;
                    }
                }
            }
        }
    }

    fn entry(&mut self, file: &str, reason: &str, effect: Effect) -> &mut QualityEntry {
        self.entries
            .entry((file.to_string(), reason.to_string()))
            .or_insert_with(|| QualityEntry {
                file: file.to_string(),
                reason: reason.to_string(),
                effect,
                count: 0,
                first_lines: Vec::new(),
                example: None,
            })
    }

    /// Total rows counted.
    pub fn total(&self) -> u64 {
        self.entries.values().map(|e| e.count).sum()
    }

    /// The entries, ordered by file then reason.
    pub fn entries(&self) -> Vec<QualityEntry> {
        self.entries.values().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_counts_and_first_lines_in_order() {
        let mut dq = DataQuality::default();
        for line in [9, 3, 7, 5, 11, 2, 13] {
            dq.note("a.csv", line, "bad", Effect::ValueNulled, Some("x"));
        }
        dq.note_many("a.csv", "dup", Effect::RowReplaced, 2, &[4, 8]);
        let e = dq.entries();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].reason, "bad");
        assert_eq!(e[0].count, 7);
        assert_eq!(e[0].first_lines, vec![2, 3, 5, 7, 9]);
        assert_eq!(dq.total(), 9);
    }
}
