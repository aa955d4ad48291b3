"""An experiment, not used by the engine: does a cross-encoder "reader" choose the answer sentence
better than the bi-encoder cosine, and what does it cost per question against one query embedding?

Run: ``.venv/bin/python -m benchmarks.reader_experiment`` (RAG_XQUAD_DIR points at XQuAD). Writes
``benchmarks/results/reader_experiment.json``.

Data (the XQuAD tuning half only, ``split_articles(n, 2, {0})``; the report half is never read): for
every question, asked in English and in Arabic, the candidates are the sentences (``rag.arabic``'s
splitter) of its gold paragraph and of the top ``RETRIEVED`` paragraphs retrieved by the base
bi-encoder (``query: `` question vector against ``passage: `` chunk vectors of the engine's chunker);
positives are the candidates holding the Arabic gold answer (``rag.normalized_contains``); questions
without a positive are dropped. The tuning half's articles are split 3/4 (fit) and 1/4 (held-out
fold, every fourth article), as in ``benchmarks.train_question_encoder``.

Model: the rebuilt multilingual-e5-small (``rag.bundled_model``) read as a BERT encoder over the pair
``("query: " + question, sentence)``; the score is ``head(mean-pooled output) + scale * cosine``, where
cosine is the base bi-encoder's (question ``query: `` vs sentence ``query: ``, as the engine embeds
sentences), ``scale`` starts at 1 / ``TEMPERATURE`` and the head near zero, so before training the
ranking is nearly the baseline's. The top encoder layers (all but the lowest ``FROZEN_LAYERS``), the head and
the scale are fine-tuned with a listwise softmax over each question's candidates (at most
``TRAINING_CAP``: positives kept, the rest the highest-cosine negatives), on a share of the fit fold's
questions (``--fit-share``): the budget of a shared 2-core machine.

Measured on the held-out fold, per language: the share of questions whose best-scored candidate holds
the gold answer when the cosine's top ``CANDIDATE_CAP`` candidates are re-ranked by the bi-encoder
cosine, the learned cross-encoder part alone (``head``) or the sum (``mixed``). Then the cost: in one
warm process, with 1 and 2 threads, embedding one question vs cross-encoding 4 / 8 / 12 pairs.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.common import WORK_DIR, log
from benchmarks.corpus import load_default_xquad
from benchmarks.train_question_encoder import encode_frozen, mean_pooled
from benchmarks.xquad import split_articles
from rag import Settings, normalized_contains
from rag.arabic import split_sentences
from rag.bundled_model import ensure_bundled_model
from rag.chunking import make_splitter

RETRIEVED = 3
#: Candidates per question in training (positives kept) and re-ranked at measure time (the cosine's top).
TRAINING_CAP = 6
CANDIDATE_CAP = 12
MAX_TOKENS = 128
#: The lowest encoder layers (and the word embeddings) stay frozen: a 2-core budget.
FROZEN_LAYERS = 6
TEMPERATURE = 0.05
LEARNING_RATE = 5e-5
HEAD_LEARNING_RATE = 1e-3
EPOCHS = 1
QUESTIONS_PER_STEP = 4
SEED = 0
QUERY, PASSAGE = "query: ", "passage: "
WORK = WORK_DIR / "reader_experiment"
RESULT = Path(__file__).parent / "results" / "reader_experiment.json"


@dataclass(frozen=True)
class Asked:
    """One question in one language with its candidate sentences."""

    text: str
    language: str
    article: int
    candidates: list[str]
    from_gold_paragraph: list[bool]
    cosines: np.ndarray
    positives: list[int]


def build_questions(bert, tokenizer) -> list[Asked]:  # noqa: ANN001
    """Every tuning-half question in both languages with candidates and positives (cached)."""
    cache = WORK / "questions.json"
    if cache.is_file():
        rows = json.loads(cache.read_text(encoding="utf-8"))
        return [Asked(**{**row, "cosines": np.array(row["cosines"], dtype=np.float32)}) for row in rows]
    data = load_default_xquad()
    tuning = split_articles(data.article_count, 2, {0})
    paragraphs = [p for p in data.paragraphs if p.article in tuning]
    settings = Settings.from_env()
    splitter = make_splitter(settings.chunk_size, settings.chunk_overlap)
    sentences, chunk_owner, chunks = [], [], []
    for index, paragraph in enumerate(paragraphs):
        text = paragraph.text.strip()
        sentences.append([text[start:end] for start, end in split_sentences(text)])
        for chunk in splitter.split_text(text):
            chunks.append(PASSAGE + chunk)
            chunk_owner.append(index)
    chunk_owner = np.array(chunk_owner)
    chunk_vectors = encode_frozen(bert, tokenizer, chunks)
    sentence_vectors = [encode_frozen(bert, tokenizer, [QUERY + s for s in own]) for own in sentences]
    log(f"embedded {len(chunks)} chunks and {sum(map(len, sentences))} sentences")
    position = {p.doc_id: i for i, p in enumerate(paragraphs)}
    asked = []
    questions = [q for q in data.questions if q.article in tuning]
    for language in ("en", "ar"):
        vectors = encode_frozen(bert, tokenizer, [QUERY + q.text(language) for q in questions])
        for question, vector in zip(questions, vectors, strict=True):
            gold = position[question.doc_id]
            ranked = list(dict.fromkeys(int(chunk_owner[i]) for i in np.argsort(-(chunk_vectors @ vector))))
            chosen = list(dict.fromkeys([gold, *ranked[:RETRIEVED]]))
            candidates = [s for d in chosen for s in sentences[d]]
            positives = [
                i for i, s in enumerate(candidates) if any(normalized_contains(s, a) for a in question.answers)
            ]
            if not positives:
                continue
            asked.append(
                Asked(
                    question.text(language),
                    language,
                    question.article,
                    candidates,
                    [d == gold for d in chosen for _ in sentences[d]],
                    np.concatenate([sentence_vectors[d] @ vector for d in chosen]),
                    positives,
                )
            )
    WORK.mkdir(parents=True, exist_ok=True)
    cache.write_text(
        json.dumps([{**a.__dict__, "cosines": a.cosines.tolist()} for a in asked], ensure_ascii=False),
        encoding="utf-8",
    )
    return asked


class Reader:
    """The pair encoder, its linear head and the learned scale of the bi-encoder cosine."""

    def __init__(self, bert, tokenizer) -> None:  # noqa: ANN001
        import torch

        self.bert, self.tokenizer = bert, tokenizer
        self.head = torch.nn.Linear(bert.config.hidden_size, 1)
        # A zero head would pass no gradient to the encoder: BERT's usual small initialization instead.
        torch.nn.init.normal_(self.head.weight, std=0.02)
        torch.nn.init.zeros_(self.head.bias)
        self.scale = torch.nn.Parameter(torch.tensor(1.0 / TEMPERATURE))

    def head_scores(self, question: str, sentences: list[str]):  # noqa: ANN201
        batch = self.tokenizer(
            [QUERY + question] * len(sentences),
            sentences,
            padding=True,
            truncation="only_second",
            max_length=MAX_TOKENS,
            return_tensors="pt",
        )
        hidden = self.bert(**batch).last_hidden_state
        return self.head(mean_pooled(hidden, batch["attention_mask"])).squeeze(-1)


def training_view(asked: Asked, rng: random.Random) -> list[int]:
    """Positives (at most half the cap) and the highest-cosine negatives, up to ``TRAINING_CAP``."""
    positives = list(asked.positives)
    rng.shuffle(positives)
    positives = positives[: TRAINING_CAP // 2]
    negatives = [int(i) for i in np.argsort(-asked.cosines) if int(i) not in asked.positives]
    return positives + negatives[: TRAINING_CAP - len(positives)]


def train(reader: Reader, fitted: list[Asked], epochs: int) -> list[dict]:
    import torch

    for name, parameter in reader.bert.named_parameters():
        frozen = name.startswith("embeddings.") or any(
            name.startswith(f"encoder.layer.{layer}.") for layer in range(FROZEN_LAYERS)
        )
        parameter.requires_grad_(not frozen)
    encoder_parameters = [p for p in reader.bert.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        [
            {"params": encoder_parameters, "lr": LEARNING_RATE},
            {"params": [*reader.head.parameters(), reader.scale], "lr": HEAD_LEARNING_RATE},
        ],
        weight_decay=0.01,
    )
    steps_per_epoch = (len(fitted) + QUESTIONS_PER_STEP - 1) // QUESTIONS_PER_STEP
    total = steps_per_epoch * epochs
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / (0.1 * total)) * max(0.0, 1 - s / total)
    )
    rng = random.Random(SEED)
    records = []
    for epoch in range(epochs):
        order = list(range(len(fitted)))
        rng.shuffle(order)
        reader.bert.train()
        started, losses = time.perf_counter(), []
        for step in range(steps_per_epoch):
            step_losses = []
            for index in order[step * QUESTIONS_PER_STEP : (step + 1) * QUESTIONS_PER_STEP]:
                asked = fitted[index]
                view = training_view(asked, rng)
                cosines = torch.from_numpy(asked.cosines[view])
                logits = reader.head_scores(asked.text, [asked.candidates[i] for i in view]) + reader.scale * cosines
                is_positive = torch.tensor([i in asked.positives for i in view])
                step_losses.append(torch.logsumexp(logits, 0) - torch.logsumexp(logits[is_positive], 0))
            loss = torch.stack(step_losses).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(float(loss.detach()))
            if step % 10 == 0:
                log(
                    f"epoch {epoch + 1} step {step}/{steps_per_epoch} loss {np.mean(losses[-10:]):.4f} "
                    f"({time.perf_counter() - started:.0f} s)"
                )
        records.append(
            {
                "epoch": epoch + 1,
                "loss": round(float(np.mean(losses)), 4),
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
        log(f"{records[-1]}")
    return records


def score_held_out(reader: Reader, held: list[Asked]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(candidate indexes, head scores, cosine term) per question over the cosine's top ``CANDIDATE_CAP``."""
    import torch

    reader.bert.eval()
    scored = []
    with torch.inference_mode():
        scale = float(reader.scale)
        for asked in held:
            pool = np.argsort(-asked.cosines)[:CANDIDATE_CAP]
            heads = reader.head_scores(asked.text, [asked.candidates[int(i)] for i in pool]).numpy()
            scored.append((pool, heads, scale * asked.cosines[pool]))
    return scored


def held_out_measures(held: list[Asked], scored: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> dict:
    result = {}
    for language in ("en", "ar"):
        rows = [(a, s) for a, s in zip(held, scored, strict=True) if a.language == language]
        measures = {
            "questions": len(rows),
            "mean_candidates": round(float(np.mean([len(a.candidates) for a, _ in rows])), 1),
            f"cosine_top{CANDIDATE_CAP}_holds_a_positive": round(
                float(np.mean([bool(set(pool.tolist()) & set(a.positives)) for a, (pool, _, _) in rows])), 4
            ),
            "best_of_all_candidates_by_cosine_holds_gold": round(
                float(np.mean([int(np.argmax(a.cosines)) in a.positives for a, _ in rows])), 4
            ),
        }
        for name in ("bi_encoder_cosine", "cross_encoder_head", "mixed"):
            holds, holds_gold_paragraph = [], []
            for asked, (pool, heads, cosine_term) in rows:
                scores = {"bi_encoder_cosine": cosine_term, "cross_encoder_head": heads, "mixed": heads + cosine_term}
                best = int(pool[int(np.argmax(scores[name]))])
                holds.append(best in asked.positives)
                holds_gold_paragraph.append(best in asked.positives and asked.from_gold_paragraph[best])
            measures[f"top{CANDIDATE_CAP}_reranked/{name}"] = {
                "best_holds_gold": round(float(np.mean(holds)), 4),
                "best_holds_gold_in_gold_paragraph": round(float(np.mean(holds_gold_paragraph)), 4),
            }
        result[language] = measures
    return result


def median_seconds(run, repeats: int) -> float:  # noqa: ANN001
    run()
    run()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def cost(reader: Reader, sample: list[Asked], repeats: int) -> dict:
    """Embedding one question vs cross-encoding 4 / 8 / 12 pairs, warm, in this process."""
    import os

    import torch

    reader.bert.eval()
    result = {"load_average": [round(x, 2) for x in os.getloadavg()], "repeats": repeats, "questions": len(sample)}
    for threads in (1, 2):
        torch.set_num_threads(threads)
        row = {}
        with torch.inference_mode():

            def query_embedding() -> None:
                for asked in sample:
                    batch = reader.tokenizer([QUERY + asked.text], truncation=True, max_length=512, return_tensors="pt")
                    mean_pooled(reader.bert(**batch).last_hidden_state, batch["attention_mask"], normalize=True)

            base = median_seconds(query_embedding, repeats) / len(sample)
            row["query_embedding_ms"] = round(base * 1000, 2)
            for pairs in (4, 8, 12):

                def cross(pairs: int = pairs) -> None:
                    for asked in sample:
                        top = [asked.candidates[int(i)] for i in np.argsort(-asked.cosines)[:pairs]]
                        reader.head_scores(asked.text, top)

                seconds = median_seconds(cross, repeats) / len(sample)
                row[f"cross_{pairs}_pairs_ms"] = round(seconds * 1000, 2)
                row[f"cross_{pairs}_pairs_ratio"] = round(seconds / base, 2)
        result[f"threads_{threads}"] = row
        log(f"cost with {threads} thread(s): {row}")
    return result


def main() -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--limit", type=int, default=0, help="fit and measure this many questions only (a smoke run)")
    parser.add_argument("--fit-share", type=float, default=1.0, help="fit on this share of the fit fold's questions")
    parser.add_argument("--cost-repeats", type=int, default=3)
    arguments = parser.parse_args()
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    started = time.perf_counter()
    model_dir = ensure_bundled_model(Settings.from_env().cache_dir)
    bert = AutoModel.from_pretrained(str(model_dir), local_files_only=True)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    bert.eval()
    asked = build_questions(bert, tokenizer)
    tuning = sorted({a.article for a in asked})
    held_articles = set(tuning[0::4])
    fitted = [a for a in asked if a.article not in held_articles]
    held = [a for a in asked if a.article in held_articles]
    if arguments.fit_share < 1:
        fitted = random.Random(SEED).sample(fitted, round(arguments.fit_share * len(fitted)))
    if arguments.limit:
        fitted = random.Random(SEED).sample(fitted, arguments.limit)
        held = random.Random(SEED).sample(held, arguments.limit)
    log(f"{len(fitted)} questions to fit, {len(held)} held out ({time.perf_counter() - started:.0f} s)")
    reader = Reader(bert, tokenizer)
    training_started = time.perf_counter()
    epochs = train(reader, fitted, arguments.epochs)
    training_seconds = time.perf_counter() - training_started
    scoring_started = time.perf_counter()
    measures = held_out_measures(held, score_held_out(reader, held))
    scoring_seconds = time.perf_counter() - scoring_started
    log(json.dumps(measures, indent=1))
    sample = [a for a in held if len(a.candidates) >= CANDIDATE_CAP]
    costs = cost(reader, random.Random(SEED).sample(sample, min(10, len(sample))), arguments.cost_repeats)
    record = {
        "what": (
            "cross-encoder reader vs bi-encoder cosine for answer-sentence choice; "
            "an experiment, not used by the engine"
        ),
        "data": (
            "XQuAD tuning half (split_articles(n, 2, {0})); fit on 3/4 of its articles, measured on the held-out "
            f"1/4 (every fourth article); candidates: sentences of the gold + top {RETRIEVED} retrieved paragraphs"
        ),
        "setting": {
            "epochs": arguments.epochs,
            "learning_rate": LEARNING_RATE,
            "head_learning_rate": HEAD_LEARNING_RATE,
            "training_cap": TRAINING_CAP,
            "reranked_at_measure": CANDIDATE_CAP,
            "frozen_layers": FROZEN_LAYERS,
            "max_tokens": MAX_TOKENS,
            "questions_per_step": QUESTIONS_PER_STEP,
            "fitted_questions": len(fitted),
            "fit_share": arguments.fit_share,
            "cosine_scale_after": round(float(reader.scale), 3),
        },
        "training_seconds": round(training_seconds, 1),
        "held_out_scoring_seconds": round(scoring_seconds, 1),
        "epochs_run": epochs,
        "held_out": measures,
        "cost": costs,
    }
    if not arguments.limit:
        RESULT.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        log(f"wrote {RESULT}")
    else:
        log(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
