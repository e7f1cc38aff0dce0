//! The round on a plain map drawn from coordinates: no tile server answers in a barn. Home is
//! a square, each stop a numbered disc (filled when done), the route a line in round order.
//! An equirectangular projection around the round's mean latitude is exact enough for the
//! 20 km of a day.

use egui::{Align2, FontId, Sense, Stroke, Ui, pos2, vec2};

use crate::app::i18n::I18n;
use crate::app::model::RoundMap;

pub fn round_map(ui: &mut Ui, i18n: &I18n, map: &RoundMap) {
    let p = crate::app::kit::current_palette(ui.ctx());
    let width = ui.available_width();
    let height = (width * 0.6).clamp(200.0, 420.0);
    let (rect, response) = ui.allocate_exact_size(vec2(width, height), Sense::hover());
    response
        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, i18n.t("today.map")));
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 8.0, p.surface);
    let points: Vec<(f64, f64)> = std::iter::once(map.home)
        .chain(map.stops.iter().map(|(lat, lon, _)| (*lat, *lon)))
        .collect();
    let mean_lat = points.iter().map(|(lat, _)| lat).sum::<f64>() / points.len() as f64;
    let k = mean_lat.to_radians().cos();
    let xs = points.iter().map(|(_, lon)| lon * k);
    let ys = points.iter().map(|(lat, _)| *lat);
    let (min_x, max_x) = xs.fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
    let (min_y, max_y) = ys.fold((f64::MAX, f64::MIN), |(a, b), y| (a.min(y), b.max(y)));
    let span = (max_x - min_x).max(max_y - min_y).max(1e-6);
    let inner = rect.shrink(24.0);
    let scale = f64::from(inner.width().min(inner.height())) / span;
    let to_screen = |(lat, lon): (f64, f64)| {
        let x = (lon * k - (min_x + max_x) / 2.0) * scale;
        let y = (lat - (min_y + max_y) / 2.0) * scale;
        pos2(inner.center().x + x as f32, inner.center().y - y as f32)
    };
    let mut route: Vec<egui::Pos2> = points.iter().map(|p| to_screen(*p)).collect();
    route.push(to_screen(map.home));
    painter.add(egui::Shape::line(route, Stroke::new(3.0, p.accent)));
    let home = to_screen(map.home);
    painter.rect_filled(
        egui::Rect::from_center_size(home, vec2(16.0, 16.0)),
        2.0,
        p.text,
    );
    for (n, (lat, lon, done)) in map.stops.iter().enumerate() {
        let at = to_screen((*lat, *lon));
        let (fill, text) = if *done {
            (p.done, p.on_accent)
        } else {
            (p.background, p.text)
        };
        painter.circle(at, 12.0, fill, Stroke::new(2.0, p.accent));
        painter.text(
            at,
            Align2::CENTER_CENTER,
            (n + 1).to_string(),
            FontId::proportional(13.0),
            text,
        );
    }
}
