"""The tables of docs/results.md from the run folders scripts/experiments writes.

Usage: python3 tools/results_table.py experiments/results
Reads <run>/val/results_single.json (the test-set scores of the snapshot chosen on tune),
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


def mean_std(values):
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}"


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "experiments/results"
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
    print("| run | " + " | ".join(targets) + " | average | chosen iteration |")
    print("| --- |" + " --- |" * len(targets) + " --- | --- |")
    for framework in frameworks:
        for r in sorted(runs[framework], key=lambda r: r["seed"]):
            print(f"| {LABELS.get(framework, framework)} seed {r['seed']} | "
                  + " | ".join(f"{m:.2f}" for m in r["miou"])
                  + f" | {statistics.mean(r['miou']):.2f} | {r['iteration']} |")


if __name__ == "__main__":
    main()
