# Scan station — set-up, tests, demo. `make demo` and `make test` do all the set-up themselves.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SYSSTAMP := .sysdeps-ok

# Debian/Ubuntu packages the station needs: SANE (driver + headers for python-sane), a software
# PKCS#11 token and its tools, PDF tools for independent checks, fonts with Vietnamese glyphs,
# an sRGB ICC profile, Qt's runtime libraries, Xvfb for screenshots, and Tesseract's Vietnamese
# language data (tesseract-ocr-vie) for the OCR text layer, and PostgreSQL for the
# multi-counter tests (tests/pg start a throw-away server of their own; the package's own cluster is not used).
# Qt's xcb platform plugin (a real X display, `make run`) links the libxcb-* and libX11-xcb libraries
# below and loads libxcb-cursor0 at run time: without any one of them Qt stops with "Could not load the
# Qt platform plugin xcb". Re-check after a PySide6 upgrade with:
#   ldd .venv/lib/python3*/site-packages/PySide6/Qt/plugins/platforms/libqxcb.so | grep 'not found'
# tests/ui/test_ui_xcb.py starts the window on Xvfb with the xcb platform, so a missing one fails CI.
APT_PACKAGES := libsane-dev sane-utils softhsm2 opensc poppler-utils qpdf \
	fonts-noto-core fonts-liberation2 fonts-dejavu-core icc-profiles-free \
	libgl1 libglib2.0-0 libegl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 xvfb \
	libx11-xcb1 libxcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 \
	libxcb-render-util0 libxcb-render0 libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-util1 \
	libxcb-xfixes0 libxcb-xinerama0 libxcb-xkb1 \
	python3-venv gcc python3-dev tesseract-ocr tesseract-ocr-vie postgresql

# The Windows installer and its Wine smoke test (tests/installer, marker `wine`, part of make test):
# NSIS, Authenticode checks, Wine (64-bit), MinGW for the test-only stand-in DLLs. About 300 MB to
# download and 1.9 GB installed (wine alone ~900 MB); apt takes ~1 min on a fresh machine.
WINE_APT_PACKAGES := nsis osslsigncode wine wine64 gcc-mingw-w64-x86-64
WINESTAMP := .sysdeps-wine-ok

.PHONY: all demo test run lint bench sysdeps venv clean i18n installer installer-lock wine-sysdeps screenshots
all: test

$(SYSSTAMP): Makefile
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing system packages: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	  else \
	    echo "Missing system packages. Run this once, then re-run make:"; \
	    echo "  sudo apt-get install -y $$missing"; exit 1; \
	  fi; \
	fi; touch $@
sysdeps: $(SYSSTAMP)

$(WINESTAMP): Makefile
	@missing=$$(for p in $(WINE_APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing system packages for the Windows installer: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	  else \
	    echo "Missing system packages for the Windows installer. Run this once, then re-run make:"; \
	    echo "  sudo apt-get install -y $$missing"; exit 1; \
	  fi; \
	fi; touch $@
wine-sysdeps: $(WINESTAMP)

$(STAMP): pyproject.toml $(SYSSTAMP)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[sane,dev,postgres]'
	@touch $@
venv: $(STAMP)

demo: $(STAMP)
	SCANSTATION_HOME=$${SCANSTATION_HOME:-$(CURDIR)/demo-home} $(PY) -m scanstation demo

lint: $(STAMP)
	$(VENV)/bin/ruff check scanstation tests bench tools
	$(VENV)/bin/lint-imports
	$(PY) tools/typecheck.py

test: lint $(WINESTAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

run: $(STAMP)
	$(PY) -m scanstation gui

# Translations of the window: extract every tr()/translate() string into the Vietnamese .ts (kept
# translations survive, vanished strings are dropped), then compile the .qm the application loads.
# Translate new strings in scanstation/ui/i18n/scanstation_vi.ts (Qt Linguist or any editor), then
# re-run; tests/ui/test_ui_i18n.py fails while a string is missing or untranslated.
I18N_TS := scanstation/ui/i18n/scanstation_vi.ts
i18n: $(STAMP)
	$(VENV)/bin/pyside6-lupdate $$(find scanstation/ui -name '*.py' | sort) -ts $(I18N_TS) -no-obsolete -locations none
	$(VENV)/bin/pyside6-lrelease $(I18N_TS) -qm $(I18N_TS:.ts=.qm)

# Every screen of the demo walk on a real X server (Xvfb, xcb platform) at a counter PC's 1366x768.
SHOTS ?= screenshots
screenshots: $(STAMP)
	rm -rf $(SHOTS) && SCANSTATION_HOME=$$(mktemp -d) QT_QPA_PLATFORM=xcb xvfb-run -a -s '-screen 0 1366x768x24' \
	  $(PY) -m scanstation gui --demo --screenshots $(SHOTS)

# dist/scanstation-<version>-setup.exe (INSTALLER_COMPRESSOR=lzma for a ~25% smaller release build)
installer: $(STAMP) $(WINESTAMP)
	$(PY) installer/build.py

# Re-pin the Windows wheels after a dependency change in pyproject.toml
installer-lock: $(STAMP)
	$(PY) installer/lock.py

bench: $(STAMP)
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(SYSSTAMP) $(WINESTAMP) demo-home build dist *.egg-info
