"""The code's structure: no import cycles between the project's modules, metrics that give sacreBLEU's numbers, and
checkpoints written before the network's hyperparameters were grouped still loading."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
import sacrebleu
import torch

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "datamodules", "models", "retrieval", "lightning_modules", "callbacks", "cli")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Project modules imported at module level (imports inside functions or ``if TYPE_CHECKING`` excluded)."""
    found = set()
    for node in ast.parse(path.read_text()).body:
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        found.update(n for n in names if n in modules)
    return found


def test_no_import_cycles():
    files = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]
    modules = {_module_name(p) for p in files}
    graph = {_module_name(p): _imports(p, modules) - {_module_name(p)} for p in files}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path[path.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert len(graph) > 80  # the walk saw the project


@pytest.mark.parametrize("lowercase", [True, False])
def test_bleu_and_chrf_metrics_equal_sacrebleu(lowercase):
    """Also where torchmetrics' own BLEU would not: a corpus without a single matching 4-gram (sacreBLEU smooths)."""
    from lightning_modules.metrics import CorpusScore

    cases = [(["What's this?", "where is the station ?", "I don't know, really", "Who is it?", "war is evil.", "Ça va"],
              ["What's that?", "Where is the train station?", "I don't know, really.", "Who is it?", "War is evil.",
               "OK"]),
             (["why why was to?", "when did is your?"], ["Why are the aunts going?", "When did the sons go?"])]
    for hyps, refs in cases:
        bleu, chrf = CorpusScore("bleu", lowercase), CorpusScore("chrf", lowercase)
        for i in range(0, len(hyps), 4):  # two updates, as two batches would
            bleu.update(hyps[i:i + 4], refs[i:i + 4])
            chrf.update(hyps[i:i + 4], refs[i:i + 4])
        expected_bleu = sacrebleu.metrics.BLEU(lowercase=lowercase).corpus_score(hyps, [refs]).score
        expected_chrf = sacrebleu.metrics.CHRF(lowercase=lowercase).corpus_score(hyps, [refs]).score
        assert float(bleu.compute()) == pytest.approx(expected_bleu, abs=1e-5) and expected_bleu > 0
        assert float(chrf.compute()) == pytest.approx(expected_chrf, abs=1e-4)


def _old_translation_checkpoint(path: Path) -> None:
    """A checkpoint as the code before the ``net`` group wrote it: flat hyperparameters, vocabulary dict, no
    joiners, a 90/10 split."""
    from models.seq2seq import Seq2Seq

    torch.manual_seed(0)
    itos_fr = ["_bos_", "_pad_", "_eos_", "_unk_", "où", "est", "la", "gare", "?"]
    itos_en = ["_bos_", "_pad_", "_eos_", "_unk_", "where", "is", "the", "station", "?", "'s"]
    model = Seq2Seq(len(itos_fr), len(itos_en), 8, 6, hidden_size=8, num_layers=2, bidirectional=True, attention=True)
    hparams = {"src_vocab_size": len(itos_fr), "tgt_vocab_size": len(itos_en), "src_emb_dim": 8, "tgt_emb_dim": 6,
               "hidden_size": 8, "num_layers": 2, "bidirectional": True, "attention": True, "emb_dropout": 0.15,
               "enc_dropout": 0.25, "dec_dropout": 0.1, "out_dropout": 0.35, "freeze_embeddings": "none",
               "teacher_forcing": 0.0, "lr": 0.003, "betas": [0.8, 0.99], "weight_decay": 0.0, "one_cycle": True,
               "pct_start": 0.25, "max_decode_len": 8, "beam_size": 5, "length_penalty": 1.0,
               "n_report_samples": 20}
    settings = {"src_lang": "fr", "tgt_lang": "en", "lowercase": True, "max_vocab": 40000, "min_freq": 1,
                "max_tgt_tokens": 30, "len_percentile": 99.0, "valid_frac": 0.1, "split_seed": 42}
    torch.save({"state_dict": {f"model.{k}": v for k, v in model.state_dict().items()}, "hyper_parameters": hparams,
                "pytorch-lightning_version": "2.6.0", "epoch": 1, "global_step": 10,
                "translation_vocab": {"src_itos": itos_fr, "tgt_itos": itos_en, "settings": settings,
                                      "max_src_len": 6, "max_tgt_len": 8}}, path)


def test_a_checkpoint_in_the_old_format_still_translates(tmp_path):
    import translate

    _old_translation_checkpoint(tmp_path / "old.ckpt")
    module = translate.load_translator(tmp_path / "old.ckpt")
    assert module.net_config.hidden_size == 8 and module.net_config.bidirectional
    assert module.vocab_state.settings.tgt_joiners is False  # decoded with the rules it was trained for
    out = translate.Translator(module, beam=2).translate_texts(["Où est la gare ?", ""])
    assert len(out) == 2 and out[1] == "" and isinstance(out[0], str)


def test_an_old_devise_checkpoint_still_loads_for_search(tmp_path):
    import search
    from models.devise_head import DeviseHead

    head = DeviseHead(12, 4, hidden=16)
    hparams = {"in_features": 12, "out_dim": 4, "backbone": "resnet18", "backbone_weights": None,
               "precomputed": True, "hidden": 16, "dropout": 0.2, "loss": "cosine", "margin": 0.1, "lr": 0.01,
               "weight_decay": 1e-7, "backbone_lr_factor": 0.1, "one_cycle": True, "pct_start": 0.25,
               "hit_ks": [1, 2], "init_from": None}
    state = {"wnids": ["a", "b", "c"], "names": ["cat", "dog", "boat"], "vectors": torch.eye(3, 4),
             "holdout": ["c"], "backbone": "resnet18", "backbone_weights": None, "vectors_spec": None, "nouns": None,
             "eval_items": [["x.jpg", "a"]]}
    torch.save({"state_dict": {f"head.{k}": v for k, v in head.state_dict().items()}, "hyper_parameters": hparams,
                "devise_classes": state, "pytorch-lightning_version": "2.6.0"}, tmp_path / "old.ckpt")
    module, backbone = search.load_devise(tmp_path / "old.ckpt")
    cs = module.class_state
    assert cs.holdout == cs.holdout_val == cs.holdout_test == ("c",) and cs.aliases == {}
    assert module.net_config.in_features == 12 and backbone.num_features == 512
    torch.testing.assert_close(module.head.layers[0].weight, head.layers[0].weight)
