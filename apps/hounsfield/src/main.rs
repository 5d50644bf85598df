//! `hounsfield`: the Hounsfield viewer (`hounsfield [PATH...]`) and command line (info,
//! render, query, bench).

mod bench;
mod bench_dicomweb;
mod bench_layers;
mod bench_planes;
mod bench_viewer;
mod dicomweb;
mod info;
mod layers;
mod measure;
mod mpr;
mod render;
mod viewer;

/// pydicom's `CT_small.dcm` (MIT licence): what the viewer shows when started without a path.
pub use hounsfield_viewer::SAMPLE;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Hounsfield: exact DICOM pixels, rendered fast.
///
/// Without a subcommand, opens the viewer on the given files and folders (or, with no
/// path, on an embedded sample CT).
#[derive(Parser)]
#[command(
    name = "hounsfield",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    view: ViewArgs,
}

/// Options of the viewer.
#[derive(clap::Args)]
struct ViewArgs {
    /// DICOM files and folders (searched recursively) to open.
    paths: Vec<PathBuf>,
    /// Window size in pixels, WIDTHxHEIGHT.
    #[arg(long, value_parser = render::parse_size_arg)]
    size: Option<(u32, u32)>,
    /// Write the time of every drawn frame (ms, until the GPU is done), its parts, and
    /// the kinds of the actions it performed, to this file.
    #[arg(long)]
    frame_log: Option<PathBuf>,
    /// Keep a JSON description of the screen (window, slice, series, image area) in
    /// this file, for scripts and tests.
    #[arg(long)]
    status_file: Option<PathBuf>,
    /// Folder where Ctrl+S saves views (default: the current folder).
    #[arg(long, default_value = ".")]
    save_dir: PathBuf,
    /// What draws the images: the GPU, or the CPU reference pipeline (auto: the GPU; the
    /// window, panels and text are drawn with the GPU device in any case).
    #[arg(long, value_enum, default_value = "auto")]
    renderer: render::RendererArg,
    /// The most one file may decode to, in MiB (all its frames); a larger file is not
    /// decoded and says so [default: 16384].
    #[arg(long, value_name = "MIB")]
    decode_budget_file: Option<u64>,
    /// The most the files of one open (a folder, a series) may decode to together, in
    /// MiB; files past it are not decoded and say so [default: three quarters of the
    /// machine's memory, at most 65536].
    #[arg(long, value_name = "MIB")]
    decode_budget_load: Option<u64>,
    /// The most the planes' volume may take, in MiB: a larger series is cut at a reduced
    /// resolution (every n-th column, row or slice, toward cubic voxels), and the planes
    /// say so [default: what the device's 3D textures take].
    #[arg(long, value_name = "MIB")]
    volume_budget: Option<u64>,
}

#[derive(Subcommand)]
enum Command {
    /// Describe DICOM files: patient, study, series, image, windows, geometry.
    Info {
        /// Files to describe; with a folder or a DICOMweb study/series URL
        /// (ROOT/studies/UID[/series/UID]), the series found, each assembled as a volume.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print JSON (one object per file, in an array).
        #[arg(long)]
        json: bool,
    },
    /// Search a DICOMweb server (QIDO-RS): studies, or the series of one study.
    Query(Box<dicomweb::QueryArgs>),
    /// Render one frame to PNG through the display pipeline.
    Render(Box<render::RenderArgs>),
    /// Measure regions (mean, sd, min, max, area) and lines (length) in real units.
    Measure(measure::MeasureArgs),
    /// Benchmarks that print tables.
    Bench {
        #[command(subcommand)]
        what: bench::BenchCommand,
    },
}

/// Mesa's Vulkan drivers print "error: XDG_RUNTIME_DIR is invalid or not set" when the
/// variable is unset (servers, CI, containers), although they work. Without it, the
/// process gets a private runtime directory of its own (0700, under the temporary folder).
#[cfg(unix)]
fn quiet_headless_gpu() {
    let valid = std::env::var_os("XDG_RUNTIME_DIR")
        .map(std::path::PathBuf::from)
        .is_some_and(|d| d.is_dir());
    if valid {
        return;
    }
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    let dir = std::env::temp_dir().join(format!("hounsfield-runtime-{uid}"));
    let _ = std::fs::DirBuilder::new().mode(0o700).create(&dir);
    // Only a directory of ours that nobody else may enter.
    let ours = std::fs::symlink_metadata(&dir)
        .is_ok_and(|m| m.is_dir() && m.uid() == uid && m.mode() & 0o077 == 0);
    if ours {
        // SAFETY: called at the start of `main`, before any thread starts.
        unsafe { std::env::set_var("XDG_RUNTIME_DIR", &dir) };
    }
}

fn main() -> ExitCode {
    // Like other command-line tools, end quietly when the reader of our output goes away
    // (`hounsfield info DIR | head`) instead of failing on a broken pipe.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    #[cfg(unix)]
    quiet_headless_gpu();
    let debug = std::env::var_os("HOUNSFIELD_DEBUG").is_some();
    let filter = tracing_subscriber::filter::Targets::new()
        .with_default(if debug {
            tracing::Level::DEBUG
        } else {
            tracing::Level::INFO
        })
        // wgpu tries every backend; where there is no EGL (servers, containers) its OpenGL
        // probe logs an error although Vulkan (lavapipe included) works.
        .with_target(
            "wgpu_hal::gles",
            if debug {
                tracing::level_filters::LevelFilter::DEBUG
            } else {
                tracing::level_filters::LevelFilter::OFF
            },
        );
    {
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        tracing_subscriber::registry()
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_target(false),
            )
            .with(filter)
            .init();
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Info { files, json }) => info::run(&files, json),
        Some(Command::Render(args)) => render::run(&args),
        Some(Command::Measure(args)) => measure::run(&args),
        Some(Command::Query(args)) => dicomweb::query(&args),
        Some(Command::Bench { what }) => bench::run(what),
        None => {
            let v = cli.view;
            viewer::run(viewer::Options {
                paths: v.paths,
                size: v.size,
                frame_log: v.frame_log,
                status_file: v.status_file,
                save_dir: v.save_dir,
                cpu_images: v.renderer == render::RendererArg::Cpu,
                decode_limits: viewer::decode_limits(v.decode_budget_file, v.decode_budget_load),
                volume_budget: v.volume_budget.map(|m| m << 20),
            })
            .map(|()| ExitCode::SUCCESS)
            .map_err(|e| e.to_string())
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("hounsfield: {e}");
            ExitCode::FAILURE
        }
    }
}
