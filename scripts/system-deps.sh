#!/usr/bin/env bash
# System packages the platform needs beyond Python: a CJK font for Chinese PDFs and HarfBuzz's
# subsetting library (WeasyPrint embeds a ~200 KB subset instead of spending seconds in fontTools).
# With --browser (make test), also Debian's chromium for the browser journeys (Playwright drives it;
# it cannot download a browser of its own here).
# Installs them with apt-get when missing and allowed; otherwise says exactly what is missing.
set -u
missing=()
if [ "${1:-}" = "--browser" ] && [ -z "${INCUBATOR_CHROMIUM:-}" ]; then
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing+=(chromium)
  command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)  # a certificate's page as a picture, to read its QR code
fi
fc-list 2>/dev/null | grep -qiE "Noto (Sans|Serif) CJK|WenQuanYi|Source Han" || missing+=(fonts-noto-cjk)
ldconfig -p 2>/dev/null | grep -q "libharfbuzz-subset.so.0" || missing+=(libharfbuzz-subset0)
ldconfig -p 2>/dev/null | grep -q "libpango-1.0.so.0" || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
command -v fc-list >/dev/null 2>&1 || missing+=(fontconfig)
# Debian splits venv/ensurepip out of its Python: `python3 -m venv` needs python3-venv.
if [ ! -x .venv/bin/python ] && ! "${PYTHON:-python3}" -c "import ensurepip, venv" >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null && exit 0
  echo "apt-get could not install: ${missing[*]}" >&2
elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then
  echo "Installing system packages with sudo: ${missing[*]}"
  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null && exit 0
fi
cat >&2 <<MSG
Missing system packages: ${missing[*]}
  Debian/Ubuntu: sudo apt-get install ${missing[*]}
Without a CJK font, certificates cannot be rendered (the platform refuses rather than print empty boxes);
without libharfbuzz-subset0, each PDF takes seconds instead of milliseconds;
without chromium, the browser journeys of `make test` fail (set INCUBATOR_CHROMIUM to another Chromium).
MSG
exit 0
