"""PyTorch reference for bench/train.ts: the issue's target ("the WASM path at least as fast as
PyTorch on the same CPU for the same model"). The paper's trVAE in plain PyTorch (CPU), one train
step = forward, backward, gradient clipping by value and Adam, timed like the ONNX step.

  PYTHON=/path/to/python-with-torch python bench/train_torch.py STEPS THREADS
      -> JSON {msPerStep, cellsPerSecond, threads, torch, gemmGflops (512 × 2,002 × 512)}
  python bench/train_torch.py train EPOCHS CELLS GENES THREADS
      -> JSON {seconds, steps, cellsPerSecond, threads, torch}: pure training time of EPOCHS epochs
         over CELLS training cells (shuffled, full batches of 512) of GENES genes, for bench/train-e2e.ts

Not run in CI (PyTorch is not a dependency); bench/train.ts calls it with --torch PYTHON.
"""
import json
import sys
import time

import torch
from torch import nn

SIGMAS = torch.tensor([1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 5, 10, 15, 20, 25, 30, 35, 100, 1e3, 1e4, 1e5, 1e6])


def block(n_in, n_out, dropout):
    # Keras BatchNormalization(momentum=0.99, epsilon=1e-3) == torch momentum 0.01
    return nn.Sequential(nn.Linear(n_in, n_out, bias=False), nn.BatchNorm1d(n_out, eps=1e-3, momentum=0.01), nn.LeakyReLU(0.3))


class Trvae(nn.Module):
    def __init__(self, genes, conditions, hidden, latent, dropout):
        super().__init__()
        dims = [genes + conditions] + hidden
        self.encoder = nn.ModuleList(block(dims[k], dims[k + 1], dropout) for k in range(len(hidden)))
        self.mu = nn.Linear(hidden[-1], latent)
        self.logvar = nn.Linear(hidden[-1], latent)
        rev = hidden[::-1]
        ddims = [latent + conditions] + rev
        self.decoder = nn.ModuleList(block(ddims[k], ddims[k + 1], dropout) for k in range(len(rev)))
        self.out = nn.Linear(hidden[0], genes)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, c):
        h = torch.cat([x, c], 1)
        for b in self.encoder:
            h = self.drop(b(h))
        mu, lv = self.mu(h), self.logvar(h).clamp(-30, 20)
        z = mu + torch.exp(lv / 2) * torch.randn_like(mu)
        h = torch.cat([z, c], 1)
        y = None
        for k, b in enumerate(self.decoder):
            h = b(h)
            if k == 0:
                y = h  # the MMD layer: first decoder block, before dropout
            h = self.drop(h)
        return torch.relu(self.out(h)), mu, lv, y


def mmd(y, c):
    d = torch.cdist(y, y).pow(2)
    k = (torch.exp(-d[None] / (2 * SIGMAS[:, None, None])) - 1).mean(0)
    m0, m1 = c[:, 0], c[:, 1]
    n0, n1 = m0.sum(), m1.sum()
    w = torch.outer(m0, m0) / n0**2 + torch.outer(m1, m1) / n1**2 - 2 * torch.outer(m0, m1) / (n0 * n1)
    return (w * k).sum()


def make_step(G, C, B):
    """The paper's model and one optimiser step on a batch (x [B, G], one-hot c [B, C])."""
    model = Trvae(G, C, [512, 128], 20, 0.2)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    alpha, beta, eta = 5e-5, 100.0, 100.0

    def step(x, c):
        opt.zero_grad(set_to_none=True)
        xhat, mu, lv, y = model(x, c)
        recon = 0.5 * (xhat - x).pow(2).sum() / B
        kl = 0.5 * torch.mean(torch.exp(lv) + mu * mu - 1 - lv)
        loss = eta * recon + alpha * kl + beta * mmd(y, c)
        loss.backward()
        nn.utils.clip_grad_value_(model.parameters(), 3.0)
        opt.step()
        return loss

    return step


def bench(steps, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    G, C, B = 2000, 2, 512
    x = torch.clamp(2 * torch.randn(B, G), min=0)
    c = torch.zeros(B, C)
    c[torch.arange(B), torch.arange(B) % C] = 1
    one = make_step(G, C, B)

    def step():
        return one(x, c)

    for _ in range(3):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    ms = (time.perf_counter() - start) * 1000 / steps
    # the GEMM rate on the step's largest product, to compare with bench/train-profile.ts
    a, b = torch.randn(512, 2002), torch.randn(2002, 512)
    for _ in range(3):
        a @ b
    start = time.perf_counter()
    for _ in range(20):
        a @ b
    gemm_ms = (time.perf_counter() - start) * 1000 / 20
    print(json.dumps({"msPerStep": ms, "cellsPerSecond": B * 1000 / ms, "threads": threads, "torch": torch.__version__, "gemmGflops": 2 * 512 * 2002 * 512 / (gemm_ms * 1e6)}))


def train(epochs, cells, genes, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    C, B = 2, 512
    data = torch.log1p(torch.poisson(torch.rand(cells, genes)))
    conditions = torch.zeros(cells, C)
    conditions[torch.arange(cells), torch.randint(C, (cells,))] = 1
    step = make_step(genes, C, B)
    start = time.perf_counter()
    steps = 0
    for _ in range(epochs):
        order = torch.randperm(cells)
        for k in range(cells // B):
            rows = order[k * B : (k + 1) * B]
            step(data[rows], conditions[rows])
            steps += 1
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "steps": steps, "cellsPerSecond": steps * B / seconds, "threads": threads, "torch": torch.__version__}))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "train":
        train(*(int(a) for a in sys.argv[2:6]))
        sys.exit(0)
    bench(int(sys.argv[1]) if len(sys.argv) > 1 else 10, int(sys.argv[2]) if len(sys.argv) > 2 else 1)
