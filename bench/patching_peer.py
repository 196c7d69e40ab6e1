#!/usr/bin/python3
"""The PyTorch peer of bench/suite.py's activation-patching benchmark, written as a TransformerLens
user would without the library: the grokking transformer (1 layer, d_model 128, 4 heads of 32,
ReLU MLP 512, no LayerNorm, learned positions, readout at the last position) with identity modules
as hook points and forward hooks that cache the clean run and overwrite one slice of the corrupted
run. Per measurement: the clean and corrupted runs, then every hook whole, per position, and for
hook_z per head and per (position, head), the fraction of the logit difference recovered. The
weights are random (the cost does not depend on them).
Prints {"seconds_per_measurement": ..., "forwards": ...}.

Usage: patching_peer.py --measurements N --examples E --threads T
"""
import argparse
import json
import time

import torch
import torch.nn as nn

P, D, H, E, MLP, T = 113, 128, 4, 32, 512, 3


class Hook(nn.Identity):
    pass


class Transformer(nn.Module):
    def __init__(self):
        super().__init__()
        g = lambda *shape: nn.Parameter(torch.randn(*shape) / shape[0] ** 0.5)  # noqa: E731
        self.W_E, self.W_pos = g(P + 1, D), g(T, D)
        self.W_Q, self.W_K, self.W_V = g(H, D, E), g(H, D, E), g(H, D, E)
        self.W_O = g(H, E, D)
        self.W_in, self.b_in, self.W_out, self.b_out = g(D, MLP), nn.Parameter(torch.zeros(MLP)), g(MLP, D), nn.Parameter(torch.zeros(D))
        self.W_U = g(D, P)
        names = ["hook_embed", "blocks.0.hook_resid_pre", "blocks.0.attn.hook_z", "blocks.0.hook_resid_mid",
                 "blocks.0.mlp.hook_post", "blocks.0.hook_resid_post"]
        self.hooks = nn.ModuleDict({n.replace(".", "_"): Hook() for n in names})
        self.register_buffer("mask", torch.triu(torch.ones(T, T, dtype=torch.bool), 1))

    def hook(self, name, x):
        return self.hooks[name.replace(".", "_")](x)

    def forward(self, tokens):
        embed = self.hook("hook_embed", self.W_E[tokens])
        resid = self.hook("blocks.0.hook_resid_pre", embed + self.W_pos)
        q = torch.einsum("btd,hde->bthe", resid, self.W_Q)
        k = torch.einsum("btd,hde->bthe", resid, self.W_K)
        v = torch.einsum("btd,hde->bthe", resid, self.W_V)
        scores = torch.einsum("bqhe,bkhe->bhqk", q, k) / E ** 0.5
        pattern = scores.masked_fill(self.mask, float("-inf")).softmax(-1)
        z = self.hook("blocks.0.attn.hook_z", torch.einsum("bhqk,bkhe->bqhe", pattern, v))
        resid = self.hook("blocks.0.hook_resid_mid", resid + torch.einsum("bthe,hed->btd", z, self.W_O))
        post = self.hook("blocks.0.mlp.hook_post", torch.relu(resid @ self.W_in + self.b_in))
        resid = self.hook("blocks.0.hook_resid_post", resid + post @ self.W_out + self.b_out)
        return resid[:, -1] @ self.W_U


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--measurements", type=int, default=3)
    parser.add_argument("--examples", type=int, default=2048)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = Transformer().eval()
    a, b = torch.randint(0, P, (args.examples,)), torch.randint(0, P, (args.examples,))
    a2 = (a + torch.randint(1, P, (args.examples,))) % P
    clean = torch.stack([a, b, torch.full_like(a, P)], 1)
    corrupted = torch.stack([a2, b, torch.full_like(a, P)], 1)
    good, bad = (a + b) % P, (a2 + b) % P

    def logit_diff(logits):
        return (logits.gather(1, good[:, None]) - logits.gather(1, bad[:, None])).mean().item()

    def measure():
        cache, handles = {}, []
        for name, module in model.hooks.items():
            handles.append(module.register_forward_hook(lambda m, i, o, name=name: cache.__setitem__(name, o.detach())))
        hi = logit_diff(model(clean))
        for h in handles:
            h.remove()
        lo = logit_diff(model(corrupted))
        forwards, results = 2, {}

        def patched(name, index):
            def replace(module, inputs, output):
                out = output.clone()
                out[index] = cache[name][index]
                return out
            handle = model.hooks[name].register_forward_hook(replace)
            value = (logit_diff(model(corrupted)) - lo) / (hi - lo)
            handle.remove()
            return value

        for name in model.hooks:
            results[name] = [patched(name, (slice(None),))]
            results[name] += [patched(name, (slice(None), t)) for t in range(T)]
            forwards += 1 + T
            if name.endswith("hook_z"):
                results[name] += [patched(name, (slice(None), slice(None), h)) for h in range(H)]
                results[name] += [patched(name, (slice(None), t, h)) for t in range(T) for h in range(H)]
                forwards += H + T * H
        return forwards

    with torch.no_grad():
        measure()  # warm-up
        start = time.perf_counter()
        for _ in range(args.measurements):
            forwards = measure()
        seconds = (time.perf_counter() - start) / args.measurements
    print(json.dumps({"seconds_per_measurement": seconds, "forwards": forwards}))


if __name__ == "__main__":
    main()
