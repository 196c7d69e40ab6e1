#!/usr/bin/python3
"""The PyTorch peer of bench/suite.py's SAE benchmark, as a SAELens user would train a standard
(ReLU + L1, decoder-norm weighted) sparse autoencoder on cached activations: an nn.Module with
W_enc [d_in, d_sae], b_enc, W_dec [d_sae, d_in], b_dec, Adam, minibatches drawn with replacement.
The activations are random (the cost of the dense matmuls does not depend on them).
Prints {"seconds_per_measurement": ... (one fit of --steps steps), "steps_per_second": ...}.

Usage: sae_peer.py --rows N --d-in D --d-sae F --batch B --steps S --threads T
"""
import argparse
import json
import time

import torch
import torch.nn as nn


class Sae(nn.Module):
    def __init__(self, d_in, d_sae):
        super().__init__()
        dec = torch.randn(d_sae, d_in)
        dec = dec / dec.norm(dim=1, keepdim=True)
        self.W_dec = nn.Parameter(dec.clone())
        self.W_enc = nn.Parameter(dec.t().clone())
        self.b_enc = nn.Parameter(torch.zeros(d_sae))
        self.b_dec = nn.Parameter(torch.zeros(d_in))

    def forward(self, x):
        f = torch.relu((x - self.b_dec) @ self.W_enc + self.b_enc)
        return f, f @ self.W_dec + self.b_dec


def main():
    parser = argparse.ArgumentParser()
    for name, default in [("rows", 4704), ("d-in", 500), ("d-sae", 2000), ("batch", 512), ("steps", 200), ("threads", 1)]:
        parser.add_argument(f"--{name}", type=int, default=default)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    acts = torch.randn(args.rows, args.d_in)
    sae = Sae(args.d_in, args.d_sae)
    opt = torch.optim.Adam(sae.parameters(), lr=3e-3)

    def step():
        x = acts[torch.randint(0, args.rows, (args.batch,))]
        f, x_hat = sae(x)
        loss = (x_hat - x).pow(2).sum(-1).mean() + 1.0 * (f * sae.W_dec.norm(dim=1)).sum(-1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(10):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds_per_measurement": seconds, "steps_per_second": args.steps / seconds}))


if __name__ == "__main__":
    main()
