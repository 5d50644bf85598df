//! DICOMweb on the command line: `query`, and URLs wherever a folder is accepted
//! (`info`, `render`, `bench dicomweb`).

use hounsfield_core::DicomFile;
use hounsfield_core::folder::{Catalog, InstanceSource};
use hounsfield_dicomweb::{
    Cancel, DicomWebUrl, InstanceMeta, Options, Server, StudyQuery, block_on, is_url, outward,
};
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

/// `hounsfield query ROOT ...`.
#[derive(clap::Args)]
pub struct QueryArgs {
    /// The DICOMweb service root, e.g. http://127.0.0.1:8042/dicom-web.
    pub root: String,
    /// Patient's Name; * and ? are wildcards.
    #[arg(long)]
    pub patient_name: Option<String>,
    /// Patient ID.
    #[arg(long)]
    pub patient_id: Option<String>,
    /// Study Date: YYYYMMDD or a range FROM-TO, FROM-, -TO.
    #[arg(long)]
    pub study_date: Option<String>,
    /// Modality (in the study).
    #[arg(long)]
    pub modality: Option<String>,
    /// Accession Number.
    #[arg(long)]
    pub accession_number: Option<String>,
    /// At most this many studies.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Skip this many studies (paging).
    #[arg(long)]
    pub offset: Option<usize>,
    /// List the series of this study instead.
    #[arg(long)]
    pub study: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Whether a command-line argument names a DICOMweb resource rather than a path.
pub fn is_dicomweb(p: &Path) -> bool {
    p.to_str().is_some_and(is_url)
}

/// A server for `url`, with credentials from the environment, else from the URL.
pub fn connect(url: &str) -> Result<(Server, DicomWebUrl), String> {
    let parsed = DicomWebUrl::parse(url).map_err(|e| e.to_string())?;
    let server = Server::new(url, Options::from_env()).map_err(|e| e.to_string())?;
    Ok((server, parsed))
}

pub fn query(args: &QueryArgs) -> Result<ExitCode, String> {
    let (server, url) = connect(&args.root)?;
    let study = args.study.clone().or(url.study.clone());
    if let Some(study) = study {
        let series = block_on(server.search_series(&study)).map_err(|e| e.to_string())?;
        if args.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&series).map_err(|e| e.to_string())?
            );
        } else {
            println!(
                "{:>6}  {:<4} {:>9}  description / Series Instance UID",
                "number", "mod", "instances"
            );
            for s in &series {
                println!(
                    "{:>6}  {:<4} {:>9}  {}\n{:>23}{}/studies/{study}/series/{}",
                    s.series_number.map_or(String::new(), |n| n.to_string()),
                    s.modality,
                    s.number_of_instances
                        .map_or(String::new(), |n| n.to_string()),
                    s.series_description,
                    "",
                    server.root(),
                    s.series_instance_uid
                );
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let q = StudyQuery {
        patient_name: args.patient_name.clone(),
        patient_id: args.patient_id.clone(),
        study_date: args.study_date.clone(),
        modality: args.modality.clone(),
        accession_number: args.accession_number.clone(),
        study_instance_uid: None,
        limit: args.limit,
        offset: args.offset,
    };
    let studies = block_on(server.search_studies(&q)).map_err(|e| e.to_string())?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&studies).map_err(|e| e.to_string())?
        );
    } else {
        println!(
            "{:<24} {:<12} {:<10} {:<8} {:>6}  description / study",
            "patient", "id", "date", "mod", "series"
        );
        for s in &studies {
            println!(
                "{:<24} {:<12} {:<10} {:<8} {:>6}  {}\n{:>63}{}/studies/{}",
                s.patient_name,
                s.patient_id,
                s.study_date,
                s.modalities.join("\\"),
                s.number_of_series.map_or(String::new(), |n| n.to_string()),
                s.study_description,
                "",
                server.root(),
                s.study_instance_uid
            );
        }
        println!("{} studies", studies.len());
    }
    Ok(ExitCode::SUCCESS)
}

/// A catalog of the study or series `url` names, from its metadata alone: every
/// instance is described, no pixel has been fetched.
pub struct Remote {
    pub server: Server,
    pub metas: Vec<InstanceMeta>,
    pub catalog: Catalog,
}

impl Remote {
    pub fn open(url: &str) -> Result<Remote, String> {
        let (server, parsed) = connect(url)?;
        let metas = block_on(server.open(&parsed)).map_err(|e| e.to_string())?;
        let catalog = Catalog::from_files(metas.iter().map(|m| m.header.clone()).collect());
        // The catalog leaves out what it cannot describe: keep `metas` index for index
        // with its instances.
        let metas = catalog
            .sources
            .iter()
            .filter_map(|s| match s {
                InstanceSource::Memory(f) => metas.iter().find(|m| Arc::ptr_eq(&m.header, f)),
                InstanceSource::Path(_) => None,
            })
            .cloned()
            .collect();
        Ok(Remote {
            server,
            metas,
            catalog,
        })
    }

    /// Fetches the pixels of series `index` (its slices from `first` outward) and makes
    /// its instances decodable in the catalog.
    pub fn fetch_series(&mut self, index: usize, first: usize) -> Result<(), String> {
        let series = self
            .catalog
            .series
            .get(index)
            .ok_or("no such series")?
            .instances
            .clone();
        let order: Vec<usize> = outward(series.len(), first)
            .into_iter()
            .map(|k| series[k])
            .collect();
        let show = std::io::stderr().is_terminal();
        let progress = |p: hounsfield_dicomweb::Progress| {
            if show {
                eprint!(
                    "\rhounsfield: fetched {} of {} instances ({:.1} MB)",
                    p.done,
                    p.total,
                    p.bytes as f64 / 1e6
                );
                if p.done == p.total {
                    eprintln!();
                }
            }
        };
        let files = block_on(self.server.fetch_instances(
            &self.metas,
            &order,
            &progress,
            &Cancel::default(),
        ));
        let total = series.len();
        let mut failures = Vec::new();
        for k in series {
            match &files[k] {
                Ok(f) => self.catalog.sources[k] = InstanceSource::Memory(f.clone()),
                Err(e) => failures.push(e.to_string()),
            }
        }
        match failures.len() {
            0 => Ok(()),
            n => Err(format!(
                "{n} of {total} instances could not be fetched; first: {}",
                failures[0]
            )),
        }
    }

    /// The first image of series `index` in slice order (its first instance when the
    /// series is not a volume), fetched alone.
    pub fn first_image(&self, index: usize) -> Result<Arc<DicomFile>, String> {
        let series = self.catalog.series.get(index).ok_or("no such series")?;
        let first = self
            .catalog
            .stack(index)
            .ok()
            .and_then(|stack| stack.slices.first().map(|s| s.instance))
            .or_else(|| series.instances.first().copied())
            .ok_or("the series has no instances")?;
        block_on(self.server.fetch_instance(&self.metas[first])).map_err(|e| e.to_string())
    }
}
