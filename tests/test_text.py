"""Tokenisation, vocabulary, detokenisation, grouped split and the batch samplers."""
from __future__ import annotations

import pytest

from datamodules.text.detok import detokenize
from datamodules.text.joiners import detokenize_joined, strip_joiners
from datamodules.text.sampler import SortedBatchSampler, SortishBatchSampler
from datamodules.text.split import grouped_split
from datamodules.text.tokenize import SpacyTokenizer
from datamodules.text.vocab import EOS_IDX, PAD_IDX, SPECIALS, UNK_IDX, Vocab


@pytest.mark.parametrize("text,expected", [
    ("Qu'est-ce que la lumière?", ["qu'", "est", "-ce", "que", "la", "lumière", "?"]),
    ("Où sont-ils?", ["où", "sont", "-ils", "?"]),
    ("Qu'est-ce qu'il fait ?", ["qu'", "est", "-ce", "qu'", "il", "fait", "?"]),
    ("Où va-t-il ?", ["où", "va", "-t", "-il", "?"]),
    ("Quand partez-vous\u202f?", ["quand", "partez", "-vous", "?"]),
    ("Qui a écrit l'article d'aujourd'hui ?", ["qui", "a", "écrit", "l'", "article", "d'", "aujourd'hui", "?"]),
])
def test_french_tokenisation_matches_the_lesson(text, expected):
    assert SpacyTokenizer("fr")(text) == expected


def test_english_tokenisation_and_case():
    assert SpacyTokenizer("en")("What's the capital of France?") == ["what", "'s", "the", "capital", "of", "france", "?"]
    assert SpacyTokenizer("en", lowercase=False)("Why don't you?") == ["Why", "do", "n't", "you", "?"]
    assert list(SpacyTokenizer("en").pipe(["Who?", "What  is it ?"])) == [["who", "?"], ["what", "is", "it", "?"]]


def test_vocab_specials_order_cap_and_unknown():
    vocab = Vocab.build([["b", "a", "b"], ["c", "b", "a"]], max_size=6)
    assert vocab.itos[:4] == list(SPECIALS) == ["_bos_", "_pad_", "_eos_", "_unk_"]
    assert vocab.itos[4:] == ["b", "a"]  # capped at 6 entries, by frequency
    assert vocab.encode(["a", "zzz"]) == [vocab.stoi["a"], UNK_IDX, EOS_IDX]
    assert vocab.decode([vocab.stoi["b"], PAD_IDX, EOS_IDX, vocab.stoi["a"]]) == ["b"]
    assert len(Vocab.build([["x"], ["x"], ["y"]], min_freq=2)) == 5


def test_detokenize():
    assert detokenize(["what", "'s", "that", "?"]) == "what's that?"
    assert detokenize(["why", "do", "n't", "you", "come", ",", "then", "?"]) == "why don't you come, then?"
    assert detokenize(["where", "ca", "n't", "he", "go", "?"]) == "where can't he go?"
    assert detokenize(["whose", "car", "(", "the", "red", "one", ")", "is", "it", "?"]) == \
        "whose car (the red one) is it?"


def test_grouped_split_never_straddles_and_is_seeded():
    english = ["What is it?", "what is  it?", "Who are you?", "Why?", "Where?", "When?"] * 5 + \
        [f"Which {i}?" for i in range(40)]
    train, valid, test = grouped_split(english, valid_frac=0.2, seed=1, test_frac=0.0)
    assert test == [] and sorted(train + valid) == list(range(len(english)))
    key = lambda i: " ".join(english[i].lower().split())  # noqa: E731
    assert not {key(i) for i in train} & {key(i) for i in valid}
    assert 0.15 * len(english) <= len(valid) <= 0.35 * len(english)
    assert grouped_split(english, 0.2, seed=1, test_frac=0.0) == (train, valid, [])
    assert grouped_split(english, 0.2, seed=2, test_frac=0.0) != (train, valid, [])


def test_three_way_split_is_disjoint_by_english_sentence():
    english = [f"Sentence {i % 300}." if i % 2 else f"sentence  {i % 300}." for i in range(2000)]
    split = grouped_split(english, valid_frac=0.05, seed=3, test_frac=0.05)
    assert sorted(split.train + split.valid + split.test) == list(range(2000))
    groups = [{" ".join(english[i].lower().split()) for i in part} for part in split]
    assert not groups[0] & groups[1] and not groups[0] & groups[2] and not groups[1] & groups[2]
    assert all(80 <= len(part) <= 130 for part in (split.valid, split.test))
    # the validation split does not depend on whether a test split is cut as well
    assert grouped_split(english, 0.05, seed=3, test_frac=0.0).valid == split.valid


@pytest.mark.parametrize("text", [
    "I cannot come.", "It's a case-by-case basis.", '"How old are you?" "I\'m 16."', "Tom's daughter-in-law.",
    "It costs $3.50 (about 3 euros)...", "It's not gonna bite you!", "Don't!", "Say \"cheese\", please.",
])
def test_joiner_tokens_detokenise_exactly(text):
    tokens = SpacyTokenizer("en", lowercase=False, joiners=True)(text)
    assert detokenize_joined(tokens) == text
    assert [strip_joiners(t) for t in tokens] == SpacyTokenizer("en", lowercase=False)(text)


def test_joiners_sit_on_the_punctuation_side():
    assert SpacyTokenizer("en", joiners=True)('He said "well-known" things, didn\'t he?') == \
        ["he", "said", "\"\uffed", "well", "\uffed-\uffed", "known", "\uffed\"", "things", "\uffed,", "did",
         "\uffedn't", "he", "\uffed?"]
    assert SpacyTokenizer("en", joiners=True)("I cannot.") == ["i", "can", "\uffednot", "\uffed."]
    assert detokenize_joined(["what", "\uffed", "is", "it", "\uffed?"]) == "what is it?"  # a bare joiner is dropped


def test_sortish_sampler_covers_everything_groups_lengths_and_is_seeded():
    lengths = [(i * 37) % 50 + 1 for i in range(1000)]
    sampler = SortishBatchSampler(lengths, batch_size=16, chunk_factor=10, seed=3)
    batches = list(sampler)
    assert sorted(i for b in batches for i in b) == list(range(1000))
    assert len(batches) == len(sampler)
    assert max(lengths[i] for i in batches[0]) == max(lengths)
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches) / len(batches)
    assert spread < 8  # a random batch would spread over ~45
    assert list(SortishBatchSampler(lengths, 16, 10, seed=3)) == batches
    sampler.set_epoch(1)
    assert list(sampler) != batches


def test_sortish_sampler_shards_by_rank():
    lengths = [i % 13 + 1 for i in range(203)]
    shards = [list(SortishBatchSampler(lengths, 8, seed=0, num_replicas=2, rank=r)) for r in range(2)]
    assert len(shards[0]) == len(shards[1])
    seen = [i for shard in shards for b in shard for i in b]
    assert set(seen) == set(range(203))


def test_sorted_sampler_is_sorted_and_exact():
    lengths = [3, 9, 1, 7, 7, 2]
    batches = list(SortedBatchSampler(lengths, batch_size=4))
    assert batches == [[1, 3, 4, 0], [5, 2]]
    ranks = [list(SortedBatchSampler(lengths, 2, num_replicas=2, rank=r)) for r in range(2)]
    assert sorted(i for r in ranks for b in r for i in b) == list(range(6))
