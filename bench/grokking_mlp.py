#!/usr/bin/python3
"""The PyTorch script a researcher would write for configs/grokking/mlp.yaml (Gromov's quadratic
MLP on (a+b) mod 97): same data, model, optimizer, loss, full batch, and the same logging cadence
(train/test loss and accuracy plus the weight norm every 2 steps). Prints steps/s as JSON.

--first-layer onehot  : the idiomatic version (one-hot inputs, nn.Linear)
--first-layer embed   : the same arithmetic phenom uses (sum of embedding rows)
"""
import argparse, json, time

import torch
import torch.nn as nn
import torch.nn.functional as F

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=300)
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--first-layer", choices=["onehot", "embed"], default="onehot")
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)

p, width, eval_every = 97, 500, 2
a, b = torch.cartesian_prod(torch.arange(p), torch.arange(p)).T
y = (a + b) % p
order = torch.randperm(p * p)
n_train = (p * p) // 2
train_idx, test_idx = order[:n_train], order[n_train:]


class Square(nn.Module):
    def forward(self, x):
        return x * x


class EmbedSum(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(2 * p, width) * 0.05)

    def forward(self, ab):
        return self.weight[ab[:, 0]] + self.weight[p + ab[:, 1]]


if args.first_layer == "onehot":
    inputs = torch.cat([F.one_hot(a, p), F.one_hot(b, p)], dim=1).float()
    first = nn.Linear(2 * p, width, bias=False)
    nn.init.normal_(first.weight, std=0.05)
else:
    inputs = torch.stack([a, b], dim=1)
    first = EmbedSum()
readout = nn.Linear(width, p, bias=False)
nn.init.normal_(readout.weight, std=0.05)
model = nn.Sequential(first, Square(), readout)
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, betas=(0.9, 0.98), weight_decay=5.0)

x_train, y_train = inputs[train_idx], y[train_idx]
x_test, y_test = inputs[test_idx], y[test_idx]
targets = F.one_hot(y_train, p).float()


def evaluate(x, labels):
    with torch.no_grad():
        logits = model(x)
        loss = F.mse_loss(logits, F.one_hot(labels, p).float())
        return loss.item(), (logits.argmax(1) == labels).float().mean().item()


history = []
start = time.perf_counter()
for step in range(args.steps + 1):
    if step % eval_every == 0:
        train_loss, train_acc = evaluate(x_train, y_train)
        test_loss, test_acc = evaluate(x_test, y_test)
        norm = torch.sqrt(sum((w.detach().double() ** 2).sum() for w in model.parameters())).item()
        history.append((step, train_acc, test_acc, norm))
    if step == args.steps:
        break
    optimizer.zero_grad()
    loss = F.mse_loss(model(x_train), targets)
    loss.backward()
    optimizer.step()
seconds = time.perf_counter() - start
print(json.dumps({"steps_per_second": args.steps / seconds, "final_test_acc": history[-1][2],
                  "first_layer": args.first_layer}))
