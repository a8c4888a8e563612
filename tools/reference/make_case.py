#!/usr/bin/env python3
"""Write one reference fixture case (NAME.safetensors + NAME.json) in the format of
fixtures/README.md, computed with PyTorch on CPU.

Every expected tensor is computed in float64 from the stored float32 inputs, then rounded to
float32. The same computation is also run in float32; per expected tensor the sidecar's
`observed_f32_noise` gives max_abs (largest |float32 - float64|), max_abs_ref (largest |float64
value|), rel_to_max (max_abs / max_abs_ref) and
recommended_abs_tol = max(20 * max_abs, 1e-6 * max(1, max_abs_ref)).

Run by hand in a virtual environment outside the repository, never in CI:

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install torch numpy safetensors
    /tmp/venv/bin/python tools/reference/make_case.py conv2d --name op_conv_5x5s3 \
        --batch 2 --in-channels 4 --out-channels 3 --height 13 --width 17 \
        --kernel 5 --stride 3 --padding 2 --dilation 1 --bias --out-dir /tmp/cases
    mtaf-mpi verify /tmp/cases/op_conv_5x5s3.safetensors
"""

import argparse
import json
import os
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import save_file


def noise_entry(f32: torch.Tensor, f64: torch.Tensor) -> dict:
    """The sidecar's observed_f32_noise entry for one expected tensor."""
    max_abs = float((f32.double() - f64).abs().max()) if f64.numel() else 0.0
    max_abs_ref = float(f64.abs().max()) if f64.numel() else 0.0
    return {
        "max_abs": max_abs,
        "max_abs_ref": max_abs_ref,
        "recommended_abs_tol": max(20.0 * max_abs, 1e-6 * max(1.0, max_abs_ref)),
        "rel_to_max": max_abs / max_abs_ref if max_abs_ref > 0 else 0.0,
    }


def run_both(compute, inputs: dict) -> tuple:
    """Runs `compute(inputs) -> {expected name: tensor}` in float32 and float64.

    `inputs` holds float32 tensors; the float64 run uses the same values widened, so the two
    runs differ only by arithmetic precision. Returns (expected float32 tensors rounded from the
    float64 run, observed_f32_noise dict).
    """
    out32 = compute({k: v.clone() for k, v in inputs.items()})
    out64 = compute({k: v.double() for k, v in inputs.items()})
    expected, noise = {}, {}
    for key in sorted(out64):
        r64 = out64[key].detach()
        r32 = out32[key].detach()
        expected[key] = r64.float().contiguous()
        noise[key] = noise_entry(r32, r64)
    return expected, noise


def conv2d_case(args, gen) -> tuple:
    """conv2d forward and every gradient (upstream nn.Conv2d / F.conv2d)."""
    n, c, h, w = args.batch, args.in_channels, args.height, args.width
    k, o = args.kernel, args.out_channels
    fan_in = c * k * k
    inputs = {
        "input": torch.randn(n, c, h, w, generator=gen),
        "weight": torch.randn(o, c, k, k, generator=gen) / fan_in ** 0.5,
    }
    if args.bias:
        inputs["bias"] = torch.randn(o, generator=gen) * 0.1
    out_shape = F.conv2d(inputs["input"], inputs["weight"], stride=args.stride,
                         padding=args.padding, dilation=args.dilation).shape
    if min(out_shape) <= 0:
        sys.exit(f"make_case: empty output {tuple(out_shape)}; check kernel/stride/padding/dilation")
    inputs["grad_out"] = torch.randn(*out_shape, generator=gen)

    def compute(t):
        x = t["input"].requires_grad_(True)
        weight = t["weight"].requires_grad_(True)
        bias = t["bias"].requires_grad_(True) if "bias" in t else None
        y = F.conv2d(x, weight, bias, stride=args.stride, padding=args.padding, dilation=args.dilation)
        y.backward(t["grad_out"])
        out = {"expected.output": y, "expected.grad_input": x.grad, "expected.grad_weight": weight.grad}
        if bias is not None:
            out["expected.grad_bias"] = bias.grad
        return out

    sidecar = {
        "op": "conv2d", "in_channels": c, "out_channels": o, "kernel": k, "stride": args.stride,
        "padding": args.padding, "dilation": args.dilation, "bias": bool(args.bias),
    }
    return inputs, compute, sidecar


def elementwise_case(op: str, args, gen) -> tuple:
    """relu, leaky_relu (negative_slope in the sidecar) or softmax over channels: forward and
    data gradient."""
    shape = (args.batch, args.in_channels, args.height, args.width)
    inputs = {"input": torch.randn(*shape, generator=gen), "grad_out": torch.randn(*shape, generator=gen)}
    sidecar = {"op": op}
    if op == "leaky_relu":
        sidecar["negative_slope"] = args.negative_slope

    def compute(t):
        x = t["input"].requires_grad_(True)
        if op == "relu":
            y = F.relu(x)
        elif op == "leaky_relu":
            y = F.leaky_relu(x, args.negative_slope)
        else:
            y = F.softmax(x, dim=1)
        y.backward(t["grad_out"])
        return {"expected.output": y, "expected.grad_input": x.grad}

    return inputs, compute, sidecar


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("op", choices=["conv2d", "relu", "leaky_relu", "softmax_channels"],
                        help="The operation (the sidecar's 'op').")
    parser.add_argument("--name", required=True, help="The case name (file stem).")
    parser.add_argument("--out-dir", default=".", help="The folder to write NAME.safetensors and NAME.json into.")
    parser.add_argument("--seed", type=int, default=0, help="The torch.Generator seed of the inputs.")
    parser.add_argument("--batch", type=int, default=2, help="N.")
    parser.add_argument("--in-channels", type=int, default=3, help="C (input channels).")
    parser.add_argument("--height", type=int, default=9, help="H.")
    parser.add_argument("--width", type=int, default=11, help="W.")
    parser.add_argument("--out-channels", type=int, default=4, help="conv2d: output channels.")
    parser.add_argument("--kernel", type=int, default=3, help="conv2d: square kernel size.")
    parser.add_argument("--stride", type=int, default=1, help="conv2d: stride.")
    parser.add_argument("--padding", type=int, default=0, help="conv2d: zero padding on each side.")
    parser.add_argument("--dilation", type=int, default=1, help="conv2d: dilation.")
    parser.add_argument("--bias", action="store_true", help="conv2d: with a bias (adds expected.grad_bias).")
    parser.add_argument("--negative-slope", type=float, default=0.2, help="leaky_relu: the negative slope.")
    args = parser.parse_args()

    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(args.seed)
    if args.op == "conv2d":
        inputs, compute, sidecar = conv2d_case(args, gen)
    else:
        inputs, compute, sidecar = elementwise_case(args.op, args, gen)

    expected, noise = run_both(compute, inputs)
    tensors = {k: v.float().contiguous() for k, v in inputs.items()}
    tensors.update(expected)
    sidecar["observed_f32_noise"] = noise

    os.makedirs(args.out_dir, exist_ok=True)
    base = os.path.join(args.out_dir, args.name)
    save_file(tensors, base + ".safetensors")
    with open(base + ".json", "w") as f:
        json.dump(sidecar, f, indent=1, sort_keys=True)
    for key in sorted(noise):
        print(f"{key}: shape {tuple(expected[key].shape)}, tol {noise[key]['recommended_abs_tol']:.3g}")
    print(f"wrote {base}.safetensors and {base}.json")


if __name__ == "__main__":
    main()
