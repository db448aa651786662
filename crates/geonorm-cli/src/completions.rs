//! `geonorm completions SHELL` and `geonorm man`: shell completions (`clap_complete`)
//! and a roff man page (`clap_mangen`), both generated from the clap definitions in
//! `main.rs`, so they cannot drift from the options the binary accepts.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Command, CommandFactory, ValueEnum};
use clap_complete::Shell;

/// The shells `geonorm completions` writes a script for.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShellArg {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}

impl From<ShellArg> for Shell {
    fn from(s: ShellArg) -> Shell {
        match s {
            ShellArg::Bash => Shell::Bash,
            ShellArg::Zsh => Shell::Zsh,
            ShellArg::Fish => Shell::Fish,
            ShellArg::Powershell => Shell::PowerShell,
            ShellArg::Elvish => Shell::Elvish,
        }
    }
}

/// The command line as clap sees it, named as the binary is installed.
fn command() -> Command {
    crate::Cli::command().bin_name("geonorm")
}

/// Writes the completion script for `shell` to standard output.
pub fn completions(shell: ShellArg) -> anyhow::Result<ExitCode> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut cmd = command();
    clap_complete::generate(Shell::from(shell), &mut cmd, "geonorm", &mut out);
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Writes the man page, geonorm(1) in roff with a section for each subcommand, to
/// standard output.
pub fn man() -> anyhow::Result<ExitCode> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    write_man(&command(), &mut out)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The top-level page, then each (visible) subcommand's name, synopsis, description
/// and options as a SUBCOMMAND section of its own.
fn write_man(cmd: &Command, out: &mut impl Write) -> io::Result<()> {
    // Built, so that the generated `--help` and `--version` count among the options.
    let mut cmd = cmd.clone();
    cmd.build();
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(out)?;
    }
    man.render_subcommands_section(out)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        if sub.get_name() == "help" {
            continue;
        }
        let name = format!("geonorm {}", sub.get_name());
        writeln!(out, ".SH \"{}\"", name.to_uppercase())?;
        let page = clap_mangen::Man::new(sub.clone().bin_name(&name));
        let mut part = Vec::new();
        page.render_synopsis_section(&mut part)?;
        if sub.get_long_about().or(sub.get_about()).is_some() {
            page.render_description_section(&mut part)?;
        }
        if sub.get_arguments().any(|a| !a.is_hide_set()) {
            page.render_options_section(&mut part)?;
        }
        // The subcommand's parts are subsections of its section.
        for line in String::from_utf8_lossy(&part).lines() {
            match line.strip_prefix(".SH ") {
                Some(heading) => writeln!(out, ".SS {heading}")?,
                None => writeln!(out, "{line}")?,
            }
        }
    }
    man.render_version_section(out)?;
    Ok(())
}
