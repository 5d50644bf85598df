//! Real World Value Mapping (PS3.3 C.7.6.16.2.11): stored pixel values to values in
//! real-world units (an ADC in mm2/s, a T1 in ms, SUV), as parametric maps and many MR
//! images carry them beside (not instead of) the Modality LUT.

use crate::attrs::{Attributes, invalid};
use crate::error::{Error, KResult};
use crate::file::DicomFile;
use crate::tags;

/// How a mapping turns a stored value into its real-world value.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum RealWorldMap {
    /// value = stored x slope + intercept.
    Linear {
        /// Real World Value Slope (0040,9225).
        slope: f64,
        /// Real World Value Intercept (0040,9224).
        intercept: f64,
    },
    /// value = table[stored - first]: Real World Value LUT Data (0040,9212).
    Table(Vec<f64>),
}

/// One Real World Value Mapping item.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RealWorldValueMapping {
    /// LUT Label (0040,9210), e.g. "ADC".
    pub label: Option<String>,
    /// LUT Explanation (0028,3003).
    pub explanation: Option<String>,
    /// The Code Value of the Measurement Units Code Sequence (0040,08EA): UCUM units such
    /// as "mm2/s" ("1" for none).
    pub units: Option<String>,
    /// The first stored value mapped (Real World Value First Value Mapped, or its Double
    /// Float form for float pixel data).
    pub first: f64,
    /// The last stored value mapped.
    pub last: f64,
    /// The mapping.
    pub map: RealWorldMap,
}

impl RealWorldValueMapping {
    /// The real-world value of stored value `stored`; None outside the values mapped.
    ///
    /// ```
    /// use hounsfield_dicom::{RealWorldMap, RealWorldValueMapping};
    /// let adc = RealWorldValueMapping {
    ///     label: Some("ADC".into()), explanation: None, units: Some("um2/s".into()),
    ///     first: 0.0, last: 4095.0,
    ///     map: RealWorldMap::Linear { slope: 0.5, intercept: -3.0 },
    /// };
    /// assert_eq!(adc.value(100.0), Some(47.0));
    /// assert_eq!(adc.value(5000.0), None);
    /// ```
    pub fn value(&self, stored: f64) -> Option<f64> {
        if !(stored >= self.first && stored <= self.last) {
            return None;
        }
        match &self.map {
            RealWorldMap::Linear { slope, intercept } => Some(stored * slope + intercept),
            RealWorldMap::Table(t) => t.get((stored - self.first).round() as usize).copied(),
        }
    }

    /// The value with its label and units as one line: "ADC 47 um2/s".
    pub fn describe(&self, stored: f64) -> Option<String> {
        let v = self.value(stored)?;
        let text = if v != 0.0 && (v.abs() >= 1e6 || v.abs() < 1e-3) {
            format!("{v:.4e}")
        } else {
            let s = format!("{v:.4}");
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        };
        let units = self.units.as_deref().filter(|u| *u != "1").unwrap_or("");
        Some(
            format!(
                "{} {text} {units}",
                self.label.as_deref().unwrap_or("value")
            )
            .trim_end()
            .to_string(),
        )
    }

    /// The mappings of a Real World Value Mapping Sequence's items; `signed`: the pixel
    /// data is signed (a US First/Last Value Mapped is then read as SS).
    fn read_items(items: &[dicom_object::InMemDicomObject], signed: bool) -> KResult<Vec<Self>> {
        let mut out = Vec::new();
        for item in items {
            let a = Attributes::new(item);
            let int = |tag, name| -> KResult<Option<f64>> {
                Ok(a.float(tag, name)?.map(|v| {
                    if signed && (32768.0..=65535.0).contains(&v) {
                        v - 65536.0
                    } else {
                        v
                    }
                }))
            };
            let first = match a.float(
                tags::DOUBLE_FLOAT_REAL_WORLD_VALUE_FIRST_VALUE_MAPPED,
                "Double Float Real World Value First Value Mapped",
            )? {
                Some(v) => v,
                None => int(
                    tags::REAL_WORLD_VALUE_FIRST_VALUE_MAPPED,
                    "Real World Value First Value Mapped",
                )?
                .unwrap_or(f64::NEG_INFINITY),
            };
            let last = match a.float(
                tags::DOUBLE_FLOAT_REAL_WORLD_VALUE_LAST_VALUE_MAPPED,
                "Double Float Real World Value Last Value Mapped",
            )? {
                Some(v) => v,
                None => int(
                    tags::REAL_WORLD_VALUE_LAST_VALUE_MAPPED,
                    "Real World Value Last Value Mapped",
                )?
                .unwrap_or(f64::INFINITY),
            };
            let table = a.floats(tags::REAL_WORLD_VALUE_LUT_DATA, "Real World Value LUT Data")?;
            let map = if !table.is_empty() {
                if !first.is_finite() {
                    return Err(invalid(
                        "Real World Value First Value Mapped",
                        "",
                        "a Real World Value LUT needs the first value it maps",
                    ));
                }
                RealWorldMap::Table(table)
            } else {
                let slope = a.float(tags::REAL_WORLD_VALUE_SLOPE, "Real World Value Slope")?;
                let intercept = a.float(
                    tags::REAL_WORLD_VALUE_INTERCEPT,
                    "Real World Value Intercept",
                )?;
                match (slope, intercept) {
                    (Some(slope), intercept) => RealWorldMap::Linear {
                        slope,
                        intercept: intercept.unwrap_or(0.0),
                    },
                    // Neither a table nor a slope: nothing to map with.
                    (None, _) => continue,
                }
            };
            out.push(RealWorldValueMapping {
                label: a.string(tags::LUT_LABEL),
                explanation: a.string(tags::LUT_EXPLANATION),
                units: a
                    .item(tags::MEASUREMENT_UNITS_CODE_SEQUENCE)
                    .and_then(|u| u.string(tags::CODE_VALUE)),
                first,
                last,
                map,
            });
        }
        Ok(out)
    }
}

impl DicomFile {
    /// The Real World Value Mappings of frame `frame` (0-based): those of its Per-frame
    /// Functional Groups item, else the Shared Functional Groups', else the top level's;
    /// empty when the file has none.
    pub fn real_world_value_mappings(
        &self,
        frame: usize,
    ) -> Result<Vec<RealWorldValueMapping>, Error> {
        let top = self.attributes();
        let signed = self.image().is_ok_and(|i| i.signed);
        fn group(g: Option<Attributes<'_>>) -> Option<&[dicom_object::InMemDicomObject]> {
            g.and_then(|g| g.items(tags::REAL_WORLD_VALUE_MAPPING_SEQUENCE))
                .filter(|items| !items.is_empty())
        }
        let per_frame = top
            .items(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE)
            .and_then(|items| items.get(frame))
            .map(Attributes::new);
        let shared = top.item(tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE);
        let items = group(per_frame)
            .or_else(|| group(shared))
            .or_else(|| group(Some(top)));
        match items {
            Some(items) => {
                RealWorldValueMapping::read_items(items, signed).map_err(|k| self.err(k))
            }
            None => Ok(Vec::new()),
        }
    }
}
