from rag.answer_features import SentenceFacts
from rag.attribution import asked_speaker
from rag.candidates import SentenceMap
from rag.engine import Engine
from rag.vectorstore import VectorStore


def test_neighbours_are_the_sentences_around_a_passage_in_its_article(seed_store: VectorStore):
    sentence_map = SentenceMap.build(seed_store, "ar")
    for position, chunk in enumerate(seed_store.chunks):
        held = sentence_map.sentences_of_chunk[position]
        neighbours = sentence_map.neighbours(position)
        assert all(seed_store.sentences[s].doc_id == chunk.doc_id for s in neighbours)
        assert all(s not in held and (s == min(held) - 1 or s == max(held) + 1) for s in neighbours)
    first_chunks = [p for p, c in enumerate(seed_store.chunks) if c.chunk_id.endswith("#0")]
    assert all(sentence_map.is_first(min(sentence_map.sentences_of_chunk[p])) for p in first_chunks)
    assert any(sentence_map.neighbours(p) for p in first_chunks)  # the sentence after a first passage


def test_a_quoted_sentence_is_article_text_inside_its_passage_and_is_remembered(engine: Engine):
    scorer = engine.components().composer.scorer
    store = scorer.store
    for sentence, chunks in enumerate(scorer.sentence_map.chunks_of_sentence):
        for chunk in chunks:
            quoted = scorer.quoted(sentence, chunk)
            passage = store.chunks[chunk]
            assert passage.start <= quoted.start <= quoted.end <= passage.end
            assert quoted.text == store.text(passage.doc_id, quoted.start, quoted.end) == quoted.text.strip()
            assert quoted.facts == SentenceFacts.of(quoted.text)
            assert scorer.quoted(sentence, chunk) is quoted


def test_the_sentences_near_a_passage_reach_so_far_either_side_within_its_article(seed_store: VectorStore):
    sentence_map = SentenceMap.build(seed_store, "ar")
    for position, chunk in enumerate(seed_store.chunks):
        held = sentence_map.sentences_of_chunk[position]
        article = [s for s, doc in enumerate(sentence_map.doc_of_sentence) if doc == chunk.doc_id]
        assert list(sentence_map.near(position, 2)) == [s for s in article if min(held) - 2 <= s <= max(held) + 2]
        assert list(sentence_map.near(position, 0)) == list(range(min(held), max(held) + 1))


def test_an_attribution_question_brings_the_speakers_statements_near_the_passages(engine: Engine):
    composer = engine.components().composer
    scorer, store = composer.scorer, composer.scorer.store
    question = "What did Russia say about that? US-Russia talks Geneva take place"  # e07 resolved
    vector = engine.embed_questions([question])[0]
    scores = store.sentence_scores(vector)
    hits = engine.retrieve(question, 5)
    terms = composer.terms.find(question, "en")
    speaker = asked_speaker(composer.terms, "What did Russia say about that?", "en")
    plain = scorer.candidates(question, "en", hits, vector, scores, terms.weighted)
    favoured = scorer.candidates(question, "en", hits, vector, scores, terms.weighted, speaker)
    assert {c.sentence for c in plain} < {c.sentence for c in favoured}
    added = {c.sentence for c in favoured} - {c.sentence for c in plain}
    assert all(speaker.speaks(scorer.sentence_text(s)) for s in added)
    assert speaker.speaks(scorer.sentence_text(favoured[0].sentence))
    assert not speaker.speaks(scorer.sentence_text(plain[0].sentence))
