//! `geonorm check`'s arguments and the command: paths collected ([`crate::walk`]),
//! checked ([`crate::check`]), the report written in the format asked for.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use clap::ValueEnum;

use crate::check;
use crate::ProfileArg;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// For people: each finding with the line it is on and a caret under it.
    Human,
    /// One line per finding, `file:line:col: severity: message [code]`.
    Short,
    /// One JSON document: every file and its findings, and the totals.
    Json,
    /// One JSON object per finding per line (the fields of `json`'s findings and the
    /// `file`), for programs that read as the check goes.
    Jsonl,
    /// SARIF 2.1.0, for code scanning and CI annotations.
    Sarif,
    /// GitLab Code Quality (a JSON array, one entry per finding).
    Gitlab,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Deny {
    /// Warnings fail the check too.
    Warnings,
}

#[derive(clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    walk: crate::walk::WalkArgs,
    /// Which rules to apply.
    #[arg(long, value_enum, default_value = "maphub")]
    profile: ProfileArg,
    /// Report format.
    #[arg(long, value_enum, default_value = "human")]
    format: CheckFormat,
    /// Exit 1 on warnings too.
    #[arg(long, value_enum)]
    deny: Option<Deny>,
    /// Show at most N findings of each code per file (human and short output; 0 shows all); the
    /// rest are counted in an `… and K more CODE` line.
    // `--max-diagnostics`, its old name, promised a total it never kept; still accepted.
    #[arg(
        long,
        alias = "max-diagnostics",
        value_name = "N",
        default_value_t = 20
    )]
    max_per_code: usize,
    /// Explain a diagnostic code and exit (`lat-out-of-range` is enough when only one
    /// code ends so).
    #[arg(long, value_name = "CODE")]
    explain: Option<String>,
    /// List every diagnostic code with its severity and what it means, and exit.
    #[arg(long, conflicts_with = "explain")]
    list_codes: bool,
    #[command(flatten)]
    look: crate::diags::Look,
    #[command(flatten)]
    pub threads: crate::term::Threads,
}

/// The code `name` means: a whole code, or the part after the `/` when only one code
/// ends so (`lat-out-of-range`). Otherwise the message to exit with.
fn resolve_code(name: &str) -> Result<geonorm::Code, String> {
    if let Some(code) = geonorm::Code::from_name(name) {
        return Ok(code);
    }
    let candidates: Vec<geonorm::Code> = geonorm::Code::ALL
        .iter()
        .copied()
        .filter(|c| {
            c.as_str()
                .split_once('/')
                .is_some_and(|(_, rest)| rest == name)
        })
        .collect();
    match candidates.as_slice() {
        [one] => Ok(*one),
        [] => Err(format!(
            "no diagnostic code `{name}`; codes look like `geometry/lat-out-of-range` (see --list-codes)"
        )),
        many => Err(format!(
            "`{name}` could be {}; give the whole code",
            many.iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        )),
    }
}

/// The first sentence (within the first line) of a code's explanation, for a
/// one-line listing.
fn summary(explain: &str) -> &str {
    let explain = explain.lines().next().unwrap_or_default();
    let mut from = 0;
    while let Some(i) = explain[from..].find(". ") {
        let end = from + i + 1;
        // An abbreviation's period ends no sentence.
        if !(explain[..end].ends_with("e.g.") || explain[..end].ends_with("i.e.")) {
            return &explain[..end];
        }
        from = end;
    }
    explain
}

pub fn check_cmd(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if let Some(name) = &args.explain {
        let code = resolve_code(name).map_err(anyhow::Error::msg)?;
        writeln!(out, "{} ({})\n\n{}", code, code.severity(), code.explain())?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.list_codes {
        let width = geonorm::Code::ALL
            .iter()
            .map(|c| c.as_str().len())
            .max()
            .unwrap_or(0);
        for c in geonorm::Code::ALL {
            let severity = c.severity().as_str();
            writeln!(
                out,
                "{:width$}  {severity:7}  {}",
                c.as_str(),
                summary(c.explain())
            )?;
        }
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let opts = geonorm::validate::CheckOptions::new(args.profile.into(), None);
    let collected = crate::walk::collect(&args.walk);
    if collected.targets.is_empty() && collected.errors.is_empty() {
        // Only directories get here (a named file is checked whatever its name): an
        // empty run would pass a CI job that checks nothing.
        let dirs: Vec<String> = args
            .walk
            .paths
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        anyhow::bail!("no KML, KMZ, GPX or GeoJSON files in {}", dirs.join(", "));
    }
    let stdin_name = args.walk.stdin_name.as_deref().unwrap_or("<stdin>");
    let mut failures = collected.errors;
    let mut results = Vec::new();
    for r in check::run(&collected.targets, stdin_name, &opts, args.look.quiet) {
        match r {
            Ok(checked) => results.push(checked),
            Err(e) => failures.push(crate::error_line(&e)),
        }
    }
    {
        // Said first, on standard error, as the run goes on without them.
        let mut err = io::stderr().lock();
        for f in &failures {
            writeln!(err, "geonorm: {}", crate::term::printable(f))?;
        }
    }
    let lines = |lines| {
        let stdout = crate::diags::Stream::Stdout;
        crate::diags::Printer::new(lines, &args.look, stdout, args.max_per_code)
    };
    let clean = check::totals(&results).errors == 0;
    match args.format {
        CheckFormat::Human => check::findings(
            &results,
            &lines(crate::diags::Lines::Snippet),
            true,
            &mut out,
        )?,
        CheckFormat::Short => check::findings(
            &results,
            &lines(crate::diags::Lines::Short),
            false,
            &mut out,
        )?,
        CheckFormat::Jsonl => check::findings(
            &results,
            &lines(crate::diags::Lines::Jsonl),
            false,
            &mut out,
        )?,
        // Always an array, `[]` when clean: GitLab reads the artifact as JSON.
        CheckFormat::Gitlab => crate::gitlab::write(&results, &mut out)?,
        // A whole document is the answer or nothing: quiet leaves it out only when
        // there is nothing to say.
        _ if args.look.quiet && clean => {}
        CheckFormat::Json => {
            out.write_all(
                geonorm::render::json_text(&check::json_report(&results), true)?.as_bytes(),
            )?;
            writeln!(out)?;
        }
        CheckFormat::Sarif => {
            out.write_all(geonorm::render::json_text(&check::sarif(&results), true)?.as_bytes())?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    if !failures.is_empty() {
        return Ok(ExitCode::from(2));
    }
    let t = check::totals(&results);
    let failed = t.errors > 0 || (args.deny == Some(Deny::Warnings) && t.warnings > 0);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_is_the_first_sentence() {
        assert_eq!(summary("One. Two. Three."), "One.");
        assert_eq!(
            summary("Uses e.g. a comma. Then more."),
            "Uses e.g. a comma."
        );
        assert_eq!(summary("No full stop"), "No full stop");
        assert_eq!(summary("Ends here."), "Ends here.");
        assert_eq!(summary("First line\nsecond. line"), "First line");
    }

    #[test]
    fn codes_resolve_by_their_whole_name_or_an_unambiguous_tail() {
        let lat = geonorm::Code::from_name("geometry/lat-out-of-range");
        assert_eq!(resolve_code("geometry/lat-out-of-range").ok(), lat);
        assert_eq!(resolve_code("lat-out-of-range").ok(), lat);
        let err = resolve_code("syntax").expect_err("ambiguous");
        assert!(
            err.contains("`json/syntax`") && err.contains("`xml/syntax`"),
            "{err}"
        );
        assert!(resolve_code("out-of-range").is_err());
        assert!(resolve_code("").is_err());
    }
}
