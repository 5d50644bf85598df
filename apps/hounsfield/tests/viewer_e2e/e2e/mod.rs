//! The tests (named `e2e::...` so that the unit-test run can skip them: they run in a
//! step of their own), by what they drive.

use super::*;

mod big;
mod image;
mod layers;
mod measure;
mod planes;
mod series;
