//! One pointer gesture model for every window layer: presses, moves, releases and wheel
//! turns in, [`Gesture`]s out (drags, clicks, double clicks, whole wheel notches). The
//! native viewer feeds it egui's events and the browser page its pointer events, so both
//! tell a click from a drag, and a double click from two clicks, the same way.
//!
//! Positions are in the window layer's own units (egui points, CSS pixels); times in
//! seconds from any fixed origin.
//!
//! Touch screens: one finger is the left button (drag = window/level, tap = click, double
//! tap = fit); a second finger turns the touch into a pinch, until both are lifted: the
//! image follows the fingers, zoomed by the change of their distance about their midpoint
//! and moved with it.
//!
//! ```
//! use hounsfield_viewer::gesture::{Gesture, Gestures};
//! use hounsfield_viewer::input::{Button, Modifiers};
//! let mut g = Gestures::default();
//! assert_eq!(g.press([10.0, 10.0], Button::Left, 0.0), None);
//! let drag = g.moved([14.0, 10.0], Modifiers::default());
//! assert!(matches!(drag, Some(Gesture::Drag { delta: [4.0, 0.0], start: [10.0, 10.0], .. })));
//! // Moved 4 points: a drag, so the release is not a click but the drag's end.
//! assert!(matches!(g.release([14.0, 10.0], Button::Left), Some(Gesture::DragEnd { .. })));
//! ```

use crate::input::{Button, Input, Modifiers, PanePoints};

/// Farthest the pointer may travel between press and release for a click.
pub const CLICK_DISTANCE: f32 = 3.0;
/// Longest time between the presses of a double click, seconds.
pub const DOUBLE_CLICK_SECONDS: f64 = 0.4;
/// Farthest distance between the presses of a double click.
pub const DOUBLE_CLICK_DISTANCE: f32 = 6.0;

/// What a run of pointer events amounts to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Gesture {
    /// The pointer moved by `delta` with `button` held, in a drag that began at `start`
    /// (the drag belongs to the pane under `start`).
    Drag {
        /// The button held.
        button: Button,
        /// Movement since the last event.
        delta: [f32; 2],
        /// Modifier keys held.
        modifiers: Modifiers,
        /// Where the button went down.
        start: [f32; 2],
        /// Where the pointer is now.
        at: [f32; 2],
    },
    /// The button of a drag went up at `at` (a left press that stayed within
    /// [`CLICK_DISTANCE`] is a [`Gesture::Click`] instead).
    DragEnd {
        /// The button released.
        button: Button,
        /// Where the button went down.
        start: [f32; 2],
        /// Where it went up.
        at: [f32; 2],
    },
    /// The left button went down and up at `at` without the pointer travelling more than
    /// [`CLICK_DISTANCE`].
    Click {
        /// Where the button went down.
        at: [f32; 2],
    },
    /// A second left press within [`DOUBLE_CLICK_SECONDS`] and
    /// [`DOUBLE_CLICK_DISTANCE`] of the first.
    DoubleClick {
        /// Where the second press happened.
        at: [f32; 2],
    },
    /// Two fingers moved: their distance changed by the factor `scale` and their midpoint,
    /// which was at `at`, moved by `pan`.
    Pinch {
        /// New distance over old.
        scale: f32,
        /// Movement of the midpoint.
        pan: [f32; 2],
        /// The midpoint before the move.
        at: [f32; 2],
    },
    /// The wheel turned by whole notches (positive = away from the user), the fractions
    /// of high-resolution wheels and touchpads accumulated.
    Scroll {
        /// Whole notches.
        lines: f32,
        /// Modifier keys held.
        modifiers: Modifiers,
        /// The pointer's position, when it is known.
        at: Option<[f32; 2]>,
    },
}

/// Where a position falls in the pane under it (see [`Gesture::input`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PaneAt {
    /// The position in the pane's device pixels, from its top left.
    pub pixel: [f32; 2],
    /// The pane's size in device pixels.
    pub size: [u32; 2],
    /// The pane's centre, in the window layer's units (those of the position).
    pub center: [f32; 2],
    /// Device pixels per unit of the window layer (egui's pixels per point, the
    /// browser's device pixel ratio).
    pub scale: f32,
}

impl Gesture {
    /// The viewer input this gesture is, with the position it belongs to (the pane under
    /// it takes it). Clicks and pinches need the pane under them: `pane_at(at)` says where
    /// `at` falls in it, or None when no pane is there (then they are nothing). Drags
    /// carry their positions in the pane where they began, when there is one.
    pub fn input(
        self,
        pane_at: impl FnOnce([f32; 2]) -> Option<PaneAt>,
    ) -> Option<(Input, Option<[f32; 2]>)> {
        // Both ends of a drag in the device pixels of the pane where it began.
        let points = |pane: Option<PaneAt>, start: [f32; 2], at: [f32; 2]| {
            pane.map(|p| PanePoints {
                start: p.pixel,
                now: [
                    p.pixel[0] + (at[0] - start[0]) * p.scale,
                    p.pixel[1] + (at[1] - start[1]) * p.scale,
                ],
                size: p.size,
            })
        };
        Some(match self {
            Gesture::Drag {
                button,
                delta,
                modifiers,
                start,
                at,
            } => (
                Input::Drag {
                    button,
                    delta,
                    modifiers,
                    at: points(pane_at(start), start, at),
                },
                Some(start),
            ),
            Gesture::DragEnd { button, start, at } => (
                Input::DragEnd {
                    button,
                    at: points(pane_at(start), start, at),
                },
                Some(start),
            ),
            Gesture::DoubleClick { at } => (Input::DoubleClick, Some(at)),
            Gesture::Pinch { scale, pan, at } => {
                let pane = pane_at(at)?;
                let about = [at[0] - pane.center[0], at[1] - pane.center[1]];
                (Input::Pinch { scale, pan, about }, Some(at))
            }
            Gesture::Click { at } => {
                let pane = pane_at(at)?;
                (
                    Input::Click {
                        at: pane.pixel,
                        size: pane.size,
                    },
                    Some(at),
                )
            }
            Gesture::Scroll {
                lines,
                modifiers,
                at,
            } => (Input::Scroll { lines, modifiers }, at),
        })
    }
}

/// The state between pointer events.
#[derive(Debug, Clone, Default)]
pub struct Gestures {
    /// The button held, where it went down, and the last position.
    drag: Option<(Button, [f32; 2], [f32; 2])>,
    /// How far the pointer has travelled since a left press.
    travelled: Option<f32>,
    /// Time and place of the last left press that did not complete a double click.
    last_press: Option<(f64, [f32; 2])>,
    /// Fractional wheel notches not turned into a gesture yet.
    scroll: f32,
    /// The last pointer position, None when it left.
    pointer: Option<[f32; 2]>,
    /// The fingers down (at most two are followed): id and last position.
    touches: Vec<(u64, [f32; 2])>,
    /// A second finger came down: the touch is a pinch until every finger is lifted.
    pinched: bool,
}

/// What happened to a touch point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TouchPhase {
    /// The finger came down.
    Start,
    /// It moved.
    Move,
    /// It was lifted.
    End,
    /// The system took it (a scroll of the page, a system gesture).
    Cancel,
}

fn distance(a: [f32; 2], b: [f32; 2]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

impl Gestures {
    /// `button` went down at `at`, at time `seconds`. Ignored while another button is
    /// held. A left press soon after another one, near it, is a double click.
    pub fn press(&mut self, at: [f32; 2], button: Button, seconds: f64) -> Option<Gesture> {
        self.pointer = Some(at);
        if self.drag.is_some() {
            return None;
        }
        self.drag = Some((button, at, at));
        if button != Button::Left {
            return None;
        }
        self.travelled = Some(0.0);
        match self.last_press {
            Some((t, p))
                if seconds - t <= DOUBLE_CLICK_SECONDS
                    && distance(p, at) <= DOUBLE_CLICK_DISTANCE =>
            {
                self.last_press = None;
                Some(Gesture::DoubleClick { at })
            }
            _ => {
                self.last_press = Some((seconds, at));
                None
            }
        }
    }

    /// The pointer moved to `at` with `modifiers` held: a drag step while a button is
    /// held.
    pub fn moved(&mut self, at: [f32; 2], modifiers: Modifiers) -> Option<Gesture> {
        self.pointer = Some(at);
        let (button, start, last) = self.drag?;
        let delta = [at[0] - last[0], at[1] - last[1]];
        if delta == [0.0, 0.0] {
            return None;
        }
        if let Some(t) = &mut self.travelled {
            *t += distance(at, last);
        }
        self.drag = Some((button, start, at));
        Some(Gesture::Drag {
            button,
            delta,
            modifiers,
            start,
            at,
        })
    }

    /// `button` went up at `at`: ends its drag; a left press that stayed within
    /// [`CLICK_DISTANCE`] is a click.
    pub fn release(&mut self, at: [f32; 2], button: Button) -> Option<Gesture> {
        self.pointer = Some(at);
        let (held, start, _) = self.drag?;
        if held != button {
            return None;
        }
        self.drag = None;
        let click = self.travelled.take().is_some_and(|travelled| {
            travelled <= CLICK_DISTANCE && distance(start, at) <= CLICK_DISTANCE
        });
        Some(if click {
            Gesture::Click { at: start }
        } else {
            Gesture::DragEnd { button, start, at }
        })
    }

    /// The wheel turned by `lines` notches (fractions allowed).
    pub fn wheel(&mut self, lines: f32, modifiers: Modifiers) -> Option<Gesture> {
        if !lines.is_finite() {
            return None;
        }
        self.scroll += lines;
        let whole = self.scroll.trunc();
        if whole == 0.0 {
            return None;
        }
        self.scroll -= whole;
        Some(Gesture::Scroll {
            lines: whole,
            modifiers,
            at: self.pointer,
        })
    }

    /// Touch point `id` (any number unique while the finger is down) is at `at` in `phase`,
    /// at time `seconds`. See the module's text for what fingers do.
    pub fn touch(
        &mut self,
        id: u64,
        phase: TouchPhase,
        at: [f32; 2],
        seconds: f64,
    ) -> Option<Gesture> {
        let index = self.touches.iter().position(|t| t.0 == id);
        match (phase, index) {
            (TouchPhase::Start, None) => match self.touches.len() {
                0 => {
                    self.touches.push((id, at));
                    self.pinched = false;
                    self.press(at, Button::Left, seconds)
                }
                1 => {
                    // The first finger's drag ends here, without a click.
                    self.touches.push((id, at));
                    self.pinched = true;
                    self.drag = None;
                    self.travelled = None;
                    self.last_press = None;
                    None
                }
                _ => None,
            },
            (TouchPhase::Move, Some(i)) => {
                // The two fingers' positions before this move (copied, not the list).
                let before = match self.touches[..] {
                    [(_, a), (_, b)] => Some((a, b)),
                    _ => None,
                };
                self.touches[i].1 = at;
                if let Some((a0, b0)) = before
                    && let [(_, a1), (_, b1)] = self.touches[..]
                {
                    let (d0, d1) = (distance(a0, b0), distance(a1, b1));
                    let scale = if d0 >= 1.0 && d1 >= 1.0 { d1 / d0 } else { 1.0 };
                    let mid = |a: [f32; 2], b: [f32; 2]| [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0];
                    let (m0, m1) = (mid(a0, b0), mid(a1, b1));
                    self.pointer = Some(m1);
                    let pan = [m1[0] - m0[0], m1[1] - m0[1]];
                    (scale != 1.0 || pan != [0.0, 0.0]).then_some(Gesture::Pinch {
                        scale,
                        pan,
                        at: m0,
                    })
                } else if self.pinched {
                    None
                } else {
                    self.moved(at, Modifiers::default())
                }
            }
            (TouchPhase::End | TouchPhase::Cancel, Some(i)) => {
                self.touches.remove(i);
                if self.pinched {
                    self.pinched = !self.touches.is_empty();
                    None
                } else if phase == TouchPhase::End {
                    self.release(at, Button::Left)
                } else {
                    self.drag = None;
                    self.travelled = None;
                    None
                }
            }
            _ => None,
        }
    }

    /// The pointer left the window (or the window lost it): any drag ends, no click.
    pub fn leave(&mut self) {
        self.drag = None;
        self.travelled = None;
        self.pointer = None;
    }

    /// The last pointer position, None after [`leave`](Self::leave).
    pub fn pointer(&self) -> Option<[f32; 2]> {
        self.pointer
    }

    /// Whether a button is held.
    pub fn dragging(&self) -> bool {
        self.drag.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_press_that_stays_put_is_a_click_at_the_press() {
        let mut g = Gestures::default();
        g.press([5.0, 5.0], Button::Left, 0.0);
        g.moved([6.0, 6.0], Modifiers::default());
        assert_eq!(
            g.release([6.0, 6.0], Button::Left),
            Some(Gesture::Click { at: [5.0, 5.0] })
        );
    }

    #[test]
    fn travel_beyond_the_click_distance_is_no_click_even_when_back() {
        let mut g = Gestures::default();
        g.press([5.0, 5.0], Button::Left, 0.0);
        g.moved([9.0, 5.0], Modifiers::default());
        g.moved([5.0, 5.0], Modifiers::default());
        assert_eq!(
            g.release([5.0, 5.0], Button::Left),
            Some(Gesture::DragEnd {
                button: Button::Left,
                start: [5.0, 5.0],
                at: [5.0, 5.0]
            })
        );
    }

    #[test]
    fn double_clicks_need_time_and_place() {
        let mut g = Gestures::default();
        assert_eq!(g.press([0.0, 0.0], Button::Left, 1.0), None);
        g.release([0.0, 0.0], Button::Left);
        assert_eq!(
            g.press([2.0, 0.0], Button::Left, 1.3),
            Some(Gesture::DoubleClick { at: [2.0, 0.0] })
        );
        g.release([2.0, 0.0], Button::Left);
        // Too late, then too far.
        assert_eq!(g.press([2.0, 0.0], Button::Left, 2.0), None);
        g.release([2.0, 0.0], Button::Left);
        assert_eq!(g.press([20.0, 0.0], Button::Left, 2.1), None);
    }

    #[test]
    fn other_buttons_drag_but_never_click_and_a_second_button_is_ignored() {
        let mut g = Gestures::default();
        g.press([0.0, 0.0], Button::Right, 0.0);
        assert_eq!(g.press([0.0, 0.0], Button::Left, 0.0), None);
        assert!(matches!(
            g.moved([0.0, -3.0], Modifiers::default()),
            Some(Gesture::Drag {
                button: Button::Right,
                delta: [0.0, -3.0],
                ..
            })
        ));
        assert_eq!(g.release([0.0, -3.0], Button::Left), None);
        assert!(g.dragging());
        assert!(matches!(
            g.release([0.0, -3.0], Button::Right),
            Some(Gesture::DragEnd {
                button: Button::Right,
                ..
            })
        ));
        assert!(!g.dragging());
    }

    #[test]
    fn wheel_fractions_add_up_to_whole_notches() {
        let mut g = Gestures::default();
        assert_eq!(g.wheel(0.4, Modifiers::default()), None);
        assert_eq!(g.wheel(0.4, Modifiers::default()), None);
        assert!(matches!(
            g.wheel(0.4, Modifiers::default()),
            Some(Gesture::Scroll { lines: 1.0, .. })
        ));
        assert!(matches!(
            g.wheel(-2.5, Modifiers::default()),
            Some(Gesture::Scroll { lines: -2.0, .. })
        ));
        assert_eq!(g.wheel(f32::NAN, Modifiers::default()), None);
    }

    #[test]
    fn leaving_ends_the_drag_without_a_click() {
        let mut g = Gestures::default();
        g.press([0.0, 0.0], Button::Left, 0.0);
        g.leave();
        assert_eq!(g.release([0.0, 0.0], Button::Left), None);
        assert_eq!(g.pointer(), Some([0.0, 0.0]));
    }

    #[test]
    fn one_finger_drags_and_taps_two_fingers_pinch() {
        let mut g = Gestures::default();
        // One finger: a drag with the left button, a tap is a click, two taps fit.
        g.touch(1, TouchPhase::Start, [10.0, 10.0], 0.0);
        assert!(matches!(
            g.touch(1, TouchPhase::Move, [10.0, 30.0], 0.1),
            Some(Gesture::Drag {
                button: Button::Left,
                delta: [0.0, 20.0],
                ..
            })
        ));
        assert!(matches!(
            g.touch(1, TouchPhase::End, [10.0, 30.0], 0.2),
            Some(Gesture::DragEnd { .. })
        ));
        g.touch(2, TouchPhase::Start, [50.0, 50.0], 1.0);
        assert_eq!(
            g.touch(2, TouchPhase::End, [50.0, 50.0], 1.1),
            Some(Gesture::Click { at: [50.0, 50.0] })
        );
        assert_eq!(
            g.touch(3, TouchPhase::Start, [51.0, 50.0], 1.2),
            Some(Gesture::DoubleClick { at: [51.0, 50.0] })
        );
        g.touch(3, TouchPhase::End, [51.0, 50.0], 1.3);
        // Two fingers 100 apart spread to 200 and move down by 10: a pinch of 2x.
        g.touch(4, TouchPhase::Start, [100.0, 100.0], 5.0);
        g.touch(5, TouchPhase::Start, [200.0, 100.0], 5.0);
        assert_eq!(
            g.touch(5, TouchPhase::Move, [300.0, 100.0], 5.1),
            Some(Gesture::Pinch {
                scale: 2.0,
                pan: [50.0, 0.0],
                at: [150.0, 100.0]
            })
        );
        assert_eq!(
            g.touch(4, TouchPhase::Move, [100.0, 110.0], 5.2),
            Some(Gesture::Pinch {
                scale: (200.0f32.powi(2) + 100.0).sqrt() / 200.0,
                pan: [0.0, 5.0],
                at: [200.0, 100.0]
            })
        );
        // Lifting one finger ends the pinch; the other does nothing until lifted: no
        // drag, no click.
        assert_eq!(g.touch(5, TouchPhase::End, [300.0, 100.0], 5.3), None);
        assert_eq!(g.touch(4, TouchPhase::Move, [150.0, 150.0], 5.4), None);
        assert_eq!(g.touch(4, TouchPhase::End, [150.0, 150.0], 5.5), None);
        assert!(!g.dragging());
        // A third finger is not followed.
        g.touch(6, TouchPhase::Start, [0.0, 0.0], 9.0);
        g.touch(7, TouchPhase::Start, [10.0, 0.0], 9.0);
        assert_eq!(g.touch(8, TouchPhase::Start, [20.0, 0.0], 9.0), None);
        assert_eq!(g.touch(8, TouchPhase::Move, [90.0, 0.0], 9.1), None);
    }
}
