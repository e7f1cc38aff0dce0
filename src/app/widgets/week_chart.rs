//! Weekly hours against the limits (egui_plot): one bar a week, coloured by its flags, the
//! 12-week average as a line, and the weekly maximum and the average's ceiling as horizontal
//! lines. Fixed (no drag or zoom): a finger scrolling the screen must not pan the chart.

use egui::Ui;
use egui_plot::{Bar, BarChart, HLine, Legend, Line, Plot, PlotPoints};

use crate::app::i18n::I18n;
use crate::app::model::{ChartLimits, WeekTime};

fn hours(seconds: u64) -> f64 {
    seconds as f64 / 3600.0
}

/// Draws the chart of `weeks` (oldest first); `id` keeps two charts on one screen apart.
pub fn week_chart(ui: &mut Ui, i18n: &I18n, id: &str, weeks: &[WeekTime], limits: ChartLimits) {
    let p = crate::app::kit::current_palette(ui.ctx());
    let bars: Vec<Bar> = weeks
        .iter()
        .map(|w| {
            let over = w
                .flags
                .iter()
                .any(|f| matches!(*f, "over_weekly_max" | "over_12_week_average"));
            Bar::new(f64::from(w.week.week), hours(w.total_seconds))
                .width(0.7)
                .fill(if over { p.error } else { p.accent })
                .name(i18n.tf("chart.week", &[("n", &w.week.week.to_string())]))
        })
        .collect();
    let average: PlotPoints = weeks
        .iter()
        .map(|w| [f64::from(w.week.week), hours(w.average_seconds)])
        .collect();
    let top = weeks
        .iter()
        .map(|w| hours(w.total_seconds))
        .fold(hours(limits.weekly_max_seconds), f64::max);
    Plot::new(("tournee.week_chart", id))
        .height(220.0)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .include_y(0.0)
        .include_y(top * 1.1)
        .y_axis_label(i18n.t("chart.hours"))
        .x_axis_label(i18n.t("chart.weeks"))
        .legend(Legend::default())
        .show(ui, |plot| {
            plot.bar_chart(BarChart::new(i18n.t("chart.worked"), bars).color(p.accent));
            plot.line(
                Line::new(i18n.t("chart.average"), average)
                    .color(p.warning)
                    .width(2.5),
            );
            plot.hline(
                HLine::new(i18n.t("chart.weekly_max"), hours(limits.weekly_max_seconds))
                    .color(p.error)
                    .width(2.0),
            );
            plot.hline(
                HLine::new(
                    i18n.t("chart.average_max"),
                    hours(limits.average_max_seconds),
                )
                .color(p.warning)
                .width(1.5),
            );
        });
}
