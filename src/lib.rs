//! snagscan: rebuilds each order's and customer's journey from store exports and finds the snags
//! (friction points) that cost support time and revenue. See README.md and SPEC for the contract.

pub mod analyze;
pub mod cli;
pub mod config;
pub mod error;
pub mod event_log;
pub mod generate;
pub mod ingest;
pub mod journey;
pub mod metrics;
pub mod pipeline;
pub mod quality;
pub mod report;
pub mod schema;
pub mod score;
pub mod stats;
pub mod support;
pub mod timings;

pub use error::{Error, Result};
/// The Polars version snagscan is built with, for tests, benches and embedding.
pub use polars;

use std::io::Write;

use crate::cli::{AnalyzeArgs, Cli, Command, DiffArgs, DiffFormat, GenerateArgs};
use crate::report::compare::{self, Digest};
use crate::report::Exporter;

/// Runs one command; returns the process exit code (0, or 1 when a `--fail-on` is met; the
/// reports are written first).
///
/// Errors: everything the user must fix (exit code 2).
pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Analyze(args) => run_analyze(args),
        Command::Diff(args) => run_diff(args),
        Command::Generate(args) => run_generate(args),
        Command::Analyzers => {
            let mut text = String::new();
            for a in analyze::ANALYZERS {
                text.push_str(&format!(
                    "{:<24} {:<14} {}\n",
                    a.id,
                    a.stage.as_str(),
                    a.description
                ));
            }
            print_stdout(text.as_bytes())?;
            Ok(0)
        }
        Command::Inspect(args) => run_inspect(args),
    }
}

/// Why `--out` cannot hold the reports, checked before anything is written: it (or one of its
/// parents) is a file, or a symbolic link to nothing (its target deleted or on an unmounted
/// disk). Creating the folder would fail with the OS error alone ("File exists", "Not a
/// directory"), which does not say why. `None` when the folder exists or can be created.
fn out_folder_problem(out: &std::path::Path) -> Option<String> {
    out.ancestors()
        .filter(|a| !a.as_os_str().is_empty())
        .find_map(|a| {
            let what = if a == out {
                String::new()
            } else {
                format!(": {}", a.display())
            };
            let is_link = a
                .symlink_metadata()
                .is_ok_and(|m| m.file_type().is_symlink());
            if a.exists() && !a.is_dir() {
                Some(format!(
                    "--out {}{what} is a file, not a folder; give a folder for the reports \
                     (it is created when missing)",
                    out.display()
                ))
            } else if is_link && !a.exists() {
                let target = std::fs::read_link(a)
                    .map(|t| t.display().to_string())
                    .unwrap_or_default();
                Some(format!(
                    "--out {}{what} is a symbolic link to {target}, which does not exist; \
                     create that folder, or give another folder for the reports",
                    out.display()
                ))
            } else {
                None
            }
        })
}

/// `snagscan inspect`: exit 0 when every file can be read, 2 when one cannot (all are listed).
///
/// Errors: as `analyze`, a folder with no input file, or whose every file is skipped (the
/// skipped files are listed on stdout first, with their nearest formats).
fn run_inspect(args: cli::InspectArgs) -> Result<u8> {
    let overrides = config::Overrides {
        timezone: args.timezone.clone(),
        as_of: None,
    };
    let cfg = config::Config::load(&args.dir, args.config.as_deref(), &overrides)?;
    let files = ingest::inspect::inspect(&args.dir, &cfg.read, &cfg.mappings)?;
    // The settings the files were read with: the config file, if any, and the time zone.
    let settings = format!(
        "config: {}; times without an offset read in {}{}\n",
        cfg.source.as_deref().unwrap_or("none"),
        cfg.read.timezone.name(),
        if cfg.timezone_assumed {
            " (assumed: no timezone given)"
        } else {
            ""
        }
    );
    if let Some(e) = ingest::inspect::nothing_read(&args.dir, &files) {
        if !files.is_empty() {
            print_stdout((settings + &ingest::inspect::render(&files)).as_bytes())?;
        }
        return Err(e);
    }
    print_stdout((settings + &ingest::inspect::render(&files)).as_bytes())?;
    Ok(if files.iter().any(|f| f.error.is_some()) {
        2
    } else {
        0
    })
}

fn run_analyze(args: AnalyzeArgs) -> Result<u8> {
    // Everything that can be wrong with the command line fails before the work starts.
    if args.baseline.is_none() {
        if let Some(rule) = args.fail_on.iter().find(|r| r.needs_baseline()) {
            return Err(Error::Usage(format!(
                "--fail-on {rule} compares with an earlier run: add --baseline OLD.json \
                 (a report.json from that run)"
            )));
        }
    }
    if let Some(out) = &args.out {
        if let Some(problem) = out_folder_problem(out) {
            return Err(Error::Usage(problem));
        }
        // The tables would replace exports of the same name (tickets.csv, customers.csv) and
        // be read as inputs by the next run.
        let same = |a: &std::path::Path, b: &std::path::Path| matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b);
        if same(out, &args.dir) {
            return Err(Error::Usage(format!(
                "--out {} is the folder being analysed: its tables (tickets.csv, customers.csv...) \
                 would overwrite exports of the same name and be read as inputs next time; \
                 give another folder",
                out.display()
            )));
        }
    }
    let baseline = args.baseline.as_deref().map(Digest::read).transpose()?;
    let overrides = config::Overrides {
        timezone: args.timezone.clone(),
        as_of: args.as_of.clone(),
    };
    let cfg = config::Config::load(&args.dir, args.config.as_deref(), &overrides)?;
    // Output files exist before the work starts, so a bad --out fails at once.
    let outputs = args
        .out
        .as_deref()
        .map(|dir| report::output::Outputs::create(dir, args.journeys_format, args.ocel))
        .transpose()?;
    let _total = timings::span("analyze command");
    let progress = progress(&args);
    let built = pipeline::build(&args.dir, &cfg);
    let built = match built {
        Ok(b) => b,
        Err(e) => {
            if let Some(p) = progress {
                p.finish_and_clear();
            }
            return Err(e);
        }
    };
    // The KPIs, analyzers and charts, then the stamp and the comparison with the baseline.
    let make_report = || -> Result<report::Report> {
        let mut report = {
            let _t = timings::span("pipeline::report");
            pipeline::report(&built, &cfg)?
        };
        if args.stamp {
            report.generated_at = Some(report::instant(chrono::Utc::now()));
        }
        if let Some(old) = &baseline {
            report.comparison = Some(compare::compare(old, &Digest::of(&report)?));
        }
        Ok(report)
    };
    let result = match outputs {
        Some(outputs) => {
            let _t = timings::span("report and outputs");
            outputs.write(&built, make_report).map(|(r, _)| r)
        }
        None => make_report(),
    };
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    let report = result?;
    let current = Digest::of(&report)?;
    if !args.quiet {
        let text = report::table::TerminalReport {
            width: terminal_width(),
            color: stdout_color(),
        }
        .serialize(&report)?;
        print_stdout(&text)?;
    }
    let hits = compare::fail_hits(&args.fail_on, &current, report.comparison.as_ref());
    Ok(fail_code(&hits))
}

fn run_diff(args: DiffArgs) -> Result<u8> {
    let old = Digest::read(&args.old)?;
    let new = Digest::read(&args.new)?;
    let cmp = compare::compare(&old, &new);
    let text = match args.format {
        DiffFormat::Text => {
            // Labels name the repeat window when both reports record the same one.
            report::table::comparison_text(
                &cmp,
                cmp.repeat_window_days(),
                terminal_width(),
                stdout_color(),
            )
            .into_bytes()
        }
        DiffFormat::Json => {
            let json = compare::ComparisonJson::from(&cmp);
            let mut v = serde_json::to_vec_pretty(&json).map_err(|e| Error::Output {
                path: "<stdout>".into(),
                message: e.to_string(),
            })?;
            v.push(b'\n');
            v
        }
    };
    print_stdout(&text)?;
    Ok(fail_code(&compare::fail_hits(
        &args.fail_on,
        &new,
        Some(&cmp),
    )))
}

/// 1 when a `--fail-on` rule was met (each named on stderr), else 0.
fn fail_code(hits: &[compare::FailHit]) -> u8 {
    for hit in hits {
        eprintln!(
            "snagscan: --fail-on {} met by {}",
            hit.rule,
            hit.snags.join(", ")
        );
    }
    u8::from(!hits.is_empty())
}

/// A spinner on stderr while the exports are read and analysed, only when stderr is a
/// terminal and the run is not --quiet (CI logs and pipes get nothing).
fn progress(args: &AnalyzeArgs) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if args.quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let p = indicatif::ProgressBar::new_spinner();
    p.set_message(format!("reading and analysing {}", args.dir.display()));
    p.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(p)
}

/// Colour on stdout only for a terminal, and never with NO_COLOR set (anstream's rules, which
/// also honour CLICOLOR_FORCE and TERM=dumb).
fn stdout_color() -> bool {
    anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
}

fn run_generate(args: GenerateArgs) -> Result<u8> {
    let format = match args.format.as_str() {
        "canonical" => generate::StoreFormat::Canonical,
        "shopify" => generate::StoreFormat::Shopify,
        other => {
            return Err(Error::Usage(format!(
                "--format {other}: use canonical or shopify"
            )))
        }
    };
    let inject = args
        .inject
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.parse::<generate::Injection>().map_err(Error::Usage))
        .collect::<Result<Vec<_>>>()?;
    let opts = generate::GenerateOptions {
        orders: args.orders,
        seed: args.seed,
        format,
        inject,
    };
    let truth = generate::generate(&opts, &args.out).map_err(|e| Error::io(&args.out, e))?;
    if args.parquet {
        generate::csv_to_parquet(&args.out)?;
    }
    let planted: Vec<String> = truth
        .planted
        .iter()
        .map(|p| format!("{} ({} orders)", p.snag, p.affected_orders))
        .collect();
    eprintln!(
        "wrote a store of {} orders to {}{}",
        truth.orders,
        args.out.display(),
        if planted.is_empty() {
            String::new()
        } else {
            format!("; planted: {}", planted.join(", "))
        }
    );
    Ok(0)
}

/// Width of the terminal tables: `COLUMNS` when set, else the terminal's own width when stdout
/// is one (comfy-table asks the terminal), else 140 (a file or a pipe).
fn terminal_width() -> u16 {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or_else(|| comfy_table::Table::new().width())
        .unwrap_or(140)
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn print_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::io("<stdout>", e)),
        _ => Ok(()),
    }
}
