"""Training curves of the runs scripts/experiments writes, as one PNG (docs/results_curves.png).

Usage: python tools/plot_curves.py experiments/results docs/results_curves.png
Needs matplotlib (install it outside the repository, e.g. in the PyTorch virtual environment).
Panels, each the mean over seeds per framework: the source segmentation loss (main level,
moving average over 25 iterations), the generator's adversarial loss on the targets (main
level; MTKT's are the sums over its teacher heads), the average mIoU over the targets' tune split at every snapshot,
and, where every run has val_all/results_best.json (scripts/experiments' step 4), the same on val.
"""
import json
import os
import re
import sys

import matplotlib

from results_table import snapshot_scores  # tools/ is the script's folder, first on sys.path

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ORDER = ["source_only", "baseline", "mdis", "mtkt"]
LABELS = {"source_only": "source-only", "baseline": "Baseline", "mdis": "MDis", "mtkt": "MTKT"}
COLORS = {"source_only": "tab:gray", "baseline": "tab:blue", "mdis": "tab:orange", "mtkt": "tab:green"}


def moving_average(values, window=25):
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def mean(rows):
    length = min(len(r) for r in rows)
    return [sum(r[i] for r in rows) / len(rows) for i in range(length)]


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "experiments/results"
    output = sys.argv[2] if len(sys.argv) > 2 else "docs/results_curves.png"
    runs = {}
    for name in sorted(os.listdir(root)):
        match = re.fullmatch(r"(.+)_s(\d+)", name)
        if not match or not os.path.exists(os.path.join(root, name, "tune", "results_best.json")):
            continue
        losses = [json.loads(line) for line in open(os.path.join(root, name, "losses.jsonl"))]
        tune = snapshot_scores(os.path.join(root, name, "tune", "results_best.json"))
        val = snapshot_scores(os.path.join(root, name, "val_all", "results_best.json"))
        runs.setdefault(match.group(1), []).append({
            "losses": losses, "tune": sorted(tune.items()), "val": sorted(val.items()) if val else None})
    frameworks = [f for f in ORDER if f in runs]
    with_val = all(r["val"] for group in runs.values() for r in group)
    figure, axes = plt.subplots(1, 4 if with_val else 3, figsize=(20 if with_val else 15, 4.2))
    for framework in frameworks:
        group = runs[framework]
        label = f"{LABELS[framework]} ({len(group)} seeds)"
        seg = mean([moving_average([row["loss_seg_src_main"] for row in r["losses"]]) for r in group])
        color = COLORS[framework]
        axes[0].plot(range(len(seg)), seg, label=label, color=color)
        if all("loss_adv_trg_main" in r["losses"][0] for r in group):
            adv = mean([moving_average([row["loss_adv_trg_main"] for row in r["losses"]]) for r in group])
            axes[1].plot(range(len(adv)), adv, label=label, color=color)
        for axis, split in zip(axes[2:], ("tune", "val")):
            iterations = [i for i, _ in group[0][split]]
            values = mean([[v for _, v in r[split]] for r in group])
            axis.plot(iterations[:len(values)], values, marker="o", label=label, color=color)
    axes[0].set(title="source segmentation loss (main, moving average 25)", xlabel="iteration", yscale="log")
    axes[1].set(title="generator adversarial loss on targets (main)", xlabel="iteration")
    axes[2].set(title="average mIoU on the tune split (%)", xlabel="snapshot iteration")
    if with_val:
        axes[3].set(title="average mIoU on val, every snapshot (%)", xlabel="snapshot iteration")
    for axis in axes:
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(output, dpi=110)
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
