#!/usr/bin/env python3
"""Writes the `.pth` fixtures of Tests/MTAFNetTests/Fixtures with torch.save (see the README there).

    /tmp/venv/bin/python tools/reference/make_pth_fixtures.py Tests/MTAFNetTests/Fixtures

- pth_discriminator_ndf8_{zip,legacy,dataparallel}.pth: the `param.*` tensors of
  model_discriminator_ndf8.safetensors as a discriminator state dict (keys without `param.`);
  zip format (torch >= 1.6 default), legacy format (`_use_new_zipfile_serialization=False`), and
  zip with every key prefixed `module.` (what nn.DataParallel's state_dict gives).
- pth_deeplabv2_w4_{zip,legacy,dataparallel}.pth: the `init.seg.*` tensors of
  train_source_only.safetensors (DeepLab-v2 width 4, blocks [1,1,1,1], 7 classes) with a 0-dim
  int64 `num_batches_tracked` (value 5) per BatchNorm, the same three ways.
- pth_imagenet_w4_legacy.pth: the same DeepLab tensors under `Scale.<key>` minus layer6, plus a
  `Scale.layer5.extra.weight` that upstream's ImageNet rule skips; legacy format, like
  DeepLab_resnet_pretrained_imagenet.pth.
- pth_views_{zip,legacy}.pth: views and dtypes (values documented in the README);
  pth_views_protocol4_{zip,legacy}.pth: the same with pickle protocol 4.
- pth_training_checkpoint_{zip,legacy}.pth: a training script's checkpoint dict (state_dict of a
  conv + BatchNorm with stated values, SGD optimizer state, epoch, strings, a list, None, bytes).
A developer tool: run by hand; the tests read only the committed files.
"""
import collections
import sys

import torch
from safetensors.torch import load_file


def prefixed(path, prefix):
    tensors = load_file(path)
    return collections.OrderedDict(
        (key[len(prefix):], value) for key, value in sorted(tensors.items()) if key.startswith(prefix))


def with_counters(state, value):
    out = collections.OrderedDict()
    for key, tensor in state.items():
        out[key] = tensor
        if key.endswith(".running_var"):
            out[key[: -len("running_var")] + "num_batches_tracked"] = torch.tensor(value, dtype=torch.int64)
    return out


def renamed(state, prefix):
    return with_metadata(collections.OrderedDict((prefix + key, value) for key, value in state.items()))


def with_metadata(state):
    """Module.state_dict() sets `_metadata` (pickled as the OrderedDict's BUILD state)."""
    state._metadata = collections.OrderedDict([("", {"version": 1})])
    return state


def views():
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    out = collections.OrderedDict()
    out["transposed"] = base.t()          # stride (1, 6), shares base's storage
    out["base"] = base
    out["block"] = base[1:3, 2:5]         # storage offset 8, stride (6, 1)
    out["every_other"] = base[:, ::2]     # stride (6, 2)
    out["double"] = torch.tensor([0.1, -2.5, 1e-3], dtype=torch.float64)
    out["half"] = torch.tensor([1.5, -0.25, 65504.0], dtype=torch.float16)
    out["bfloat"] = torch.tensor([1.0, -3.0, 0.0078125], dtype=torch.bfloat16)
    out["count"] = torch.tensor(7, dtype=torch.int64)
    out["scalar"] = torch.tensor(2.5)
    out["empty"] = torch.zeros(0, 3)
    return out


def training_checkpoint():
    """What training scripts save: {'state_dict', 'optimizer' (SGD with momentum), 'epoch', …}."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(2, 3, 5, 5)).sum().backward()
    optimizer.step()
    # Values the test can state: conv weight k/100, conv bias, BN affine and running statistics.
    with torch.no_grad():
        model[0].weight.copy_(torch.arange(108.0).reshape(4, 3, 3, 3) / 100)
        model[0].bias.copy_(torch.tensor([0.5, -0.5, 1.5, -1.5]))
        model[1].weight.copy_(torch.tensor([1.0, 2.0, 3.0, 4.0]))
        model[1].bias.copy_(torch.tensor([-1.0, -2.0, -3.0, -4.0]))
        model[1].running_mean.copy_(torch.tensor([0.0, 0.1, 0.2, 0.3]))
        model[1].running_var.copy_(torch.tensor([1.0, 1.5, 2.0, 2.5]))
    return {"epoch": 3, "state_dict": model.state_dict(), "optimizer": optimizer.state_dict(),
            "name": "run", "lr": [0.1, 0.01], "note": None, "tag": b"xy"}


def main():
    folder = sys.argv[1]
    disc = with_metadata(prefixed(folder + "/model_discriminator_ndf8.safetensors", "param."))
    deeplab = with_metadata(with_counters(prefixed(folder + "/train_source_only.safetensors", "init.seg."), 5))
    for name, state in (("discriminator_ndf8", disc), ("deeplabv2_w4", deeplab)):
        torch.save(state, f"{folder}/pth_{name}_zip.pth")
        torch.save(state, f"{folder}/pth_{name}_legacy.pth", _use_new_zipfile_serialization=False)
        torch.save(renamed(state, "module."), f"{folder}/pth_{name}_dataparallel.pth")
    imagenet = renamed(collections.OrderedDict(
        (k, v) for k, v in deeplab.items() if not k.startswith("layer6.")), "Scale.")
    imagenet["Scale.layer5.extra.weight"] = torch.ones(3)
    torch.save(imagenet, f"{folder}/pth_imagenet_w4_legacy.pth", _use_new_zipfile_serialization=False)
    torch.save(views(), f"{folder}/pth_views_zip.pth")
    torch.save(views(), f"{folder}/pth_views_legacy.pth", _use_new_zipfile_serialization=False)
    checkpoint = training_checkpoint()
    torch.save(checkpoint, f"{folder}/pth_training_checkpoint_zip.pth")
    torch.save(checkpoint, f"{folder}/pth_training_checkpoint_legacy.pth", _use_new_zipfile_serialization=False)
    # Pickle protocol 4 (FRAME, SHORT_BINUNICODE, STACK_GLOBAL, MEMOIZE) in both containers.
    torch.save(views(), f"{folder}/pth_views_protocol4_zip.pth", pickle_protocol=4)
    torch.save(views(), f"{folder}/pth_views_protocol4_legacy.pth", pickle_protocol=4,
               _use_new_zipfile_serialization=False)


if __name__ == "__main__":
    main()
