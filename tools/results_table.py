"""The tables of docs/results.md from the run folders scripts/experiments writes.

Usage: python3 tools/results_table.py experiments/results [--reference baseline] [--against DIR]
Prints the per-framework table, the paired (by seed) differences to the reference framework
with their 95 % confidence intervals (t distribution), and every run. --against DIR (e.g. the
upstream oracle's runs, tools/upstream/) adds, per framework present in both, the difference of
means ours − DIR's with its 95 % Welch interval (unpaired: the two sides draw other batches). Reads <run>/val/results_single.json (the test-set scores of the snapshot chosen on tune),
<run>/tune/results_best.json (which snapshot was chosen) and <run>/time.txt (wall, user, system
seconds of training) for every run folder named <framework>_s<seed>. Standard library only.
"""
import json
import math
import os
import re
import statistics
import sys

ORDER = ["source_only", "baseline", "mdis", "mtkt"]
LABELS = {"source_only": "source-only", "baseline": "Baseline", "mdis": "MDis", "mtkt": "MTKT"}


def load_runs(root):
    runs = {}
    for name in sorted(os.listdir(root)):
        match = re.fullmatch(r"(.+)_s(\d+)", name)
        val_path = os.path.join(root, name, "val", "results_single.json")
        if not match or not os.path.exists(val_path):
            continue
        framework, seed = match.group(1), int(match.group(2))
        val = json.load(open(val_path))
        tune = json.load(open(os.path.join(root, name, "tune", "results_best.json")))
        wall, user, system = (float(x) for x in open(os.path.join(root, name, "time.txt")).read().split())
        targets = val["evaluated"][0]["targets"]
        chosen = tune["best_average"]["checkpoint"]
        runs.setdefault(framework, []).append({
            "seed": seed,
            "targets": [t["target"] for t in targets],
            "miou": [t["miou"] for t in targets],
            "tune_average": tune["best_average"]["average_miou"],
            "iteration": int(re.search(r"model_(\d+)", chosen).group(1)),
            "val_all": snapshot_scores(os.path.join(root, name, "val_all", "results_best.json")),
            "losses": os.path.join(root, name, "losses.jsonl"),
            "wall": wall,
            "cpu": user + system,
        })
    return runs


def snapshot_scores(path):
    """{iteration: mIoU averaged over the targets} for every snapshot a best-mode result scored
    (tune/ or scripts/experiments' step 4, val_all/), or None where the file is absent."""
    if not os.path.exists(path):
        return None
    return {int(re.search(r"model_(\d+)", e["checkpoint"]).group(1)):
            statistics.mean(t["miou"] for t in e["targets"]) for e in json.load(open(path))["evaluated"]}


def paired_interval(differences):
    """Mean of paired differences and the half-width of its 95 % confidence interval."""
    mean = statistics.mean(differences)
    if len(differences) < 2:
        return mean, float("nan")
    return mean, t_quantile_975(len(differences) - 1) * statistics.stdev(differences) / len(differences) ** 0.5


def paired_table(runs, frameworks, targets, reference):
    """Each framework minus the reference, paired by seed, per target and on the target average."""
    base = {r["seed"]: r for r in runs[reference]}
    print(f"Paired differences to {LABELS.get(reference, reference)} (same seed), mean [95 % CI]:")
    print()
    print("| framework | pairs | " + " | ".join(targets) + " | average | sd of the average's differences |")
    print("| --- | --- |" + " --- |" * len(targets) + " --- | --- |")
    for framework in frameworks:
        if framework == reference:
            continue
        pairs = [(r, base[r["seed"]]) for r in runs[framework] if r["seed"] in base]
        if not pairs:
            continue
        cells = []
        for t in range(len(targets)):
            mean, half = paired_interval([a["miou"][t] - b["miou"][t] for a, b in pairs])
            cells.append(f"{mean:+.2f} [{mean - half:+.2f}, {mean + half:+.2f}]")
        averages = [statistics.mean(a["miou"]) - statistics.mean(b["miou"]) for a, b in pairs]
        mean, half = paired_interval(averages)
        sd = statistics.stdev(averages) if len(averages) > 1 else float("nan")
        print(f"| {LABELS.get(framework, framework)} | {len(pairs)} | " + " | ".join(cells)
              + f" | **{mean:+.2f} [{mean - half:+.2f}, {mean + half:+.2f}]** (±{half:.2f}) | {sd:.2f} |")
    print()


def t_cdf(t, df):
    """Student's t distribution function, through the regularized incomplete beta function."""
    x = df / (df + t * t)
    tail = 0.5 * incomplete_beta(df / 2, 0.5, x)
    return 1 - tail if t > 0 else tail


def incomplete_beta(a, b, x):
    """I_x(a, b) by its continued fraction (Numerical Recipes' betacf, modified Lentz)."""
    if x <= 0 or x >= 1:
        return 0.0 if x <= 0 else 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(1 - x))
    if x > (a + 1) / (a + b + 2):
        return 1 - incomplete_beta(b, a, 1 - x)
    tiny, c, d = 1e-300, 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1) < 1e-12:
            break
    return front * h / a


def t_quantile_975(df):
    """t(0.975, df) for a real df (Welch's), by bisection on t_cdf."""
    low, high = 0.0, 100.0
    for _ in range(100):
        middle = (low + high) / 2
        low, high = (middle, high) if t_cdf(middle, df) < 0.975 else (low, middle)
    return (low + high) / 2


def welch_interval(ours, theirs):
    """Difference of means ours − theirs and the half-width of its 95 % Welch interval, and df."""
    va, vb = statistics.variance(ours) / len(ours), statistics.variance(theirs) / len(theirs)
    df = (va + vb) ** 2 / (va ** 2 / (len(ours) - 1) + vb ** 2 / (len(theirs) - 1))
    return statistics.mean(ours) - statistics.mean(theirs), t_quantile_975(df) * math.sqrt(va + vb), df


def welch_table(runs, other, other_root, frameworks, targets):
    print(f"Ours − {other_root} (difference of means over seeds, 95 % Welch interval):")
    print()
    print("| framework | seeds (ours, theirs) | " + " | ".join(targets) + " | average | Welch df |")
    print("| --- | --- |" + " --- |" * len(targets) + " --- | --- |")
    for framework in frameworks:
        if framework not in other or len(runs[framework]) < 2 or len(other[framework]) < 2:
            continue
        ours, theirs = runs[framework], other[framework]
        cells = []
        for t in range(len(targets)):
            mean, half, _ = welch_interval([r["miou"][t] for r in ours], [r["miou"][t] for r in theirs])
            cells.append(f"{mean:+.2f} [{mean - half:+.2f}, {mean + half:+.2f}]")
        mean, half, df = welch_interval([statistics.mean(r["miou"]) for r in ours],
                                        [statistics.mean(r["miou"]) for r in theirs])
        print(f"| {LABELS.get(framework, framework)} | {len(ours)}, {len(theirs)} | " + " | ".join(cells)
              + f" | **{mean:+.2f} [{mean - half:+.2f}, {mean + half:+.2f}]** (±{half:.2f}) | {df:.1f} |")
    print()
    # The same at every snapshot, where both sides scored all of them on val (no selection involved).
    rows = []
    for framework in frameworks:
        if framework not in other or not all(r["val_all"] for r in runs[framework] + other[framework]):
            continue
        iterations = sorted(set.intersection(*(set(r["val_all"]) for r in runs[framework] + other[framework])))
        cells = []
        for iteration in iterations:
            mean, half, _ = welch_interval([r["val_all"][iteration] for r in runs[framework]],
                                           [r["val_all"][iteration] for r in other[framework]])
            cells.append(f"{mean:+.2f} ±{half:.2f}")
        rows.append((framework, iterations, cells))
    loss_windows(runs, other, frameworks)
    if rows:
        print("At every snapshot (mean val mIoU over the targets, ours − theirs ± 95 % Welch half-width):")
        print()
        columns = rows[0][1]
        print("| framework | " + " | ".join(str(i) for i in columns) + " |")
        print("| --- |" + " --- |" * len(columns))
        for framework, iterations, cells in rows:
            by_iteration = dict(zip(iterations, cells))
            print(f"| {LABELS.get(framework, framework)} | " + " | ".join(by_iteration.get(i, "–") for i in columns) + " |")
        print()


WINDOWS = [(0, 100), (100, 300), (300, None)]


def loss_windows(runs, other, frameworks):
    """Each logged loss both sides share, averaged over iteration windows and then over seeds:
    whether the two implementations train alike, apart from any snapshot choice."""
    print("Logged losses, mean over iterations " + ", ".join(f"{a}–{b - 1 if b else 'end'}" for a, b in WINDOWS)
          + " and then over seeds (ours / theirs):")
    print()
    print("| framework | loss | " + " | ".join(f"{a}–{b - 1 if b else 'end'}" for a, b in WINDOWS) + " |")
    print("| --- | --- |" + " --- |" * len(WINDOWS))
    for framework in frameworks:
        if framework not in other:
            continue
        sides = [[[json.loads(line) for line in open(r["losses"])] for r in group]
                 for group in (runs[framework], other[framework])]
        keys = [k for k in sides[0][0][0] if k not in ("iter", "seconds") and all(k in s[0][0] for s in sides)]
        for key in keys:
            cells = []
            for a, b in WINDOWS:
                values = [statistics.mean(statistics.mean(row[key] for row in run[a:b]) for run in side) for side in sides]
                cells.append(f"{values[0]:.3f} / {values[1]:.3f}")
            print(f"| {LABELS.get(framework, framework)} | {key} | " + " | ".join(cells) + " |")
    print()


def mean_std(values):
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}"


def main():
    arguments = sys.argv[1:]
    reference = "baseline"
    if "--reference" in arguments:
        index = arguments.index("--reference")
        reference = arguments[index + 1]
        del arguments[index:index + 2]
    against = None
    if "--against" in arguments:
        index = arguments.index("--against")
        against = arguments[index + 1]
        del arguments[index:index + 2]
    root = arguments[0] if arguments else "experiments/results"
    runs = load_runs(root)
    if not runs:
        sys.exit(f"results_table: no finished runs under {root}")
    frameworks = [f for f in ORDER if f in runs] + sorted(set(runs) - set(ORDER))
    targets = next(iter(runs.values()))[0]["targets"]
    print("| framework | seeds | " + " | ".join(targets) + " | average | tune average | chosen iterations "
          "| train wall s | train CPU s |")
    print("| --- | --- |" + " --- |" * len(targets) + " --- | --- | --- | --- | --- |")
    for framework in frameworks:
        group = sorted(runs[framework], key=lambda r: r["seed"])
        columns = [mean_std([r["miou"][t] for r in group]) for t in range(len(targets))]
        average = mean_std([statistics.mean(r["miou"]) for r in group])
        tune = mean_std([r["tune_average"] for r in group])
        iterations = ", ".join(str(r["iteration"]) for r in group)
        wall = statistics.mean(r["wall"] for r in group)
        cpu = statistics.mean(r["cpu"] for r in group)
        print(f"| {LABELS.get(framework, framework)} | {len(group)} | " + " | ".join(columns)
              + f" | **{average}** | {tune} | {iterations} | {wall:.0f} | {cpu:.0f} |")
    print()
    if reference in runs and len(frameworks) > 1:
        paired_table(runs, frameworks, targets, reference)
    if against:
        welch_table(runs, load_runs(against), against, frameworks, targets)
    print("| run | " + " | ".join(targets) + " | average | chosen iteration |")
    print("| --- |" + " --- |" * len(targets) + " --- | --- |")
    for framework in frameworks:
        for r in sorted(runs[framework], key=lambda r: r["seed"]):
            print(f"| {LABELS.get(framework, framework)} seed {r['seed']} | "
                  + " | ".join(f"{m:.2f}" for m in r["miou"])
                  + f" | {statistics.mean(r['miou']):.2f} | {r['iteration']} |")


if __name__ == "__main__":
    main()
