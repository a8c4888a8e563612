#!/usr/bin/env python3
"""Runs upstream MTAF's own `mtaf/scripts/train.py` (patched tree) on the CPU, one thread.

    python tools/upstream/oracle_train.py --src UPSTREAM_TREE --cfg upstream_cfg.yml [--sgd repeated]

Called by run_oracle.py; usable by hand. Before upstream's script runs it:
- pins PyTorch to one thread (torch.set_num_threads(1); set OMP_NUM_THREADS=1 too);
- appends each iteration's wall seconds to upstream's `iter = ...` lines (`seconds = S`);
- restores PyTorch 1.3.1's optimizer semantics, the version MTAF's paper used (docs/algorithm.md
  §4.6, §4.8), which current PyTorch changed for upstream's code:
    * SGD: `--sgd repeated` (default) is a port of 1.3.1's SGD.step: the weight decay is added *in
      place* to p.grad, so a parameter listed k times in a group (upstream's
      get_1x_lr_params_no_scale lists backbone weights 1-4 times) gets k updates with the decay
      accumulating, exactly as 1.3.1 ran them. Current PyTorch adds the decay out of place and
      gives each duplicate a fresh momentum buffer at the first step: another update.
      `--sgd single` is the same step with duplicates removed (one update per parameter, what
      apex O2 effectively did, our SGD_REPEAT: single); `--sgd torch` leaves current PyTorch's SGD.
    * Optimizer.zero_grad zeroes gradients in place (set_to_none=False), as 1.3.1 did.
Nothing of upstream's code is changed here; its source changes are tools/upstream/mtaf.patch.
"""
import argparse
import os
import runpy
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import torch  # noqa: E402
from torch.optim.optimizer import Optimizer, required  # noqa: E402


class SGD131(Optimizer):
    """torch.optim.SGD.step of PyTorch 1.3.1 (torch/optim/sgd.py), ported to the current API."""

    def __init__(self, params, lr=required, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            weight_decay = group["weight_decay"]
            momentum = group["momentum"]
            dampening = group["dampening"]
            nesterov = group["nesterov"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                d_p = p.grad
                if weight_decay != 0:
                    d_p.add_(p, alpha=weight_decay)  # in place into p.grad (1.3.1)
                if momentum != 0:
                    param_state = self.state[p]
                    if "momentum_buffer" not in param_state:
                        buf = param_state["momentum_buffer"] = torch.clone(d_p).detach()
                    else:
                        buf = param_state["momentum_buffer"]
                        buf.mul_(momentum).add_(d_p, alpha=1 - dampening)
                    if nesterov:
                        d_p = d_p.add(buf, alpha=momentum)
                    else:
                        d_p = buf
                p.add_(d_p, alpha=-group["lr"])
        return loss


class SGD131Single(SGD131):
    """SGD131 with each parameter kept once per group (first listing), as apex O2 behaved."""

    def add_param_group(self, param_group):
        params = param_group["params"]
        params = [params] if isinstance(params, torch.Tensor) else list(params)
        seen, unique = set(), []
        for p in params:
            if id(p) not in seen:
                seen.add(id(p))
                unique.append(p)
        param_group = dict(param_group, params=unique)
        super().add_param_group(param_group)


def zero_grad_in_place(self, set_to_none=False):
    """1.3.1's Optimizer.zero_grad: every existing gradient detached and zeroed, none dropped."""
    for group in self.param_groups:
        for p in group["params"]:
            if p.grad is not None:
                p.grad.detach_()
                p.grad.zero_()


def time_iterations():
    """Appends `seconds = S` (wall time since the previous `iter =` line, i.e. that iteration's
    step) to upstream's per-iteration lines, which it prints with tqdm.write; the first has none."""
    import tqdm
    original = tqdm.tqdm.write
    last = [None]

    def write(cls, s, file=None, end="\n", nolock=False):
        if isinstance(s, str) and s.startswith("iter = "):
            now = time.perf_counter()
            if last[0] is not None:
                s = f"{s} seconds = {now - last[0]:.4f}"
            last[0] = now
        return original(s, file=file, end=end, nolock=nolock)

    tqdm.tqdm.write = classmethod(write)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--src", required=True, help="the patched upstream tree (holds mtaf/)")
    parser.add_argument("--cfg", required=True, help="upstream YAML config")
    parser.add_argument("--sgd", choices=["repeated", "single", "torch"], default="repeated")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    if args.sgd != "torch":
        torch.optim.SGD = SGD131 if args.sgd == "repeated" else SGD131Single
        Optimizer.zero_grad = zero_grad_in_place
    time_iterations()
    print(f"oracle_train: torch {torch.__version__}, {torch.get_num_threads()} thread(s), "
          f"SGD {args.sgd}, upstream tree {args.src}", flush=True)

    src = os.path.abspath(args.src)
    sys.path.insert(0, src)
    sys.argv = [os.path.join(src, "mtaf/scripts/train.py"), "--cfg", os.path.abspath(args.cfg)]
    runpy.run_path(sys.argv[0], run_name="__main__")


if __name__ == "__main__":
    main()
