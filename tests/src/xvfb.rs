//! A private X server for the tests that open windows: `Xvfb` on a free display, `xdotool`
//! to drive it, ImageMagick's `import` to capture the screen.

use crate::read_png_rgb;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn tool(name: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether Xvfb, xdotool and import are installed; a missing one fails the test (see
/// [`crate::missing`]) and returns false only when skipping is allowed.
pub fn tools_present() -> bool {
    for (t, package) in [
        ("Xvfb", "xvfb"),
        ("xdotool", "xdotool"),
        ("import", "imagemagick"),
    ] {
        if !tool(t) {
            crate::missing(&format!("{t} (Debian package {package})"));
            return false;
        }
    }
    true
}

/// An X server of `size` pixels (24-bit), stopped when dropped.
pub struct Xvfb {
    child: Child,
    /// `:N`, for the `DISPLAY` of the programs under test.
    pub display: String,
    /// The screen's width and height.
    pub size: (u32, u32),
}

impl Xvfb {
    /// Starts Xvfb on the first free display from :90.
    pub fn start(size: (u32, u32)) -> Xvfb {
        for n in 90..200 {
            let (lock, socket) = (format!("/tmp/.X{n}-lock"), format!("/tmp/.X11-unix/X{n}"));
            // A lock whose server is gone (killed without cleaning up) frees its display.
            let stale = std::fs::read_to_string(&lock).is_ok_and(|pid| {
                pid.trim()
                    .parse::<u32>()
                    .is_ok_and(|pid| !Path::new(&format!("/proc/{pid}")).exists())
            });
            if stale {
                let _ = std::fs::remove_file(&lock);
                let _ = std::fs::remove_file(&socket);
            }
            if Path::new(&lock).exists() || Path::new(&socket).exists() {
                continue;
            }
            let display = format!(":{n}");
            let child = Command::new("Xvfb")
                .args([
                    display.as_str(),
                    "-screen",
                    "0",
                    &format!("{}x{}x24", size.0, size.1),
                    "-nolisten",
                    "tcp",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start Xvfb: {e}"));
            let mut x = Xvfb {
                child,
                display,
                size,
            };
            let t = Instant::now();
            while t.elapsed() < Duration::from_secs(10) {
                if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
                    return x;
                }
                if let Ok(Some(_)) = x.child.try_wait() {
                    break; // the display was taken meanwhile: try the next
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = x.child.kill();
        }
        panic!("no free X display for Xvfb");
    }

    /// Gives the window named by the regular expression `name` the keyboard (there is no
    /// window manager to do it).
    pub fn focus(&self, name: &str) {
        self.xdotool(&["search", "--sync", "--name", name, "windowfocus"]);
    }

    /// Runs xdotool on this display; fails the test when it fails.
    pub fn xdotool(&self, args: &[&str]) {
        let status = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.display)
            .status()
            .unwrap_or_else(|e| panic!("xdotool: {e}"));
        assert!(status.success(), "xdotool {args:?} failed");
    }

    /// The screen as RGB rows (`dir` holds the capture).
    pub fn capture(&self, dir: &Path) -> Vec<u8> {
        let path = dir.join("screen.png");
        let status = Command::new("import")
            .args(["-window", "root"])
            .arg(format!("png24:{}", path.display()))
            .env("DISPLAY", &self.display)
            .status()
            .unwrap_or_else(|e| panic!("import: {e}"));
        assert!(status.success(), "import failed");
        let (w, h, rgb) = read_png_rgb(&path);
        assert_eq!((w, h), self.size);
        rgb
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
