"""The core KPIs of a generated store in a plain Polars (Python) script: the baseline that
`snagscan analyze` is measured against in docs/performance.md.

It does what an analyst would write by hand: read the five CSV files with types inferred,
one shipment per order (earliest shipped), order-to-ship / transit / click-to-door
percentiles, on-time rate, review coverage, ticket and WISMO counts (a keyword regex), and
the repeat purchase rate. No data-quality audit, no outputs but the printed KPIs.

    pip install polars
    /usr/bin/time -v python3 benches/alternatives/polars_core_kpis.py /tmp/s1m
"""

import sys

import polars as pl

d = sys.argv[1]
ts = pl.Datetime("ms", "UTC")

orders = pl.scan_csv(f"{d}/orders.csv", try_parse_dates=True).filter(~pl.col("test"))
ships = pl.scan_csv(f"{d}/shipments.csv", try_parse_dates=True)
reviews = pl.scan_csv(f"{d}/reviews.csv", try_parse_dates=True)
tickets = pl.scan_csv(f"{d}/tickets.csv", try_parse_dates=True)
pl.scan_csv(f"{d}/line_items.csv").select(pl.len()).collect()  # read, as snagscan does

first_ship = ships.group_by("order_id").agg(
    pl.col("shipped_at").min(),
    pl.col("delivered_at").max(),
    pl.col("estimated_delivery_at").min(),
)
j = (
    orders.join(first_ship, on="order_id", how="left")
    .join(reviews.group_by("order_id").agg(pl.len().alias("n_reviews")), on="order_id", how="left")
    .with_columns(
        wait_h=(pl.col("shipped_at") - pl.col("placed_at")).dt.total_seconds() / 3600,
        transit_h=(pl.col("delivered_at") - pl.col("shipped_at")).dt.total_seconds() / 3600,
        c2d_h=(pl.col("delivered_at") - pl.col("placed_at")).dt.total_seconds() / 3600,
        on_time=pl.col("delivered_at").dt.date() <= pl.col("promised_by").cast(pl.Date),
    )
)
kpis = j.select(
    orders=pl.len(),
    shipped=pl.col("shipped_at").is_not_null().sum(),
    delivered=pl.col("delivered_at").is_not_null().sum(),
    wait_p50=pl.col("wait_h").quantile(0.5, "linear"),
    wait_p90=pl.col("wait_h").quantile(0.9, "linear"),
    transit_p50=pl.col("transit_h").quantile(0.5, "linear"),
    c2d_p50=pl.col("c2d_h").quantile(0.5, "linear"),
    on_time=pl.col("on_time").mean(),
    review_coverage=(pl.col("n_reviews").is_not_null() & pl.col("delivered_at").is_not_null()).sum()
    / pl.col("delivered_at").is_not_null().sum(),
)
wismo = tickets.select(
    tickets=pl.len(),
    wismo=(pl.col("subject") + " " + pl.col("body").fill_null(""))
    .str.contains(r"(?i)where is my (order|package|parcel)|tracking|not (arrived|received)|wo ist|où est|dónde está")
    .sum(),
)
firsts = (
    orders.sort("placed_at")
    .group_by("customer_id")
    .agg(pl.col("placed_at").first().alias("first"), pl.col("placed_at").slice(1, 1).first().alias("second"))
    .with_columns(repeat=(pl.col("second") - pl.col("first")) <= pl.duration(days=90))
    .select(repeat_rate=pl.col("repeat").fill_null(False).mean())
)
out = pl.collect_all([kpis, wismo, firsts])
for df in out:
    print(df)
