//! Public benchmark instances as planning problems, to measure the solver against published
//! optima (tests and `benches/tour.rs`): TSPLIB symmetric instances (EUC_2D), and TSP with
//! time windows in the López-Ibáñez–Blum format (Dumas et al.). Not for real rounds.

use super::{Matrix, Problem, TourError, Travel, VisitToPlan, Window};
use crate::domain::{Location, Urgency};

/// The node coordinates of a TSPLIB EUC_2D file: lines `index x y`, in index order; header
/// lines (`NAME : ...`, `NODE_COORD_SECTION`, a node count alone, `EOF`) are passed over.
pub fn parse(text: &str) -> Result<Vec<(f64, f64)>, TourError> {
    let mut nodes = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [index, x, y] = fields[..] else { continue };
        let (Ok(index), Ok(x), Ok(y)) =
            (index.parse::<usize>(), x.parse::<f64>(), y.parse::<f64>())
        else {
            continue;
        };
        if index != nodes.len() + 1 || !x.is_finite() || !y.is_finite() {
            return Err(TourError::invalid(
                &format!("line {}", i + 1),
                format!("{line:?}"),
                &format!("node {} with finite coordinates", nodes.len() + 1),
            ));
        }
        nodes.push((x, y));
    }
    if nodes.len() < 3 {
        return Err(TourError::invalid("nodes", nodes.len(), "at least 3 nodes"));
    }
    Ok(nodes)
}

/// TSPLIB's EUC_2D distance: the Euclidean distance rounded to the nearest integer.
pub fn distance(a: (f64, f64), b: (f64, f64)) -> u32 {
    (a.0 - b.0).hypot(a.1 - b.1).round() as u32
}

/// The tour from node 1 through every other node back to node 1, as a problem whose driving
/// time and distance are both the EUC_2D distance: the optimal plan is the optimal tour.
pub fn problem(nodes: &[(f64, f64)]) -> Problem {
    // Rows: node 1 (start), nodes 2..n (visits), node 1 again (end).
    let order: Vec<usize> = std::iter::once(0)
        .chain(1..nodes.len())
        .chain(std::iter::once(0))
        .collect();
    let table: Vec<Vec<u32>> = order
        .iter()
        .map(|a| {
            order
                .iter()
                .map(|b| distance(nodes[*a], nodes[*b]))
                .collect()
        })
        .collect();
    let here = Location { lat: 0.0, lon: 0.0 };
    Problem {
        start: here,
        end: here,
        day: Window {
            from: 0,
            to: super::DAY_SECONDS,
        },
        travel: Travel::Matrix(Matrix {
            meters: table.clone(),
            seconds: table,
        }),
        visits: (2..=nodes.len())
            .map(|i| VisitToPlan {
                id: i.to_string(),
                location: here,
                service_seconds: 0,
                window: None,
                closed: Vec::new(),
                urgency: Urgency::Normal,
            })
            .collect(),
    }
}

/// A TSPTW instance in the López-Ibáñez–Blum format: the node count (depot first), the
/// travel-time matrix (service included), then each node's window (ready, due). The depot's
/// window is the working day; a customer's due time is the latest start, as in a farmer's
/// window, so a round without lateness is a feasible TSPTW tour and its driving the objective.
pub fn tsptw(text: &str) -> Result<Problem, TourError> {
    let numbers: Vec<u32> = text
        .split_whitespace()
        .take_while(|w| !w.starts_with('#'))
        .enumerate()
        .map(|(i, w)| {
            w.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x >= 0.0 && *x <= f64::from(super::DAY_SECONDS))
                .map(|x| x.floor() as u32)
                .ok_or_else(|| {
                    TourError::invalid(&format!("number {}", i + 1), format!("{w:?}"), "a time")
                })
        })
        .collect::<Result<_, _>>()?;
    let n = numbers.first().copied().unwrap_or(0) as usize;
    if n < 2 || numbers.len() != 1 + n * n + 2 * n {
        return Err(TourError::invalid(
            "instance",
            format!("{} numbers", numbers.len()),
            "a node count n, n × n travel times and n windows",
        ));
    }
    let cell = |a: usize, b: usize| numbers[1 + a * n + b];
    let window = |i: usize| Window {
        from: numbers[1 + n * n + 2 * i],
        to: numbers[2 + n * n + 2 * i],
    };
    // Rows: the depot (start), customers 1..n, the depot again (end).
    let order: Vec<usize> = std::iter::once(0)
        .chain(1..n)
        .chain(std::iter::once(0))
        .collect();
    let table: Vec<Vec<u32>> = order
        .iter()
        .map(|a| order.iter().map(|b| cell(*a, *b)).collect())
        .collect();
    let here = Location { lat: 0.0, lon: 0.0 };
    Ok(Problem {
        start: here,
        end: here,
        day: window(0),
        travel: Travel::Matrix(Matrix {
            meters: table.clone(),
            seconds: table,
        }),
        visits: (1..n)
            .map(|i| VisitToPlan {
                id: (i + 1).to_string(),
                location: here,
                service_seconds: 0,
                window: Some(window(i)),
                closed: Vec::new(),
                urgency: Urgency::Normal,
            })
            .collect(),
    })
}
