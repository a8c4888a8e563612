#!/usr/bin/env python3
"""Checks that the patched upstream model has exactly our state-dict keys, shapes and dtypes.

    python tools/upstream/check_keys.py --src UPSTREAM_TREE --width 8 --blocks 1 1 1 1 --classes 7 \
        --ours /tmp/ours/baseline_s1/model_20.safetensors [--mtkt-heads 4] \
        [--discriminator /tmp/ours/baseline_s1/model_20_D_main.safetensors --ndf 16]

Builds upstream's get_deeplab_v2 (or get_deeplab_v2_mtkt with --mtkt-heads = 1 + T) from the
patched tree at the given size and compares its state_dict with one of our snapshots (written by
`mtaf-mpi train`); with --discriminator, upstream's get_fc_discriminator(classes, ndf) with one of
our discriminator snapshots. Exit 0 when every key, shape and dtype agrees, 1 otherwise.
"""
import argparse
import sys

import torch
from safetensors.torch import load_file


def compare(label, upstream, ours):
    problems = []
    for key in upstream:
        if key not in ours:
            problems.append(f"missing in ours: {key} {tuple(upstream[key].shape)}")
        elif tuple(upstream[key].shape) != tuple(ours[key].shape) or upstream[key].dtype != ours[key].dtype:
            problems.append(f"differs: {key} upstream {tuple(upstream[key].shape)} {upstream[key].dtype}, "
                            f"ours {tuple(ours[key].shape)} {ours[key].dtype}")
    problems += [f"only in ours: {key}" for key in ours if key not in upstream]
    same_order = list(upstream) == list(ours)
    print(f"{label}: upstream {len(upstream)} tensors, ours {len(ours)}; "
          f"{'identical keys, shapes and dtypes' if not problems else f'{len(problems)} differences'}"
          f"{'' if same_order else ' (in another order: safetensors stores keys sorted)'}")
    for line in problems[:40]:
        print("  " + line)
    return not problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--src", required=True)
    parser.add_argument("--width", type=int, default=8)
    parser.add_argument("--blocks", type=int, nargs=4, default=[1, 1, 1, 1])
    parser.add_argument("--classes", type=int, default=7)
    parser.add_argument("--single-level", action="store_true")
    parser.add_argument("--mtkt-heads", type=int, default=0, help="1 + T for DeepLabv2MTKT")
    parser.add_argument("--ours", required=True)
    parser.add_argument("--discriminator", default="")
    parser.add_argument("--ndf", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(1)
    sys.path.insert(0, args.src)
    from mtaf.model.deeplabv2 import get_deeplab_v2, get_deeplab_v2_mtkt
    from mtaf.model.discriminator import get_fc_discriminator

    if args.mtkt_heads:
        model = get_deeplab_v2_mtkt(num_classes=args.classes, multi_level=not args.single_level,
                                    num_classifiers=args.mtkt_heads, width=args.width, blocks=args.blocks)
    else:
        model = get_deeplab_v2(num_classes=args.classes, multi_level=not args.single_level,
                               width=args.width, blocks=args.blocks)
    ok = compare(f"segmenter vs {args.ours}", model.state_dict(), load_file(args.ours))
    if args.discriminator:
        d = get_fc_discriminator(num_classes=args.classes, ndf=args.ndf)
        ok = compare(f"discriminator vs {args.discriminator}", d.state_dict(), load_file(args.discriminator)) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
