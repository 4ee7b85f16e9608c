"""Fine-tune the embedding model on the train split of a BEIR dataset (NFCorpus), on CPU.

Recipe (see training/README.md): start from the packaged all-MiniLM-L6-v2, pair each
train query with one of its judged documents (a new draw every epoch), and train with
the in-batch-negatives ranking loss (MultipleNegativesRankingLoss: cross-entropy over
the scaled cosine similarities of a batch, each query's own document the target), where
the other queries' documents that are judged relevant to this query too are masked out.
Only ``qrels/train.tsv`` is read; dev and test stay unseen. Everything is seeded, so a
rerun gives the same weights (up to CPU floating-point differences across machines).

    .venv/bin/python training/train_encoder.py --dataset ../shared/data/beir/nfcorpus \\
        --out var/models/minilm-nfcorpus
    KB_EMBED_MODEL=var/models/minilm-nfcorpus .venv/bin/kb bench beir --dataset ../shared/data/beir/nfcorpus
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def batches(pairs: list[tuple[str, str]], size: int) -> list[list[tuple[str, str]]]:
    """Consecutive batches in which no document appears twice (a duplicate would be a false negative)."""
    out: list[list[tuple[str, str]]] = []
    pending = list(pairs)
    while pending:
        batch: list[tuple[str, str]] = []
        seen: set[str] = set()
        rest: list[tuple[str, str]] = []
        for pair in pending:
            if len(batch) < size and pair[1] not in seen:
                batch.append(pair)
                seen.add(pair[1])
            else:
                rest.append(pair)
        if len(batch) < size // 2:  # a short tail teaches little; drop it
            break
        out.append(batch)
        pending = rest
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, required=True, help="BEIR folder (only qrels/train.tsv is used)")
    parser.add_argument("--out", type=Path, default=REPO / "var" / "models" / "minilm-nfcorpus")
    parser.add_argument("--base", default="all-MiniLM-L6-v2", help="starting model (name or path)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--warmup", type=float, default=0.1, help="fraction of steps with a linear warm-up")
    parser.add_argument("--scale", type=float, default=20.0, help="similarity scale of the ranking loss")
    parser.add_argument("--max-seq-length", type=int, default=128, help="tokens per document while training")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: all epochs)")
    args = parser.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch
    from sentence_transformers import SentenceTransformer

    from kb.bench.beir import load_beir
    from kb.embedding import resolve_model

    random.seed(args.seed)
    torch.manual_seed(args.seed)
    data = load_beir(args.dataset, "train")
    texts = {d.id: f"{d.title}\n{d.text}".strip() for d in data.corpus}  # what ingestion embeds (Article.text)
    positives = {q: sorted(d for d, g in rels.items() if g > 0 and d in texts) for q, rels in data.qrels.items()}
    queries = sorted(q for q, docs in positives.items() if docs and data.queries[q].strip())
    relevant = {q: set(positives[q]) for q in queries}
    print(f"{len(queries):,} train queries, {sum(len(positives[q]) for q in queries):,} judged pairs", flush=True)

    model = SentenceTransformer(resolve_model(args.base), device="cpu")
    inference_length = model.max_seq_length
    model.max_seq_length = args.max_seq_length
    rng = random.Random(args.seed)
    plan = []
    for _ in range(args.epochs):
        pairs = [(q, rng.choice(positives[q])) for q in queries]
        rng.shuffle(pairs)
        plan.extend(batches(pairs, args.batch_size))
    if args.max_steps:
        plan = plan[: args.max_steps]
    steps = len(plan)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    warmup = max(1, int(steps * args.warmup))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(steps - warmup, 1)))
    )
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()
    started = time.perf_counter()
    for step, batch in enumerate(plan, start=1):
        q = model.preprocess([data.queries[query] for query, _ in batch])
        d = model.preprocess([texts[doc] for _, doc in batch])
        qv = torch.nn.functional.normalize(model(q)["sentence_embedding"], dim=-1)
        dv = torch.nn.functional.normalize(model(d)["sentence_embedding"], dim=-1)
        scores = args.scale * qv @ dv.T
        # another query's document that is judged relevant to this query too is no negative
        known = torch.tensor([[i != j and doc in relevant[query] for j, (_, doc) in enumerate(batch)]
                              for i, (query, _) in enumerate(batch)])  # fmt: skip
        scores = scores.masked_fill(known, float("-inf"))
        loss = loss_fn(scores, torch.arange(len(batch)))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        if step % 10 == 0 or step == steps:
            elapsed = time.perf_counter() - started
            print(f"step {step}/{steps} loss {loss.item():.4f} ({elapsed / step:.1f}s/step)", flush=True)
    model.eval()
    model.max_seq_length = inference_length
    args.out.mkdir(parents=True, exist_ok=True)
    model.save(str(args.out))
    print(f"saved {args.out} after {steps} steps in {(time.perf_counter() - started) / 60:.1f} min", flush=True)


if __name__ == "__main__":
    main()
