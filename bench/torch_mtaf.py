"""PyTorch reference timings for bench/compare: the same measurements as `mtaf-mpi bench model`
and `mtaf-mpi bench iteration`, written the way upstream MTAF (PyTorch) runs them on CPU.

    python torch_mtaf.py model [--model r101|w16] [--size HxW] [--measure forward,step,eval]
    python torch_mtaf.py iteration --framework mdis|mtkt [--targets 2] [--model r101|w16] [--size HxW]
    common: [--reps N] [--threads N] [--json]

model      DeepLab-v2 (ResNetMulti, 7 classes, multi-level, batch 1) at --size:
           forward  eval-mode forward under no_grad (both levels, as upstream's model computes them);
           step     train-mode forward, loss_calc(interp(main)) + 0.1 * loss_calc(interp(aux)), backward;
           eval     one image as upstream's evaluate_domain_adaptation does it: model(image)[1] under
                    no_grad, nn.Upsample(bilinear, align_corners) to the input size, numpy argmax over
                    the transposed (H, W, C) array (fast_hist left out, as ours leaves the counting out).
iteration  one full iteration of upstream's train_advent_mdis / train_advent_mtkt (spec §5.2, §5.3)
           on random in-memory batches (source 1 image with labels, 1 image per target), MTAF's
           default hyper-parameters (spec §6.2), SGD on model.optim_parameters (upstream's repeated
           backbone listing, spec §4.8), Adam(betas=(0.9, 0.99)) per discriminator of width 64.

Times: minimum over --reps after one warm-up. Peak RSS: resource.getrusage(RUSAGE_SELF).ru_maxrss of
the whole process (run one measurement per process). --json prints one JSON object per line with the
keys of mtaf-mpi's --json output.
"""
import argparse
import contextlib
import json
import resource
import sys
import time
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# Upstream lists backbone parameters several times in one SGD group (spec §4.8); PyTorch warns.
warnings.filterwarnings("ignore", message=".*duplicate parameters.*")
# kl_div's "mean" (divide by the element count) is upstream's size_average semantics (spec §4.4).
warnings.filterwarnings("ignore", message=".*reduction: 'mean' divides.*")

AFFINE_PAR = True
NUM_CLASSES = 7


# ---------------------------------------------------------------- model (upstream deeplabv2.py)

class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, dilation=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, kernel_size=1, stride=stride, bias=False)
        self.bn1 = nn.BatchNorm2d(planes, affine=AFFINE_PAR)
        for i in self.bn1.parameters():
            i.requires_grad = False
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=dilation, bias=False,
                               dilation=dilation)
        self.bn2 = nn.BatchNorm2d(planes, affine=AFFINE_PAR)
        for i in self.bn2.parameters():
            i.requires_grad = False
        self.conv3 = nn.Conv2d(planes, planes * 4, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4, affine=AFFINE_PAR)
        for i in self.bn3.parameters():
            i.requires_grad = False
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        residual = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            residual = self.downsample(x)
        out += residual
        return self.relu(out)


class ClassifierModule(nn.Module):
    def __init__(self, inplanes, dilation_series, padding_series, num_classes):
        super().__init__()
        self.conv2d_list = nn.ModuleList()
        for dilation, padding in zip(dilation_series, padding_series):
            self.conv2d_list.append(nn.Conv2d(inplanes, num_classes, kernel_size=3, stride=1, padding=padding,
                                              dilation=dilation, bias=True))
        for m in self.conv2d_list:
            m.weight.data.normal_(0, 0.01)

    def forward(self, x):
        out = self.conv2d_list[0](x)
        for i in range(len(self.conv2d_list) - 1):
            out += self.conv2d_list[i + 1](x)
        return out


class ResNetMulti(nn.Module):
    """Upstream DeepLabv2 (heads=None) or DeepLabv2MTKT (heads = 1 + T), base width `w` (spec §2.11)."""

    def __init__(self, layers=(3, 4, 23, 3), num_classes=NUM_CLASSES, multi_level=True, w=64, heads=None):
        super().__init__()
        self.multi_level = multi_level
        self.heads = heads
        self.inplanes = w
        self.conv1 = nn.Conv2d(3, w, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(w, affine=AFFINE_PAR)
        for i in self.bn1.parameters():
            i.requires_grad = False
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1, ceil_mode=True)
        self.layer1 = self._make_layer(w, layers[0])
        self.layer2 = self._make_layer(2 * w, layers[1], stride=2)
        self.layer3 = self._make_layer(4 * w, layers[2], stride=1, dilation=2)
        rates = [6, 12, 18, 24]
        if heads is None:  # registration order of spec §2.5
            self.layer4 = self._make_layer(8 * w, layers[3], stride=1, dilation=4)
            if multi_level:
                self.layer5 = ClassifierModule(16 * w, rates, rates, num_classes)
            self.layer6 = ClassifierModule(32 * w, rates, rates, num_classes)
        else:  # registration order of spec §2.6
            if multi_level:
                self.aux_classifier_list = nn.ModuleList(
                    [ClassifierModule(16 * w, rates, rates, num_classes) for _ in range(heads)])
            self.layer4 = self._make_layer(8 * w, layers[3], stride=1, dilation=4)
            self.main_classifier_list = nn.ModuleList(
                [ClassifierModule(32 * w, rates, rates, num_classes) for _ in range(heads)])
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.data.normal_(0, 0.01)
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.data.fill_(1)
                m.bias.data.zero_()

    def _make_layer(self, planes, blocks, stride=1, dilation=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * 4 or dilation == 2 or dilation == 4:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * 4, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(planes * 4, affine=AFFINE_PAR))
        for i in downsample._modules["1"].parameters():
            i.requires_grad = False
        layers = [Bottleneck(self.inplanes, planes, stride, dilation=dilation, downsample=downsample)]
        self.inplanes = planes * 4
        for _ in range(1, blocks):
            layers.append(Bottleneck(self.inplanes, planes, dilation=dilation))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer3(self.layer2(self.layer1(x)))
        if self.heads is None:
            aux = self.layer5(x) if self.multi_level else None
            return aux, self.layer6(self.layer4(x))
        # DeepLabv2MTKT computes every head on every image.
        aux = [c(x) for c in self.aux_classifier_list] if self.multi_level else None
        x = self.layer4(x)
        return aux, [c(x) for c in self.main_classifier_list]

    def get_1x_lr_params_no_scale(self):
        # Upstream walks every sub-module and yields each one's parameters: a backbone parameter is
        # listed once per module on its path (spec §4.8).
        for b in [self.conv1, self.bn1, self.layer1, self.layer2, self.layer3, self.layer4]:
            for j in b.modules():
                for k in j.parameters():
                    if k.requires_grad:
                        yield k

    def get_10x_lr_params(self):
        if self.heads is None:
            mods = ([self.layer5] if self.multi_level else []) + [self.layer6]
        else:
            mods = (list(self.aux_classifier_list) if self.multi_level else []) + list(self.main_classifier_list)
        for m in mods:
            yield from m.parameters()

    def optim_parameters(self, lr):
        return [{"params": list(self.get_1x_lr_params_no_scale()), "lr": lr},
                {"params": list(self.get_10x_lr_params()), "lr": 10 * lr}]


def get_fc_discriminator(num_classes, ndf=64):
    return nn.Sequential(
        nn.Conv2d(num_classes, ndf, kernel_size=4, stride=2, padding=1),
        nn.LeakyReLU(negative_slope=0.2, inplace=True),
        nn.Conv2d(ndf, ndf * 2, kernel_size=4, stride=2, padding=1),
        nn.LeakyReLU(negative_slope=0.2, inplace=True),
        nn.Conv2d(ndf * 2, ndf * 4, kernel_size=4, stride=2, padding=1),
        nn.LeakyReLU(negative_slope=0.2, inplace=True),
        nn.Conv2d(ndf * 4, ndf * 8, kernel_size=4, stride=2, padding=1),
        nn.LeakyReLU(negative_slope=0.2, inplace=True),
        nn.Conv2d(ndf * 8, 1, kernel_size=4, stride=2, padding=1),
    )


# ---------------------------------------------------------------- losses (upstream utils)

def cross_entropy_2d(predict, target):
    n, c, h, w = predict.size()
    target_mask = (target >= 0) * (target < 200)
    target = target[target_mask]
    predict = predict.transpose(1, 2).transpose(2, 3).contiguous()
    predict = predict[target_mask.view(n, h, w, 1).repeat(1, 1, 1, c)].view(-1, c)
    return F.cross_entropy(predict, target, reduction="mean")


def loss_calc(pred, label):
    return cross_entropy_2d(pred, label.long())


def bce_loss(y_pred, y_label):
    y_truth_tensor = torch.FloatTensor(y_pred.size())
    y_truth_tensor.fill_(y_label)
    return nn.BCEWithLogitsLoss()(y_pred, y_truth_tensor)


def prob_2_entropy(prob):
    n, c, h, w = prob.size()
    return -torch.mul(prob, torch.log2(prob + 1e-30)) / np.log2(c)


def kl_divergence(pred, target):
    """KL(teacher ‖ student) / (N·H·W·C), spec §4.4 (upstream kl_divergence, size_average)."""
    n, c, h, w = pred.size()
    pred = pred.transpose(1, 2).transpose(2, 3).contiguous().view(-1, c)
    target = target.transpose(1, 2).transpose(2, 3).contiguous().view(-1, c)
    return F.kl_div(F.log_softmax(pred, dim=1), F.softmax(target, dim=1), reduction="mean")


def entropy_map(pred):
    return prob_2_entropy(F.softmax(pred, dim=1))


def lr_poly(base_lr, i_iter, max_iter, power):
    return base_lr * ((1 - float(i_iter) / max_iter) ** power)


# ---------------------------------------------------------------- upstream defaults (spec §6.2)

CFG = dict(LEARNING_RATE=2.5e-4, LEARNING_RATE_D=1e-4, MOMENTUM=0.9, WEIGHT_DECAY=5e-4, POWER=0.9,
           MAX_ITERS=250000, LAMBDA_SEG_MAIN=1.0, LAMBDA_SEG_AUX=0.1, LAMBDA_ADV_MAIN=0.001,
           LAMBDA_ADV_AUX=0.0002, LAMBDA_KL_TARGET=1.0, TEACHER_ITERS=0, MULTI_LEVEL=True)


class Trainer:
    """State and one iteration of upstream's train_advent_mdis / train_advent_mtkt (T targets)."""

    def __init__(self, framework, T, width, H, W):
        self.framework, self.T, self.i_iter = framework, T, 0
        self.model = ResNetMulti(w=width, heads=(1 + T) if framework == "mtkt" else None)
        self.model.train()
        c = CFG
        self.optimizer = torch.optim.SGD(self.model.optim_parameters(c["LEARNING_RATE"]), lr=c["LEARNING_RATE"],
                                         momentum=c["MOMENTUM"], weight_decay=c["WEIGHT_DECAY"])
        self.d_aux = [get_fc_discriminator(NUM_CLASSES) for _ in range(T)]
        self.d_main = [get_fc_discriminator(NUM_CLASSES) for _ in range(T)]
        self.d_tgt_aux, self.d_tgt_main = [], []
        if framework == "mdis":
            n = 1 if T == 2 else T
            self.d_tgt_aux = [get_fc_discriminator(NUM_CLASSES) for _ in range(n)]
            self.d_tgt_main = [get_fc_discriminator(NUM_CLASSES) for _ in range(n)]
        self.discriminators = self.d_aux + self.d_main + self.d_tgt_aux + self.d_tgt_main
        for d in self.discriminators:
            d.train()
        adam = lambda d: torch.optim.Adam(d.parameters(), lr=c["LEARNING_RATE_D"], betas=(0.9, 0.99))
        self.opt = {id(d): adam(d) for d in self.discriminators}
        self.interp = nn.Upsample(size=(H, W), mode="bilinear", align_corners=True)
        self.interp_target = nn.Upsample(size=(H, W), mode="bilinear", align_corners=True)

    def parameters(self):
        return sum(p.numel() for m in [self.model] + self.discriminators for p in m.parameters())

    def _begin(self):
        c = CFG
        # PyTorch 1.3.1's zero_grad zeroes the gradients in place (today's default frees them).
        self.optimizer.zero_grad(set_to_none=False)
        for d in self.discriminators:
            self.opt[id(d)].zero_grad(set_to_none=False)
        lr = lr_poly(c["LEARNING_RATE"], self.i_iter, c["MAX_ITERS"], c["POWER"])
        self.optimizer.param_groups[0]["lr"] = lr
        self.optimizer.param_groups[1]["lr"] = lr * 10
        lr_d = lr_poly(c["LEARNING_RATE_D"], self.i_iter, c["MAX_ITERS"], c["POWER"])
        for d in self.discriminators:
            self.opt[id(d)].param_groups[0]["lr"] = lr_d

    def _discriminators_trainable(self, flag):
        for d in self.discriminators:
            for p in d.parameters():
                p.requires_grad = flag

    def iteration(self, images_source, labels, target_images):
        losses = self.iteration_mdis(images_source, labels, target_images) if self.framework == "mdis" \
            else self.iteration_mtkt(images_source, labels, target_images)
        self.i_iter += 1
        return {k: float(v.detach()) if torch.is_tensor(v) else float(v) for k, v in losses.items()}

    def iteration_mdis(self, images_source, labels, target_images):
        """Spec §5.2 (upstream train_advent_mdis; decision (a) for T > 2)."""
        c, T, source_label, target_label = CFG, self.T, 0, 1
        self._begin()
        self._discriminators_trainable(False)
        # 1. source
        pred_src_aux, pred_src_main = self.model(images_source)
        pred_src_aux = self.interp(pred_src_aux)
        loss_seg_src_aux = loss_calc(pred_src_aux, labels)
        pred_src_main = self.interp(pred_src_main)
        loss_seg_src_main = loss_calc(pred_src_main, labels)
        loss = c["LAMBDA_SEG_MAIN"] * loss_seg_src_main + c["LAMBDA_SEG_AUX"] * loss_seg_src_aux
        loss.backward()
        # 2. each target: fool D_*,i and the target discriminators
        pred_trg_aux_list, pred_trg_main_list = [], []
        for i in range(T):
            pred_trg_aux, pred_trg_main = self.model(target_images[i])
            pred_trg_aux = self.interp_target(pred_trg_aux)
            loss_adv_trg_aux = bce_loss(self.d_aux[i](entropy_map(pred_trg_aux)), source_label)
            pred_trg_main = self.interp_target(pred_trg_main)
            loss_adv_trg_main = bce_loss(self.d_main[i](entropy_map(pred_trg_main)), source_label)
            if T == 2:
                g_aux = bce_loss(self.d_tgt_aux[0](entropy_map(pred_trg_aux)), 1 - i)
                g_main = bce_loss(self.d_tgt_main[0](entropy_map(pred_trg_main)), 1 - i)
            else:
                g_aux = sum(bce_loss(self.d_tgt_aux[j](entropy_map(pred_trg_aux)), 0)
                            for j in range(T) if j != i) / (T - 1)
                g_main = sum(bce_loss(self.d_tgt_main[j](entropy_map(pred_trg_main)), 0)
                             for j in range(T) if j != i) / (T - 1)
            loss = (c["LAMBDA_ADV_MAIN"] * loss_adv_trg_main + c["LAMBDA_ADV_AUX"] * loss_adv_trg_aux
                    + c["LAMBDA_ADV_MAIN"] * g_main + c["LAMBDA_ADV_AUX"] * g_aux)
            loss.backward()
            pred_trg_aux_list.append(pred_trg_aux)
            pred_trg_main_list.append(pred_trg_main)
        # 3. discriminators on the source, detached
        self._discriminators_trainable(True)
        pred_src_aux = pred_src_aux.detach()
        for i in range(T):
            loss_d_aux = bce_loss(self.d_aux[i](entropy_map(pred_src_aux)), source_label) / (1 + T)
            loss_d_aux.backward()
        pred_src_main = pred_src_main.detach()
        for i in range(T):
            loss_d_main = bce_loss(self.d_main[i](entropy_map(pred_src_main)), source_label) / 2
            loss_d_main.backward()
        # 4. each target, detached: (a) D_aux,i (b) aux target Ds (c) D_main,i (d) main target Ds
        for i in range(T):
            pred_trg_aux = pred_trg_aux_list[i].detach()
            loss_d_aux = bce_loss(self.d_aux[i](entropy_map(pred_trg_aux)), target_label) / 2
            loss_d_aux.backward()
            self._train_target_discriminators(self.d_tgt_aux, pred_trg_aux, i)
            pred_trg_main = pred_trg_main_list[i].detach()
            loss_d_main = bce_loss(self.d_main[i](entropy_map(pred_trg_main)), target_label) / 2
            loss_d_main.backward()
            self._train_target_discriminators(self.d_tgt_main, pred_trg_main, i)
        # 5. SGD, then Adam: D_aux,i, D_main,i per target, then the target discriminators
        self.optimizer.step()
        for i in range(T):
            self.opt[id(self.d_aux[i])].step()
            self.opt[id(self.d_main[i])].step()
        if T == 2:
            self.opt[id(self.d_tgt_main[0])].step()
            self.opt[id(self.d_tgt_aux[0])].step()
        else:
            for j in range(T):
                self.opt[id(self.d_tgt_aux[j])].step()
                self.opt[id(self.d_tgt_main[j])].step()
        return dict(loss_seg_src_aux=loss_seg_src_aux, loss_seg_src_main=loss_seg_src_main,
                    loss_adv_trg_aux=loss_adv_trg_aux, loss_adv_trg_main=loss_adv_trg_main,
                    loss_d_aux=loss_d_aux, loss_d_main=loss_d_main)

    def _train_target_discriminators(self, ds, pred, i):
        T = self.T
        if T == 2:
            (bce_loss(ds[0](entropy_map(pred)), i) / 2).backward()
        else:
            for j in range(T):
                if j == i:
                    (bce_loss(ds[j](entropy_map(pred)), 0) / 2).backward()
                else:
                    (bce_loss(ds[j](entropy_map(pred)), 1) / (2 * (T - 1))).backward()

    def iteration_mtkt(self, images_source, labels, target_images):
        """Spec §5.3 (upstream train_advent_mtkt; decision (b): D_aux,i)."""
        c, T, source_label, target_label = CFG, self.T, 0, 1
        self._begin()
        self._discriminators_trainable(False)
        # 1. source: CE of every teacher head (k = 1..T) at both levels; every head is computed
        pred_src_aux_list, pred_src_main_list = self.model(images_source)
        loss_seg_src_aux, loss_seg_src_main = 0, 0
        src_aux, src_main = [], []
        for i in range(T):
            pred_src_aux = self.interp(pred_src_aux_list[i + 1])
            loss_seg_src_aux = loss_seg_src_aux + loss_calc(pred_src_aux, labels)
            pred_src_main = self.interp(pred_src_main_list[i + 1])
            loss_seg_src_main = loss_seg_src_main + loss_calc(pred_src_main, labels)
            src_aux.append(pred_src_aux)
            src_main.append(pred_src_main)
        loss = c["LAMBDA_SEG_MAIN"] * loss_seg_src_main + c["LAMBDA_SEG_AUX"] * loss_seg_src_aux
        loss.backward()
        # 2. each target: teacher i fools D_main,i and D_aux,i (/2), the student is distilled
        trg_aux, trg_main = [], []
        loss_div_trg = torch.zeros(())
        for i in range(T):
            pred_trg_aux_list, pred_trg_main_list = self.model(target_images[i])
            pred_trg_aux = self.interp_target(pred_trg_aux_list[i + 1])
            loss_adv_trg_aux = bce_loss(self.d_aux[i](entropy_map(pred_trg_aux)), source_label)
            pred_trg_main = self.interp_target(pred_trg_main_list[i + 1])
            loss_adv_trg_main = bce_loss(self.d_main[i](entropy_map(pred_trg_main)), source_label)
            loss = (c["LAMBDA_ADV_MAIN"] * loss_adv_trg_main + c["LAMBDA_ADV_AUX"] * loss_adv_trg_aux) / 2
            if self.i_iter >= c["TEACHER_ITERS"]:
                student_main = self.interp_target(pred_trg_main_list[0])
                loss_div_trg = kl_divergence(student_main, pred_trg_main.detach())
                student_aux = self.interp_target(pred_trg_aux_list[0])
                loss_div_aux = kl_divergence(student_aux, pred_trg_aux.detach())
                loss = loss + c["LAMBDA_KL_TARGET"] * loss_div_trg \
                    + c["LAMBDA_SEG_AUX"] * c["LAMBDA_KL_TARGET"] * loss_div_aux / T
            loss.backward()
            trg_aux.append(pred_trg_aux)
            trg_main.append(pred_trg_main)
        # 3. source, detached: teacher i's maps against D_main,i then D_aux,i
        self._discriminators_trainable(True)
        for i in range(T):
            loss_d_main = bce_loss(self.d_main[i](entropy_map(src_main[i].detach())), source_label) / 2
            loss_d_main.backward()
            loss_d_aux = bce_loss(self.d_aux[i](entropy_map(src_aux[i].detach())), source_label) / 2
            loss_d_aux.backward()
        # 4. each target, detached
        for i in range(T):
            loss_d_main = bce_loss(self.d_main[i](entropy_map(trg_main[i].detach())), target_label) / 2
            loss_d_main.backward()
            loss_d_aux = bce_loss(self.d_aux[i](entropy_map(trg_aux[i].detach())), target_label) / 2
            loss_d_aux.backward()
        # 5. SGD; Adam of D_main,i then D_aux,i
        self.optimizer.step()
        for i in range(T):
            self.opt[id(self.d_main[i])].step()
            self.opt[id(self.d_aux[i])].step()
        return dict(loss_seg_src_main=loss_seg_src_main, loss_seg_src_aux=loss_seg_src_aux,
                    loss_div_trg=loss_div_trg, loss_adv_trg_main=loss_adv_trg_main,
                    loss_adv_trg_aux=loss_adv_trg_aux, loss_d_main=loss_d_main, loss_d_aux=loss_d_aux)


# ---------------------------------------------------------------- measurements

def best_of(f, reps):
    f()
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def model_name(width):
    return f"deeplabv2-r101-w{width}"


def note(args, text):
    if not args.json:
        print(f"  {text}", file=sys.stderr, flush=True)


def run_model(args, width, H, W):
    measures = set(args.measure.split(","))
    bad = measures - {"forward", "step", "eval"}
    if bad:
        sys.exit(f"--measure: unknown {sorted(bad)}")
    m = ResNetMulti(w=width)
    torch.manual_seed(2)
    x = torch.randn(1, 3, H, W) * 60
    y = torch.randint(0, NUM_CLASSES, (1, H, W))
    interp = nn.Upsample(size=(H, W), mode="bilinear", align_corners=True)
    r = dict(model=model_name(width), size=f"{H}x{W}", threads=args.threads,
             parameters=sum(p.numel() for p in m.parameters()), precision=args.autocast or "fp32")
    name = f"{r['model']} at {r['size']}" + (f", autocast {args.autocast}" if args.autocast else "")

    # --autocast bf16: the model's forward (and so its backward) under CPU autocast, as a user
    # of torch.autocast("cpu", dtype=torch.bfloat16) would run it; losses and argmax outside.
    def autocast():
        if args.autocast:
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def forward():
        m.eval()
        with torch.no_grad(), autocast():
            m(x)

    def step():
        m.train()
        m.zero_grad(set_to_none=False)
        with autocast():
            aux, main = m(x)
        (loss_calc(interp(main.float()), y) + 0.1 * loss_calc(interp(aux.float()), y)).backward()

    def evaluate():
        m.eval()
        with torch.no_grad():
            with autocast():
                pred_main = m(x)[1]
            output = interp(pred_main.float()).cpu().data[0].numpy()
            output = output.transpose(1, 2, 0)
            return np.argmax(output, axis=2)

    if "forward" in measures:
        note(args, f"{name}: forward")
        r["forward_s"] = best_of(forward, args.reps)
    if "step" in measures:
        note(args, f"{name}: training step")
        r["step_s"] = best_of(step, args.reps)
    if "eval" in measures:
        note(args, f"{name}: evaluation")
        r["eval_s"] = best_of(evaluate, args.reps)
        r["eval_images_per_s"] = 1 / r["eval_s"]
    r["peak_rss_mib"] = peak_rss_mib()
    if args.json:
        print(json.dumps(r, sort_keys=True))
    else:
        parts = [f"{name}: {args.threads} threads, {r['parameters']} parameters"]
        if "forward_s" in r:
            parts.append(f"forward {r['forward_s']:.3f} s")
        if "step_s" in r:
            parts.append(f"step {r['step_s']:.3f} s")
        if "eval_s" in r:
            parts.append(f"eval {r['eval_s']:.3f} s ({r['eval_images_per_s']:.3f} images/s)")
        parts.append(f"peak RSS {r['peak_rss_mib']:.0f} MiB")
        print(", ".join(parts))


def run_iteration(args, width, H, W):
    T = args.targets
    if T < 2:
        sys.exit("--targets: MDis and MTKT need at least 2 (upstream asserts T > 1)")
    if min(H, W) < 32:
        sys.exit("--size: each side needs at least 32 pixels (the discriminator halves it five times)")
    torch.manual_seed(1234)
    trainer = Trainer(args.framework, T, width, H, W)
    torch.manual_seed(2)
    images_source = torch.randn(1, 3, H, W) * 60
    labels = torch.randint(0, NUM_CLASSES, (1, H, W))
    target_images = [torch.randn(1, 3, H, W) * 60 for _ in range(T)]
    framework = {"mdis": "MDis", "mtkt": "MTKT"}[args.framework]
    note(args, f"{framework} T={T}, {model_name(width)} at {H}x{W}: {args.reps} + 1 iterations")
    last = {}

    def once():
        last.update(trainer.iteration(images_source, labels, target_images))

    seconds = best_of(once, args.reps)
    r = dict(framework=framework, targets=T, model=model_name(width), size=f"{H}x{W}", threads=args.threads,
             iteration_s=seconds, peak_rss_mib=peak_rss_mib(), parameters=trainer.parameters(), losses=last)
    if args.json:
        print(json.dumps(r, sort_keys=True))
    else:
        print(f"{framework} T={T}, {r['model']} at {r['size']}: {args.threads} threads, {r['parameters']} parameters, "
              f"iteration {seconds:.3f} s, peak RSS {r['peak_rss_mib']:.0f} MiB")
        print("  last losses: " + ", ".join(f"{k} {v:.3f}" for k, v in sorted(last.items())))


def parse_size(text):
    try:
        h, w = (int(v) for v in text.lower().replace("×", "x").split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not HxW")
    return h, w


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("suite", choices=["model", "iteration"])
    ap.add_argument("--model", choices=["r101", "w16"], default="r101", help="width 64 (r101) or 16 (w16)")
    ap.add_argument("--size", type=parse_size, default=(320, 640), help="input HxW (default 320x640)")
    ap.add_argument("--measure", default="forward,step", help="model: forward,step,eval (comma-separated)")
    ap.add_argument("--framework", choices=["mdis", "mtkt"], help="iteration: the framework")
    ap.add_argument("--targets", type=int, default=2, help="iteration: T (default 2)")
    ap.add_argument("--reps", type=int, default=3, help="timed repetitions after one warm-up (minimum reported)")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    ap.add_argument("--json", action="store_true", help="one JSON object per line")
    ap.add_argument("--autocast", choices=["bf16"], help="model: run the model under torch.autocast('cpu', bfloat16)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    width = 64 if args.model == "r101" else 16
    H, W = args.size
    if args.suite == "model":
        run_model(args, width, H, W)
    else:
        if args.framework is None:
            ap.error("iteration needs --framework mdis|mtkt")
        run_iteration(args, width, H, W)


if __name__ == "__main__":
    main()
