"""numpy reference for bench/train.ts: one trVAE train step (forward, hand-written backward, clipped
Adam) for the paper-size model, timed for scale. Not PyTorch (not installable here); same
architecture, losses (SSE recon, KL, 19-sigma MMD over y) and update as the ONNX graph.

  python3 bench/train_numpy.py STEPS        -> JSON {msPerStep, cellsPerSecond, threads}
  python3 bench/train_numpy.py --check      -> finite-difference check of the backward (float64)
"""
import json
import os
import sys
import time

import numpy as np

SIGMAS = np.array([1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 5, 10, 15, 20, 25, 30, 35, 100, 1e3, 1e4, 1e5, 1e6])


def init(G, C, hidden, Z, rng, dtype):
    def glorot(i, o):
        return (rng.standard_normal((i, o)) * np.sqrt(2 / (i + o))).astype(dtype)
    p = {}
    dims = [G + C] + hidden
    for k in range(len(hidden)):
        p[f"e{k}"] = glorot(dims[k], dims[k + 1])
        p[f"e{k}g"], p[f"e{k}b"] = np.ones(dims[k + 1], dtype), np.zeros(dims[k + 1], dtype)
    p["mu"], p["mub"] = glorot(hidden[-1], Z), np.zeros(Z, dtype)
    p["lv"], p["lvb"] = glorot(hidden[-1], Z), np.zeros(Z, dtype)
    rev = hidden[::-1]
    ddims = [Z + C] + rev
    for k in range(len(rev)):
        p[f"d{k}"] = glorot(ddims[k], ddims[k + 1])
        p[f"d{k}g"], p[f"d{k}b"] = np.ones(ddims[k + 1], dtype), np.zeros(ddims[k + 1], dtype)
    p["out"], p["outb"] = glorot(hidden[0], G), np.zeros(G, dtype)
    return p


def block_fwd(h, W, g, b, mask, eps=1e-3, slope=0.3):
    a = h @ W
    mean = a.mean(0)
    c = a - mean
    var = (c * c).mean(0)
    inv = 1 / np.sqrt(var + eps)
    xh = c * inv
    bn = xh * g + b
    act = np.where(bn > 0, bn, slope * bn)
    return act * mask, (h, W, g, c, inv, xh, bn, act, mask)


def block_bwd(dout, cache, slope=0.3):
    h, W, g, c, inv, xh, bn, act, mask = cache
    dact = dout * mask
    dbn = np.where(bn > 0, dact, slope * dact)
    dg = (dbn * xh).sum(0)
    db = dbn.sum(0)
    dxh = dbn * g
    n = xh.shape[0]
    da = inv / n * (n * dxh - dxh.sum(0) - xh * (dxh * xh).sum(0))
    return da @ W.T, h.T @ da, dg, db


def loss_and_grads(p, x, c, eps, masks, hidden, alpha, beta, eta):
    B = x.shape[0]
    grads = {}
    h = np.concatenate([x, c], 1)
    ecache = []
    for k in range(len(hidden)):
        h, cache = block_fwd(h, p[f"e{k}"], p[f"e{k}g"], p[f"e{k}b"], masks[f"e{k}"])
        ecache.append(cache)
    mu = h @ p["mu"] + p["mub"]
    lv_raw = h @ p["lv"] + p["lvb"]
    lv = np.clip(lv_raw, -30, 20)
    std = np.exp(lv / 2)
    z = mu + std * eps
    hd = np.concatenate([z, c], 1)
    dcache = []
    y = None
    for k in range(len(hidden)):
        hd, cache = block_fwd(hd, p[f"d{k}"], p[f"d{k}g"], p[f"d{k}b"], masks[f"d{k}"])
        if k == 0:
            y = cache[7]
        dcache.append(cache)
    o = hd @ p["out"] + p["outb"]
    xhat = np.maximum(o, 0)
    diff = xhat - x
    recon = 0.5 * (diff * diff).sum() / B
    kl = 0.5 * np.mean(np.exp(lv) + mu * mu - 1 - lv)
    # MMD over y between the two conditions (biased V-statistic, exp(-u) - 1 accumulation)
    sq = (y * y).sum(1)
    D = np.maximum(sq[:, None] + sq[None, :] - 2 * y @ y.T, 0)
    np.fill_diagonal(D, 0)
    inv2s = 1 / (2 * SIGMAS)
    E = np.exp(-D[None] * inv2s[:, None, None])
    K = (E - 1).sum(0) / len(SIGMAS)
    m0, m1 = c[:, 0], c[:, 1]
    n0, n1 = m0.sum(), m1.sum()
    W = np.outer(m0, m0) / n0**2 + np.outer(m1, m1) / n1**2 - (np.outer(m0, m1) + np.outer(m1, m0)) / (n0 * n1)
    mmd = (W * K).sum()
    total = eta * recon + alpha * kl + beta * mmd
    # backward
    dK = beta * W
    dD = -(dK[None] * E * inv2s[:, None, None]).sum(0) / len(SIGMAS)
    dD = dD * (D > 0)
    dy = 2 * ((dD.sum(1) + dD.sum(0))[:, None] * y - (dD + dD.T) @ y)
    do = eta * diff / B * (o > 0)
    grads["out"], grads["outb"] = hd.T @ do, do.sum(0)
    dh = do @ p["out"].T
    for k in reversed(range(len(hidden))):
        if k == 0:
            # y is the activation before dropout: add its gradient to dact
            h_in, Wk, g, cc, inv, xh, bn, act, mask = dcache[0]
            dact = dh * mask + dy
            dbn = np.where(bn > 0, dact, 0.3 * dact)
            grads["d0g"], grads["d0b"] = (dbn * xh).sum(0), dbn.sum(0)
            dxh = dbn * g
            n = xh.shape[0]
            da = inv / n * (n * dxh - dxh.sum(0) - xh * (dxh * xh).sum(0))
            dh, grads["d0"] = da @ Wk.T, h_in.T @ da
        else:
            dh, grads[f"d{k}"], grads[f"d{k}g"], grads[f"d{k}b"] = block_bwd(dh, dcache[k])
    dz = dh[:, : z.shape[1]]
    dmu = dz + alpha * mu / mu.size
    dlv = dz * eps * std * 0.5 + alpha * 0.5 * (np.exp(lv) - 1) / lv.size
    dlv = dlv * ((lv_raw >= -30) & (lv_raw <= 20))
    he = ecache[-1][7] * ecache[-1][8]
    grads["mu"], grads["mub"] = he.T @ dmu, dmu.sum(0)
    grads["lv"], grads["lvb"] = he.T @ dlv, dlv.sum(0)
    dh = dmu @ p["mu"].T + dlv @ p["lv"].T
    for k in reversed(range(len(hidden))):
        dh, grads[f"e{k}"], grads[f"e{k}g"], grads[f"e{k}b"] = block_bwd(dh, ecache[k])
    return total, grads


def adam(p, g, m, v, t, lr=1e-3, b1=0.9, b2=0.999, eps=1e-7, clip=3.0):
    lr_t = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
    for k in p:
        gk = np.clip(g[k], -clip, clip)
        m[k] = b1 * m[k] + (1 - b1) * gk
        v[k] = b2 * v[k] + (1 - b2) * gk * gk
        p[k] -= lr_t * m[k] / (np.sqrt(v[k]) + eps)


def setup(G, C, hidden, Z, B, dtype, seed=0):
    rng = np.random.default_rng(seed)
    p = init(G, C, hidden, Z, rng, dtype)
    x = np.maximum(0, 2 * rng.standard_normal((B, G))).astype(dtype)
    c = np.zeros((B, C), dtype)
    c[np.arange(B), np.arange(B) % C] = 1
    eps = rng.standard_normal((B, Z)).astype(dtype)
    widths = {f"e{k}": w for k, w in enumerate(hidden)} | {f"d{k}": w for k, w in enumerate(hidden[::-1])}
    masks = {k: ((rng.random((B, w)) >= 0.2) / 0.8).astype(dtype) for k, w in widths.items()}
    return p, x, c, eps, masks


def check():
    hidden = [6, 4]
    p, x, c, eps, masks = setup(5, 2, hidden, 3, 8, np.float64, seed=1)
    _, g = loss_and_grads(p, x, c, eps, masks, hidden, 0.5, 1.0, 1.0)
    worst = 0.0
    for k in p:
        for i in range(p[k].size):
            flat = p[k].reshape(-1)
            s = flat[i]
            flat[i] = s + 1e-6
            lp, _ = loss_and_grads(p, x, c, eps, masks, hidden, 0.5, 1.0, 1.0)
            flat[i] = s - 1e-6
            lm, _ = loss_and_grads(p, x, c, eps, masks, hidden, 0.5, 1.0, 1.0)
            flat[i] = s
            num = (lp - lm) / 2e-6
            worst = max(worst, abs(num - g[k].reshape(-1)[i]) / max(1.0, abs(num)))
    print(json.dumps({"maxRelativeError": worst}))
    return worst < 1e-5


def bench(steps):
    hidden = [512, 128]
    p, x, c, eps, masks = setup(2000, 2, hidden, 20, 512, np.float32)
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(a) for k, a in p.items()}
    for t in range(1, 3):
        _, g = loss_and_grads(p, x, c, eps, masks, hidden, 5e-5, 100.0, 100.0)
        adam(p, g, m, v, t)
    start = time.perf_counter()
    for t in range(3, 3 + steps):
        _, g = loss_and_grads(p, x, c, eps, masks, hidden, 5e-5, 100.0, 100.0)
        adam(p, g, m, v, t)
    ms = (time.perf_counter() - start) * 1000 / steps
    threads = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS") or "default"
    print(json.dumps({"msPerStep": ms, "cellsPerSecond": 512 * 1000 / ms, "threads": threads}))


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        sys.exit(0 if check() else 1)
    bench(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
