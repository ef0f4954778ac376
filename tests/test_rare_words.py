"""Rare words, names, numbers and case: unknown-word replacement copies the attended source word, numbers are
copied rather than guessed, the true-caser restores case, subword corpora tokenise and detokenise exactly."""
from __future__ import annotations

import torch
from tiny_data import question_pairs

from datamodules.text.prepare import TextSettings, build_corpus
from datamodules.text.subword import SubwordTokenizer
from datamodules.text.truecase import apply_truecase, learn_truecase
from datamodules.text.vocab import SPECIALS, UNK_IDX
from datamodules.text.vocab_state import VocabState
from lightning_modules.seq2seq_module import Seq2SeqModule
from lightning_modules.translator import Translator
from models.seq2seq import Seq2SeqConfig

CASED = [["Tom", "lives", "in", "Paris", "￭."], ["I", "think", "Tom", "is", "in", "the", "USA", "￭."],
         ["Where", "is", "Mary", "￭?"], ["Mary", "and", "I", "went", "to", "Paris", "￭.", "It", "was", "nice", "￭."],
         ["Is", "the", "TV", "on", "￭?"], ["The", "tv", "is", "on", "￭."], ["The", "TV", "is", "off", "￭."]]


def test_truecaser_round_trips_known_sentences() -> None:
    table = learn_truecase(CASED)
    assert table == {"tom": "Tom", "paris": "Paris", "i": "I", "usa": "USA", "mary": "Mary", "tv": "TV"}
    for sentence in CASED[:5]:
        assert apply_truecase([t.lower() for t in sentence], table) == sentence
    assert apply_truecase(["zorglub", "is", "Zorglub", "￭."], table) == ["Zorglub", "is", "Zorglub", "￭."]


def _tiny_module(src_words: list[str], tgt_words: list[str], settings: TextSettings) -> Seq2SeqModule:
    torch.manual_seed(0)
    net = Seq2SeqConfig(src_vocab_size=4 + len(src_words), tgt_vocab_size=4 + len(tgt_words), src_emb_dim=8,
                        tgt_emb_dim=8, hidden_size=8, num_layers=1, bidirectional=True, attention=True,
                        attention_mode="output")
    module = Seq2SeqModule(net=net, max_decode_len=4, beam_size=2).eval()
    module.vocab_state = VocabState(tuple(SPECIALS) + tuple(src_words), tuple(SPECIALS) + tuple(tgt_words), settings,
                                    8, 4)
    with torch.no_grad():
        module.model.decoder.out.bias[UNK_IDX] += 50.0  # the decoder wants to say _unk_ at every step
    return module


def test_unknown_word_replacement_copies_the_attended_source_word() -> None:
    """A source word outside the vocabulary comes out spelled as written, wherever attention is: it is the only
    unknown word, so the _unk_ aligns to it; it is copied once (this untrained model would write _unk_ at every
    step); a source with nothing unknown never yields _unk_."""
    module = _tiny_module(["où", "est", "la", "gare", "?"], ["where", "is", "the", "station", "￭?"], TextSettings())
    for beam in (1, 2):
        out = Translator(module, beam=beam).translate(["Où est Zorglub ?", "Où est la gare ?"])
        tokens = out[0].sentences[0].hypotheses[0].tokens
        assert tokens.count("Zorglub") == 1 and "_unk_" not in tokens, (beam, tokens)
        assert out[0].text == " ".join(tokens)
        assert "_unk_" not in out[1].text and "Zorglub" not in out[1].text and out[1].text
    module.hparams.replace_unk = False
    assert set(Translator(module, beam=1).translate_texts(["Où est Zorglub ?"])[0].split()) == {"_unk_"}


def test_numbers_are_left_out_of_the_vocabulary_to_be_copied() -> None:
    pairs = [(f"J'ai {n} ans.", f"I am {n}.") for n in (3, 7, 12, 30, 2019)] + question_pairs()[:40]
    corpus = build_corpus(pairs, TextSettings(copy_numbers=True, valid_frac=0.1, test_frac=0.1, tgt_lowercase=False))
    for itos in (corpus["src_itos"], corpus["tgt_itos"]):
        assert not any(ch.isdigit() for word in itos for ch in word)
    numbered = [ids for ids, text in zip(corpus["train"].src_ids, corpus["train"].src_text) if "ans" in text]
    assert numbered and all(UNK_IDX in ids.tolist() for ids in numbered)
    assert "I" in corpus["tgt_itos"]  # the English side kept its case


def test_subword_corpus_tokenises_and_detokenises_exactly() -> None:
    pairs = question_pairs()
    settings = TextSettings(subword_vocab=320, tgt_lowercase=False, valid_frac=0.1, test_frac=0.1)
    corpus = build_corpus(pairs, settings)
    src_model, tgt_model = corpus["subwords"]
    assert src_model and tgt_model and len(corpus["tgt_itos"]) <= 320 and tuple(corpus["tgt_itos"][:4]) == SPECIALS
    tgt = SubwordTokenizer(tgt_model)
    for _, english in pairs[:30]:
        assert tgt.detokenize(tgt(english)) == english
    assert tgt.detokenize(tgt("Zorglub went to Montréal in 2019.")) == "Zorglub went to Montréal in 2019."
