#!/usr/bin/python3
"""The PyTorch peer of bench/suite.py's Hessian benchmark, written as PyHessian does it: the
gradient with create_graph=True once, then one torch.autograd.grad of (g . v) per Hessian-vector
product; Lanczos with full re-orthogonalisation on flat float64 vectors, the top 5 Ritz values from
the tridiagonal matrix. Model and data have the shapes of configs/sharpness/edge_of_stability.yaml
(tanh MLP 196-200-200-10, 1,000 examples, 0.5 x sum of squares averaged over examples); the values
are random (the cost does not depend on them).
Prints {"seconds_per_measurement": ..., "products_per_second": ...}.

Usage: hessian_peer.py --measurements N --iterations K --threads T
"""
import argparse
import json
import time

import torch
import torch.nn as nn


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--measurements", type=int, default=3)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(196, 200), nn.Tanh(), nn.Linear(200, 200), nn.Tanh(), nn.Linear(200, 10))
    x, labels = torch.randn(1000, 196), torch.randint(0, 10, (1000,))
    target = nn.functional.one_hot(labels, 10).float()
    params = [p for p in model.parameters() if p.requires_grad]

    def measure():
        loss = 0.5 * ((model(x) - target) ** 2).sum(1).mean()
        grads = torch.autograd.grad(loss, params, create_graph=True)

        def hvp(v):
            pieces, at = [], 0
            for p in params:
                pieces.append(v[at:at + p.numel()].view_as(p).float())
                at += p.numel()
            dot = sum((g * u).sum() for g, u in zip(grads, pieces))
            hv = torch.autograd.grad(dot, params, retain_graph=True)
            return torch.cat([h.reshape(-1) for h in hv]).double()

        n = sum(p.numel() for p in params)
        q = torch.randn(n, dtype=torch.float64)
        basis = [q / q.norm()]
        alpha, beta = [], []
        for j in range(args.iterations):
            w = hvp(basis[j])
            alpha.append(float(w @ basis[j]))
            Q = torch.stack(basis)
            for _ in range(2):
                w = w - Q.T @ (Q @ w)
            b = float(w.norm())
            if j + 1 < args.iterations:
                beta.append(b)
                basis.append(w / b)
        T = torch.diag(torch.tensor(alpha, dtype=torch.float64))
        for i, b in enumerate(beta):
            T[i, i + 1] = T[i + 1, i] = b
        return torch.linalg.eigvalsh(T).flip(0)[:5]

    measure()  # warm-up
    start = time.perf_counter()
    for _ in range(args.measurements):
        measure()
    seconds = (time.perf_counter() - start) / args.measurements
    print(json.dumps({"seconds_per_measurement": seconds, "products_per_second": args.iterations / seconds}))


if __name__ == "__main__":
    main()
