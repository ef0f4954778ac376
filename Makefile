# Two commands do all set-up on a fresh machine:
#   make demo   installs everything, trains the offline demo translator (BLEU report, attention heatmaps) and the
#               offline DeViSE demo (hit@k report, search grids), then runs the three searches
#   make test   installs everything and runs the test suite
#   make app    serves the page over the checkpoints `make demo` wrote (http://127.0.0.1:7860)
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: install demo demo-translate demo-devise app lint test test-slow benchmarks clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --upgrade pip
	$(VENV)/bin/pip install -e ".[vectors,weights,app,test]"
	touch $@

demo: demo-translate demo-devise

demo-translate: install
	$(PY) train.py fit -c configs/translate/demo.yaml
	$(PY) train.py test -c configs/translate/demo.yaml --ckpt_path best
	@echo "BLEU report: $$(ls -t runs/translate_demo/version_*/bleu_report.md | head -1)"
	@echo "attention heatmaps: $$(ls -td runs/translate_demo/version_*/attention | head -1)/"

TRANSLATE_CKPT := runs/translate_demo/checkpoints/best.ckpt
DEVISE_CKPT := runs/devise_demo/checkpoints/best.ckpt
DEMO_VALID := .cache/devise/demo_images/valid

demo-devise: install
	$(PY) train.py fit -c configs/devise/demo.yaml
	$(PY) train.py test -c configs/devise/demo.yaml --ckpt_path best
	mkdir -p runs/devise_demo/search
	$(PY) search.py label --ckpt $(DEVISE_CKPT) $(DEMO_VALID)/truck/0000.png $(DEMO_VALID)/candle/0000.png \
		--grid runs/devise_demo/search/label.png
	$(PY) search.py text --ckpt $(DEVISE_CKPT) truck -k 8 --heldout-only --grid runs/devise_demo/search/text_truck.png
	$(PY) search.py text --ckpt $(DEVISE_CKPT) engine boat -k 8 --grid runs/devise_demo/search/text_engine_boat.png
	$(PY) search.py image --ckpt $(DEVISE_CKPT) $(DEMO_VALID)/bird/0000.png -k 8 \
		--grid runs/devise_demo/search/image_bird.png
	@echo "DeViSE report: $$(ls -t runs/devise_demo/version_*/devise_report.md | head -1)"
	@echo "search grids: runs/devise_demo/search/ and the report's folder"

app: install
	$(PY) app.py --translate $(TRANSLATE_CKPT) --devise $(DEVISE_CKPT)

lint: install
	PYTHONPATH=. $(VENV)/bin/lint-imports

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

test-slow: install
	$(PY) -m pytest -m slow $(PYTEST_ARGS)

clean:
	rm -rf runs .cache
