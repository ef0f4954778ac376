"""The page's HTTP server: FastAPI routes over the request handlers, and the static page (no CDN, no fonts from
elsewhere: everything it loads is served here). Sync routes run in FastAPI's thread pool, so two browsers are
served at once; each model's handler takes requests in turn."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, File, Form, HTTPException, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from cli.app.search_handler import SearchHandler
from cli.app.translate_handler import TranslateHandler

STATIC = Path(__file__).resolve().parent / "static"


class TranslateRequest(BaseModel):
    text: str = ""
    beam: int = 5
    n_best: int = 3


class TextRequest(BaseModel):
    query: str = ""
    method: str = "devise"
    k: int = 12


def _reply(result: dict) -> JSONResponse:
    """Handler results as JSON; a handler's message for bad input is a 422 the page shows as it is."""
    return JSONResponse(result, status_code=422 if "error" in result else 200)


def create_app(translate: TranslateHandler | None, search: SearchHandler | None, info: dict) -> FastAPI:
    """The app over whichever handlers were loaded (a tab without its model says so)."""
    app = FastAPI(title="Lesson 11: translation and DeViSE", docs_url=None, redoc_url=None)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/")
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/api/info")
    def api_info() -> dict:
        return {**info, "translate": translate is not None,
                "methods": list(search.searchers) if search is not None else []}

    @app.post("/api/translate")
    def api_translate(request: TranslateRequest) -> JSONResponse:
        if translate is None:
            return _reply({"error": "No translation model was loaded: start app.py with --translate CKPT."})
        return _reply(translate.translate(request.text, request.beam, request.n_best))

    def _search() -> SearchHandler:
        if search is None:
            raise HTTPException(422, "No DeViSE model was loaded: start app.py with --devise CKPT.")
        return search

    @app.post("/api/label")
    def api_label(file: UploadFile = File(...), method: str = Form("devise"), k: int = Form(5)) -> JSONResponse:
        return _reply(_search().label(file.file.read(), method, k))

    @app.post("/api/similar")
    def api_similar(file: UploadFile = File(...), method: str = Form("devise"), k: int = Form(12)) -> JSONResponse:
        return _reply(_search().similar(file.file.read(), method, k))

    @app.post("/api/text")
    def api_text(request: TextRequest) -> JSONResponse:
        return _reply(_search().text(request.query, request.method, request.k))

    @app.get("/api/image/{image_id}")
    def api_image(image_id: int) -> FileResponse:
        path = _search().image_path(image_id)
        if path is None or not path.is_file():
            raise HTTPException(404, "no such image in the collection")
        return FileResponse(path)

    return app
