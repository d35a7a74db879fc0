"""PyTorch reference for `npm run bench -- qlora-step` and `npm run bench -- dpo-step`.

The same Llama shapes, adapters, data sizes and optimizer as bench/qlora.ts, with stdlib + torch only
(no peft / bitsandbytes / transformers: none are installable offline). The QLoRA layer is written by hand
and does the work bitsandbytes' NF4 path does, in torch ops:

- the frozen base weight [out, in] is stored as packed NF4 codes (two per byte, first element in the high
  nibble) with double-quantised absmax (8-bit dynamic-map codes per 64-block, one fp32 absmax per 256
  blocks, plus the mean as offset), as `bnb_4bit_use_double_quant=True`;
- every forward dequantises it (codes -> NF4 table lookup -> times the block's absmax) and multiplies;
  like bitsandbytes' MatMul4Bit, the backward dequantises again instead of keeping the fp32 weight;
- the LoRA adapter (A [r, in] Kaiming-uniform, B [out, r] zero, dropout on its input) stays fp32 and is
  all that trains: AdamW (weight decay 0, as HF TrainingArguments), gradient norm clipped at 1.0.

Compute is float32 on both sides (the book's bnb_4bit_compute_dtype is float16: not compared here).

qlora: causal-LM loss on [batch, seq] random tokens. dpo: chosen + rejected rows ([2 batch, seq], prompt =
first half masked -100) through the policy with gradient, through the reference (adapters off) under
no_grad, trl's sigmoid loss -log sigmoid(beta ((pc - rc) - (pr - rr))).

Prints one JSON line. Run with Debian's python3-torch, or on a GPU machine with its python3:
    /usr/bin/python3 bench/reference/qlora_step.py --mode qlora --config small --threads 1
    python3 bench/reference/qlora_step.py --mode dpo --config tinyllama --device cuda
"""
import argparse, json, math, resource, statistics, sys, time

import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIGS = {
    # Same presets as bench/qlora.ts.
    "small": dict(vocab=4096, hidden=256, intermediate=704, layers=4, heads=8, kv_heads=2, eps=1e-5),
    "tinyllama": dict(vocab=32000, hidden=2048, intermediate=5632, layers=22, heads=32, kv_heads=4, eps=1e-5),
}

NF4_CODE = [
    -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
    -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
    0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
]


def dynamic_map(max_exponent_bits=7, total_bits=8):
    """bitsandbytes' signed 8-bit dynamic map (create_dynamic_map), the code of double-quantised absmax."""
    non_sign_bits = total_bits - 1
    additional = 2 ** (non_sign_bits - max_exponent_bits) - 1
    values = []
    for i in range(max_exponent_bits):
        items = 2 ** (i + non_sign_bits - max_exponent_bits) + 1
        bounds = torch.linspace(0.1, 1, items)
        means = (bounds[:-1] + bounds[1:]) / 2
        scale = 10 ** (-(max_exponent_bits - 1) + i)
        values += (scale * means).tolist() + (-scale * means).tolist()
    if additional > 0:
        bounds = torch.linspace(0.1, 1, additional + 1)
        means = (bounds[:-1] + bounds[1:]) / 2
        scale = 10 ** (-(max_exponent_bits - 1) + max_exponent_bits - 1)
        values += (scale * means).tolist() + (-scale * means).tolist()
    values += [0.0, 1.0]
    values += [0.0] * (256 - len(values))
    return torch.tensor(values, dtype=torch.float32).sort().values


def blockwise_codes(x, code, block):
    """Index of the nearest code value of each x / absmax(block) (ties to the lower index), and the absmax."""
    n = x.numel()
    padded = F.pad(x.reshape(-1), (0, (-n) % block)).view(-1, block)
    absmax = padded.abs().amax(1)
    scaled = padded * (1.0 / absmax)[:, None]
    midpoints = (code[1:] + code[:-1]) / 2
    # An all-zero block (absmax 0) gives NaN: code 0, as bitsandbytes' kernels (and lib/finetuning/nf4.ts).
    scaled = torch.where(torch.isnan(scaled), torch.full_like(scaled, -2.0), scaled)
    idx = torch.bucketize(scaled, midpoints).to(torch.uint8).view(-1)[:n]
    return idx, absmax


class NF4Weight:
    """A frozen [out, in] weight as bitsandbytes keeps it: packed NF4 codes and double-quantised absmax."""

    def __init__(self, weight, block=64, nested_block=256):
        out_features, in_features = weight.shape
        assert (out_features * in_features) % block == 0, "weights must fill whole 64-blocks"
        device = weight.device
        self.shape = (out_features, in_features)
        self.block = block
        self.nf4 = torch.tensor(NF4_CODE, dtype=torch.float32, device=device)
        idx, absmax = blockwise_codes(weight, self.nf4, block)
        self.packed = (idx[0::2] << 4) | idx[1::2]
        self.offset = absmax.mean()
        self.dyn = dynamic_map().to(device)
        self.q_absmax, self.nested_absmax = blockwise_codes(absmax - self.offset, self.dyn, nested_block)
        self.nested_block = nested_block
        self.n_blocks = absmax.numel()

    def nbytes(self):
        return self.packed.numel() + self.q_absmax.numel() + 4 * self.nested_absmax.numel() + 4

    def dequantize(self):
        """The fp32 weight: the work of bitsandbytes' dequantize_4bit kernel, as a few torch ops."""
        absmax = self.dyn[self.q_absmax.long()]
        absmax = F.pad(absmax, (0, (-absmax.numel()) % self.nested_block)).view(-1, self.nested_block)
        absmax = (absmax * self.nested_absmax[:, None]).view(-1)[: self.n_blocks] + self.offset
        idx = torch.stack((self.packed >> 4, self.packed & 15), 1).view(-1).long()
        return (self.nf4[idx].view(-1, self.block) * absmax[:, None]).view(self.shape)


class MatMulNF4(torch.autograd.Function):
    """y = x W^T with W dequantised in forward and again in backward (never saved), as bnb's MatMul4Bit."""

    @staticmethod
    def forward(ctx, x, holder):
        ctx.holder = holder
        return x @ holder.weight.dequantize().t()

    @staticmethod
    def backward(ctx, grad_out):
        if not ctx.needs_input_grad[0]:
            return None, None
        return grad_out @ ctx.holder.weight.dequantize(), None


class LoraLinear4bit(nn.Module):
    adapters_enabled = True  # one switch for the whole model, as peft's disable_adapter()

    def __init__(self, in_features, out_features, r, alpha, dropout, generator, device):
        super().__init__()
        base = torch.randn(out_features, in_features, generator=generator, device=device) * 0.02
        self.weight = NF4Weight(base)
        del base
        self.lora_A = nn.Parameter(torch.empty(r, in_features, device=device))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.lora_B = nn.Parameter(torch.zeros(out_features, r, device=device))
        self.scaling = alpha / r
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        y = MatMulNF4.apply(x, self)
        if LoraLinear4bit.adapters_enabled:
            y = y + (self.dropout(x) @ self.lora_A.t() @ self.lora_B.t()) * self.scaling
        return y


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim), requires_grad=False)
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    a, b = x.chunk(2, dim=-1)
    return torch.cat((-b, a), dim=-1)


class DecoderLayer(nn.Module):
    def __init__(self, c, lora, gen, device):
        super().__init__()
        h, d = c["hidden"], c["hidden"] // c["heads"]
        self.c, self.d = c, d
        lin = lambda i, o: LoraLinear4bit(i, o, *lora, gen, device)
        self.q_proj, self.k_proj = lin(h, c["heads"] * d), lin(h, c["kv_heads"] * d)
        self.v_proj, self.o_proj = lin(h, c["kv_heads"] * d), lin(c["heads"] * d, h)
        self.gate_proj, self.up_proj = lin(h, c["intermediate"]), lin(h, c["intermediate"])
        self.down_proj = lin(c["intermediate"], h)
        self.input_layernorm = RMSNorm(h, c["eps"])
        self.post_attention_layernorm = RMSNorm(h, c["eps"])

    def forward(self, x, cos, sin, mask):
        B, T, _ = x.shape
        H, kvH, d = self.c["heads"], self.c["kv_heads"], self.d
        hx = self.input_layernorm(x)
        q = self.q_proj(hx).view(B, T, H, d).transpose(1, 2)
        k = self.k_proj(hx).view(B, T, kvH, d).transpose(1, 2)
        v = self.v_proj(hx).view(B, T, kvH, d).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k, v = k.repeat_interleave(H // kvH, dim=1), v.repeat_interleave(H // kvH, dim=1)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(d) + mask
        y = (F.softmax(att, dim=-1) @ v).transpose(1, 2).reshape(B, T, H * d)
        x = x + self.o_proj(y)
        hx = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(hx)) * self.up_proj(hx))


class QLoraLlama(nn.Module):
    def __init__(self, c, lora, device, seed=0):
        super().__init__()
        gen = torch.Generator(device=device).manual_seed(seed)
        self.c = c
        self.embed_tokens = nn.Embedding(c["vocab"], c["hidden"], device=device).requires_grad_(False)
        nn.init.normal_(self.embed_tokens.weight, std=0.02)
        # Layer by layer: the fp32 weight of one projection at a time exists, then only its NF4 codes.
        self.layers = nn.ModuleList(DecoderLayer(c, lora, gen, device) for _ in range(c["layers"]))
        self.norm = RMSNorm(c["hidden"], c["eps"]).to(device)
        self.lm_head = nn.Linear(c["hidden"], c["vocab"], bias=False, device=device).requires_grad_(False)
        nn.init.normal_(self.lm_head.weight, std=0.02)
        d = c["hidden"] // c["heads"]
        self.inv_freq = 1.0 / (10000 ** (torch.arange(0, d, 2, device=device).float() / d))

    def forward(self, ids):
        B, T = ids.shape
        freqs = torch.outer(torch.arange(T, device=ids.device).float(), self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        mask = torch.full((T, T), float("-inf"), device=ids.device).triu(1)
        x = self.embed_tokens(ids)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return self.lm_head(self.norm(x))


def sequence_logps(logits, labels):
    """Summed log-probs of the labels that are not -100, with the causal shift (trl's concatenated_forward)."""
    logits, labels = logits[:, :-1], labels[:, 1:]
    mask = labels != -100
    logp = torch.gather(logits.log_softmax(-1), 2, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return (logp * mask).sum(-1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", choices=["qlora", "dpo"], default="qlora")
    p.add_argument("--config", choices=sorted(CONFIGS), default="small")
    p.add_argument("--layers", type=int, default=None)
    p.add_argument("--seq", type=int, default=256)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--rank", type=int, default=64)
    p.add_argument("--alpha", type=float, default=32)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--beta", type=float, default=0.1)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    if a.device.startswith("cuda") and not torch.cuda.is_available():
        sys.exit("--device cuda: torch.cuda.is_available() is False (no GPU, or a CPU-only torch build)")
    if a.device == "cpu":
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    c = dict(CONFIGS[a.config])
    if a.layers is not None:
        c["layers"] = a.layers
    device = torch.device(a.device)
    cuda = device.type == "cuda"
    lr = a.lr if a.lr is not None else (2e-4 if a.mode == "qlora" else 1e-5)

    t0 = time.perf_counter()
    model = QLoraLlama(c, (a.rank, a.alpha, a.dropout), device)
    model.train()
    params = [q for q in model.parameters() if q.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    if cuda:
        torch.cuda.synchronize()
    build_s = time.perf_counter() - t0

    rows = a.batch if a.mode == "qlora" else 2 * a.batch
    ids = torch.randint(0, c["vocab"], (rows, a.seq), device=device)
    labels = ids.clone()
    labels[:, : a.seq // 2] = -100  # dpo: the prompt half is not scored

    def step():
        if a.mode == "qlora":
            logits = model(ids)
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, c["vocab"]), ids[:, 1:].reshape(-1))
        else:
            with torch.no_grad():
                LoraLinear4bit.adapters_enabled = False
                ref = sequence_logps(model(ids), labels)
                LoraLinear4bit.adapters_enabled = True
            pol = sequence_logps(model(ids), labels)
            n = a.batch
            z = a.beta * ((pol[:n] - ref[:n]) - (pol[n:] - ref[n:]))
            loss = -F.logsigmoid(z).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        return loss.item()  # a device sync, as the TS side's await loss.data()

    times, loss = [], None
    for i in range(a.warmup + a.steps):
        if i == a.warmup and cuda:
            torch.cuda.reset_peak_memory_stats()
        t = time.perf_counter()
        loss = step()
        if cuda:
            torch.cuda.synchronize()
        if i >= a.warmup:
            times.append((time.perf_counter() - t) * 1000)

    ms = statistics.median(times)
    tokens = rows * a.seq
    base_params = sum(l.weight.shape[0] * l.weight.shape[1] for l in model.modules() if isinstance(l, LoraLinear4bit))
    out = {
        "backend": "torch-cuda" if cuda else "torch-cpu",
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name(device) if cuda else "cpu",
        "threads": torch.get_num_threads() if not cuda else None,
        "config": a.config,
        "layers": c["layers"],
        "build_s": round(build_s, 2),
        "ms_per_step": round(ms, 2),
        "tokens_per_step": tokens,
        "tokens_per_s": round(tokens / (ms / 1000), 1),
        "steps": a.steps,
        "loss": round(loss, 4),
        "base_params": base_params,
        "trainable_params": sum(q.numel() for q in params),
        "nf4_weight_bytes": sum(l.weight.nbytes() for l in model.modules() if isinstance(l, LoraLinear4bit)),
        "rss_peak_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }
    if cuda:
        out["cuda_max_memory_allocated"] = torch.cuda.max_memory_allocated(device)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
