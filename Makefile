# Two commands do all set-up on a fresh machine:
#   make demo   installs everything, trains the offline demo translator and writes its BLEU report
#   make test   installs everything and runs the test suite
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: install demo demo-translate test test-slow benchmarks clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --upgrade pip
	$(VENV)/bin/pip install -e ".[vectors,weights,test]"
	touch $@

demo: demo-translate

demo-translate: install
	$(PY) train.py fit -c configs/translate/demo.yaml
	$(PY) train.py test -c configs/translate/demo.yaml --ckpt_path runs/translate_demo/checkpoints/last.ckpt
	@echo "BLEU report: $$(ls -t runs/translate_demo/version_*/bleu_report.md | head -1)"
	@echo "attention heatmaps: $$(ls -td runs/translate_demo/version_*/attention | head -1)/"

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

test-slow: install
	$(PY) -m pytest -m slow $(PYTEST_ARGS)

clean:
	rm -rf runs .cache
