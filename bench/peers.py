#!/usr/bin/python3
"""The PyTorch peers of bench/suite.py: for each model system, the script a PyTorch expert would
write (full-batch tensors, F.embedding for the token MLP's first layer, F.mse_loss / F.cross_entropy,
zero_grad(set_to_none=True), torch.no_grad() evaluation of both splits every EVAL steps, no Python
loop over examples). Same shapes, optimizer and cadence as the phenom spec the suite writes.
Prints {"steps_per_second": ...} (training loop incl. evaluation, like phenom's summary.json).

Usage: peers.py SYSTEM --steps N --threads T   (OPENBLAS_NUM_THREADS is set by the caller)
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SYSTEMS = {
    # name: model shape; keep in step with bench/suite.py
    "tiny_mlp": dict(kind="token_mlp", p=23, width=64, fraction=0.5, act="relu", loss="mse", eval=10),
    "grokking_mlp": dict(kind="token_mlp", p=97, width=500, fraction=0.5, act="quadratic", loss="mse", eval=10),
    "transformer_small": dict(kind="transformer", p=59, d=64, heads=4, d_head=16, d_mlp=256, fraction=0.4, eval=10),
    "wide_mlp": dict(kind="wide_mlp", n=4096, n_test=1024, d_in=784, width=2048, depth=1, classes=10, eval=10),
    "icl_transformer": dict(kind="icl", dim=5, points=11, d=64, layers=3, heads=2, d_head=32, batch=64,
                            eval_prompts=256, eval=10),
}


def modular_data(p, fraction):
    a, b = torch.cartesian_prod(torch.arange(p), torch.arange(p)).T
    y = (a + b) % p
    x = torch.stack([a, b, torch.full_like(a, p)], dim=1)
    order = torch.randperm(p * p)
    n = round(fraction * p * p)
    return (x[order[:n]], y[order[:n]]), (x[order[n:]], y[order[n:]])


class TokenMlp(nn.Module):
    def __init__(self, p, width, act):
        super().__init__()
        self.p, self.act = p, act
        self.embed = nn.Parameter(torch.randn(2 * p, width) * 0.05)
        self.readout = nn.Linear(width, p, bias=False)

    def forward(self, x):
        h = F.embedding(x[:, 0], self.embed) + F.embedding(x[:, 1] + self.p, self.embed)
        h = h * h if self.act == "quadratic" else F.relu(h)
        return self.readout(h)


class Transformer(nn.Module):
    """One block, no LayerNorm (Nanda et al.), logits at the last position."""

    def __init__(self, vocab, classes, d, heads, d_head, d_mlp, seq=3):
        super().__init__()
        self.heads, self.d_head = heads, d_head
        self.embed = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(seq, d) / math.sqrt(d))
        self.qkv = nn.Linear(d, 3 * heads * d_head, bias=False)
        self.out = nn.Linear(heads * d_head, d, bias=False)
        self.mlp_in = nn.Linear(d, d_mlp)
        self.mlp_out = nn.Linear(d_mlp, d)
        self.unembed = nn.Linear(d, classes, bias=False)

    def forward(self, x):
        B, T = x.shape
        h = self.embed(x) + self.pos
        q, k, v = self.qkv(h).view(B, T, 3, self.heads, self.d_head).permute(2, 0, 3, 1, 4)
        attn = F.scaled_dot_product_attention(q, k, v, is_causal=True) if hasattr(F, "scaled_dot_product_attention") \
            else torch.softmax((q @ k.transpose(-1, -2) / math.sqrt(self.d_head)).masked_fill(
                torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float("-inf")), -1) @ v
        h = h + self.out(attn.transpose(1, 2).reshape(B, T, -1))
        h = h + self.mlp_out(F.relu(self.mlp_in(h)))
        return self.unembed(h[:, -1])


class Gpt2Block(nn.Module):
    """Pre-LayerNorm GPT-2 block: causal self-attention and a 4x GELU MLP."""

    def __init__(self, d, heads, d_head):
        super().__init__()
        self.heads, self.d_head = heads, d_head
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * heads * d_head, bias=False)
        self.out = nn.Linear(heads * d_head, d, bias=False)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, h):
        B, T, _ = h.shape
        q, k, v = self.qkv(self.ln1(h)).view(B, T, 3, self.heads, self.d_head).permute(2, 0, 3, 1, 4)
        mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
        attn = torch.softmax((q @ k.transpose(-1, -2) / math.sqrt(self.d_head)).masked_fill(mask, float("-inf")), -1) @ v
        h = h + self.out(attn.transpose(1, 2).reshape(B, T, -1))
        return h + self.mlp(self.ln2(h))


class IclTransformer(nn.Module):
    """Garg et al.'s model: linear read-in of [0, x] / [y, 0] tokens, learned positions, GPT-2
    blocks, a linear read-out at every position; predictions read at the x positions."""

    def __init__(self, dim, points, d, layers, heads, d_head):
        super().__init__()
        self.read_in = nn.Linear(dim + 1, d)
        self.pos = nn.Parameter(torch.randn(2 * points, d) * 0.01)
        self.blocks = nn.ModuleList(Gpt2Block(d, heads, d_head) for _ in range(layers))
        self.ln = nn.LayerNorm(d)
        self.read_out = nn.Linear(d, 1, bias=False)

    def forward(self, seq):
        h = self.read_in(seq) + self.pos
        for block in self.blocks:
            h = block(h)
        return self.read_out(self.ln(h))[:, ::2, 0]


def icl_prompts(count, dim, points):
    """Prompts with a fresh task vector each: sequences [count, 2 points, dim + 1] and targets y."""
    x = torch.randn(count, points, dim)
    y = (x @ torch.randn(count, dim, 1)).squeeze(-1)
    seq = torch.zeros(count, points, 2, dim + 1)
    seq[:, :, 0, 1:] = x
    seq[:, :, 1, 0] = y
    return seq.view(count, 2 * points, dim + 1), y


def build(name):
    s = SYSTEMS[name]
    if s["kind"] == "token_mlp":
        train, test = modular_data(s["p"], s["fraction"])
        model = TokenMlp(s["p"], s["width"], s["act"])
        opt = torch.optim.AdamW(model.parameters(), lr=1e-2, betas=(0.9, 0.98), weight_decay=5.0)
        classes = s["p"]
        loss = lambda logits, y: F.mse_loss(logits, F.one_hot(y, classes).float())
    elif s["kind"] == "transformer":
        train, test = modular_data(s["p"], s["fraction"])
        model = Transformer(s["p"] + 1, s["p"], s["d"], s["heads"], s["d_head"], s["d_mlp"])
        opt = torch.optim.AdamW(model.parameters(), lr=3e-3, betas=(0.9, 0.98), weight_decay=1.0)
        loss = F.cross_entropy
    elif s["kind"] == "icl":
        model = IclTransformer(s["dim"], s["points"], s["d"], s["layers"], s["heads"], s["d_head"])
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss = F.mse_loss
        train = lambda: icl_prompts(s["batch"], s["dim"], s["points"])  # a fresh batch every step
        test = icl_prompts(s["eval_prompts"], s["dim"], s["points"])
    else:
        train = (torch.randn(s["n"], s["d_in"]), torch.randint(0, s["classes"], (s["n"],)))
        test = (torch.randn(s["n_test"], s["d_in"]), torch.randint(0, s["classes"], (s["n_test"],)))
        layers, width_in = [], s["d_in"]
        for _ in range(s["depth"]):
            layers += [nn.Linear(width_in, s["width"]), nn.ReLU()]
            width_in = s["width"]
        model = nn.Sequential(*layers, nn.Linear(width_in, s["classes"]))
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        loss = F.cross_entropy
    return model, opt, loss, train, test, s["eval"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("system", choices=sorted(SYSTEMS))
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model, opt, loss_fn, train, (xt, yt), eval_every = build(args.system)
    streamed = callable(train)  # a sequence task draws a fresh batch every step and has no accuracy
    x, y = (None, None) if streamed else train

    def evaluate():
        with torch.no_grad():
            for inputs, labels in ((xt, yt),) if streamed else ((x, y), (xt, yt)):
                logits = model(inputs)
                _ = loss_fn(logits, labels).item() if streamed else \
                    (loss_fn(logits, labels).item(), (logits.argmax(1) == labels).float().mean().item())

    start = time.perf_counter()
    for step in range(args.steps + 1):
        if step % eval_every == 0 or step == args.steps:
            evaluate()
        if step == args.steps:
            break
        opt.zero_grad(set_to_none=True)
        if streamed:
            x, y = train()
        loss_fn(model(x), y).backward()
        opt.step()
    seconds = time.perf_counter() - start
    print(json.dumps({"steps_per_second": args.steps / seconds}))


if __name__ == "__main__":
    main()
