import numpy as np

from rag.engine import Engine


def test_hybrid_ranks_the_right_article_first_for_arabic(engine: Engine):
    hits = engine.retrieve("ماذا قال لافروف عن موعد المفاوضات؟", 5)
    assert hits[0].chunk.doc_id == "004_147c06deaea37dba"
    assert hits[0].lexical_score > 0 and hits[0].dense_score > 0
    assert [h.fused_score for h in hits] == sorted((h.fused_score for h in hits), reverse=True)


def test_english_questions_rely_on_the_dense_ranker(engine: Engine):
    hits = engine.retrieve("How long was the video call between Biden and Putin?", 5)
    assert all(h.lexical_score == 0 for h in hits)
    assert hits[0].chunk.doc_id == "001_682252450b7fb760"


def test_modes_differ_and_each_returns_k_hits(engine: Engine):
    question = "ماذا قال لافروف عن موعد المفاوضات؟"
    dense = engine.retrieve(question, 4, mode="dense")
    lexical = engine.retrieve(question, 4, mode="lexical")
    assert len(dense) == len(lexical) == 4
    assert all(h.lexical_score == 0 for h in dense)
    assert all(h.lexical_score > 0 for h in lexical)


def test_every_hit_carries_its_dense_score(engine: Engine):
    for hit in engine.retrieve("الدفاع والطيران المدني", 8):
        assert 0 < hit.dense_score <= 1


def test_an_english_questions_translated_terms_lift_the_passage_that_holds_them(engine: Engine):
    question = "In what year did Russia annex Crimea?"  # «ضم روسيا لشبه جزيرة القرم في عام 2014»
    without_terms = engine.with_settings(term_weight_cross=0.0).retrieve(question, 3)
    assert without_terms[0].chunk.doc_id != "001_682252450b7fb760"
    assert engine.retrieve(question, 3)[0].chunk.doc_id == "001_682252450b7fb760"


def test_terms_reorder_the_best_passages_but_never_change_which_they_are(engine: Engine):
    question = "In what year did Russia annex Crimea?"
    depth = engine.settings.term_rerank_depth
    with_terms = [h.chunk.chunk_id for h in engine.retrieve(question, depth)]
    without_terms = [h.chunk.chunk_id for h in engine.with_settings(term_weight_cross=0.0).retrieve(question, depth)]
    assert with_terms != without_terms
    assert sorted(with_terms) == sorted(without_terms)


def test_dense_ranking_reads_the_sentence_scores_it_is_given(engine: Engine):
    question = "ماذا قال لافروف عن موعد المفاوضات؟"
    parts = engine.components()
    retriever, store = parts.retriever, parts.store
    vector = engine.embed_questions([question])[0]
    computed = retriever.retrieve(question, "ar", 8, vector, mode="dense")
    given = retriever.retrieve(question, "ar", 8, vector, mode="dense", sentence_scores=store.sentence_scores(vector))
    assert given == computed
    last = computed[-1].position  # the eighth passage, made to hold the best sentence by far
    scores = np.zeros(len(store.sentences), dtype=np.float32)
    scores[retriever.sentences_of_chunk[last]] = 1.0
    assert retriever.retrieve(question, "ar", 8, vector, mode="dense", sentence_scores=scores)[0].position == last


def test_sentence_scores_are_the_cosine_to_every_sentence(engine: Engine):
    store = engine.components().store
    vector = engine.embed_questions(["متى ستعقد المحادثات؟"])[0]
    scores = store.sentence_scores(vector)
    assert scores.shape == (len(store.sentences),)
    assert np.allclose(scores, [float(v @ vector) for v in store.sentence_vectors], atol=1e-6)
