"""A page to use the trained models in a browser: translate French with its n-best list and attention, label a
photo, search the run's images by words or by a photo (DeViSE or ConSE).

    .venv/bin/python app.py --translate runs/translate_demo/checkpoints/best.ckpt \\
                            --devise runs/devise_demo/checkpoints/best.ckpt [--host 127.0.0.1 --port 7860]

Models load once, at start; then open http://127.0.0.1:7860. Everything the page needs is served by this process
(no CDN, no web fonts), so it works with no network. ``make app`` serves the checkpoints ``make demo`` wrote.
"""
from __future__ import annotations

import argparse
import logging
import sys

from cli.checkpoints import check_device, default_device
from cli.quiet import quiet_third_party
from core.errors import UserInputError, exit_status

log = logging.getLogger("app")


def build(args: argparse.Namespace):
    """The FastAPI app over the models of ``args`` (each optional, one at least)."""
    from cli.app.search_handler import SearchHandler
    from cli.app.server import create_app
    from cli.app.translate_handler import TranslateHandler

    if not args.translate and not args.devise:
        raise UserInputError("give --translate CKPT, --devise CKPT or both (e.g. the ones `make demo` wrote)")
    device = check_device(args.device)
    translate = search = None
    if args.translate:
        from translate import load_translator

        translate = TranslateHandler(load_translator(args.translate, device, "int8" if device == "cpu" else "fp32"))
        translate.warm_up()
    if args.devise:
        from cli.devise_search import build_searcher, search_options

        searchers = {"devise": build_searcher(search_options(args.devise, "devise", device=device,
                                                             cache_dir=args.cache_dir))}
        try:
            searchers["conse"] = build_searcher(search_options(args.devise, "conse", device=device,
                                                               cache_dir=args.cache_dir))
        except UserInputError as error:  # a backbone without an ImageNet classifier, or no word vectors
            log.warning("ConSE is not available with this checkpoint: %s", error)
        search = SearchHandler(searchers)
        search.warm_up()
    info = {"translate_ckpt": args.translate, "devise_ckpt": args.devise}
    return create_app(translate, search, info)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--translate", help="translation checkpoint (train.py fit -c configs/translate/...)")
    parser.add_argument("--devise", help="DeViSE checkpoint (train.py fit -c configs/devise/...)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--device", default=default_device())
    parser.add_argument("--cache-dir", default=".cache/devise/search", help="where search indexes are cached")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s", stream=sys.stderr)
    quiet_third_party()

    def serve() -> None:
        import uvicorn

        app = build(args)
        log.info("serving on http://%s:%d (Ctrl-C stops)", args.host, args.port)
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")

    return exit_status(serve)


if __name__ == "__main__":
    raise SystemExit(main())
