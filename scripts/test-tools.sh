#!/usr/bin/env bash
# Install the Debian tools some tests use (headless Chromium for the HTML report,
# LibreOffice and poppler for the DOCX/PDF) when we can. Tests that need a tool skip
# with a clear reason when it is still missing; this never fails the build, and its
# time limits keep a CI run inside its 15 minutes even on a slow mirror.
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v soffice >/dev/null 2>&1 || command -v libreoffice >/dev/null 2>&1 || need+=(libreoffice-writer-nogui)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)  # statement PDF page count and page images (tests/test_reports_office.py)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
  echo "test-tools: not root and no sudo; tests needing ${need[*]} will skip"; exit 0
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo -n"
echo "test-tools: installing ${need[*]} (for browser/office/TUI tests)"
export DEBIAN_FRONTEND=noninteractive
timeout 180 $SUDO apt-get update -qq >/dev/null 2>&1 || true
timeout 420 $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
  || echo "test-tools: could not install ${need[*]}; dependent tests will skip"
exit 0
