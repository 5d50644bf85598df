//! Input from the page: pointer, touch, wheel and keys, through the viewer crate's
//! gesture model and key conventions (as the native viewer).

use super::*;

#[wasm_bindgen]
impl WebViewer {
    /// A button (`PointerEvent.button`) went down at CSS position (x, y) of the canvas,
    /// at `seconds` (`Event.timeStamp` / 1000): a second left press close in time and
    /// place is a double click (fit), as in the native viewer.
    pub fn pointer_down(&mut self, x: f32, y: f32, button: i32, seconds: f64) {
        if !self.gestures.dragging()
            && let Some((pane, _)) = self.pane_at([x, y])
        {
            self.model.active_pane = pane;
        }
        let gesture = button_of(button).and_then(|b| self.gestures.press([x, y], b, seconds));
        self.gesture(gesture);
    }

    /// The pointer moved to (x, y); drags act with the modifiers held.
    pub fn pointer_move(&mut self, x: f32, y: f32, shift: bool, ctrl: bool) {
        let modifiers = Modifiers {
            ctrl,
            shift,
            alt: false,
        };
        let gesture = self.gestures.moved([x, y], modifiers);
        self.gesture(gesture);
    }

    /// A button went up at (x, y): ends a drag; a left press that did not move is a click
    /// (it moves the crosshair in a plane).
    pub fn pointer_up(&mut self, x: f32, y: f32, button: i32) {
        let gesture = button_of(button).and_then(|b| self.gestures.release([x, y], b));
        self.gesture(gesture);
    }

    /// Touch point `id` (a pointer event of type "touch") at (x, y), in `phase`: 0 down,
    /// 1 moved, 2 up, 3 cancelled. One finger acts as the left button; two pinch (zoom
    /// and pan).
    pub fn touch(&mut self, id: f64, phase: u8, x: f32, y: f32, seconds: f64) {
        let phase = match phase {
            0 => TouchPhase::Start,
            1 => TouchPhase::Move,
            2 => TouchPhase::End,
            _ => TouchPhase::Cancel,
        };
        if phase == TouchPhase::Start
            && !self.gestures.dragging()
            && let Some((pane, _)) = self.pane_at([x, y])
        {
            self.model.active_pane = pane;
        }
        let gesture = self.gestures.touch(id as u64, phase, [x, y], seconds);
        self.gesture(gesture);
    }

    /// The pointer left the canvas (or was cancelled).
    pub fn pointer_leave(&mut self) {
        self.gestures.leave();
    }

    /// The wheel turned by `lines` notches (positive = away from the user) at (x, y).
    pub fn wheel(&mut self, lines: f32, x: f32, y: f32, ctrl: bool) {
        if self.gestures.pointer().is_none() {
            // A wheel over the canvas before any pointer move (touchpads, tests).
            self.gestures.moved([x, y], Modifiers::default());
        }
        let modifiers = Modifiers {
            ctrl,
            ..Modifiers::default()
        };
        let gesture = self.gestures.wheel(lines, modifiers);
        self.gesture(gesture);
    }

    /// A key (`KeyboardEvent.key`) went down; returns "open" or "save" when the page must
    /// act, "" otherwise, and "ignored" for keys the viewer does not use.
    pub fn key(&mut self, key: String, ctrl: bool, shift: bool) -> String {
        let Some(k) = key_of(&key) else {
            return "ignored".into();
        };
        let input = Input::Key {
            key: k,
            modifiers: Modifiers {
                ctrl,
                shift,
                alt: false,
            },
        };
        if self.model.action_for(&input).is_none() {
            return "ignored".into();
        }
        let at = self.gestures.pointer();
        self.input(input, at)
    }
}
