"""One PNG with four panels drawn from the JSON results: retrieval, speed, abstention and scale.

Run: ``.venv/bin/python -m benchmarks.chart`` (writes ``benchmarks/results/chart.png``).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from benchmarks.common import RESULTS_DIR, log, read_result  # noqa: E402

MODES = ("dense", "lexical", "hybrid")
PAIRS = ("en->ar", "ar->ar")


def retrieval_panel(axes: Axes, quality: dict) -> None:
    width = 0.25
    for i, mode in enumerate(MODES):
        values = [quality["retrieval"][pair][mode]["recall@1"] for pair in PAIRS]
        bars = axes.bar([x + (i - 1) * width for x in range(len(PAIRS))], values, width, label=mode)
        axes.bar_label(bars, fmt="%.2f", fontsize=7)
    axes.set_xticks(range(len(PAIRS)), ["English → Arabic", "Arabic → Arabic"])
    axes.set_ylim(0, 1.1)
    axes.set_ylabel("recall@1 of the gold paragraph")
    axes.set_title("XQuAD retrieval (1190 questions each)")
    axes.legend(fontsize=8, loc="upper left")


def speed_panel(axes: Axes, speed: dict) -> None:
    timings = speed["warm_queries"]["timings"]
    names = [n for n in ("torch_floor", "floor", "ask", "peer") if n in timings]
    labels = {
        "torch_floor": "query embedding,\ntorch (before)",
        "floor": "query embedding\n(floor)",
        "ask": "our ask",
        "peer": "LangChain FAISS\nsearch (peer)",
    }
    p50 = [timings[n]["p50_ms"] for n in names]
    p95 = [timings[n]["p95_ms"] for n in names]
    colors = {"torch_floor": "#cccccc", "floor": "#999999", "ask": "#1f77b4", "peer": "#ff7f0e"}
    bars = axes.bar(range(len(names)), p50, color=[colors[n] for n in names], label="p50")
    axes.scatter(range(len(names)), p95, marker="_", s=400, color="black", label="p95", zorder=3)
    reference = timings.get("torch_floor", timings["floor"])["p50_ms"]
    axes.bar_label(bars, labels=[f"{v:.1f} ms\n{v / reference:.2f}×" for v in p50], fontsize=7)
    goal = speed["warm_queries"].get("goal_ask_over_torch_floor", 1.5)
    axes.axhline(goal * reference, color="red", linestyle="--", linewidth=1, label=f"goal: {goal}× torch floor")
    axes.set_xticks(range(len(names)), [labels[n] for n in names], fontsize=8)
    axes.set_ylabel("warm latency, ms")
    axes.set_ylim(0, max(p95) * 1.3)
    axes.set_title(f"Warm query latency ({speed['questions']} questions, 2 cores)")
    axes.legend(fontsize=8, loc="upper left")


def abstention_panel(axes: Axes, quality: dict) -> None:
    abstention = quality["abstention"]
    fold = abstention["tune_on_tuning_half"]
    shipped, tuned = abstention["shipped_thresholds"], abstention["recommended_thresholds"]
    groups = [
        (
            f"shipped\nen {shipped['en']:.3f}, ar {shipped['ar']:.3f}",
            fold["held_out_at_shipped"]["en"],
            fold["held_out_at_shipped"]["ar"],
        ),
        (
            f"tuned, one threshold\n{tuned['single']:.3f}",
            fold["held_out_by_language_at_pooled"]["en"],
            fold["held_out_by_language_at_pooled"]["ar"],
        ),
        (
            f"tuned per language\nen {tuned['en']:.3f}, ar {tuned['ar']:.3f}",
            fold["en"]["held_out"],
            fold["ar"]["held_out"],
        ),
    ]
    width = 0.2
    for g, (_, en, ar) in enumerate(groups):
        for j, (value, label, color) in enumerate(
            [
                (en["abstain_unanswerable"], "en: abstains, unanswerable", "#2ca02c"),
                (en["abstain_answerable"], "en: abstains, answerable", "#d62728"),
                (ar["abstain_unanswerable"], "ar: abstains, unanswerable", "#98df8a"),
                (ar["abstain_answerable"], "ar: abstains, answerable", "#ff9896"),
            ]
        ):
            axes.bar(g + (j - 1.5) * width, value, width, color=color, label=label if g == 0 else None)
    axes.set_xticks(range(len(groups)), [g[0] for g in groups], fontsize=8)
    axes.set_ylim(0, 1.15)
    axes.set_ylabel("share of held-out questions")
    axes.set_title("Abstention on the report half (threshold tuned on the other half)")
    axes.legend(fontsize=7, loc="upper center", ncol=2)


def scale_panel(axes: Axes, scale: dict) -> None:
    points = scale["points"]
    kinds = list(dict.fromkeys(p.get("corpus", "uniform") for p in points))
    main = kinds[0]
    mine = [p for p in points if p.get("corpus", "uniform") == main]
    sizes = [p["size"] for p in mine]
    for threads, style in (("1_threads", "-"), ("2_threads", "--")):
        values = [p["flat"]["latency"][threads]["p50_ms"] for p in mine]
        axes.plot(sizes, values, style, marker="o", color="#1f77b4", label=f"exact, {threads[0]} FAISS thread(s)")
    for kind, style in zip(kinds, ("-", ":"), strict=False):
        for index, marker, color in (("hnsw", "s", "#2ca02c"), ("ivf", "^", "#9467bd")):
            chosen = [p for p in points if p.get("corpus", "uniform") == kind and "latency" in p[index]]
            values = [p[index]["latency"]["1_threads"]["p50_ms"] for p in chosen]
            axes.plot([p["size"] for p in chosen], values, style, marker=marker, color=color, label=f"{index}, {kind}")
    lexical = scale.get("lexical")
    if lexical:
        sizes_lexical = [p["chunks"] for p in lexical["points"]]
        values = [p["search"]["p50_ms"] for p in lexical["points"]]
        axes.plot(sizes_lexical, values, "-", marker="D", color="#d62728", label="lexical TF-IDF (real text)")
        columns = [p["column_search"]["p50_ms"] for p in lexical["points"] if "column_search" in p]
        if len(columns) == len(sizes_lexical):
            axes.plot(sizes_lexical, columns, "--", marker="D", color="#d62728", label="lexical, question columns")
    for p in (p for p in mine if "latency" in p["hnsw"]):
        axes.annotate(
            f"HNSW recall@10 {p['hnsw']['recall@10']['near']:.2f}",
            (p["size"], p["hnsw"]["latency"]["1_threads"]["p50_ms"]),
            fontsize=6,
            textcoords="offset points",
            xytext=(-40, 8),
        )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel(f"chunks (vectors: synthetic, dim 384, recall for {main}; lexical: XQuAD text repeated)")
    axes.set_ylabel("single-query search p50, ms")
    axes.set_title("Search time as the corpus grows")
    axes.legend(fontsize=6, ncol=2)


def draw() -> None:
    quality, speed, scale = read_result("quality"), read_result("speed"), read_result("scale")
    if scale is not None:
        scale["lexical"] = read_result("lexical_scale")
    figure, grid = plt.subplots(2, 2, figsize=(13, 9))
    panels = [(retrieval_panel, quality), (speed_panel, speed), (abstention_panel, quality), (scale_panel, scale)]
    for axes, (panel, result) in zip(grid.ravel(), panels, strict=True):
        if result is None:
            axes.set_axis_off()
            axes.text(0.5, 0.5, "not measured yet", ha="center")
            continue
        panel(axes, result)
    figure.suptitle("Arabic news QA benchmarks", fontsize=13)
    figure.tight_layout()
    path = RESULTS_DIR / "chart.png"
    figure.savefig(path, dpi=110)
    log(f"wrote {path}")


if __name__ == "__main__":
    draw()
