#!/usr/bin/env python3
"""Exports real architectures with random weights (fixed seed, nothing downloaded) to ONNX, then
checks each exported model: onnxruntime against torch on a seeded input of other dims than the
export's, so that the symbolic dims are exercised.

    .venv-models/bin/python scripts/export_models.py OUTDIR [--models resnet50,bert-base,...]
                                                       [--keep-bn] [--opset 17] [--dynamo]

Models (each a function below; add one to MODELS):
  resnet50      torchvision, input `input` float32 [batch,3,224,224], output `output` [batch,1000]
  mobilenet_v2  torchvision, same input and output
  bert-base     transformers BertModel(BertConfig()) (bert-base-uncased sizes, random init), inputs
                input_ids/attention_mask/token_type_ids int64 [batch,seq], outputs
                last_hidden_state [batch,seq,768] and pooler_output [batch,768]
  gpt2          transformers GPT2Model with a small config (4 layers, 256 wide), inputs
                input_ids/attention_mask int64 [batch,seq], output last_hidden_state

Environment: scripts/setup_models.sh makes .venv-models, a --system-site-packages virtualenv over
Debian's python3-torch 1.13 and python3-torchvision 0.14 (CPU-only, a few hundred MB; PyPI's torch
pulls GBs of CUDA wheels and the CPU-only wheel index is not reachable here), with transformers
4.46.3 (runs on torch 1.13; its BERT/GPT-2 use eager attention there) and onnxruntime pinned in
requirements-models.txt.
torch 1.13's TorchScript exporter handles opsets up to 17 (LayerNormalization is opset 17).
--dynamo exports with the current exporter (torch.onnx.export(..., dynamo=True), torch >= 2.5 with
onnxscript) instead, as users of PyPI's torch do today: any virtualenv with PyPI's torch,
torchvision, transformers and onnxscript runs this script that way.

In eval mode torch's exporter folds BatchNormalization into the preceding Conv; --keep-bn
exports the CNNs with TrainingMode.PRESERVE (modules still in eval mode) so that the
BatchNormalization nodes stay, for optimizer tests. BN statistics are randomized so that they are
no identity.
"""
import argparse
import collections
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # random init only: never reach the hub
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import onnx
import onnxruntime as ort
import torch

SEED = 0


def randomize_bn(model, gain):
    """Random BN statistics and affine weights; scale weights in [gain, gain + 0.5] (deep residual
    nets blow up above about 0.4)."""
    g = torch.Generator().manual_seed(SEED)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=g) * 0.5 + gain)
            m.bias.data.copy_(torch.randn(n, generator=g) * 0.1)
    return model


def image_model(ctor, gain):
    torch.manual_seed(SEED)
    model = randomize_bn(ctor(weights=None), gain).eval()
    g = torch.Generator().manual_seed(SEED)
    return dict(model=model, args=(torch.randn(1, 3, 224, 224, generator=g),),
                check=(torch.randn(2, 3, 224, 224, generator=g),),
                inputs=["input"], outputs=["output"],
                dynamic={"input": {0: "batch"}, "output": {0: "batch"}}, cnn=True)


def resnet50():
    import torchvision
    return image_model(torchvision.models.resnet50, 0.4)


def mobilenet_v2():
    import torchvision
    return image_model(torchvision.models.mobilenet_v2, 0.7)


def text_inputs(batch, seq, names, g):
    ids = torch.randint(0, 100, (batch, seq), generator=g)
    mask = torch.ones(batch, seq, dtype=torch.int64)
    mask[-1, seq - seq // 4:] = 0  # some padding in the last row
    types = torch.zeros(batch, seq, dtype=torch.int64)
    types[:, seq // 2:] = 1
    return tuple({"input_ids": ids, "attention_mask": mask, "token_type_ids": types}[n]
                 for n in names)


class TupleOutputs(torch.nn.Module):
    """Calls a transformers model with keyword inputs and returns the named outputs as a tuple."""

    def __init__(self, model, inputs, outputs):
        super().__init__()
        self.model, self.inputs, self.outputs = model, inputs, outputs

    def forward(self, x0, x1=None, x2=None):  # named parameters: torch.export maps dims by them
        out = self.model(**dict(zip(self.inputs, (x0, x1, x2))))
        return tuple(out[o] for o in self.outputs)


def text_model(model, inputs, outputs):
    g = torch.Generator().manual_seed(SEED)
    dyn = {n: {0: "batch", 1: "seq"} for n in inputs}
    dyn.update({o: {0: "batch", 1: "seq"} if o == "last_hidden_state" else {0: "batch"}
                for o in outputs})
    return dict(model=TupleOutputs(model, inputs, outputs).eval(),
                args=text_inputs(1, 8, inputs, g), check=text_inputs(2, 16, inputs, g),
                inputs=inputs, outputs=outputs, dynamic=dyn)


def bert_base():
    from transformers import BertConfig, BertModel
    torch.manual_seed(SEED)
    model = BertModel(BertConfig(attn_implementation="eager"))
    return text_model(model, ["input_ids", "attention_mask", "token_type_ids"],
                      ["last_hidden_state", "pooler_output"])


def gpt2():
    from transformers import GPT2Config, GPT2Model
    torch.manual_seed(SEED)
    config = GPT2Config(n_layer=4, n_embd=256, n_head=4, use_cache=False,
                        attn_implementation="eager")
    return text_model(GPT2Model(config), ["input_ids", "attention_mask"], ["last_hidden_state"])


def torchvision_model(name, gain=0.5, size=224):
    def make():
        import torchvision
        spec = image_model(getattr(torchvision.models, name), gain)
        if size != 224:
            g = torch.Generator().manual_seed(SEED)
            spec["args"] = (torch.randn(1, 3, size, size, generator=g),)
            spec["check"] = (torch.randn(2, 3, size, size, generator=g),)
        return spec
    return make


def segmentation():
    import torchvision

    class Out(torch.nn.Module):  # the dict output's "out" tensor
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, x):
            return self.m(x)["out"]

    torch.manual_seed(SEED)
    m = torchvision.models.segmentation.deeplabv3_mobilenet_v3_large(
        weights=None, weights_backbone=None, aux_loss=False)
    spec = image_model(lambda weights=None: Out(randomize_bn(m, 0.7)), 0.7)
    spec["dynamic"] = {"input": {0: "batch"}, "output": {0: "batch"}}
    return spec


def encoder(config_cls, model_cls, inputs, **config):
    def make():
        import transformers
        torch.manual_seed(SEED)
        cfg = getattr(transformers, config_cls)(attn_implementation="eager", **config)
        return text_model(getattr(transformers, model_cls)(cfg), inputs, ["last_hidden_state"])
    return make


class Recurrent(torch.nn.Module):
    """An LSTM or GRU over [batch, seq, 64] features, 2 layers of 256, then a linear head."""

    def __init__(self, kind):
        super().__init__()
        self.rnn = getattr(torch.nn, kind)(64, 256, num_layers=2, batch_first=True)
        self.head = torch.nn.Linear(256, 10)

    def forward(self, x):
        return self.head(self.rnn(x)[0])


def recurrent(kind):
    def make():
        torch.manual_seed(SEED)
        g = torch.Generator().manual_seed(SEED)
        return dict(model=Recurrent(kind).eval(), args=(torch.randn(1, 32, 64, generator=g),),
                    check=(torch.randn(2, 48, 64, generator=g),), inputs=["input"],
                    outputs=["output"], dynamic={"input": {0: "batch", 1: "seq"},
                                                 "output": {0: "batch", 1: "seq"}})
    return make


MODELS = {"resnet50": resnet50, "mobilenet_v2": mobilenet_v2, "bert-base": bert_base, "gpt2": gpt2,
          # the CPU benchmark's set (bench/cpu.py, docs/benchmarks.md), by family
          "resnet18": torchvision_model("resnet18"),
          "vgg11_bn": torchvision_model("vgg11_bn"),
          "squeezenet1_1": torchvision_model("squeezenet1_1"),
          "mobilenet_v3_large": torchvision_model("mobilenet_v3_large", 0.7),
          "efficientnet_b0": torchvision_model("efficientnet_b0", 0.7),
          "densenet121": torchvision_model("densenet121"),
          "googlenet": torchvision_model("googlenet"),
          "convnext_tiny": torchvision_model("convnext_tiny"),
          "vit_b_16": torchvision_model("vit_b_16"),
          "swin_t": torchvision_model("swin_t"),
          "deeplabv3_mobilenet_v3": segmentation,
          "distilbert": encoder("DistilBertConfig", "DistilBertModel",
                                ["input_ids", "attention_mask"]),
          "roberta-base": encoder("RobertaConfig", "RobertaModel",
                                  ["input_ids", "attention_mask"]),
          "lstm": recurrent("LSTM"),
          "gru": recurrent("GRU")}


def export(name, spec, path, opset, keep_bn, dynamo=False):
    mode = torch.onnx.TrainingMode.PRESERVE if keep_bn and spec.get("cnn") else \
        torch.onnx.TrainingMode.EVAL
    t = time.time()
    kwargs = dict(opset_version=opset, input_names=spec["inputs"], output_names=spec["outputs"],
                  dynamic_axes=spec["dynamic"], do_constant_folding=True, training=mode)
    if dynamo:  # torch 2's exporter (torch.export + onnxscript), what torch.onnx.export does today
        import inspect
        params = list(inspect.signature(spec["model"].forward).parameters)
        # Dim.AUTO: dynamic where the model allows it (a model that specializes a dim, as
        # ConvNeXt's batch, is exported with that dim fixed, and checked at the export's shapes)
        shapes = {params[i]: {axis: torch.export.Dim.AUTO for axis in spec["dynamic"][name]}
                  for i, name in enumerate(spec["inputs"])}
        kwargs = dict(opset_version=opset, input_names=spec["inputs"],
                      output_names=spec["outputs"], dynamic_shapes=shapes, dynamo=True,
                      external_data=False)
    elif int(torch.__version__.split(".")[0]) >= 2:
        kwargs["dynamo"] = False  # torch 2's TorchScript exporter: the same graphs as torch 1.13's
    with torch.no_grad():
        torch.onnx.export(spec["model"], spec["args"], path, **kwargs)
    return time.time() - t


def check(spec, path):
    """Max abs diff of onnxruntime vs torch and max |torch|, per output, on spec['check'] (on
    spec['args'] when the exported model fixed a dim that spec['check'] changes)."""
    fixed = {i.name: [d.dim_value if d.HasField("dim_value") else None
                      for d in i.type.tensor_type.shape.dim]
             for i in onnx.load(path, load_external_data=False).graph.input}
    inputs = spec["check"]
    if any(d is not None and d != s for n, a in zip(spec["inputs"], inputs)
           for d, s in zip(fixed.get(n, []), a.shape)):
        inputs = spec["args"]
    with torch.no_grad():
        want = spec["model"](*inputs)
    want = [w.numpy() for w in (want if isinstance(want, (tuple, list)) else (want,))]
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = sess.run(spec["outputs"], {n: a.numpy() for n, a in zip(spec["inputs"], inputs)})
    diffs = {}
    for name, w, g in zip(spec["outputs"], want, got):
        assert w.shape == g.shape, f"{name}: torch {w.shape}, onnxruntime {g.shape}"
        diffs[name] = (float(np.abs(w - g).max()), float(np.abs(w).max()))
    return diffs


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("outdir")
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--keep-bn", action="store_true", help="keep BatchNormalization in the CNNs")
    p.add_argument("--dynamo", action="store_true",
                   help="torch >= 2.5: export with torch.onnx.export(..., dynamo=True)")
    p.add_argument("--rtol", type=float, default=1e-4, help="relative to the output's max |value|")
    p.add_argument("--atol", type=float, default=1e-4)
    a = p.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    torch.manual_seed(SEED)
    failed = []
    for name in a.models.split(","):
        if name not in MODELS:
            sys.exit(f"unknown model {name!r}; known: {', '.join(MODELS)}")
        spec = MODELS[name]()
        path = os.path.join(a.outdir, name + ".onnx")
        try:
            secs = export(name, spec, path, a.opset, a.keep_bn, a.dynamo)
        except Exception as e:  # noqa: BLE001  (report it and go on with the next model)
            print(f"{name}: FAIL export: {type(e).__name__}: {str(e).splitlines()[0][:300]}")
            failed.append(name)
            continue
        onnx.checker.check_model(path, full_check=True)
        m = onnx.load(path)
        ops = collections.Counter(n.op_type for n in m.graph.node)
        print(f"{name}: {path}, {os.path.getsize(path) / 1e6:.1f} MB, exported in {secs:.1f} s, "
              f"{len(m.graph.node)} nodes: " + ", ".join(f"{k} {v}" for k, v in sorted(ops.items())))
        try:
            diffs = check(spec, path)
        except Exception as e:  # noqa: BLE001
            print(f"  FAIL onnxruntime on the check inputs: {str(e).splitlines()[0][:300]}")
            failed.append(name)
            continue
        for out, (diff, scale) in diffs.items():
            bad = diff > a.atol + a.rtol * scale
            failed += [name] if bad else []
            print(f"  {'FAIL' if bad else 'ok  '} onnxruntime vs torch, {out}: max abs diff "
                  f"{diff:.3g} (max |torch| {scale:.3g})")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
