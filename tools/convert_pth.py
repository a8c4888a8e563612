#!/usr/bin/env python3
"""Convert PyTorch state dicts between .pth and safetensors (spec §2.8, §2.10).

    python tools/convert_pth.py IN.safetensors OUT.pth      # safetensors -> .pth
    python tools/convert_pth.py IN.pth OUT.safetensors      # .pth -> safetensors

mtaf-mpi reads .pth files itself (and `mtaf-mpi convert` writes safetensors without PyTorch);
this script is kept for the other direction, a .pth of our checkpoints for upstream's PyTorch
code, and as a cross-check. The direction follows the file extensions. Keys are copied as they are (a leading "module." or
"Scale." prefix is kept: mtaf-swift's loader applies upstream's ImageNet rule itself).
Floating tensors are written as float32, integer tensors (num_batches_tracked) as int64;
0-dim tensors stay 0-dim. A .pth holding {"state_dict": {...}} (or "model") is unwrapped;
anything else that is not a flat dict of tensors is refused. Needs torch and safetensors;
a developer tool, run by hand (see tools/README.md), never in CI.
"""
import argparse
import collections
import sys

import torch
from safetensors.torch import load_file, save_file


def load_state_dict(path):
    if path.endswith(".safetensors"):
        return collections.OrderedDict(load_file(path))
    obj = torch.load(path, map_location="cpu", weights_only=False)
    for wrapper in ("state_dict", "model"):
        if isinstance(obj, dict) and wrapper in obj and isinstance(obj[wrapper], dict):
            print(f"{path}: using the '{wrapper}' entry", file=sys.stderr)
            obj = obj[wrapper]
            break
    if not isinstance(obj, dict):
        sys.exit(f"{path}: not a state dict (a {type(obj).__name__})")
    bad = [k for k, v in obj.items() if not isinstance(v, torch.Tensor)]
    if bad:
        sys.exit(f"{path}: entries that are not tensors: {', '.join(map(str, bad[:10]))}")
    return collections.OrderedDict(obj)


def normalized(state):
    out = collections.OrderedDict()
    for key, value in state.items():
        value = value.detach().cpu()
        if value.is_floating_point():
            value = value.to(torch.float32)
        elif value.dtype == torch.bool or value.is_complex():
            sys.exit(f"tensor '{key}' has unsupported dtype {value.dtype}")
        else:
            value = value.to(torch.int64)
        out[key] = value.contiguous().clone()
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", help=".pth or .safetensors file to read")
    parser.add_argument("destination", help=".safetensors or .pth file to write")
    args = parser.parse_args()
    state = normalized(load_state_dict(args.source))
    if args.destination.endswith(".safetensors"):
        save_file(state, args.destination, metadata={"converted_from": args.source.split("/")[-1]})
    elif args.destination.endswith(".pth") or args.destination.endswith(".pt"):
        torch.save(state, args.destination)
    else:
        sys.exit(f"{args.destination}: the extension must be .safetensors or .pth")
    floats = sum(1 for v in state.values() if v.is_floating_point())
    print(f"{args.source} -> {args.destination}: {len(state)} tensors "
          f"({floats} float32, {len(state) - floats} int64)")


if __name__ == "__main__":
    main()
