//! The DICOMweb study browser of the native viewer: search fields, the studies found,
//! the series of the study picked (with thumbnails); what the user opens goes to the
//! loader as a DICOMweb source. Requests run on threads of their own (the searches and
//! retrievals of `hounsfield-dicomweb`) and come back as [`Reply`] events.

use egui::{Rect, RichText};
use hounsfield_dicomweb::{Auth, Options, SeriesResult, Server, StudyQuery, StudyResult, block_on};
use std::collections::HashMap;

/// Side of a series thumbnail, in pixels.
const THUMBNAIL: u32 = 64;
/// Studies asked for per page of results.
const PAGE: usize = 100;

/// What the browser asks the application to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Search studies with the fields as they are.
    Search,
    /// The next page of the same search.
    More,
    /// List the series of this study (and fetch their thumbnails).
    Series(String),
    /// Open this study or series URL in the viewer.
    Open(String),
}

/// An answer from a request thread.
pub enum Reply {
    /// Studies found from `offset` on.
    Studies(u64, usize, Result<Vec<StudyResult>, String>),
    Series(u64, String, Result<Vec<SeriesResult>, String>),
    Thumbnail(u64, String, Result<egui::ColorImage, String>),
}

enum Thumb {
    Ready(egui::TextureHandle),
    Failed(String),
}

/// The browser's state.
#[derive(Default)]
pub struct Browser {
    pub open: bool,
    /// The service root, e.g. `http://127.0.0.1:8042/dicom-web`.
    pub root: String,
    /// Basic credentials typed in (else those of the environment, see
    /// [`Options::from_env`]); kept in memory only.
    user: String,
    password: String,
    patient_name: String,
    patient_id: String,
    study_date: String,
    modality: String,
    accession_number: String,
    pub studies: Vec<StudyResult>,
    /// The study whose series are listed.
    pub study: Option<String>,
    pub series: Vec<SeriesResult>,
    thumbnails: HashMap<String, Thumb>,
    /// Requests in flight.
    busy: usize,
    /// The last page of studies was full: the server may have more.
    more: bool,
    /// The last outcome, for the user.
    pub note: String,
    /// Answers to older requests than this are dropped.
    generation: u64,
    /// Where the study rows and the series' Open buttons were drawn (points), for
    /// scripts that drive the window.
    pub study_rects: Vec<Rect>,
    pub series_rects: Vec<Rect>,
}

impl Browser {
    /// A browser on `root`, shown.
    pub fn on(root: &str) -> Browser {
        Browser {
            open: true,
            root: root.trim_end_matches('/').to_string(),
            ..Browser::default()
        }
    }

    /// Shows the browser on `root` asking for a user and password (a request was
    /// refused, `reason` says how).
    pub fn ask_credentials(&mut self, root: &str, reason: String) {
        if self.root != root {
            *self = Browser {
                user: std::mem::take(&mut self.user),
                ..Browser::on(root)
            };
        }
        self.open = true;
        self.note = format!("{reason}: enter a user and password, then search and open again");
    }

    /// How to reach the server: the credentials typed in, else the environment's.
    pub fn options(&self) -> Options {
        let mut options = Options::from_env();
        if !self.user.is_empty() {
            options.auth = Some(Auth::Basic {
                user: self.user.clone(),
                password: self.password.clone(),
            });
        }
        options
    }

    fn query(&self, offset: usize) -> StudyQuery {
        let field = |s: &String| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        StudyQuery {
            patient_name: field(&self.patient_name),
            patient_id: field(&self.patient_id),
            study_date: field(&self.study_date),
            modality: field(&self.modality),
            accession_number: field(&self.accession_number),
            limit: Some(PAGE),
            offset: (offset > 0).then_some(offset),
            ..StudyQuery::default()
        }
    }

    /// Starts `request` on a thread of its own; `send` delivers the replies. Returns the
    /// URL to open for [`Request::Open`].
    pub fn start(
        &mut self,
        request: Request,
        send: impl Fn(Reply) + Send + Sync + 'static,
    ) -> Option<String> {
        if let Request::Open(url) = request {
            self.open = false;
            return Some(url);
        }
        let server = match Server::new(&self.root, self.options()) {
            Ok(s) => s,
            Err(e) => {
                self.note = e.to_string();
                return None;
            }
        };
        self.generation += 1;
        let generation = self.generation;
        self.busy += 1;
        let job: Box<dyn FnOnce() + Send> = match request {
            Request::Search | Request::More => {
                let offset = if request == Request::More {
                    self.studies.len()
                } else {
                    0
                };
                self.note = "searching…".into();
                let query = self.query(offset);
                Box::new(move || {
                    let r = block_on(server.search_studies(&query)).map_err(|e| e.to_string());
                    send(Reply::Studies(generation, offset, r));
                })
            }
            Request::Series(study) => {
                self.study = Some(study.clone());
                self.series.clear();
                Box::new(move || {
                    let r = block_on(server.search_series(&study)).map_err(|e| e.to_string());
                    let found = r.clone().unwrap_or_default();
                    send(Reply::Series(generation, study.clone(), r));
                    for s in found {
                        let t = thumbnail(&server, &study, &s.series_instance_uid);
                        send(Reply::Thumbnail(generation, s.series_instance_uid, t));
                    }
                })
            }
            Request::Open(_) => return None,
        };
        let spawned = std::thread::Builder::new()
            .name("hounsfield dicomweb".into())
            .spawn(job);
        if let Err(e) = spawned {
            self.busy -= 1;
            self.note = format!("cannot start a request: {e}");
        }
        None
    }

    /// Takes an answer in.
    pub fn on_reply(&mut self, ctx: &egui::Context, reply: Reply) {
        match reply {
            Reply::Studies(generation, offset, r) => {
                self.busy = self.busy.saturating_sub(1);
                if generation != self.generation {
                    return;
                }
                match r {
                    Ok(studies) => {
                        self.more = studies.len() == PAGE;
                        if offset == 0 {
                            self.studies = studies;
                            self.study = None;
                            self.series.clear();
                        } else {
                            self.studies.truncate(offset);
                            self.studies.extend(studies);
                        }
                        let n = self.studies.len();
                        self.note = format!(
                            "{n} stud{} found{}",
                            if n == 1 { "y" } else { "ies" },
                            if self.more {
                                " (more on the server)"
                            } else {
                                ""
                            }
                        );
                    }
                    Err(e) => self.note = e,
                }
            }
            Reply::Series(generation, study, r) => {
                self.busy = self.busy.saturating_sub(1);
                if generation != self.generation || self.study.as_deref() != Some(&study) {
                    return;
                }
                match r {
                    Ok(series) => {
                        self.note = format!("{} series in the study", series.len());
                        self.series = series;
                    }
                    Err(e) => self.note = e,
                }
            }
            Reply::Thumbnail(generation, series, r) => {
                if generation != self.generation {
                    return;
                }
                let thumb = match r {
                    Ok(image) => Thumb::Ready(ctx.load_texture(
                        format!("thumbnail {series}"),
                        image,
                        egui::TextureOptions::LINEAR,
                    )),
                    Err(e) => Thumb::Failed(e),
                };
                self.thumbnails.insert(series, thumb);
            }
        }
    }

    /// Draws the browser window; returns what the user asked for.
    pub fn show(&mut self, ctx: &egui::Context) -> Vec<Request> {
        let mut requests = Vec::new();
        self.study_rects.clear();
        self.series_rects.clear();
        if !self.open {
            return requests;
        }
        let mut open = true;
        egui::Window::new("DICOMweb studies")
            .open(&mut open)
            .default_width(760.0)
            .default_pos([40.0, 40.0])
            .show(ctx, |ui| {
                self.fields(ui, &mut requests);
                ui.separator();
                self.study_table(ui, &mut requests);
                if self.study.is_some() {
                    ui.separator();
                    self.series_table(ui, &mut requests);
                }
            });
        self.open = open;
        requests
    }

    fn fields(&mut self, ui: &mut egui::Ui, requests: &mut Vec<Request>) {
        let mut enter = false;
        egui::Grid::new("dicomweb fields")
            .num_columns(4)
            .show(ui, |ui| {
                let field = |ui: &mut egui::Ui, label: &str, value: &mut String, hint: &str| {
                    ui.label(label);
                    let r = ui.add_sized(
                        [220.0, 20.0],
                        egui::TextEdit::singleline(value).hint_text(hint),
                    );
                    r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter))
                };
                enter |= field(ui, "Server", &mut self.root, "http://host:8042/dicom-web");
                ui.label("User");
                ui.add_sized([220.0, 20.0], egui::TextEdit::singleline(&mut self.user));
                ui.end_row();
                enter |= field(ui, "Patient's Name", &mut self.patient_name, "DOE^J*");
                ui.label("Password");
                let r = ui.add_sized(
                    [220.0, 20.0],
                    egui::TextEdit::singleline(&mut self.password).password(true),
                );
                enter |= r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                ui.end_row();
                enter |= field(ui, "Patient ID", &mut self.patient_id, "");
                enter |= field(ui, "Modality", &mut self.modality, "CT");
                ui.end_row();
                enter |= field(ui, "Study Date", &mut self.study_date, "20240101-20241231");
                enter |= field(ui, "Accession", &mut self.accession_number, "");
                ui.end_row();
            });
        ui.horizontal(|ui| {
            if ui.button("Search").clicked() || enter {
                requests.push(Request::Search);
            }
            if self.busy > 0 {
                ui.spinner();
            }
            ui.label(RichText::new(&self.note).small());
        });
    }

    fn study_table(&mut self, ui: &mut egui::Ui, requests: &mut Vec<Request>) {
        if self.more && ui.button(format!("Next {PAGE} studies")).clicked() {
            requests.push(Request::More);
        }
        egui::ScrollArea::vertical()
            .id_salt("studies")
            .max_height(220.0)
            .show(ui, |ui| {
                egui::Grid::new("studies")
                    .striped(true)
                    .num_columns(6)
                    .show(ui, |ui| {
                        for h in ["Patient", "ID", "Date", "Modality", "Description", "Series"] {
                            ui.label(RichText::new(h).strong());
                        }
                        ui.end_row();
                        for s in &self.studies {
                            let picked = self.study.as_deref() == Some(&s.study_instance_uid);
                            let name = if s.patient_name.is_empty() {
                                "(no name)"
                            } else {
                                &s.patient_name
                            };
                            let r = ui.selectable_label(picked, name);
                            self.study_rects.push(r.rect);
                            if r.clicked() {
                                requests.push(Request::Series(s.study_instance_uid.clone()));
                            }
                            ui.label(&s.patient_id);
                            ui.label(&s.study_date);
                            ui.label(s.modalities.join("\\"));
                            ui.label(&s.study_description);
                            ui.label(s.number_of_series.map_or(String::new(), |n| n.to_string()));
                            ui.end_row();
                        }
                    });
            });
    }

    fn series_table(&mut self, ui: &mut egui::Ui, requests: &mut Vec<Request>) {
        let Some(study) = self.study.clone() else {
            return;
        };
        let study_url = format!("{}/studies/{study}", self.root);
        if ui.button("Open the whole study").clicked() {
            requests.push(Request::Open(study_url.clone()));
        }
        egui::ScrollArea::vertical()
            .id_salt("series")
            .max_height(320.0)
            .show(ui, |ui| {
                egui::Grid::new("series")
                    .striped(true)
                    .num_columns(6)
                    .show(ui, |ui| {
                        for s in &self.series {
                            let size = egui::vec2(THUMBNAIL as f32, THUMBNAIL as f32);
                            match self.thumbnails.get(&s.series_instance_uid) {
                                Some(Thumb::Ready(t)) => {
                                    ui.add(egui::Image::new((t.id(), size)));
                                }
                                Some(Thumb::Failed(e)) => {
                                    ui.allocate_exact_size(size, egui::Sense::hover())
                                        .1
                                        .on_hover_text(e);
                                }
                                None => {
                                    ui.add_sized(size, egui::Spinner::new());
                                }
                            }
                            ui.label(s.series_number.map_or(String::new(), |n| n.to_string()));
                            ui.label(&s.modality);
                            ui.label(&s.series_description);
                            ui.label(format!(
                                "{} images",
                                s.number_of_instances
                                    .map_or("?".to_string(), |n| n.to_string())
                            ));
                            let r = ui.button("Open");
                            self.series_rects.push(r.rect);
                            if r.clicked() {
                                requests.push(Request::Open(format!(
                                    "{study_url}/series/{}",
                                    s.series_instance_uid
                                )));
                            }
                            ui.end_row();
                        }
                    });
            });
    }

    /// What the browser shows, for `--status-file` (rectangles by `rect`).
    pub fn status(&self, rect: impl Fn(&Rect) -> [f32; 4]) -> serde_json::Value {
        serde_json::json!({
            "open": self.open,
            "root": self.root,
            "studies": self.studies.len(),
            "study": self.study,
            "series": self.series.len(),
            "thumbnails": self.thumbnails.values().filter(|t| matches!(t, Thumb::Ready(_))).count(),
            "busy": self.busy,
            "note": self.note,
            "study_rows": self.study_rects.iter().map(&rect).collect::<Vec<_>>(),
            "series_open": self.series_rects.iter().map(&rect).collect::<Vec<_>>(),
        })
    }
}

/// A thumbnail of a series, for egui.
fn thumbnail(server: &Server, study: &str, series: &str) -> Result<egui::ColorImage, String> {
    let image =
        block_on(server.series_thumbnail(study, series, THUMBNAIL)).map_err(|e| e.to_string())?;
    let size = [image.width as usize, image.height as usize];
    Ok(match image.channels {
        1 => egui::ColorImage::from_gray(size, &image.pixels),
        _ => egui::ColorImage::from_rgb(size, &image.pixels),
    })
}
