"""Plans the round benchmark's days with PyVRP and OR-Tools, for the README's comparison.

Not part of the product: neither solver is a dependency of tournee. This script only finds
rounds; `cargo bench --bench tour` then costs every round with `tour::evaluate`, so the
planner and both solvers are judged by the same rules (visits left out, then lateness, then
driving) on the same driving-time table.

Run (PyVRP 0.14 and OR-Tools 9.15 were used, `pip install pyvrp ortools`):

    cargo bench --bench tour --no-default-features -- --quick --export /tmp/tour-days
    python3 benches/tour_compare.py /tmp/tour-days
    cargo bench --bench tour --no-default-features

It writes `benches/tour_compare/<farms>-<seed>.json`: for each solver and time limit, the
order of the visits and the time it took. One thread each (OR-Tools is single-threaded;
PyVRP's search is too).

How the day is given to each:
- OR-Tools (routing library, guided local search from a cheapest-insertion start): the same
  model as ours. Waiting for a window to open, lateness past its end as a soft bound
  (1,000 per second late, well above any driving saved), closed hours removed from the
  times the work may start, the end of the day as a hard bound, every visit optional with a
  penalty far above lateness (ten times more for an urgent one), driving time as the cost.
- PyVRP (hybrid genetic search's successor, iterated local search in 0.14): one hard window
  per visit, no lateness: a day whose windows cannot all be kept has no feasible round for
  it, and its best (least time-warp) round is what is costed. Closed hours are not in its
  model: a window that runs into the evening milking ends when milking starts, minus the
  service time (a restriction: any such round keeps the closed hours). Driving time as the
  cost.
"""

import json
import pathlib
import sys
import time

from ortools.constraint_solver import pywrapcp, routing_enums_pb2
import pyvrp
from pyvrp.stop import MaxRuntime

LIMITS = [0.1, 1.0]
LATE_WEIGHT = 1_000
LEFT_OUT = 10**9


def ortools_round(day, seconds_limit):
    n = len(day["ids"])
    size = n + 2
    t = day["seconds"]
    service = [0] + day["service"] + [0]
    manager = pywrapcp.RoutingIndexManager(size, 1, [0], [size - 1])
    routing = pywrapcp.RoutingModel(manager)

    def drive(i, j):
        return t[manager.IndexToNode(i)][manager.IndexToNode(j)]

    def transit(i, j):
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return service[a] + t[a][b]

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(drive))
    clock = routing.RegisterTransitCallback(transit)
    routing.AddDimension(clock, 86_400, 2 * 86_400, False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    day_from, day_to = day["day"]
    time_dim.CumulVar(routing.Start(0)).SetRange(day_from, day_to)
    time_dim.CumulVar(routing.End(0)).SetRange(day_from, day_to)
    for k in range(n):
        index = manager.NodeToIndex(k + 1)
        cumul = time_dim.CumulVar(index)
        cumul.SetRange(day_from, 2 * 86_400)
        window = day["window"][k]
        if window is not None:
            cumul.SetMin(window[0])
            time_dim.SetCumulVarSoftUpperBound(index, window[1], LATE_WEIGHT)
        length = max(service[k + 1], 1)
        for c0, c1 in day["closed"][k]:
            if c0 - length + 1 <= c1 - 1:
                cumul.RemoveInterval(c0 - length + 1, c1 - 1)
        penalty = LEFT_OUT * (10 if day["urgent"][k] else 1)
        routing.AddDisjunction([index], penalty)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION
    )
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(seconds_limit * 1000))
    solution = routing.SolveWithParameters(params)
    if solution is None:
        return []
    order = []
    index = solution.Value(routing.NextVar(routing.Start(0)))
    while not routing.IsEnd(index):
        order.append(day["ids"][manager.IndexToNode(index) - 1])
        index = solution.Value(routing.NextVar(index))
    return order


def pyvrp_round(day, seconds_limit):
    n = len(day["ids"])
    t = day["seconds"]
    day_from, day_to = day["day"]
    m = pyvrp.Model()
    locations = [m.add_location(x=i, y=0) for i in range(n + 2)]
    start = m.add_depot(locations[0], tw_early=day_from, tw_late=day_to)
    end = m.add_depot(locations[n + 1], tw_early=day_from, tw_late=day_to)
    m.add_vehicle_type(
        1,
        start_depot=start,
        end_depot=end,
        tw_early=day_from,
        tw_late=day_to,
        unit_distance_cost=1,
        unit_duration_cost=0,
    )
    for k in range(n):
        early, late = day["window"][k] or (day_from, day_to)
        for c0, _ in day["closed"][k]:
            # One window only: end it where the work would run into the milking.
            if c0 - day["service"][k] >= early and c0 < late:
                late = min(late, c0 - day["service"][k])
        m.add_client(
            locations[k + 1],
            service_duration=day["service"][k],
            tw_early=early,
            tw_late=late,
            required=True,
        )
    for a in range(n + 2):
        for b in range(n + 2):
            if a != b:
                m.add_edge(locations[a], locations[b], distance=t[a][b], duration=t[a][b])
    result = m.solve(stop=MaxRuntime(seconds_limit), seed=0, display=False)
    routes = result.best.routes()
    if not routes:
        return []
    # A client's index counts clients only, in the order they were added.
    return [day["ids"][a.idx] for a in routes[0].schedule() if a.is_client()]


def main():
    days_dir = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/tour-days")
    out_dir = pathlib.Path(__file__).parent / "tour_compare"
    out_dir.mkdir(exist_ok=True)
    for path in sorted(days_dir.glob("*.json")):
        day = json.loads(path.read_text())
        solvers = {}
        for limit in LIMITS:
            for name, solve in [("OR-Tools", ortools_round), ("PyVRP", pyvrp_round)]:
                began = time.perf_counter()
                order = solve(day, limit)
                took = (time.perf_counter() - began) * 1000
                solvers[f"{name} {limit:g} s"] = {"order": order, "ms": round(took, 1)}
        (out_dir / path.name).write_text(json.dumps({"solvers": solvers}, indent=1) + "\n")
        print(path.stem, {k: (len(v["order"]), v["ms"]) for k, v in solvers.items()})


if __name__ == "__main__":
    main()
