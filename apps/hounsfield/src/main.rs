//! `hounsfield`: the Hounsfield command line (info, render, bench).

mod bench;
mod info;
mod render;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Hounsfield: exact DICOM pixels, rendered fast.
#[derive(Parser)]
#[command(name = "hounsfield", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Describe DICOM files: patient, study, series, image, windows, geometry.
    Info {
        /// Files to describe.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print JSON (one object per file, in an array).
        #[arg(long)]
        json: bool,
    },
    /// Render one frame to PNG through the display pipeline.
    Render(render::RenderArgs),
    /// Benchmarks that print tables.
    Bench {
        #[command(subcommand)]
        what: bench::BenchCommand,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Info { files, json } => info::run(&files, json),
        Command::Render(args) => render::run(&args),
        Command::Bench { what } => bench::run(what),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("hounsfield: {e}");
            ExitCode::FAILURE
        }
    }
}
