"""The tables of docs/results.md from the run folders scripts/experiments writes.

Usage: python3 tools/results_table.py experiments/results [--reference baseline]
Prints the per-framework table, the paired (by seed) differences to the reference framework
with their 95 % confidence intervals (t distribution), and every run. Reads <run>/val/results_single.json (the test-set scores of the snapshot chosen on tune),
<run>/tune/results_best.json (which snapshot was chosen) and <run>/time.txt (wall, user, system
seconds of training) for every run folder named <framework>_s<seed>. Standard library only.
"""
import json
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
            "wall": wall,
            "cpu": user + system,
        })
    return runs


# Two-sided 95 % quantiles of Student's t, t(0.975, df), for df = 1…30.
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042]


def paired_interval(differences):
    """Mean of paired differences and the half-width of its 95 % confidence interval."""
    mean = statistics.mean(differences)
    if len(differences) < 2:
        return mean, float("nan")
    df = len(differences) - 1
    t = T975[df - 1] if df <= len(T975) else 1.96
    return mean, t * statistics.stdev(differences) / len(differences) ** 0.5


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
    print("| run | " + " | ".join(targets) + " | average | chosen iteration |")
    print("| --- |" + " --- |" * len(targets) + " --- | --- |")
    for framework in frameworks:
        for r in sorted(runs[framework], key=lambda r: r["seed"]):
            print(f"| {LABELS.get(framework, framework)} seed {r['seed']} | "
                  + " | ".join(f"{m:.2f}" for m in r["miou"])
                  + f" | {statistics.mean(r['miou']):.2f} | {r['iteration']} |")


if __name__ == "__main__":
    main()
