"""PyTorch peer of bench/cuda/run.sh: the same models and protocol as strata_peer on the GPU.

MobileNetV2 224 (torchvision's MobileNetV2 features = Keras MobileNetV2 alpha 1.0, with the nsfwjs
head AvgPool-Dense256-Dense128-Dense5 softmax), fp32 (TF32 off), eval, channels_last,
cudnn.benchmark: predict latency/throughput eagerly and with CUDA graphs, each timed run = forward
+ copy of the output to the host. Training: the MNIST CNN (Conv32-Pool-Conv64-Pool-Dense128-Dense10)
at batch 256 with Adam (samples/s over an epoch of steps, loss read every step as fit does), and a
MobileNetV2 training step at batch 64 (Adam, cross-entropy, loss read). Prints one JSON line.
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


class MobileNetV2Nsfw(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = torchvision.models.mobilenet_v2(weights=None).features
        self.dense1 = nn.Linear(1280, 256)
        self.dense2 = nn.Linear(256, 128)
        self.dense3 = nn.Linear(128, 5)
        self.drop2 = nn.Dropout(0.5)
        self.drop3 = nn.Dropout(0.25)

    def forward(self, x):
        x = self.features(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        x = self.drop2(F.relu(self.dense1(x)))
        x = self.drop3(F.relu(self.dense2(x)))
        return self.dense3(x)  # logits; softmax below (predict) or inside the loss (training)


class MnistCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.fc1 = nn.Linear(5 * 5 * 64, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


def time_runs(fn, warmup, runs):
    for _ in range(warmup):
        fn()
    ms = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1000)
    return {"median_ms": median(ms), "min_ms": min(ms)}


def predict_bench(model, batch, warmup, runs):
    x = torch.rand(batch, 3, 224, 224, device="cuda").to(memory_format=torch.channels_last)
    out = {}
    with torch.inference_mode():
        eager = time_runs(lambda: torch.softmax(model(x), 1).cpu(), warmup, runs)
        out["eager"] = {**eager, "images_per_s": 1000 * batch / eager["median_ms"]}
    static_x = x.clone()
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.no_grad(), torch.cuda.stream(s):
        for _ in range(3):
            torch.softmax(model(static_x), 1)
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    with torch.no_grad(), torch.cuda.graph(g):
        static_y = torch.softmax(model(static_x), 1)

    def replay():
        static_x.copy_(x)
        g.replay()
        return static_y.cpu()

    graphed = time_runs(replay, warmup, runs)
    out["cuda_graph"] = {**graphed, "images_per_s": 1000 * batch / graphed["median_ms"]}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--batches", default="1,256")
    ap.add_argument("--train-batch", type=int, default=256)
    ap.add_argument("--train-steps", type=int, default=125)
    ap.add_argument("--mobilenet-train-batch", type=int, default=64)
    a = ap.parse_args()
    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.manual_seed(0)
    r = {"peer": "pytorch", "version": torch.__version__, "device": torch.cuda.get_device_name(0),
         "cudnn": torch.backends.cudnn.version(), "math": "fp32 (TF32 off)"}

    model = MobileNetV2Nsfw().cuda().eval().to(memory_format=torch.channels_last)
    mb = {}
    for b in [int(v) for v in a.batches.split(",")]:
        runs = a.runs if b < 64 else max(10, a.runs // 5)
        mb["batch_%d" % b] = predict_bench(model, b, a.warmup, runs)

    # MobileNetV2 training step.
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    b = a.mobilenet_train_batch
    x = torch.rand(b, 3, 224, 224, device="cuda").to(memory_format=torch.channels_last)
    y = torch.randint(0, 5, (b,), device="cuda")

    def mobilenet_step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    t = time_runs(mobilenet_step, 5, 30)
    mb["train_batch_%d" % b] = {**t, "images_per_s": 1000 * b / t["median_ms"], "optimizer": "adam(0.001)"}
    r["mobilenet_v2"] = mb

    # MNIST CNN training: one epoch of train_steps batches, loss read every step.
    cnn = MnistCnn().cuda()
    opt = torch.optim.Adam(cnn.parameters(), lr=1e-3, eps=1e-7)
    n = a.train_steps * a.train_batch
    xs = torch.rand(n, 1, 28, 28, device="cuda")
    ys = torch.randint(0, 10, (n,), device="cuda")

    def cnn_step(i):
        xb = xs[i * a.train_batch:(i + 1) * a.train_batch]
        yb = ys[i * a.train_batch:(i + 1) * a.train_batch]
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(cnn(xb), yb)
        loss.backward()
        opt.step()
        return loss.item()

    for i in range(3):
        cnn_step(i)
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for i in range(a.train_steps):
        cnn_step(i)
    s = time.perf_counter() - t0
    r["mnist_cnn_train"] = {"batch_size": a.train_batch, "steps": a.train_steps, "samples": n, "seconds": s,
                            "samples_per_s": n / s}
    print(json.dumps(r))


if __name__ == "__main__":
    main()
