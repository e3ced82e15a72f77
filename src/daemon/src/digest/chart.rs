//! The digest's chart: handovers per day, stacked by outcome, as a PNG image (RGB, one
//! zlib stream; `flate2` and `crc32fast` are what the encoder needs).

use std::io::Write as _;

use super::font;

/// One day's handovers (requested that day) by what became of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DayBar {
    /// Under the bar, e.g. `MON 16`.
    pub label: String,
    pub returned_to_ai: u64,
    pub closed: u64,
    pub cancelled: u64,
    /// Still pending or in progress.
    pub open: u64,
}

impl DayBar {
    pub fn total(&self) -> u64 {
        self.returned_to_ai + self.closed + self.cancelled + self.open
    }
}

type Rgb = [u8; 3];

const WIDTH: usize = 720;
const HEIGHT: usize = 380;
const WHITE: Rgb = [255, 255, 255];
const INK: Rgb = [40, 44, 52];
const GRID: Rgb = [225, 228, 232];
/// Outcome colours, bottom to top, with their legend names.
pub const SERIES: [(&str, Rgb); 4] = [
    ("BACK TO AI", [46, 160, 67]),
    ("CLOSED", [56, 118, 214]),
    ("CANCELLED", [160, 160, 160]),
    ("OPEN", [230, 145, 40]),
];

struct Canvas {
    px: Vec<u8>,
}

impl Canvas {
    fn new() -> Self {
        Self {
            px: WHITE.repeat(WIDTH * HEIGHT),
        }
    }

    fn rect(&mut self, x: usize, y: usize, w: usize, h: usize, c: Rgb) {
        for row in y..(y + h).min(HEIGHT) {
            for col in x..(x + w).min(WIDTH) {
                let i = (row * WIDTH + col) * 3;
                self.px[i..i + 3].copy_from_slice(&c);
            }
        }
    }

    fn text(&mut self, x: usize, y: usize, s: &str, scale: usize, c: Rgb) {
        for (n, ch) in s.chars().enumerate() {
            let rows = font::glyph(ch);
            for (r, bits) in rows.iter().enumerate() {
                for b in 0..5 {
                    if bits & (0x10 >> b) != 0 {
                        let px = x + (n * 6 + b) * scale;
                        self.rect(px, y + r * scale, scale, scale, c);
                    }
                }
            }
        }
    }

    fn centered(&mut self, cx: usize, y: usize, s: &str, scale: usize, c: Rgb) {
        let x = cx.saturating_sub(font::width(s, scale) / 2);
        self.text(x, y, s, scale, c);
    }
}

/// A round axis maximum at or above `max` (1, 2 or 5 times a power of ten).
fn axis_max(max: u64) -> u64 {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if m * step >= max.max(1) {
                return m * step;
            }
        }
        step *= 10;
    }
}

/// The chart of `bars` under `title`, as PNG bytes.
pub fn render(title: &str, bars: &[DayBar]) -> Vec<u8> {
    let mut c = Canvas::new();
    c.text(24, 18, title, 2, INK);
    let (left, top, bottom) = (64usize, 60usize, HEIGHT - 80);
    let plot_h = bottom - top;
    let top_value = axis_max(bars.iter().map(DayBar::total).max().unwrap_or(0));
    for i in 0..=4u64 {
        let y = bottom - (plot_h as u64 * i / 4) as usize;
        c.rect(left, y, WIDTH - left - 24, 1, GRID);
        let label = (top_value * i / 4).to_string();
        c.text(left - 10 - font::width(&label, 1), y - 3, &label, 1, INK);
    }
    let slot = (WIDTH - left - 24) / bars.len().max(1);
    let bar_w = slot * 3 / 5;
    for (i, bar) in bars.iter().enumerate() {
        let x = left + i * slot + (slot - bar_w) / 2;
        let mut y = bottom;
        let parts = [bar.returned_to_ai, bar.closed, bar.cancelled, bar.open];
        for (n, (_, colour)) in parts.iter().zip(SERIES) {
            let h = (plot_h as u64 * n / top_value) as usize;
            c.rect(x, y - h, bar_w, h, colour);
            y -= h;
        }
        let cx = x + bar_w / 2;
        if bar.total() > 0 {
            c.centered(cx, y.saturating_sub(12), &bar.total().to_string(), 1, INK);
        }
        c.centered(cx, bottom + 10, &bar.label, 1, INK);
    }
    c.rect(left, bottom, WIDTH - left - 24, 2, INK);
    let mut x = left;
    for (name, colour) in SERIES {
        c.rect(x, HEIGHT - 36, 12, 12, colour);
        c.text(x + 18, HEIGHT - 34, name, 1, INK);
        x += 18 + font::width(name, 1) + 28;
    }
    png(&c.px, WIDTH, HEIGHT)
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_be_bytes());
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
}

/// An 8-bit RGB PNG of `rgb` (rows top to bottom), without filtering.
fn png(rgb: &[u8], w: usize, h: usize) -> Vec<u8> {
    let mut raw = Vec::with_capacity(h * (1 + w * 3));
    for row in rgb.chunks(w * 3) {
        raw.push(0);
        raw.extend_from_slice(row);
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = z.write_all(&raw);
    let idat = z.finish().unwrap_or_default();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&u32::try_from(w).unwrap_or(0).to_be_bytes());
    ihdr.extend_from_slice(&u32::try_from(h).unwrap_or(0).to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    /// The pixels of a PNG this module wrote (width, height, RGB rows).
    fn decode(png: &[u8]) -> (usize, usize, Vec<u8>) {
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
        let (mut at, mut w, mut h, mut idat) = (8, 0, 0, Vec::new());
        while at < png.len() {
            let len = be(&png[at..]);
            let kind = &png[at + 4..at + 8];
            let data = &png[at + 8..at + 8 + len];
            let mut crc = crc32fast::Hasher::new();
            crc.update(kind);
            crc.update(data);
            assert_eq!(crc.finalize() as usize, be(&png[at + 8 + len..]), "CRC");
            match kind {
                b"IHDR" => (w, h) = (be(data), be(&data[4..])),
                b"IDAT" => idat.extend_from_slice(data),
                _ => {}
            }
            at += 12 + len;
        }
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(idat.as_slice())
            .read_to_end(&mut raw)
            .expect("zlib");
        assert_eq!(raw.len(), h * (1 + w * 3));
        let px = raw
            .chunks(1 + w * 3)
            .flat_map(|r| r[1..].to_vec())
            .collect();
        (w, h, px)
    }

    fn count(px: &[u8], c: Rgb) -> usize {
        px.chunks(3).filter(|p| *p == c).count()
    }

    #[test]
    fn bars_are_stacked_in_proportion_to_the_counts() {
        let bars = vec![
            DayBar {
                label: "MON 16".into(),
                returned_to_ai: 6,
                closed: 3,
                cancelled: 1,
                open: 0,
            },
            DayBar {
                label: "TUE 17".into(),
                returned_to_ai: 0,
                closed: 0,
                cancelled: 0,
                open: 10,
            },
        ];
        let (w, h, px) = decode(&render("HANDOVERS PER DAY", &bars));
        assert_eq!((w, h), (WIDTH, HEIGHT));
        let green = count(&px, SERIES[0].1);
        let blue = count(&px, SERIES[1].1);
        let orange = count(&px, SERIES[3].1);
        // The legend has a 12×12 swatch of each colour; the bars are the rest.
        let legend = 144;
        assert!(green > legend && blue > legend && orange > legend);
        let (g, b, o) = (green - legend, blue - legend, orange - legend);
        // Same bar width: areas are in the ratio of the counts (6 : 3 : 10).
        assert!((g as f64 / b as f64 - 2.0).abs() < 0.1, "{g} {b}");
        assert!((o as f64 / g as f64 - 10.0 / 6.0).abs() < 0.1, "{o} {g}");
    }

    #[test]
    fn an_empty_week_still_draws_axes_and_labels() {
        let bars = vec![DayBar::default(); 7];
        let (_, _, px) = decode(&render("NOTHING", &bars));
        assert!(count(&px, INK) > 100);
        assert_eq!(count(&px, SERIES[3].1), 144, "only the legend swatch");
    }

    #[test]
    fn axis_maxima_are_round() {
        assert_eq!(
            [0, 1, 3, 7, 10, 11, 45, 120, 999].map(axis_max),
            [1, 1, 5, 10, 10, 20, 50, 200, 1000]
        );
    }
}
