from rag.answer_features import SentenceFacts
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
