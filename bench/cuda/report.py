"""Prints the table of bench/cuda/run.sh from the JSON files in OUT: Strata cuda vs PyTorch,
measured in the same call, with the ratios issue 6's speed goals use."""
import json
import os
import sys


def load(path):
    try:
        with open(path) as f:
            return json.loads(f.read().strip().splitlines()[-1])
    except Exception as e:  # a peer that failed: show what is there
        print("(%s: %s)" % (os.path.basename(path), e))
        return {}


def get(d, *keys):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def fmt(v, unit=""):
    return "-" if v is None else ("%.3f%s" % (v, unit) if v < 10 else "%.1f%s" % (v, unit))


out = sys.argv[1] if len(sys.argv) > 1 else "out"
torch = load(os.path.join(out, "torch.json"))
st = load(os.path.join(out, "strata_cuda.json"))
eager = load(os.path.join(out, "strata_cuda_eager.json"))
print("device: %s, PyTorch %s (cuDNN %s), fp32" % (torch.get("device"), torch.get("version"), torch.get("cudnn")))
rows = []
t_e1 = get(torch, "mobilenet_v2", "batch_1", "eager", "median_ms")
t_g1 = get(torch, "mobilenet_v2", "batch_1", "cuda_graph", "median_ms")
s_g1 = get(st, "mobilenet_v2", "batch_1", "median_ms")
s_e1 = get(eager, "mobilenet_v2", "batch_1", "median_ms")
rows.append(("MobileNetV2 b=1 latency (median, ms)", s_g1, s_e1, t_g1, t_e1,
             "Strata/PyTorch-graph %s (goal <= 0.5 ms)" % fmt(s_g1 / t_g1 if s_g1 and t_g1 else None)))
t_b = max(filter(None, [get(torch, "mobilenet_v2", "batch_256", k, "images_per_s") for k in ("eager", "cuda_graph")]), default=None)
s_b = get(st, "mobilenet_v2", "batch_256", "images_per_s")
rows.append(("MobileNetV2 b=256 images/s", s_b, get(eager, "mobilenet_v2", "batch_256", "images_per_s"),
             get(torch, "mobilenet_v2", "batch_256", "cuda_graph", "images_per_s"),
             get(torch, "mobilenet_v2", "batch_256", "eager", "images_per_s"),
             "Strata/PyTorch-best %s (goal >= 1.2)" % fmt(s_b / t_b if s_b and t_b else None)))
s_c = get(st, "mnist_cnn_train", "samples_per_s")
t_c = get(torch, "mnist_cnn_train", "samples_per_s")
rows.append(("MNIST CNN train b=256 samples/s", s_c, None, None, t_c,
             "Strata/PyTorch %s (goal >= 1.0)" % fmt(s_c / t_c if s_c and t_c else None)))
s_m = get(st, "mobilenet_v2", "train_batch_64", "median_ms")
t_m = get(torch, "mobilenet_v2", "train_batch_64", "median_ms")
rows.append(("MobileNetV2 train step b=64 (median, ms)", s_m, None, None, t_m,
             "Strata/PyTorch %s (goal <= 1.0)" % fmt(s_m / t_m if s_m and t_m else None)))
print("| measure | Strata cuda (graphs) | Strata cuda (eager) | PyTorch (CUDA graph) | PyTorch (eager) | ratio |")
print("|---|---|---|---|---|---|")
for name, a, b, c, d, ratio in rows:
    print("| %s | %s | %s | %s | %s | %s |" % (name, fmt(a), fmt(b), fmt(c), fmt(d), ratio))
