//! The HTML report's charts, drawn with plotters' SVG backend into strings.
//!
//! Each function is pure (report data in, SVG text out) and returns `None` when its series is
//! empty; the page then shows a "no data" note instead. plotters escapes the text it writes
//! (`<`, `>`, `&`, `"`), so labels from the data (lanes, cohorts) cannot inject markup. Sizes
//! are the SVG's view box; the page scales them to its width.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{Charts, Report};
use crate::error::{Error, Result};

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Drawn = std::result::Result<(), Box<dyn std::error::Error>>;

const FONT: &str = "sans-serif";
const INK: RGBColor = RGBColor(32, 33, 36);
const MUTED: RGBColor = RGBColor(95, 99, 104);
const GRID: RGBColor = RGBColor(218, 220, 224);
const BLUE: RGBColor = RGBColor(26, 115, 232);
const ORANGE: RGBColor = RGBColor(230, 124, 0);
const RED_LINE: RGBColor = RGBColor(197, 34, 31);

/// Colours of a quadrant: (cell tint, point).
pub fn quadrant_colors(q: &str) -> (RGBColor, RGBColor) {
    match q {
        "start-here" => (RGBColor(230, 244, 234), RGBColor(24, 128, 56)),
        "plan-next" => (RGBColor(254, 243, 224), RGBColor(227, 116, 0)),
        "nice-to-have" => (RGBColor(232, 240, 254), RGBColor(25, 103, 210)),
        _ => (RGBColor(241, 243, 244), RGBColor(95, 99, 104)),
    }
}

fn render(w: u32, h: u32, draw: impl FnOnce(&Area) -> Drawn) -> Result<String> {
    let fail = |e: &dyn std::fmt::Display| Error::Output {
        path: "report.html".into(),
        message: format!("drawing a chart: {e}"),
    };
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        draw(&root).map_err(|e| fail(&e))?;
        root.present().map_err(|e| fail(&e))?;
    }
    Ok(buf)
}

struct Label<'a> {
    text: &'a str,
    size: u32,
    color: RGBColor,
    pos: Pos,
    bold: bool,
}

impl<'a> Label<'a> {
    fn new(text: &'a str) -> Self {
        Label {
            text,
            size: 13,
            color: INK,
            pos: Pos::new(HPos::Left, VPos::Center),
            bold: false,
        }
    }
    fn size(mut self, size: u32) -> Self {
        self.size = size;
        self
    }
    fn color(mut self, color: RGBColor) -> Self {
        self.color = color;
        self
    }
    fn at(mut self, h: HPos, v: VPos) -> Self {
        self.pos = Pos::new(h, v);
        self
    }
    fn bold(mut self) -> Self {
        self.bold = true;
        self
    }
    fn style(&self) -> TextStyle<'static> {
        let font = (FONT, f64::from(self.size)).into_font();
        let font = if self.bold {
            font.style(FontStyle::Bold)
        } else {
            font
        };
        TextStyle {
            font,
            color: self.color.to_backend_color(),
            pos: self.pos,
        }
    }
    fn draw(self, area: &Area, x: i32, y: i32) -> Drawn {
        area.draw(&Text::new(self.text.to_string(), (x, y), self.style()))?;
        Ok(())
    }
}

fn rect(area: &Area, x0: i32, y0: i32, x1: i32, y1: i32, style: ShapeStyle) -> Drawn {
    area.draw(&Rectangle::new([(x0, y0), (x1, y1)], style))?;
    Ok(())
}

fn line(area: &Area, points: Vec<(i32, i32)>, color: RGBColor, width: u32) -> Drawn {
    area.draw(&PathElement::new(points, color.stroke_width(width)))?;
    Ok(())
}

/// The impact/effort matrix: effort columns (low | medium | high), impact rows (high over
/// low), the quadrant lines between low and medium effort and between high and low impact,
/// each snag a numbered point labelled with its id and impact. Within a cell snags are stacked
/// by impact, highest first. `None` when no snag is raised.
pub fn matrix(r: &Report) -> Result<Option<String>> {
    if r.snags.is_empty() {
        return Ok(None);
    }
    let cur = r.store.currency.as_deref();
    let (w, h) = (900u32, 400u32);
    let (x0, x1, y0, y1) = (92i32, 884i32, 14i32, 350i32);
    let col_w = (x1 - x0) / 3;
    let xm = x0 + col_w;
    let ym = (y0 + y1) / 2;
    let svg = render(w, h, |a| {
        let cells = [
            ("start-here", x0, y0, xm, ym, "START HERE"),
            ("plan-next", xm, y0, x1, ym, "PLAN NEXT"),
            ("nice-to-have", x0, ym, xm, y1, "NICE TO HAVE"),
            ("hold-off", xm, ym, x1, y1, "HOLD OFF"),
        ];
        for (q, cx0, cy0, cx1, cy1, name) in cells {
            let (tint, strong) = quadrant_colors(q);
            rect(a, cx0, cy0, cx1, cy1, tint.filled())?;
            Label::new(name)
                .size(14)
                .bold()
                .color(strong)
                .at(HPos::Right, VPos::Top)
                .draw(a, cx1 - 10, cy0 + 8)?;
        }
        // Effort column separator (medium | high) and the two quadrant lines.
        line(a, vec![(x0 + 2 * col_w, y0), (x0 + 2 * col_w, y1)], GRID, 1)?;
        line(a, vec![(xm, y0), (xm, y1)], INK, 2)?;
        line(a, vec![(x0, ym), (x1, ym)], INK, 2)?;
        rect(a, x0, y0, x1, y1, INK.stroke_width(1))?;
        for (i, name) in ["low", "medium", "high"].iter().enumerate() {
            Label::new(name)
                .color(MUTED)
                .at(HPos::Center, VPos::Top)
                .draw(a, x0 + col_w * i as i32 + col_w / 2, y1 + 6)?;
        }
        Label::new("Effort to automate →")
            .bold()
            .at(HPos::Center, VPos::Top)
            .draw(a, (x0 + x1) / 2, y1 + 28)?;
        Label::new("high")
            .color(MUTED)
            .at(HPos::Right, VPos::Center)
            .draw(a, x0 - 8, (y0 + ym) / 2)?;
        Label::new("low")
            .color(MUTED)
            .at(HPos::Right, VPos::Center)
            .draw(a, x0 - 8, (ym + y1) / 2)?;
        let ylabel = Label::new("Impact per 30 days →").bold();
        let style = ylabel
            .style()
            .transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Center, VPos::Center));
        a.draw(&Text::new(
            ylabel.text.to_string(),
            (24, (y0 + y1) / 2),
            style,
        ))?;

        // Points, stacked per (effort column, impact row).
        type Slot<'s> = ((usize, bool), Vec<(usize, &'s super::Snag)>);
        let mut slots: Vec<Slot> = Vec::new();
        for (i, s) in r.snags.iter().enumerate() {
            let key = (s.effort as usize, s.high_impact);
            match slots.iter_mut().find(|(k, _)| *k == key) {
                Some((_, v)) => v.push((i + 1, s)),
                None => slots.push((key, vec![(i + 1, s)])),
            }
        }
        for ((col, high), members) in &slots {
            let (top, bottom) = if *high { (y0, ym) } else { (ym, y1) };
            let usable = bottom - top - 40;
            let step = (usable / members.len().max(1) as i32).clamp(18, 36);
            for (k, (rank, s)) in members.iter().enumerate() {
                let (_, strong) = quadrant_colors(s.quadrant.as_str());
                let px = x0 + col_w * *col as i32 + 22;
                let py = top + 40 + step * k as i32 + step / 2 - 8;
                a.draw(&Circle::new((px, py), 11, strong.filled()))?;
                Label::new(&rank.to_string())
                    .size(12)
                    .bold()
                    .color(WHITE)
                    .at(HPos::Center, VPos::Center)
                    .draw(a, px, py)?;
                let text = format!("{} · {}", s.id, super::view::impact_text(s, cur));
                Label::new(&text).draw(a, px + 17, py)?;
            }
        }
        Ok(())
    })?;
    Ok(Some(svg))
}

/// Order-to-ship histogram, one bar per tier in each bin, as a share of that tier's shipped
/// orders (tiers differ in size), with the SLA as a vertical line. The bins are equal (a
/// quarter of the SLA, [`crate::pipeline::fulfillment_edges`]) but the last, of waits of 3 x
/// the SLA or more, drawn as one more and labelled so (`144+`); every bin is on the axis, with
/// or without orders.
pub fn fulfillment(c: &Charts) -> Result<Option<String>> {
    if c.fulfillment_hist.is_empty() {
        return Ok(None);
    }
    // The open bin starts at the last edge and is drawn as one more bin.
    let edges = crate::pipeline::fulfillment_edges(c.fulfillment_sla_h);
    let n_bins = edges.len();
    let open_from = edges[n_bins - 1];
    let mut tiers: Vec<&str> = c.fulfillment_hist.iter().map(|b| b.tier.as_str()).collect();
    tiers.sort_unstable();
    tiers.dedup();
    let totals: Vec<u64> = tiers
        .iter()
        .map(|t| {
            c.fulfillment_hist
                .iter()
                .filter(|b| b.tier == *t)
                .map(|b| b.orders)
                .sum()
        })
        .collect();
    let share = |tier_i: usize, orders: u64| orders as f64 / totals[tier_i].max(1) as f64;
    let ymax = c
        .fulfillment_hist
        .iter()
        .filter_map(|b| {
            let t = tiers.iter().position(|t| *t == b.tier)?;
            Some(share(t, b.orders))
        })
        .fold(0.0f64, f64::max)
        .max(0.05)
        * 1.35;
    // SLA position on the equal-width axis.
    let sla = c.fulfillment_sla_h;
    let sla_x = edges
        .windows(2)
        .enumerate()
        .find(|(_, e)| sla >= e[0] && sla <= e[1])
        .map(|(i, e)| i as f64 + (sla - e[0]) / (e[1] - e[0]))
        .unwrap_or(n_bins as f64 - 0.5);
    let svg = render(900, 340, |a| {
        let mut chart = ChartBuilder::on(a)
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..n_bins as f64, 0f64..ymax)?;
        let edge_label = |v: &f64| -> String {
            let i = v.round() as usize;
            if (v - v.round()).abs() > 1e-6 {
                return String::new();
            }
            match edges.get(i) {
                Some(e) if i + 1 == edges.len() => format!("{}+", hours_text(*e)),
                Some(e) => hours_text(*e),
                None => String::new(),
            }
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .x_labels(n_bins + 1)
            .x_label_formatter(&edge_label)
            .y_labels(6)
            .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
            .x_desc(format!(
                "order-to-ship time, hours (the last bar: {} h or more)",
                hours_text(open_from)
            ))
            .y_desc("share of the tier's shipped orders")
            .label_style((FONT, 12).into_font().color(&MUTED))
            .axis_desc_style((FONT, 13).into_font().color(&INK))
            .draw()?;
        let width = 0.8 / tiers.len().max(1) as f64;
        for (ti, tier) in tiers.iter().enumerate() {
            // Express orange, standard blue, orders without a shipping method grey.
            let color = match *tier {
                "express" => ORANGE,
                crate::pipeline::NO_TIER => MUTED,
                _ => BLUE,
            };
            let bars = c
                .fulfillment_hist
                .iter()
                .filter(|b| b.tier == *tier)
                .map(|b| {
                    let bin = edges.iter().position(|e| *e == b.lower_h).unwrap_or(0) as f64;
                    let left = bin + 0.1 + width * ti as f64;
                    Rectangle::new(
                        [(left, 0.0), (left + width, share(ti, b.orders))],
                        color.filled(),
                    )
                });
            chart
                .draw_series(bars)?
                .label(format!(
                    "{tier} ({})",
                    count_of(totals[ti] as usize, "order")
                ))
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled())
                });
        }
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(sla_x, 0.0), (sla_x, ymax)],
                RED_LINE.stroke_width(2),
            )))?
            .label(format!("SLA {} h", hours_text(sla)))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 12, y)], RED_LINE.stroke_width(2)));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(GRID)
            .label_font((FONT, 13))
            .draw()?;
        Ok(())
    })?;
    Ok(Some(svg))
}

/// WISMO tickets per local day, spikes marked with red dots and their date.
pub fn wismo_daily(c: &Charts) -> Result<Option<String>> {
    if c.wismo_daily.is_empty() {
        return Ok(None);
    }
    let days = &c.wismo_daily;
    let ymax = days.iter().map(|d| d.tickets).max().unwrap_or(0).max(1) as f64 * 1.2;
    let n = days.len();
    let svg =
        render(900, 300, |a| {
            let mut chart = ChartBuilder::on(a)
                .margin(14)
                .x_label_area_size(40)
                .y_label_area_size(50)
                .build_cartesian_2d(0f64..(n.max(2) - 1) as f64, 0f64..ymax)?;
            let date_label = |v: &f64| -> String {
                if (v - v.round()).abs() > 1e-6 {
                    return String::new();
                }
                days.get(v.round() as usize)
                    .map(|d| d.date.clone())
                    .unwrap_or_default()
            };
            chart
                .configure_mesh()
                .disable_x_mesh()
                .light_line_style(TRANSPARENT)
                .bold_line_style(GRID)
                .x_labels(8)
                .x_label_formatter(&date_label)
                .y_labels(5)
                // Ticket counts are whole: a tick between two counts is left unlabelled.
                .y_label_formatter(&|v| {
                    if (v - v.round()).abs() > 1e-6 {
                        String::new()
                    } else {
                        format!("{v:.0}")
                    }
                })
                .y_desc("WISMO tickets per day")
                .label_style((FONT, 12).into_font().color(&MUTED))
                .axis_desc_style((FONT, 13).into_font().color(&INK))
                .draw()?;
            chart
                .draw_series(LineSeries::new(
                    days.iter()
                        .enumerate()
                        .map(|(i, d)| (i as f64, d.tickets as f64)),
                    BLUE.stroke_width(2),
                ))?
                .label("WISMO tickets")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 12, y)], BLUE.stroke_width(2)));
            let spikes: Vec<(usize, &super::DailyCount)> =
                days.iter().enumerate().filter(|(_, d)| d.spike).collect();
            chart
                .draw_series(spikes.iter().map(|(i, d)| {
                    Circle::new((*i as f64, d.tickets as f64), 5, RED_LINE.filled())
                }))?
                .label(format!("spike ({})", count_of(spikes.len(), "day")))
                .legend(|(x, y)| Circle::new((x + 6, y), 5, RED_LINE.filled()));
            // Date labels on spikes, skipping a spike within a week of the last labelled one so
            // that neighbouring labels do not overprint.
            let mut labelled: Vec<(usize, &super::DailyCount)> = Vec::new();
            for (i, d) in &spikes {
                if labelled.last().is_none_or(|(j, _)| i - j >= 7) {
                    labelled.push((*i, d));
                }
            }
            chart.draw_series(labelled.iter().map(|(i, d)| {
                Text::new(
                    d.date.clone(),
                    (*i as f64, d.tickets as f64),
                    TextStyle::from((FONT, 11).into_font())
                        .color(&RED_LINE)
                        .pos(Pos::new(HPos::Center, VPos::Bottom)),
                )
            }))?;
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE.mix(0.9))
                .border_style(GRID)
                .label_font((FONT, 13))
                .draw()?;
            Ok(())
        })?;
    Ok(Some(svg))
}

/// `n` and `noun`, plural but for one: `1 day`, `2 days`.
/// A bin edge in hours: whole (`12`) unless the SLA makes it fractional (`7.5`).
fn hours_text(h: f64) -> String {
    if h.fract() == 0.0 {
        format!("{h:.0}")
    } else {
        format!("{h:.1}")
    }
}

fn count_of(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Blend from white to `to` by `t` in [0, 1].
fn shade(to: RGBColor, t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let mix = |c: u8| (255.0 - (255.0 - f64::from(c)) * t).round() as u8;
    RGBColor(mix(to.0), mix(to.1), mix(to.2))
}

/// Cohort retention heatmap: one row per first-order month, one column per month after, the
/// share in each cell. The colour scale runs to the largest share after month 0 (month 0 is
/// the cohort itself and would wash the rest out).
pub fn cohorts(c: &Charts) -> Result<Option<String>> {
    if c.cohorts.is_empty() {
        return Ok(None);
    }
    let rows = &c.cohorts;
    let n_cols = rows
        .iter()
        .map(|r| r.retention.len())
        .max()
        .unwrap_or(0)
        .max(1);
    let scale = rows
        .iter()
        .flat_map(|r| r.retention.iter().skip(1).flatten())
        .fold(0.0f64, |a, b| a.max(*b))
        .max(0.01);
    let (left, top) = (150i32, 34i32);
    let cell_w = ((900 - left - 16) / n_cols as i32).clamp(14, 64);
    let cell_h = 24i32;
    let w = (left + cell_w * n_cols as i32 + 16) as u32;
    let h = (top + cell_h * rows.len() as i32 + 16) as u32;
    let svg = render(w.max(420), h, |a| {
        Label::new("cohort (customers)")
            .size(12)
            .color(MUTED)
            .at(HPos::Left, VPos::Bottom)
            .draw(a, 8, top - 6)?;
        for col in 0..n_cols {
            let step = if n_cols > 24 { 3 } else { 1 };
            if col % step == 0 {
                Label::new(&format!("+{col}"))
                    .size(12)
                    .color(MUTED)
                    .at(HPos::Center, VPos::Bottom)
                    .draw(a, left + cell_w * col as i32 + cell_w / 2, top - 6)?;
            }
        }
        for (ri, row) in rows.iter().enumerate() {
            let y = top + cell_h * ri as i32;
            Label::new(&format!("{} ({})", row.cohort, row.customers))
                .size(12)
                .draw(a, 8, y + cell_h / 2)?;
            for (ci, v) in row.retention.iter().enumerate() {
                let x = left + cell_w * ci as i32;
                let Some(v) = v else { continue };
                let fill = if ci == 0 {
                    GRID
                } else {
                    // A faint floor so that 0% cells still show the cohort's extent.
                    shade(BLUE, 0.06 + 0.94 * (v / scale))
                };
                rect(a, x, y, x + cell_w - 1, y + cell_h - 1, fill.filled())?;
                if cell_w >= 34 {
                    let dark = ci > 0 && v / scale > 0.55;
                    Label::new(&format!("{:.0}%", v * 100.0))
                        .size(11)
                        .color(if dark { WHITE } else { INK })
                        .at(HPos::Center, VPos::Center)
                        .draw(a, x + cell_w / 2, y + cell_h / 2)?;
                }
            }
        }
        Ok(())
    })?;
    Ok(Some(svg))
}

/// Repeat rate by first-order experience: one bar per group with its Wilson 95% interval.
pub fn repeat_by_experience(c: &Charts) -> Result<Option<String>> {
    let groups: Vec<&super::RateGroup> = c
        .repeat_by_experience
        .iter()
        .filter(|g| g.rate.is_some())
        .collect();
    if groups.is_empty() {
        return Ok(None);
    }
    let top_value = groups
        .iter()
        .map(|g| g.ci95.map(|ci| ci[1]).or(g.rate).unwrap_or(0.0))
        .fold(0.0f64, f64::max);
    // A round axis end and tick step: 5% steps up to 20%, 10% up to 50%, else 20%.
    let step = if top_value <= 0.2 {
        0.05
    } else if top_value <= 0.5 {
        0.1
    } else {
        0.2
    };
    let ticks = ((top_value / step).ceil() as i32).max(1);
    let xmax = (f64::from(ticks) * step).min(1.0);
    // Room on the left for the longest group label ("first order not delivered against a
    // promise", about 290 px at this size).
    let (left, right, top, row_h) = (320i32, 740i32, 16i32, 40i32);
    let h = (top + row_h * groups.len() as i32 + 60) as u32;
    let x_of = |v: f64| left + ((right - left) as f64 * v / xmax).round() as i32;
    let svg = render(900, h, |a| {
        let bottom = top + row_h * groups.len() as i32;
        for t in 0..=ticks {
            let v = step * f64::from(t);
            let x = x_of(v);
            line(a, vec![(x, top), (x, bottom)], GRID, 1)?;
            Label::new(&format!("{:.0}%", v * 100.0))
                .size(12)
                .color(MUTED)
                .at(HPos::Center, VPos::Top)
                .draw(a, x, bottom + 6)?;
        }
        Label::new("repeat rate")
            .size(13)
            .at(HPos::Center, VPos::Top)
            .draw(a, (left + right) / 2, bottom + 26)?;
        for (i, g) in groups.iter().enumerate() {
            let y = top + row_h * i as i32 + row_h / 2;
            let rate = g.rate.unwrap_or(0.0);
            Label::new(&g.label)
                .at(HPos::Right, VPos::Center)
                .draw(a, left - 10, y)?;
            rect(a, left, y - 11, x_of(rate), y + 11, BLUE.mix(0.75).filled())?;
            if let Some([lo, hi]) = g.ci95 {
                let (xl, xh) = (x_of(lo), x_of(hi));
                line(a, vec![(xl, y), (xh, y)], INK, 2)?;
                line(a, vec![(xl, y - 6), (xl, y + 6)], INK, 2)?;
                line(a, vec![(xh, y - 6), (xh, y + 6)], INK, 2)?;
            }
            let end = g
                .ci95
                .map(|ci| x_of(ci[1]))
                .unwrap_or(x_of(rate))
                .max(x_of(rate));
            Label::new(&format!("{:.1}% ({} of {})", rate * 100.0, g.k, g.n))
                .size(12)
                .draw(a, end + 8, y)?;
        }
        Ok(())
    })?;
    Ok(Some(svg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{CohortRow, DailyCount, HistogramBin, RateGroup};

    fn charts() -> Charts {
        Charts {
            fulfillment_hist: vec![
                HistogramBin {
                    tier: "standard".into(),
                    lower_h: 0.0,
                    upper_h: Some(12.0),
                    orders: 30,
                },
                HistogramBin {
                    tier: "standard".into(),
                    lower_h: 60.0,
                    upper_h: Some(72.0),
                    orders: 10,
                },
                HistogramBin {
                    tier: "express".into(),
                    lower_h: 144.0,
                    upper_h: None,
                    orders: 5,
                },
            ],
            fulfillment_sla_h: 48.0,
            wismo_daily: vec![
                DailyCount {
                    date: "2024-01-01".into(),
                    tickets: 2,
                    spike: false,
                },
                DailyCount {
                    date: "2024-01-02".into(),
                    tickets: 9,
                    spike: true,
                },
            ],
            cohorts: vec![CohortRow {
                cohort: "<b>2024-01</b>".into(),
                customers: 10,
                retention: vec![Some(1.0), Some(0.2), None],
            }],
            repeat_by_experience: vec![RateGroup {
                label: "late & <i>".into(),
                n: 40,
                k: 4,
                rate: Some(0.1),
                ci95: Some([0.04, 0.23]),
            }],
        }
    }

    /// Orders without a shipping method are a group of their own, in grey, not a second blue
    /// beside standard's.
    #[test]
    fn orders_without_a_shipping_method_are_grey_in_the_histogram() {
        let mut c = charts();
        c.fulfillment_hist[1].tier = crate::pipeline::NO_TIER.into();
        let svg = fulfillment(&c).unwrap().unwrap();
        let fill = |rgb: RGBColor| format!("fill=\"#{:02X}{:02X}{:02X}\"", rgb.0, rgb.1, rgb.2);
        for colour in [BLUE, ORANGE, MUTED] {
            assert!(
                svg.contains(&fill(colour)),
                "{} not in the histogram",
                fill(colour)
            );
        }
        assert!(svg.contains("no shipping method (10 orders)"), "legend");
    }

    /// A fractional SLA is labelled as configured (2.5 h read "SLA 2 h").
    #[test]
    fn a_fractional_sla_is_labelled_as_configured() {
        let mut c = charts();
        c.fulfillment_sla_h = 2.5;
        let svg = fulfillment(&c).unwrap().unwrap();
        assert!(svg.contains("SLA 2.5 h"), "no SLA label");
    }

    #[test]
    fn charts_are_svg_and_escape_labels() {
        let c = charts();
        for svg in [
            fulfillment(&c).unwrap(),
            wismo_daily(&c).unwrap(),
            cohorts(&c).unwrap(),
            repeat_by_experience(&c).unwrap(),
        ] {
            let svg = svg.expect("a chart");
            assert!(svg.starts_with("<svg"), "{}", &svg[..40.min(svg.len())]);
            assert!(
                !svg.contains("<b>") && !svg.contains("<i>"),
                "unescaped label"
            );
        }
        assert!(cohorts(&c).unwrap().unwrap().contains("&lt;b&gt;2024-01"));
    }

    /// A day of at most 2 WISMO tickets: the y axis labels whole counts only (was: ticks at
    /// 0.5 and 1.5 written 0 and 2, reading "0, 0, 1, 2, 2"), and one spike day is "1 day".
    #[test]
    fn wismo_axis_labels_whole_counts() {
        let mut c = charts();
        c.wismo_daily[1].tickets = 2;
        let svg = wismo_daily(&c).unwrap().unwrap();
        let labels: Vec<&str> = svg
            .split("</text>")
            .filter_map(|s| s.rsplit('>').next())
            .map(str::trim)
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .collect();
        assert_eq!(labels, ["0", "1", "2"], "{svg}");
        assert!(svg.contains("spike (1 day)"), "{svg}");
    }

    /// The order-to-ship axis has every equal bin, with or without orders, and names the open
    /// last one (was: the bins holding orders, 12 to 96 h wide, drawn at one width).
    #[test]
    fn fulfillment_axis_gives_equal_bins_and_the_open_one() {
        let svg = fulfillment(&charts()).unwrap().unwrap();
        let labels: Vec<&str> = svg
            .split("</text>")
            .filter_map(|s| s.rsplit('>').next())
            .map(str::trim)
            .filter(|s| {
                !s.is_empty() && s.trim_end_matches('+').bytes().all(|b| b.is_ascii_digit())
            })
            .collect();
        let want = [
            "0", "12", "24", "36", "48", "60", "72", "84", "96", "108", "120", "132", "144+",
        ];
        assert_eq!(labels, want, "{svg}");
        assert!(svg.contains("the last bar: 144 h or more"), "{svg}");
    }

    #[test]
    fn empty_series_give_no_chart() {
        let c = Charts::default();
        assert!(fulfillment(&c).unwrap().is_none());
        assert!(wismo_daily(&c).unwrap().is_none());
        assert!(cohorts(&c).unwrap().is_none());
        assert!(repeat_by_experience(&c).unwrap().is_none());
    }
}
