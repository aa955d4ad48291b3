"""Markdown tables from the JSON results: ``results/results.md`` and the tables inside ``benchmarks/README.md``
(the project README keeps a short summary and the chart).

Run: ``.venv/bin/python -m benchmarks.report``.
"""

from __future__ import annotations

import re

from benchmarks.common import BENCH_DIR, RESULTS_DIR, log, read_result

PAIRS = ("en->ar", "ar->ar")
MODES = ("dense", "lexical", "hybrid")
START, END = "<!-- RESULTS:START -->", "<!-- RESULTS:END -->"


def table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def retrieval_table(quality: dict) -> str:
    rows = []
    for mode in MODES:
        row: list[object] = [f"**{mode}**" if mode == "hybrid" else mode]
        for pair in PAIRS:
            scores = quality["retrieval"][pair][mode]
            row += [f"{scores['recall@1']:.3f}", f"{scores['recall@5']:.3f}", f"{scores['mrr@10']:.3f}"]
        rows.append(row)
        if "report_half" in quality["retrieval"][PAIRS[0]][mode]:
            half = [f"{mode}, report half only"]
            for pair in PAIRS:
                scores = quality["retrieval"][pair][mode]["report_half"]
                half += [f"{scores['recall@1']:.3f}", f"{scores['recall@5']:.3f}", f"{scores['mrr@10']:.3f}"]
            rows.append(half)
    for name, values in quality["reference_recall@1"].items():
        rows.append([f"reference: {name}", f"{values['en->ar']:.3f}", "", "", f"{values['ar->ar']:.3f}", "", ""])
    header = ["ranker", "en→ar R@1", "en→ar R@5", "en→ar MRR@10", "ar→ar R@1", "ar→ar R@5", "ar→ar MRR@10"]
    return table(header, rows)


def answer_row(name: str, a: dict) -> list[str]:
    if "tuning_half" in a:
        name += f" ({a['half']} half, {a['n']} questions; tuning half {a['tuning_half']['n']})"
    return [
        name,
        pct(a["answer_contains_gold"]),
        pct(a["citations_contain_gold"]),
        pct(a["gold_paragraph_cited"]),
        pct(a["abstained"]),
        pct(a["answer_contains_gold_when_answered"]),
    ]


def answers_table(quality: dict) -> str:
    thresholds = quality["settings"]["abstain_thresholds"]
    rows = [answer_row(name, quality["answers"][language]) for language, name in (("en", "English"), ("ar", "Arabic"))]
    plain = quality.get("answers_without_dictionary", {}).get("en")
    if plain and quality.get("dictionary_loaded"):
        rows.insert(1, answer_row("English, without the dictionary", plain))
    header = [
        "questions",
        "answer contains gold",
        "cited passages contain gold",
        "gold paragraph cited",
        f"abstained (shipped thresholds: en {thresholds['en']}, ar {thresholds['ar']})",
        "answer contains gold, when answered",
    ]
    return table(header, rows)


def abstention_table(quality: dict) -> str:
    abstention = quality["abstention"]
    fold = abstention["tune_on_tuning_half"]
    thresholds = abstention["recommended_thresholds"]
    shipped = abstention["shipped_thresholds"]
    answer_rate = fold["answer_rate_operating_point"]
    settings = [
        (f"shipped: en {shipped['en']}, ar {shipped['ar']}", fold["held_out_at_shipped"]),
        (f"tuned single threshold {thresholds['single']}", fold["held_out_by_language_at_pooled"]),
        (
            f"tuned per language: en {thresholds['en']}, ar {thresholds['ar']}",
            {lang: fold[lang]["held_out"] for lang in ("en", "ar")},
        ),
        (
            f"answer 95% (tuning half): en {answer_rate['en']['threshold']}, ar {answer_rate['ar']['threshold']}",
            answer_rate,
        ),
    ]
    rows = []
    for name, rates in settings:
        row: list[object] = [name]
        for lang in ("en", "ar"):
            row += [
                pct(rates[lang]["abstain_unanswerable"]),
                pct(rates[lang]["abstain_answerable"]),
                f"{rates[lang]['balanced_accuracy']:.3f}",
            ]
        rows.append(row)
    header = ["threshold (report half)"]
    for lang in ("en", "ar"):
        header += [f"{lang}: abstains, unanswerable ↑", f"{lang}: abstains, answerable ↓", f"{lang}: bal. acc."]
    return table(header, rows)


def abstention_notes(quality: dict) -> str:
    abstention = quality["abstention"]
    thresholds = abstention["recommended_thresholds"]
    swapped = abstention["tune_on_report_half"]
    end_to_end = abstention["end_to_end_held_out"]["per_language"]
    facts = abstention["corpus"]
    spread = max(
        abs(swapped[label]["tuned"]["threshold"] - thresholds["single" if label == "pooled" else label])
        for label in ("pooled", "en", "ar")
    )
    return (
        f"Index: the {facts['articles']} paragraphs of the 24 even-numbered XQuAD articles; questions about the "
        "24 odd-numbered ones are unanswerable. The engine's confidence (`Answer.confidence`) is the probability "
        "of a logistic model trained on articles `i % 4 in {0, 1}` (`benchmarks.train_abstention`, "
        "`rag/abstention.json`) over passage and sentence cosines, the best sentence's lead over the corpus's "
        "best 9% (at least 50), question-term coverage and the answer ranker's best candidate score; the "
        "shipped thresholds answer 95% of that half's answerable "
        "questions. Thresholds on it are also tuned on that half for balanced accuracy (mean of the abstention "
        "rate on unanswerable and the answer rate on answerable questions) and reported on the other half.\n\n"
        f"**Balanced accuracy: English {thresholds['en']}, Arabic {thresholds['ar']}** (one float for both: "
        f"{thresholds['single']}). Tuned the other way round (on the report half) the thresholds come out at "
        f"en {swapped['en']['tuned']['threshold']}, ar {swapped['ar']['tuned']['threshold']}, single "
        f"{swapped['pooled']['tuned']['threshold']} (at most {spread:.4f} apart). "
        f"Checked end to end with `ask` at the per-language thresholds on the report half: English abstains on "
        f"{pct(end_to_end['en']['abstain_unanswerable'])} of unanswerable and "
        f"{pct(end_to_end['en']['abstain_answerable'])} of answerable questions, Arabic on "
        f"{pct(end_to_end['ar']['abstain_unanswerable'])} and {pct(end_to_end['ar']['abstain_answerable'])}."
    )


def speed_table(speed: dict) -> str:
    warm = speed["warm_queries"]
    timings = warm["timings"]
    torch_floor = timings["torch_floor"]["p50_ms"]
    floor = timings["floor"]["p50_ms"]
    names = [
        ("torch_floor", "bare query embedding with torch (the runtime before ONNX)"),
        ("floor", f"bare query embedding (`embed_queries`, {speed['settings']['runtime']}), the floor"),
        ("ask", "**`engine.ask`**, end to end"),
        ("peer", "LangChain FAISS `similarity_search`, stock `HuggingFaceEmbeddings` (peer)"),
        ("embed", "part of ask: question embedding"),
        ("sentence_scores", "part of ask: cosine to every answer sentence (read by both parts below)"),
        ("retrieve", "part of ask: hybrid retrieval"),
        ("dense_search", "… of which FAISS search"),
        ("lexical_search", "… of which TF-IDF search (Arabic questions)"),
        ("compose", "part of ask: answer composition"),
    ]
    rows = [
        [
            label,
            f"{timings[n]['p50_ms']:.2f}",
            f"{timings[n]['p95_ms']:.2f}",
            f"{timings[n]['p50_ms'] / torch_floor:.2f}×",
            f"{timings[n]['p50_ms'] / floor:.2f}×",
        ]
        for n, label in names
        if n in timings
    ]
    return table(["warm, per question", "p50 ms", "p95 ms", "/ torch floor", "/ floor"], rows)


def speed_notes(speed: dict) -> str:
    warm = speed["warm_queries"]
    return (
        f"{speed['questions']} XQuAD questions (half English, half Arabic) over the {speed['corpus']['chunks']}-chunk "
        f"XQuAD index; both floors, ask and peer measured in turn for each question. `ask` / torch floor: "
        f"**{warm['ask_over_torch_floor_p50']}×** at p50 (goal ≤ {warm['goal_ask_over_torch_floor']}×), per question "
        f"{warm['ask_over_torch_floor_median_per_question']}×. `ask` / floor: **{warm['ask_over_floor_p50']}×** "
        f"(goal ≤ {warm['goal_ask_over_floor']}×), {warm['ask_over_floor_p95']}× at p95. "
        f"`ask` / LangChain search: **{warm['ask_over_peer_p50']}×** at p50 (per question "
        f"{warm['ask_over_peer_median_per_question']}×). Torch ran {speed['torch_threads_in_process']} thread(s), "
        f"ONNX Runtime {speed['settings']['threads']}."
    )


def cold_table(speed: dict) -> str:
    cold = speed["cold_start"]
    labels = [
        ("total", "**process start to first answer**"),
        ("interpreter_start", "interpreter start"),
        ("imports", "imports"),
        ("model_load", "model load"),
        ("articles_load", "articles load"),
        ("index_open", "index open (verify checksums, load)"),
        ("open_other", "rest of opening (answer composer)"),
        ("first_query", "first query"),
    ]
    rows = [[lb, cold["onnx"]["median"][k], cold["torch"]["median"][k]] for k, lb in labels]
    rows += [
        [f"**`rag ask`** (`python -m rag ask`): {lb}", cold["onnx_cli"]["median"][k], cold["torch_cli"]["median"][k]]
        for k, lb in (("total", "start to answer, s"), ("peak_rss_mib", "peak memory, MiB"))
    ]
    rows += [
        [f"`rag ask`, English question (reads the dictionary): {lb}", cold["onnx_cli_en"]["median"][k]]
        + [cold["torch_cli_en"]["median"][k]]
        for k, lb in (("total", "start to answer, s"), ("peak_rss_mib", "peak memory, MiB"))
    ]
    runs = len(cold["onnx"]["runs"])
    return table(["cold start (index already built)", f"ONNX, median of {runs}", f"torch, median of {runs}"], rows)


def build_table(speed: dict) -> str:
    build = speed["index_build"]
    seconds = build["seconds"]
    tokens = build.get("tokens", {})
    rows = [
        [f"**engine build** (`Engine.open(force_rebuild=True)`, {build['runtime']})", seconds["engine"], ""],
        [
            "LangChain `FAISS.from_texts`, stock `HuggingFaceEmbeddings` (peer)",
            seconds["peer"],
            tokens.get("passages", ""),
        ],
    ]
    if "engine_passages_only" in seconds:
        rows[0][2] = tokens["passages"] + tokens["sentences"]
        rows += [
            ["… its passage pass alone (the peer's work)", seconds["engine_passages_only"], tokens["passages"]],
            [
                f"… its answer-sentence pass alone ({build['sentences']} sentences)",
                seconds["engine_sentences_only"],
                tokens["sentences"],
            ],
        ]
    if "engine_one_thread" in seconds:
        rows += [
            ["engine build on one core (before `build_threads`)", seconds["engine_one_thread"], rows[0][2]],
            ["peer on one torch thread", seconds["peer_one_thread"], tokens["passages"]],
        ]
    rows = [[label, value, count, f"{value / seconds['peer']:.2f}×"] for label, value, count in rows]
    runs = build["repeats"]
    header = [f"XQuAD index build ({build['chunks']} chunks), median of {runs}", "seconds", "tokens read", "/ peer"]
    if "build_threads" not in build:
        return table(header, rows)
    note = (
        f"Engine and peer on {build['build_threads']} cores (engine / peer {build['engine_over_peer']}×); on one "
        f"core each {build['one_thread_engine_over_peer']}×. Load average (1 min) {build['load_average'][0]} at "
        f"the end, on {speed['machine']['cores']} cores."
    )
    return table(header, rows) + "\n\n" + note


def cold_start_table(cold: dict) -> str:
    """``rag ask`` cold starts of ``benchmarks.cold_start``, this checkout and the baseline run for run."""
    trees = [name for name in ("this", "baseline") if f"{name}_ar" in cold]
    rows = []
    for lang, label in (("ar", "Arabic"), ("en", "English (reads the dictionary)")):
        for name in trees:
            record = cold[f"{name}_{lang}"]
            ratio = cold.get(f"this_over_baseline_{lang}", {}) if name == "this" else {}
            rows.append(
                [
                    f"{label}, {name} ({cold['commits'][name]})" if "commits" in cold else f"{label}, {name}",
                    record["wall"],
                    record["cpu"],
                    record["peak_rss_mib"],
                    ratio.get("wall", ""),
                    ratio.get("cpu", ""),
                ]
            )
    header = ["`rag ask`, index built, median of " + str(cold["runs"]), "wall s", "CPU s", "peak MiB"]
    return table(header + ["wall / baseline", "CPU / baseline"], rows) + (
        f"\n\nLoad average (1 min) {cold['load_average_1min_before']:.1f} before, "
        f"{cold['load_average_1min_after']:.1f} after, on {cold['machine']['cores']} cores: wall seconds "
        "include waiting for a core; CPU seconds are the process's own."
    )


def runtime_table(runtime: dict) -> str:
    def recall(result: dict, pair: str, mode: str) -> object:
        return result.get("retrieval", {}).get(pair, {}).get(mode, {}).get("recall@1", "")

    rows = []
    for name, result in runtime["runtimes"].items():
        parity = min(result["parity_queries"]["min"], result["parity_passages"]["min"])
        timing = runtime.get("question_embedding", {}).get(name, {})
        rows.append(
            [
                name,
                parity,
                recall(result, "en->ar", "dense"),
                recall(result, "ar->ar", "dense"),
                recall(result, "en->ar", "hybrid"),
                recall(result, "ar->ar", "hybrid"),
                f"{timing['p50_over_torch']:.2f}×" if timing else "",
                "yes"
                if result.get("keeps_quality", runtime.get("verdicts", {}).get(name, {}).get("keeps_quality"))
                else "no",
            ]
        )
    header = [
        "runtime",
        "parity min cosine",
        "en→ar R@1 dense",
        "ar→ar R@1 dense",
        "en→ar R@1 hybrid",
        "ar→ar R@1 hybrid",
        "question p50 / torch",
        "keeps quality",
    ]
    return table(header, rows)


def sentence_vectors_table(result: dict) -> str:
    rows = []
    for name, method in result["methods"].items():
        answers = method["answers"]
        change = result["changes_vs_two_prompts"][name]
        rows.append(
            [
                name,
                method["embedding_seconds_with_chunks"],
                f"{change['cost_over_two_prompts']:.2f}×",
                *(pct(answers[half][lang]["answer_contains_gold"]) for half in answers for lang in ("en", "ar")),
            ]
        )
    halves = list(next(iter(result["methods"].values()))["answers"])
    header = ["sentence vectors", "s (with chunks)", "cost"] + [f"{h} {lang}" for h in halves for lang in ("en", "ar")]
    return table(header, rows)


BUILD_WAY_CELLS = [
    (half, language, metric)
    for half in ("tuning_half", "report_half")
    for language in ("en", "ar")
    for metric in ("recall@1", "answer_contains_gold")
]


def build_ways_table(result: dict) -> str:
    """Each way to build the index: its estimated build against the peer and its quality change, then
    random perturbations of the engine's vectors (how much of a change is chance)."""

    def points(name: str) -> list[str]:
        change = result["changes_vs_now"][name]["points"]
        return [f"{change[f'{half} {language} {metric}']:+.1f}" for half, language, metric in BUILD_WAY_CELLS]

    rows = [
        [name, way["embedding_seconds"], f"{way['estimated_build_over_peer']:.2f}×", *points(name)]
        + ["yes" if result["meets_target"][name] else "no"]
        for name, way in result["ways"].items()
    ]
    rows += [
        [f"{name} (random, cosine {result['noise_cosine']})", "", "", *points(name), ""]
        for name in result["changes_vs_now"]
        if name not in result["ways"]
    ]
    header = ["way", "embedding s", "build / peer (est.)"]
    header += [
        f"{half.split('_')[0]} {language} {'R@1' if metric == 'recall@1' else 'answers'}"
        for half, language, metric in BUILD_WAY_CELLS
    ]
    seconds = result["seconds"]
    note = (
        f"Points against `now` (recall@1 hybrid; answer contains gold). Engine build {seconds['engine_build']} s, "
        f"peer {seconds['peer']} s ({result['engine_build_over_peer']}×) in the same rounds; load average "
        f"{result['load_average'][0]} at the end, on 2 cores. A way meets the target at ≤ 1.0× with recall@1 "
        "within 0.5 point and answers within 1 point on both halves."
    )
    return table([*header, "meets"], rows) + "\n\n" + note


def scale_table(scale: dict) -> str:
    rows = []
    for point in scale["points"]:
        for kind in ("flat", "hnsw", "ivf"):
            r = point[kind]
            names = {
                "flat": "exact (IndexFlatIP)",
                "hnsw": f"HNSW M={r.get('neighbours_M')}, efSearch {r.get('ef_search')}",
                "ivf": f"IVF {r.get('lists')} lists, nprobe {r.get('nprobe')}",
            }
            recall, top1 = r.get("recall@10"), r.get("top1_found")
            if "latency" not in r:
                stopped = f"build stopped at {r['build_seconds']} s, {r['added']:,} added"
                rows.append([point.get("corpus", "uniform"), f"{point['size']:,}", names[kind], stopped])
                continue
            rows.append(
                [
                    point.get("corpus", "uniform"),
                    f"{point['size']:,}",
                    names[kind],
                    r["build_seconds"],
                    r["memory_mib"],
                    f"{r['latency']['1_threads']['p50_ms']:.2f}",
                    f"{r['latency']['2_threads']['p50_ms']:.2f}",
                    f"{recall['random']:.3f}" if recall else "1",
                    f"{recall['near']:.3f}" if recall else "1",
                    f"{top1['near']:.3f}" if top1 else "1",
                ]
            )
    header = [
        "corpus",
        "chunks",
        "index",
        "build s",
        "memory MiB",
        "p50 ms, 1 thread",
        "p50 ms, 2 threads",
        "recall@10, random q.",
        "recall@10, near q.",
        "nearest found, near q.",
    ]
    return table(header, rows)


def sweep_table(scale: dict) -> str:
    rows = []
    for point in scale["points"]:
        for entry in point["hnsw"].get("ef_search_sweep", []):
            rows.append(
                [
                    point.get("corpus", "uniform"),
                    f"{point['size']:,}",
                    entry["ef_search"],
                    f"{entry['p50_ms']:.2f}",
                    f"{entry['recall@10']['near']:.3f}",
                    f"{entry['recall@10']['random']:.3f}",
                    f"{entry['top1_found_near']:.3f}",
                ]
            )
    header = [
        "corpus",
        "chunks",
        "HNSW efSearch",
        "p50 ms, 1 thread",
        "recall@10 near",
        "recall@10 random",
        "nearest found",
    ]
    return table(header, rows)


def scale_notes(scale: dict) -> str:
    advice = scale["recommendation"]
    one, two = advice["1_threads"], advice["2_threads"]
    e5 = scale.get("e5_like") or {}
    fitted = (
        f"`e5_like` is a Gaussian fitted to the {e5['fitted_on_vectors']} real passage and sentence vectors of the "
        f"XQuAD index (their mean pairwise cosine {e5['real_mean_pairwise_cosine']}); `uniform` is random unit "
        "vectors, the worst case. "
        if e5
        else "Random unit vectors, the worst case for approximate search. "
    )
    recall = ", ".join(f"{int(size):,}: {value:.3f}" for size, value in one["hnsw_recall@10_near"].items())
    depth = ef_advice(scale, one["switch_at_chunks"])
    return (
        fitted + f"Exact search costs {one['flat_ms_per_100k']} ms per 100k chunks on 1 FAISS thread and "
        f"{two['flat_ms_per_100k']} ms on 2 (the engine now pins FAISS to 1 thread: for one exact query a "
        "second thread never helped, and it slowed the query when the other core was busy). "
        f"Rule: switch when exact search would exceed {one['budget_ms']} ms, a quarter of the query-embedding "
        f"floor ({one['floor_ms']} ms p50), keeping `ask` within its 1.5× budget with room for the lexical "
        f"search. HNSW recall@10 on near queries ({one['hnsw_recall_corpus']}): {recall}. "
        f"**Recommended `hnsw_threshold`: {one['switch_at_chunks']:,} chunks with FAISS on 1 thread "
        f"for single queries** ({two['switch_at_chunks']:,} if FAISS ran on 2 threads; today: "
        f"{scale['current_hnsw_threshold']:,}). {depth}"
    )


def ef_advice(scale: dict, switch: int) -> str:
    """The efSearch that reaches the recall goal at the first measured size at or past ``switch``."""
    advice = scale["recommendation"]["1_threads"]
    goal = next((k for k in advice if k.startswith("ef_search_for_recall_")), None)
    corpus = advice["hnsw_recall_corpus"]
    points = [p for p in scale["points"] if p.get("corpus", "uniform") == corpus and p["size"] >= switch]
    if goal is None or not points:
        return ""
    point = min(points, key=lambda p: p["size"])
    needed = advice[goal].get(str(point["size"]))
    sweep = {e["ef_search"]: e for e in point["hnsw"].get("ef_search_sweep", [])}
    if needed is None or needed not in sweep:
        return (
            f"At {point['size']:,} {corpus} chunks no efSearch tried reached recall@10 "
            f"{goal.rsplit('_', 1)[1]} on near queries."
        )
    return (
        f"At {point['size']:,} {corpus} chunks HNSW needs efSearch {needed} (the engine used "
        f"{point['hnsw']['ef_search']} in this run) for recall@10 ≥ {goal.rsplit('_', 1)[1]} on near queries, at "
        f"{sweep[needed]['p50_ms']:.2f} ms p50, against {point['flat']['latency']['1_threads']['p50_ms']:.2f} ms "
        "for exact search."
    )


def lexical_table(lexical: dict) -> str:
    rows = [
        [
            f"{p['chunks']:,}",
            p["build_seconds"],
            p["matrix_mib"],
            f"{p['search']['p50_ms']:.2f}",
            f"{p['search']['p95_ms']:.2f}",
            f"{p['column_search']['p50_ms']:.2f}" if "column_search" in p else "",
            f"{p['column_search_top10_overlap']:.3f}" if "column_search" in p else "",
        ]
        for p in lexical["points"]
    ]
    header = [
        "chunks (XQuAD chunks repeated)",
        "build s",
        "matrix MiB",
        "engine search p50 ms",
        "p95 ms",
        "question columns only (CSC), p50 ms",
        "same top 10",
    ]
    table_text = table(header, rows)
    return (
        table_text + f"\n\nThe engine's TF-IDF search grows by {lexical['search_ms_per_10k_chunks']} ms per 10k chunks "
        "(linear fit). Since commit 356d74c it scores only the question's n-gram columns of a CSC matrix (the "
        "column above, same top 10); the full sparse product it replaced took 23.5 ms at 13.5k chunks and was "
        "what pushed `ask` past its budget at scale."
    )


def machine_line(result: dict) -> str:
    m = result["machine"]
    return f"{m['date']}, {m['cores']} cores, {m['cpu']}, {m['memory_gib']} GiB, commit {m['commit']}"


def sections() -> dict[str, str]:
    quality, speed, scale = read_result("quality"), read_result("speed"), read_result("scale")
    lexical = read_result("lexical_scale")
    parts: dict[str, str] = {}
    if quality:
        parts["Retrieval (XQuAD, 240 Arabic paragraphs, 1190 questions per language)"] = retrieval_table(quality)
        parts["Answers (gold answer text, Arabic-normalized)"] = answers_table(quality)
        parts["Abstention (half the articles indexed; tuned on one half, reported on the other)"] = (
            abstention_table(quality) + "\n\n" + abstention_notes(quality)
        )
    if speed:
        parts["Speed (warm)"] = speed_table(speed) + "\n\n" + speed_notes(speed)
        parts["Cold start"] = cold_table(speed)
        if "index_build" in speed:
            parts["Index build"] = build_table(speed)
    cold_start = read_result("cold_start")
    if cold_start:
        parts["Cold start of `rag ask`, run for run against another checkout"] = cold_start_table(cold_start)
    runtime, sentence_vectors = read_result("runtime"), read_result("sentence_vectors")
    build_ways = read_result("build_ways")
    if runtime:
        parts["Embedding runtimes"] = runtime_table(runtime)
    if sentence_vectors:
        parts["Answer-sentence vectors (answer contains gold)"] = sentence_vectors_table(sentence_vectors)
    if build_ways:
        parts["Ways to a faster index build (points against the engine's build)"] = build_ways_table(build_ways)
    if scale:
        parts["Scale (synthetic corpora)"] = scale_table(scale) + "\n\n" + scale_notes(scale)
        parts["HNSW search depth (efSearch)"] = sweep_table(scale)
    if lexical:
        parts["Scale of the lexical ranker"] = lexical_table(lexical)
    measured = [
        f"- {r['benchmark']}: {machine_line(r)}"
        for r in (quality, speed, cold_start, runtime, sentence_vectors, build_ways, scale, lexical)
        if r
    ]
    parts["Measured on"] = "\n".join(measured)
    return parts


def render(level: str) -> str:
    return "\n\n".join(f"{level} {title}\n\n{body}" for title, body in sections().items())


def main() -> None:
    body = render("###")
    (RESULTS_DIR / "results.md").write_text("# Benchmark results\n\n" + body + "\n", encoding="utf-8")
    readme = BENCH_DIR / "README.md"
    if readme.is_file():
        text = readme.read_text(encoding="utf-8")
        pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
        replaced = pattern.sub(lambda _: f"{START}\n{body}\n{END}", text)
        readme.write_text(replaced, encoding="utf-8")
    log("wrote results.md and the tables in README.md")


if __name__ == "__main__":
    main()
