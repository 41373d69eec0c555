//! The `--plot FILE.png` chart of `numjit bench`: speedup against threads, one coloured line
//! per n, the ideal (linear) speedup dashed, axes with ticks, a legend and a title, drawn into
//! an RGB buffer with a built-in 5×7 bitmap font and written with the `png` crate.

use std::path::Path;

/// One line of the chart: a label and its (threads, speedup) points in drawing order.
pub struct Series {
    /// The legend text, e.g. `n = 1000000`.
    pub label: String,
    /// (x, y) points.
    pub points: Vec<(f64, f64)>,
}

const WIDTH: usize = 820;
const HEIGHT: usize = 540;
/// The plot area inside the image: left, top, right, bottom.
const LEFT: usize = 90;
const TOP: usize = 60;
const RIGHT: usize = WIDTH - 30;
const BOTTOM: usize = HEIGHT - 70;

const WHITE: [u8; 3] = [255, 255, 255];
const BLACK: [u8; 3] = [0, 0, 0];
const GRID: [u8; 3] = [225, 225, 225];
const GREY: [u8; 3] = [140, 140, 140];
/// Matplotlib's default colour cycle ("tab10").
const PALETTE: [[u8; 3]; 10] = [
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
    [148, 103, 189],
    [140, 86, 75],
    [227, 119, 194],
    [127, 127, 127],
    [188, 189, 34],
    [23, 190, 207],
];

/// An RGB image.
struct Canvas {
    w: usize,
    h: usize,
    px: Vec<u8>,
}

impl Canvas {
    fn new(w: usize, h: usize) -> Canvas {
        Canvas {
            w,
            h,
            px: WHITE.repeat(w * h),
        }
    }

    fn set(&mut self, x: i64, y: i64, c: [u8; 3]) {
        if x >= 0 && y >= 0 && (x as usize) < self.w && (y as usize) < self.h {
            let i = 3 * (y as usize * self.w + x as usize);
            self.px[i..i + 3].copy_from_slice(&c);
        }
    }

    fn rect(&mut self, x0: i64, y0: i64, x1: i64, y1: i64, c: [u8; 3]) {
        for y in y0..=y1 {
            for x in x0..=x1 {
                self.set(x, y, c);
            }
        }
    }

    /// A line `thick` pixels wide (Bresenham with a square pen); `dash` > 0 leaves gaps.
    fn line(
        &mut self,
        (x0, y0): (f64, f64),
        (x1, y1): (f64, f64),
        c: [u8; 3],
        thick: i64,
        dash: i64,
    ) {
        let (mut x, mut y) = (x0.round() as i64, y0.round() as i64);
        let (xe, ye) = (x1.round() as i64, y1.round() as i64);
        let (dx, dy) = ((xe - x).abs(), -(ye - y).abs());
        let (sx, sy) = (if x < xe { 1 } else { -1 }, if y < ye { 1 } else { -1 });
        let mut err = dx + dy;
        let mut step = 0i64;
        let r = thick / 2;
        loop {
            if dash == 0 || (step / dash) % 2 == 0 {
                self.rect(x - r, y - r, x - r + thick - 1, y - r + thick - 1, c);
            }
            if x == xe && y == ye {
                break;
            }
            step += 1;
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }

    /// Text in the 5×7 font at `scale`, top-left corner at (x, y).
    fn text(&mut self, x: i64, y: i64, s: &str, scale: i64, c: [u8; 3]) {
        for (i, ch) in s.chars().enumerate() {
            let glyph = glyph(ch);
            let gx = x + i as i64 * 6 * scale;
            for (col, bits) in glyph.iter().enumerate() {
                for row in 0..7 {
                    if bits >> row & 1 == 1 {
                        let px = gx + col as i64 * scale;
                        let py = y + row * scale;
                        self.rect(px, py, px + scale - 1, py + scale - 1, c);
                    }
                }
            }
        }
    }

    /// Text rotated a quarter turn counter-clockwise (reading bottom to top), its
    /// bottom-left corner at (x, y).
    fn text_up(&mut self, x: i64, y: i64, s: &str, scale: i64, c: [u8; 3]) {
        for (i, ch) in s.chars().enumerate() {
            let glyph = glyph(ch);
            let gy = y - i as i64 * 6 * scale;
            for (col, bits) in glyph.iter().enumerate() {
                for row in 0..7 {
                    if bits >> row & 1 == 1 {
                        let px = x + row * scale;
                        let py = gy - col as i64 * scale;
                        self.rect(px, py - scale + 1, px + scale - 1, py, c);
                    }
                }
            }
        }
    }
}

/// Width in pixels of `s` at `scale`.
fn text_width(s: &str, scale: i64) -> i64 {
    (s.chars().count() as i64 * 6 - 1).max(0) * scale
}

/// "Nice" tick spacing for a range: 1, 2 or 5 times a power of ten, about `target` ticks.
fn tick_step(range: f64, target: f64) -> f64 {
    let raw = range / target;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let nice = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// A tick label: integers without decimals, others with just enough.
fn tick_label(v: f64, step: f64) -> String {
    if step >= 1.0 {
        format!("{}", v.round() as i64)
    } else {
        let decimals = (-step.log10().floor()) as usize;
        format!("{v:.decimals$}")
    }
}

/// Draws the speedup chart and writes it to `path` as a PNG.
pub fn speedup_chart(path: &Path, title: &str, series: &[Series]) -> Result<(), String> {
    let png = render(title, series);
    let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), WIDTH as u32, HEIGHT as u32);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder
        .write_header()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    writer
        .write_image_data(&png.px)
        .and_then(|_| writer.finish())
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn render(title: &str, series: &[Series]) -> Canvas {
    let mut c = Canvas::new(WIDTH, HEIGHT);
    let all = series.iter().flat_map(|s| s.points.iter());
    let max_x = all.clone().map(|p| p.0).fold(1.0, f64::max);
    let max_y = all
        .map(|p| p.1)
        .filter(|v| v.is_finite())
        .fold(max_x, f64::max);
    // x from 1 to the most threads (at least 2, so there is a range); y from 0.
    let (x_lo, x_hi) = (1.0, max_x.max(2.0));
    let y_hi = max_y * 1.1;
    let (l, t, r, b) = (LEFT as f64, TOP as f64, RIGHT as f64, BOTTOM as f64);
    // A margin of 5% on either side keeps the end points off the frame, as matplotlib does.
    let pad = 0.05 * (x_hi - x_lo);
    let (x0, x1) = (x_lo - pad, x_hi + pad);
    let to_px = |x: f64, y: f64| {
        (
            l + (x - x0) / (x1 - x0) * (r - l),
            b - (y / y_hi).clamp(-0.05, 1.05) * (b - t),
        )
    };

    // Grid and ticks.
    let x_step = tick_step(x_hi - x_lo, 8.0).max(1.0);
    let mut x = x_lo;
    while x <= x_hi + 1e-9 {
        let (px, _) = to_px(x, 0.0);
        c.line((px, t), (px, b), GRID, 1, 0);
        c.line((px, b), (px, b + 5.0), BLACK, 1, 0);
        let label = tick_label(x, x_step);
        c.text(
            px as i64 - text_width(&label, 2) / 2,
            b as i64 + 10,
            &label,
            2,
            BLACK,
        );
        x += x_step;
    }
    let y_step = tick_step(y_hi, 6.0);
    let mut y = 0.0;
    while y <= y_hi + 1e-9 {
        let (_, py) = to_px(x_lo, y);
        c.line((l, py), (r, py), GRID, 1, 0);
        c.line((l - 5.0, py), (l, py), BLACK, 1, 0);
        let label = tick_label(y, y_step);
        c.text(
            l as i64 - 10 - text_width(&label, 2),
            py as i64 - 7,
            &label,
            2,
            BLACK,
        );
        y += y_step;
    }
    // Axes.
    c.line((l, t), (l, b), BLACK, 2, 0);
    c.line((l, b), (r, b), BLACK, 2, 0);

    // The ideal speedup, then the measured lines with a marker at each point.
    c.line(to_px(x_lo, x_lo), to_px(x_hi, x_hi), GREY, 2, 6);
    for (i, s) in series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        for w in s.points.windows(2) {
            c.line(to_px(w[0].0, w[0].1), to_px(w[1].0, w[1].1), colour, 3, 0);
        }
        for &(x, y) in &s.points {
            let (px, py) = to_px(x, y);
            c.rect(
                px as i64 - 4,
                py as i64 - 4,
                px as i64 + 4,
                py as i64 + 4,
                colour,
            );
        }
    }

    // Title and axis labels.
    let title: String = title.chars().take(60).collect();
    c.text(
        (WIDTH as i64 - text_width(&title, 2)) / 2,
        20,
        &title,
        2,
        BLACK,
    );
    let xl = "threads";
    c.text(
        (l + r) as i64 / 2 - text_width(xl, 2) / 2,
        b as i64 + 38,
        xl,
        2,
        BLACK,
    );
    let yl = "speedup vs 1 thread";
    c.text_up(20, (t + b) as i64 / 2 + text_width(yl, 2) / 2, yl, 2, BLACK);

    // Legend, top left inside the plot area.
    let mut entries: Vec<(String, [u8; 3], i64)> = series
        .iter()
        .enumerate()
        .map(|(i, s)| (s.label.clone(), PALETTE[i % PALETTE.len()], 0))
        .collect();
    entries.push(("ideal".to_string(), GREY, 6));
    let lw = entries
        .iter()
        .map(|(s, _, _)| text_width(s, 2))
        .max()
        .unwrap_or(0)
        + 60;
    let (lx, ly) = (l as i64 + 15, t as i64 + 12);
    let lh = entries.len() as i64 * 22 + 10;
    c.rect(lx, ly, lx + lw, ly + lh, WHITE);
    for (x0, y0, x1, y1) in [
        (lx, ly, lx + lw, ly),
        (lx, ly + lh, lx + lw, ly + lh),
        (lx, ly, lx, ly + lh),
        (lx + lw, ly, lx + lw, ly + lh),
    ] {
        c.line((x0 as f64, y0 as f64), (x1 as f64, y1 as f64), GREY, 1, 0);
    }
    for (i, (label, colour, dash)) in entries.iter().enumerate() {
        let y = ly + 12 + i as i64 * 22;
        c.line(
            ((lx + 8) as f64, (y + 6) as f64),
            ((lx + 40) as f64, (y + 6) as f64),
            *colour,
            3,
            *dash,
        );
        c.text(lx + 50, y, label, 2, BLACK);
    }
    c
}

/// The glyph of `ch`: five columns, bit 0 the top row. Unknown characters are a box.
fn glyph(ch: char) -> [u8; 5] {
    let i = ch as usize;
    if (32..127).contains(&i) {
        FONT[i - 32]
    } else {
        [0x7F, 0x41, 0x41, 0x41, 0x7F]
    }
}

/// The classic 5×7 LCD font for ASCII 32..=126, column by column, bit 0 at the top.
const FONT: [[u8; 5]; 95] = [
    [0x00, 0x00, 0x00, 0x00, 0x00], // ' '
    [0x00, 0x00, 0x5F, 0x00, 0x00], // !
    [0x00, 0x07, 0x00, 0x07, 0x00], // "
    [0x14, 0x7F, 0x14, 0x7F, 0x14], // #
    [0x24, 0x2A, 0x7F, 0x2A, 0x12], // $
    [0x23, 0x13, 0x08, 0x64, 0x62], // %
    [0x36, 0x49, 0x55, 0x22, 0x50], // &
    [0x00, 0x05, 0x03, 0x00, 0x00], // '
    [0x00, 0x1C, 0x22, 0x41, 0x00], // (
    [0x00, 0x41, 0x22, 0x1C, 0x00], // )
    [0x14, 0x08, 0x3E, 0x08, 0x14], // *
    [0x08, 0x08, 0x3E, 0x08, 0x08], // +
    [0x00, 0x50, 0x30, 0x00, 0x00], // ,
    [0x08, 0x08, 0x08, 0x08, 0x08], // -
    [0x00, 0x60, 0x60, 0x00, 0x00], // .
    [0x20, 0x10, 0x08, 0x04, 0x02], // /
    [0x3E, 0x51, 0x49, 0x45, 0x3E], // 0
    [0x00, 0x42, 0x7F, 0x40, 0x00], // 1
    [0x42, 0x61, 0x51, 0x49, 0x46], // 2
    [0x21, 0x41, 0x45, 0x4B, 0x31], // 3
    [0x18, 0x14, 0x12, 0x7F, 0x10], // 4
    [0x27, 0x45, 0x45, 0x45, 0x39], // 5
    [0x3C, 0x4A, 0x49, 0x49, 0x30], // 6
    [0x01, 0x71, 0x09, 0x05, 0x03], // 7
    [0x36, 0x49, 0x49, 0x49, 0x36], // 8
    [0x06, 0x49, 0x49, 0x29, 0x1E], // 9
    [0x00, 0x36, 0x36, 0x00, 0x00], // :
    [0x00, 0x56, 0x36, 0x00, 0x00], // ;
    [0x08, 0x14, 0x22, 0x41, 0x00], // <
    [0x14, 0x14, 0x14, 0x14, 0x14], // =
    [0x00, 0x41, 0x22, 0x14, 0x08], // >
    [0x02, 0x01, 0x51, 0x09, 0x06], // ?
    [0x32, 0x49, 0x79, 0x41, 0x3E], // @
    [0x7E, 0x11, 0x11, 0x11, 0x7E], // A
    [0x7F, 0x49, 0x49, 0x49, 0x36], // B
    [0x3E, 0x41, 0x41, 0x41, 0x22], // C
    [0x7F, 0x41, 0x41, 0x22, 0x1C], // D
    [0x7F, 0x49, 0x49, 0x49, 0x41], // E
    [0x7F, 0x09, 0x09, 0x09, 0x01], // F
    [0x3E, 0x41, 0x49, 0x49, 0x7A], // G
    [0x7F, 0x08, 0x08, 0x08, 0x7F], // H
    [0x00, 0x41, 0x7F, 0x41, 0x00], // I
    [0x20, 0x40, 0x41, 0x3F, 0x01], // J
    [0x7F, 0x08, 0x14, 0x22, 0x41], // K
    [0x7F, 0x40, 0x40, 0x40, 0x40], // L
    [0x7F, 0x02, 0x0C, 0x02, 0x7F], // M
    [0x7F, 0x04, 0x08, 0x10, 0x7F], // N
    [0x3E, 0x41, 0x41, 0x41, 0x3E], // O
    [0x7F, 0x09, 0x09, 0x09, 0x06], // P
    [0x3E, 0x41, 0x51, 0x21, 0x5E], // Q
    [0x7F, 0x09, 0x19, 0x29, 0x46], // R
    [0x46, 0x49, 0x49, 0x49, 0x31], // S
    [0x01, 0x01, 0x7F, 0x01, 0x01], // T
    [0x3F, 0x40, 0x40, 0x40, 0x3F], // U
    [0x1F, 0x20, 0x40, 0x20, 0x1F], // V
    [0x3F, 0x40, 0x38, 0x40, 0x3F], // W
    [0x63, 0x14, 0x08, 0x14, 0x63], // X
    [0x07, 0x08, 0x70, 0x08, 0x07], // Y
    [0x61, 0x51, 0x49, 0x45, 0x43], // Z
    [0x00, 0x7F, 0x41, 0x41, 0x00], // [
    [0x02, 0x04, 0x08, 0x10, 0x20], // backslash
    [0x00, 0x41, 0x41, 0x7F, 0x00], // ]
    [0x04, 0x02, 0x01, 0x02, 0x04], // ^
    [0x40, 0x40, 0x40, 0x40, 0x40], // _
    [0x00, 0x01, 0x02, 0x04, 0x00], // `
    [0x20, 0x54, 0x54, 0x54, 0x78], // a
    [0x7F, 0x48, 0x44, 0x44, 0x38], // b
    [0x38, 0x44, 0x44, 0x44, 0x20], // c
    [0x38, 0x44, 0x44, 0x48, 0x7F], // d
    [0x38, 0x54, 0x54, 0x54, 0x18], // e
    [0x08, 0x7E, 0x09, 0x01, 0x02], // f
    [0x0C, 0x52, 0x52, 0x52, 0x3E], // g
    [0x7F, 0x08, 0x04, 0x04, 0x78], // h
    [0x00, 0x44, 0x7D, 0x40, 0x00], // i
    [0x20, 0x40, 0x44, 0x3D, 0x00], // j
    [0x7F, 0x10, 0x28, 0x44, 0x00], // k
    [0x00, 0x41, 0x7F, 0x40, 0x00], // l
    [0x7C, 0x04, 0x18, 0x04, 0x78], // m
    [0x7C, 0x08, 0x04, 0x04, 0x78], // n
    [0x38, 0x44, 0x44, 0x44, 0x38], // o
    [0x7C, 0x14, 0x14, 0x14, 0x08], // p
    [0x08, 0x14, 0x14, 0x18, 0x7C], // q
    [0x7C, 0x08, 0x04, 0x04, 0x08], // r
    [0x48, 0x54, 0x54, 0x54, 0x20], // s
    [0x04, 0x3F, 0x44, 0x40, 0x20], // t
    [0x3C, 0x40, 0x40, 0x20, 0x7C], // u
    [0x1C, 0x20, 0x40, 0x20, 0x1C], // v
    [0x3C, 0x40, 0x30, 0x40, 0x3C], // w
    [0x44, 0x28, 0x10, 0x28, 0x44], // x
    [0x0C, 0x50, 0x50, 0x50, 0x3C], // y
    [0x44, 0x64, 0x54, 0x4C, 0x44], // z
    [0x00, 0x08, 0x36, 0x41, 0x00], // {
    [0x00, 0x00, 0x7F, 0x00, 0x00], // |
    [0x00, 0x41, 0x36, 0x08, 0x00], // }
    [0x08, 0x04, 0x08, 0x10, 0x08], // ~
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks() {
        assert_eq!(tick_step(10.0, 5.0), 2.0);
        assert_eq!(tick_step(1.0, 8.0), 0.2);
        assert_eq!(tick_label(1.5, 0.5), "1.5");
        assert_eq!(tick_label(4.0, 1.0), "4");
    }

    #[test]
    fn draws_without_data() {
        // No series, one point, NaN: all draw something and never panic.
        render("empty", &[]);
        render(
            "one",
            &[Series {
                label: "n = 1".into(),
                points: vec![(1.0, 1.0)],
            }],
        );
        render(
            "nan",
            &[Series {
                label: "n = 1".into(),
                points: vec![(1.0, f64::NAN), (2.0, f64::INFINITY)],
            }],
        );
    }
}
