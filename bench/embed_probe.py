"""Quick probe: embedding throughput vs fp32 matmul rate (used while tuning; see bench/run.py)."""
import sys, time
import numpy as np, pandas as pd, torch

def matmul_gflops(seconds=3.0, n=1024):
    a = torch.randn(n, n); b = torch.randn(n, n)
    torch.mm(a, b)
    t = time.perf_counter(); k = 0
    while time.perf_counter() - t < seconds:
        torch.mm(a, b); k += 1
    return 2 * n**3 * k / (time.perf_counter() - t) / 1e9

def model_flops(tokenizer, texts, cfg):
    lens = [len(x) for x in tokenizer(texts, truncation=True, max_length=256)["input_ids"]]
    h, f, L = cfg.hidden_size, cfg.intermediate_size, cfg.num_hidden_layers
    tot = 0
    for n in lens:
        tot += L * (2 * n * (4 * h * h + 2 * h * f) + 4 * n * n * h)
    return tot, lens

if __name__ == "__main__":
    from synth_quality.embed import SentenceTransformerEmbedder
    texts = pd.read_csv(sys.argv[1], keep_default_na=False)["text"].tolist()[: int(sys.argv[2])]
    emb = SentenceTransformerEmbedder(); st = emb.load()
    flops, lens = model_flops(st.tokenizer, texts, st[0].auto_model.config)
    print("threads", torch.get_num_threads(), "texts", len(texts), "mean tokens", np.mean(lens), "GFLOP", flops / 1e9)
    for bs in [int(b) for b in sys.argv[3].split(",")]:
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        r1 = matmul_gflops(2)
        t = time.perf_counter()
        for s in range(0, len(texts), bs):
            emb.encode_batch([texts[i] for i in order[s:s + bs]])
        dt = time.perf_counter() - t
        r2 = matmul_gflops(2)
        rate = (r1 + r2) / 2
        print(f"batch {bs}: {dt:.1f}s  {len(texts)/dt:.0f} texts/s  {flops/1e9/dt:.1f} GFLOP/s  matmul {rate:.0f}  ratio {flops/1e9/dt/rate:.2f}")
