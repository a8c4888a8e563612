"""bf16 against FP32 training on the embedded benchmark, paired by seed (docs/precision.md).

Usage: python tools/precision_study.py FP32_ROOT BF16_ROOT FRAMEWORK [PLOT.png]
Reads <root>/<framework>_s<seed>/val/results_single.json (the val scores of the snapshot chosen on
tune, as scripts/experiments writes them) for the seeds present in both roots, and prints per
seed the mean target mIoU of each precision, their difference (bf16 − FP32), and the mean
difference with its 95 % confidence interval (Student's t, n − 1 degrees of freedom). With
PLOT.png (needs matplotlib) it also draws both precisions' source segmentation loss (main level,
moving average over 25 iterations, mean over seeds) and the tune mIoU at every snapshot.
"""
import json
import math
import os
import re
import statistics
import sys

# Two-sided 95 % quantiles of Student's t for 1…10 degrees of freedom.
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228}


def scores(root, framework):
    out = {}
    for name in os.listdir(root):
        match = re.fullmatch(re.escape(framework) + r"_s(\d+)", name)
        path = os.path.join(root, name, "val", "results_single.json")
        if match and os.path.exists(path):
            targets = json.load(open(path))["evaluated"][0]["targets"]
            out[int(match.group(1))] = statistics.mean(t["miou"] for t in targets)
    return out


def curves(root, framework, seeds):
    losses, tune = [], []
    for seed in seeds:
        run = os.path.join(root, f"{framework}_s{seed}")
        rows = [json.loads(line) for line in open(os.path.join(run, "losses.jsonl"))]
        losses.append([r["loss_seg_src_main"] for r in rows])
        best = json.load(open(os.path.join(run, "tune", "results_best.json")))
        tune.append([(int(re.search(r"model_(\d+)", e["checkpoint"]).group(1)), e["average_miou"])
                     for e in best["evaluated"]])
    return losses, tune


def main():
    fp32_root, bf16_root, framework = sys.argv[1:4]
    fp32, bf16 = scores(fp32_root, framework), scores(bf16_root, framework)
    seeds = sorted(set(fp32) & set(bf16))
    if len(seeds) < 2:
        sys.exit(f"precision_study: {len(seeds)} seed(s) in both roots; need at least 2")
    print(f"{framework}, val, mean target mIoU (%), paired by seed")
    print("| seed | FP32 | bf16 | bf16 − FP32 |")
    print("| --- | --- | --- | --- |")
    differences = []
    for seed in seeds:
        differences.append(bf16[seed] - fp32[seed])
        print(f"| {seed} | {fp32[seed]:.2f} | {bf16[seed]:.2f} | {differences[-1]:+.2f} |")
    n = len(differences)
    mean = statistics.mean(differences)
    sd = statistics.stdev(differences)
    half = T95[n - 1] * sd / math.sqrt(n)
    print(f"| mean ± sd | {statistics.mean(fp32[s] for s in seeds):.2f} ± {statistics.stdev(fp32[s] for s in seeds):.2f} "
          f"| {statistics.mean(bf16[s] for s in seeds):.2f} ± {statistics.stdev(bf16[s] for s in seeds):.2f} "
          f"| {mean:+.2f} ± {sd:.2f} |")
    print(f"\nmean difference {mean:+.2f} points, 95 % CI [{mean - half:+.2f}, {mean + half:+.2f}] "
          f"(t({n - 1}) = {T95[n - 1]}); within ±1.5 points: {'yes' if -1.5 <= mean - half and mean + half <= 1.5 else 'no'}")
    if len(sys.argv) > 4:
        import matplotlib.pyplot as plt
        from plot_curves import moving_average  # sets matplotlib's Agg backend
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
        for label, root, color in (("FP32", fp32_root, "tab:blue"), ("bf16", bf16_root, "tab:red")):
            losses, tune = curves(root, framework, seeds)
            length = min(len(r) for r in losses)
            mean_loss = [statistics.mean(r[i] for r in losses) for i in range(length)]
            left.plot(moving_average(mean_loss), label=label, color=color)
            if all(tune):
                points = sorted({i for run in tune for i, _ in run})
                right.plot(points, [statistics.mean(dict(run).get(i, float("nan")) for run in tune) for i in points],
                           marker="o", label=label, color=color)
        left.set_title(f"{framework}: source segmentation loss (main, moving average 25)")
        left.set_xlabel("iteration")
        right.set_title("tune mIoU (mean over targets and seeds)")
        right.set_xlabel("iteration")
        for axis in (left, right):
            axis.legend()
        fig.tight_layout()
        fig.savefig(sys.argv[4], dpi=100)
        print(f"plot: {sys.argv[4]}")


if __name__ == "__main__":
    main()
