#!/usr/bin/env python3
"""The oracle: valeoai/MTAF's own training code on our synthetic benchmark, scored by our `test`.

Run from the repository root with the PyTorch virtual environment (tools/upstream/README.md):

    /tmp/venv/bin/python tools/upstream/run_oracle.py                       # baseline mdis mtkt x seeds 1 2 3, 401 iterations
    /tmp/venv/bin/python tools/upstream/run_oracle.py --frameworks mtkt --seeds 1 --iters 21 --save-every 10 \
        --out /tmp/oracle-short
    /tmp/venv/bin/python tools/upstream/run_oracle.py --set TRAIN.LAMBDA_ADV_MAIN=0.01 --out experiments/oracle-adv0.01
    /tmp/venv/bin/python tools/upstream/run_oracle.py --init pretrained/DeepLab_resnet_pretrained_imagenet_w8.safetensors

For every framework F and seed S (run folder OUT/F_sS, as scripts/experiments names them):
  1. the effective mtaf-swift configuration of CFG_PATTERN.format(F) with the same settings
     scripts/experiments uses (EXP_NAME, EXP_ROOT_SNAPSHOT, TRAIN.RANDOM_SEED, TRAIN.EARLY_STOP,
     TEST.SNAPSHOT_MAXITER) plus --set, printed by our own `mtaf-mpi config`;
  2. translated to upstream's YAML (OUT/F_sS/upstream_cfg.yml): every key upstream knows, with the
     same values; paths made absolute; NUM_WORKERS 0; INFO_TARGET per target from upstream's tree;
     keys only we have are checked (SGD_REPEAT) or dropped (DIST, LOG, TEST.AMP, ...);
  3. upstream's train.py (the patched tree WORK/MTAF-<commit>, built from the git mirror with
     tools/upstream/mtaf.patch) on one CPU thread through oracle_train.py, with PyTorch 1.3.1's SGD;
     train.log, time.txt (wall user system seconds) and losses.jsonl (from upstream's `iter =`
     lines: its losses at 3 decimals, the last target's where it prints one, and `seconds`, each
     iteration's wall time) go to the run folder, upstream's model_<i>.pth snapshots too;
  4. our `test` chooses the snapshot with the best average mIoU on the targets' `tune` split
     (best mode, OUT/F_sS/tune) and scores it on `val` in single mode (OUT/F_sS/val), loading
     upstream's .pth strictly;
  5. for the curves only, our `test` scores every snapshot on `val` (best mode, OUT/F_sS/val_all).
A run whose val/results_single.json exists is skipped; an unfinished one starts over. With
--archive DIR each finished run's logs and scores (no snapshots) are copied to DIR/<run>, and a
run archived there counts as done. tools/results_table.py OUT (or DIR) prints the table.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
UPSTREAM_COMMIT = "d1a58fa"  # valeoai/MTAF HEAD the patch is made against
MTAF_MIRROR = "/work/.mirror/valeoai+MTAF/repo"
MTAF_URL = "https://github.com/valeoai/MTAF.git"
FRAMEWORK_NAMES = {"baseline": "Baseline", "mdis": "MDis", "mtkt": "MTKT"}
# Keys of ours (docs/from-mtaf.md §2.2) that upstream does not have and that the oracle drops.
DROPPED_OK = {"DIST", "LOG", "SGD_REPEAT", "TEST.AMP", "TRAIN.LAMBDA_ENT_MAIN", "TRAIN.LAMBDA_ENT_AUX",
              "TRAIN.TENSORBOARD_VIZRATE"}
PATH_KEYS = {"DATA_LIST_SOURCE", "DATA_LIST_TARGET", "DATA_DIRECTORY_SOURCE", "DATA_DIRECTORY_TARGET",
             "EXP_ROOT", "EXP_ROOT_SNAPSHOT", "EXP_ROOT_LOGS", "TRAIN.SNAPSHOT_DIR", "TRAIN.RESTORE_FROM",
             "TEST.SNAPSHOT_DIR", "TEST.RESTORE_FROM"}


def log(message):
    print(message, flush=True)


def run(command, **kwargs):
    return subprocess.run(command, check=True, **kwargs)


# ---------------------------------------------------------------- the upstream tree


def build_upstream(work, repo, commit, patch):
    """git archive of MTAF at `commit` plus mtaf.patch, in WORK/MTAF-<commit>-<patch hash>."""
    digest = hashlib.sha256(open(patch, "rb").read()).hexdigest()[:12]
    tree = os.path.join(work, f"MTAF-{commit}-{digest}")
    if os.path.exists(os.path.join(tree, ".oracle-ready")):
        return tree
    if not os.path.isdir(repo):
        clone = os.path.join(work, "MTAF.git")
        if not os.path.isdir(clone):
            run(["git", "clone", "--bare", "--quiet", MTAF_URL, clone])
        repo = clone
    shutil.rmtree(tree, ignore_errors=True)
    os.makedirs(tree)
    archive = subprocess.run(["git", "-C", repo, "archive", commit], check=True, stdout=subprocess.PIPE).stdout
    run(["tar", "-x", "-C", tree], input=archive)
    run(["patch", "-p1", "--quiet", "-d", tree, "-i", os.path.abspath(patch)])
    open(os.path.join(tree, ".oracle-ready"), "w").write(f"{commit} {digest}\n")
    log(f"upstream tree: {tree} (MTAF {commit} + mtaf.patch {digest})")
    return tree


def upstream_defaults(tree, python):
    """Upstream's default configuration (with the patch's keys), as plain JSON types."""
    code = ("import json,sys,numpy as np; sys.path.insert(0, sys.argv[1]);"
            "from mtaf.domain_adaptation.config import cfg\n"
            "def plain(v):\n"
            "    if isinstance(v, dict): return {k: plain(x) for k, x in v.items()}\n"
            "    if isinstance(v, np.ndarray): return v.tolist()\n"
            "    if isinstance(v, (list, tuple)): return [plain(x) for x in v]\n"
            "    return v\n"
            "print(json.dumps(plain(cfg)))")
    out = subprocess.run([python, "-c", code, tree], check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out)


# ---------------------------------------------------------------- checkpoints


def pth_for(path, work, python):
    """An upstream-readable .pth for an init checkpoint; .safetensors are converted with
    tools/convert_pth.py into WORK/init/ under the same stem (so the file name keeps
    `DeepLab_resnet_pretrained_imagenet` and upstream's ImageNet rule applies as in our loader)."""
    if not path or not path.endswith(".safetensors"):
        return os.path.abspath(path) if path else ""
    out_dir = os.path.join(work, "init")
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, os.path.basename(path)[: -len(".safetensors")] + ".pth")
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(path):
        run([python, os.path.join(REPO, "tools", "convert_pth.py"), path, out])
    return out


# ---------------------------------------------------------------- configuration


def effective_config(binary, config, settings):
    import yaml
    out = subprocess.run([binary, "config", "--cfg", config] + [a for s in settings for a in ("--set", s)],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    return yaml.safe_load(out)


def translate(ours, defaults, tree, init_pth, snapshot_dir):
    """Our effective configuration as upstream's YAML dictionary, with the same values."""
    if ours["TRAIN"]["MT_FRAMEWORK"] not in ("Baseline", "MDis", "MTKT"):
        sys.exit(f"run_oracle: MTAF has no framework {ours['TRAIN']['MT_FRAMEWORK']} (Baseline, MDis, MTKT)")
    if ours["TRAIN"]["AMP"]:
        sys.exit("run_oracle: TRAIN.AMP True needs apex on a GPU; the oracle runs FP32 on the CPU "
                 "(--set TRAIN.AMP=False, and our runs with --precision fp32 and SGD_REPEAT: single to compare)")
    sgd = {"auto": "repeated", "repeated": "repeated", "single": "single"}[ours.get("SGD_REPEAT", "auto")]
    dropped = []
    result = {}

    def walk(src, dst, defaults_level, prefix):
        for key, value in src.items():
            name = prefix + key
            if key not in defaults_level:
                if name not in DROPPED_OK:
                    sys.exit(f"run_oracle: {name} is not a key of upstream's configuration")
                dropped.append(f"{name}={value}")
                continue
            if isinstance(value, dict):
                dst[key] = {}
                walk(value, dst[key], defaults_level[key], name + ".")
                continue
            if name in PATH_KEYS:
                if isinstance(value, list):
                    value = [os.path.abspath(v) if v else v for v in value]
                elif value:
                    value = os.path.abspath(value)
            dst[key] = value

    walk(ours, result, defaults, "")
    targets = ours["TARGETS"]
    info = {"Mapillary": "mtaf/dataset/mapillary_list/info.json",
            "IDD": "mtaf/dataset/idd_list/info7class.json"}
    per_target = [os.path.join(tree, info.get(t, "mtaf/dataset/cityscapes_list/info.json")) for t in targets]
    result["TRAIN"]["INFO_TARGET"] = per_target
    result["TEST"]["INFO_TARGET"] = list(per_target)
    for section in ("TRAIN", "TEST"):  # upstream's float32 default; ours prints it rounded
        mean, default = result[section]["IMG_MEAN"], defaults[section]["IMG_MEAN"]
        if all(abs(a - b) < 1e-4 for a, b in zip(mean, default)):
            del result[section]["IMG_MEAN"]
    result["NUM_WORKERS"] = 0
    result["TRAIN"]["RESTORE_FROM"] = init_pth
    result["TRAIN"]["SNAPSHOT_DIR"] = os.path.abspath(snapshot_dir)
    return result, sgd, dropped


# ---------------------------------------------------------------- one run


def losses_from_log(train_log, losses_path):
    pattern = re.compile(r"^iter = (\d+) (.*)$")
    with open(losses_path, "w") as out:
        for line in open(train_log, errors="replace"):
            match = pattern.match(line.strip())
            if not match:
                continue
            row = {"iter": int(match.group(1))}
            for name, value in re.findall(r"(\w+) = (\S+)", match.group(2)):
                try:
                    row[name] = float(value)
                except ValueError:
                    pass
            out.write(json.dumps(row) + "\n")


def one_run(args, framework, seed, tree, defaults):
    name = f"{framework}_s{seed}"
    folder = os.path.join(args.out, name)
    if os.path.exists(os.path.join(folder, "val", "results_single.json")):
        log(f"== {name}: done already")
        score_all_on_val(args, folder, framework, seed)
        archive(args, folder)
        return
    if args.archive and os.path.exists(os.path.join(args.archive, name, "val", "results_single.json")):
        log(f"== {name}: done already (archived in {args.archive})")
        return
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    config, settings = args.cfg_pattern.format(framework), run_settings(args, name, seed)
    ours = effective_config(args.binary, config, settings)
    if ours["TRAIN"]["MAX_ITERS"] < args.iters:
        sys.exit(f"run_oracle: TRAIN.MAX_ITERS {ours['TRAIN']['MAX_ITERS']} < {args.iters} iterations")
    init = pth_for(ours["TRAIN"]["RESTORE_FROM"], args.work, args.python) if ours["TRAIN"]["RESTORE_FROM"] else ""
    upstream, sgd, dropped = translate(ours, defaults, tree, init, folder)
    import yaml
    cfg_path = os.path.join(folder, "upstream_cfg.yml")
    with open(cfg_path, "w") as f:
        f.write(f"# upstream MTAF config written by tools/upstream/run_oracle.py from {config}\n"
                f"# settings: {' '.join(settings)}\n# dropped (ours only): {', '.join(dropped)}\n")
        yaml.safe_dump(upstream, f, default_flow_style=None, sort_keys=False)
    json.dump({"config": config, "settings": settings, "sgd": sgd, "upstream_tree": tree,
               "restore_from": init}, open(os.path.join(folder, "oracle.json"), "w"), indent=1)

    log(f"== {name}: upstream training ({FRAMEWORK_NAMES.get(framework, framework)}, SGD {sgd})")
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               PYTHONUNBUFFERED="1")
    start, before = time.time(), os.times()
    with open(os.path.join(folder, "train.log"), "w") as out:
        status = subprocess.run([args.python, os.path.join(HERE, "oracle_train.py"), "--src", tree,
                                 "--cfg", cfg_path, "--sgd", sgd], stdout=out, stderr=subprocess.STDOUT,
                                env=env).returncode
    after = os.times()
    wall = time.time() - start
    if status != 0:
        sys.exit(f"run_oracle: upstream training failed (status {status}); see {folder}/train.log")
    with open(os.path.join(folder, "time.txt"), "w") as f:
        f.write(f"{wall:.2f} {after.children_user - before.children_user:.2f} "
                f"{after.children_system - before.children_system:.2f}\n")
    losses_from_log(os.path.join(folder, "train.log"), os.path.join(folder, "losses.jsonl"))
    log(f"   wall, user, system seconds: {open(os.path.join(folder, 'time.txt')).read().strip()}")

    base = our_test(args, config, settings)
    tune = "[" + ", ".join(["tune"] * len(ours["TARGETS"])) + "]"
    with open(os.path.join(folder, "tune.log"), "w") as out:
        run(base + ["--set", "TEST.MODE=best", "--set", f"TEST.SET_TARGET={tune}", "--set", "TEST.WAIT_MODEL=False",
                    "--out", os.path.join(folder, "tune")], stdout=out, stderr=subprocess.STDOUT)
    chosen = json.load(open(os.path.join(folder, "tune", "results_best.json")))["best_average"]["checkpoint"]
    log(f"   chosen on tune: {chosen}")
    with open(os.path.join(folder, "val.log"), "w") as out:
        run(base + ["--set", "TEST.MODE=single", "--set", f"TEST.RESTORE_FROM=[{chosen}]",
                    "--out", os.path.join(folder, "val")], stdout=out, stderr=subprocess.STDOUT)
    for line in open(os.path.join(folder, "val", "results_single.md")):
        if line.startswith("| **mIoU"):
            log("   " + line.strip())
            break
    score_all_on_val(args, folder, framework, seed)
    archive(args, folder)


def run_settings(args, name, seed):
    """Our --set list for one run: the settings scripts/experiments uses, plus --save-every, --init, --set."""
    settings = [f"EXP_NAME={name}", f"EXP_ROOT_SNAPSHOT={args.out}", f"TRAIN.RANDOM_SEED={seed}",
                f"TRAIN.EARLY_STOP={args.iters}", f"TEST.SNAPSHOT_MAXITER={args.iters}"]
    if args.save_every:
        settings += [f"TRAIN.SAVE_PRED_EVERY={args.save_every}", f"TEST.SNAPSHOT_STEP={args.save_every}"]
    if args.init:
        settings.append(f"TRAIN.RESTORE_FROM={args.init}")
    return settings + args.set


def our_test(args, config, settings):
    """Our `mtaf-mpi test` on a run's config and settings; the caller adds the mode and --out."""
    return [args.binary, "test", "--cfg", config] + [a for s in settings for a in ("--set", s)]


def score_all_on_val(args, folder, framework, seed):
    """Every snapshot on val into val_all/, for the curves only (scripts/experiments' step 4); skipped
    when done or when the snapshots are gone."""
    if os.path.exists(os.path.join(folder, "val_all", "results_best.json")):
        return
    if not any(f.startswith("model_") and f.endswith(".pth") for f in os.listdir(folder)):
        return
    command = our_test(args, args.cfg_pattern.format(framework), run_settings(args, os.path.basename(folder), seed))
    with open(os.path.join(folder, "val_all.log"), "w") as out:
        run(command + ["--set", "TEST.MODE=best", "--set", "TEST.WAIT_MODEL=False",
                       "--out", os.path.join(folder, "val_all")], stdout=out, stderr=subprocess.STDOUT)


def archive(args, folder):
    """With --archive, a finished run's logs and scores (no snapshots) in ARCHIVE/<run>, as
    scripts/experiments' ARCHIVE keeps ours: what docs/runs/ commits and results_table.py reads."""
    if not args.archive:
        return
    keep = os.path.join(args.archive, os.path.basename(folder))
    for sub in ("tune", "val"):
        os.makedirs(os.path.join(keep, sub), exist_ok=True)
    for name in ("losses.jsonl", "upstream_cfg.yml", "oracle.json", "time.txt"):
        shutil.copy(os.path.join(folder, name), keep)
    with open(os.path.join(folder, "train.log")) as src, open(os.path.join(keep, "train.log"), "w") as dst:
        dst.writelines(line for line in src if not line.startswith("iter ="))   # losses.jsonl has them
    for sub, stem in (("tune", "results_best"), ("val", "results_single")):
        for ext in ("json", "md"):
            shutil.copy(os.path.join(folder, sub, f"{stem}.{ext}"), os.path.join(keep, sub))
    if os.path.exists(os.path.join(folder, "val_all", "results_best.json")):
        os.makedirs(os.path.join(keep, "val_all"), exist_ok=True)
        shutil.copy(os.path.join(folder, "val_all", "results_best.json"), os.path.join(keep, "val_all"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--frameworks", nargs="+", default=["baseline", "mdis", "mtkt"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--iters", type=int, default=401, help="TRAIN.EARLY_STOP and TEST.SNAPSHOT_MAXITER")
    parser.add_argument("--save-every", type=int, default=0,
                        help="TRAIN.SAVE_PRED_EVERY and TEST.SNAPSHOT_STEP (default: the config's)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY.PATH=VALUE",
                        help="an override, as mtaf-mpi's --set (repeatable)")
    parser.add_argument("--init", default="", help="TRAIN.RESTORE_FROM for both (.safetensors converted to .pth)")
    parser.add_argument("--cfg-pattern", default="configs/synthetic_{}.yml")
    parser.add_argument("--out", default="experiments/oracle")
    parser.add_argument("--archive", default="",
                        help="copy each finished run's logs and scores to ARCHIVE/<run>; an archived run counts as done")
    parser.add_argument("--binary", default=".build/release/mtaf-mpi")
    parser.add_argument("--work", default="/tmp/mtaf-oracle", help="upstream tree and converted checkpoints")
    parser.add_argument("--mtaf-repo", default=MTAF_MIRROR,
                        help=f"a git repository holding MTAF {UPSTREAM_COMMIT} (else cloned from {MTAF_URL})")
    parser.add_argument("--python", default=sys.executable, help="Python with torch, numpy, PyYAML, easydict 1.9, tqdm")
    args = parser.parse_args()
    args.out = os.path.abspath(args.out)
    args.work = os.path.abspath(args.work)
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"run_oracle: no binary {args.binary} (swift build -c release)")
    for framework in args.frameworks:
        if not os.path.exists(args.cfg_pattern.format(framework)):
            sys.exit(f"run_oracle: no config {args.cfg_pattern.format(framework)}")
    os.makedirs(args.work, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    tree = build_upstream(args.work, args.mtaf_repo, UPSTREAM_COMMIT, os.path.join(HERE, "mtaf.patch"))
    defaults = upstream_defaults(tree, args.python)
    for seed in args.seeds:
        for framework in args.frameworks:
            one_run(args, framework, seed, tree, defaults)
    subprocess.run([sys.executable, os.path.join(REPO, "tools", "results_table.py"), args.archive or args.out])


if __name__ == "__main__":
    main()
