#!/usr/bin/env bash
# Vendor front-end assets from the npm registry into the repository.
#
# Reproducible: every package is pinned to an exact version and its tarball
# is checked against the registry's sha512 integrity pinned below.
# Idempotent: the vendored directories are rebuilt from scratch on each run.
# No node_modules in the repo, no global installs: only `npm pack` into a
# temporary directory.
#
# Run from the repository root:  bash scripts/vendor.sh   (or: make vendor)
set -euo pipefail

HTMX_VERSION="4.0.1"
HTMX_INTEGRITY="sha512-oF7JgXhDW9UXCy/k1ZYFUQgzu/rm19ORWPSPNL91vPluB2PB9+MV55tyQdH/w7o2EAbTYUG5SDW1R60mdkdqGg=="
KERN_VERSION="2.7.2"
KERN_INTEGRITY="sha512-TN0Mqbasp7S1IOqurXickde8MDj5hIcgT4s3f1i33wyv2iVgA1dTO/FoQyi6rgM9KYTYkIthl9k72g7fBUUvHg=="
AXE_VERSION="4.14.1"
AXE_INTEGRITY="sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
# Only used for the SIL OFL 1.1 licence text of Fira Sans (not shipped by KERN).
FIRA_VERSION="5.3.0"
FIRA_INTEGRITY="sha512-z1SKSG7eRhm3srlb7rQ3j77QP4TP7OFxCZ4wUWhCdt+3hOF9K0AyvybpAsz6+JWNcCVV7AqC7dbOT3e67P2r5A=="

if [[ ! -f pyproject.toml && ! -d .git ]]; then
  echo "vendor.sh: run this from the repository root" >&2
  exit 1
fi

for tool in npm tar sha256sum base64 openssl; do
  command -v "$tool" >/dev/null || { echo "vendor.sh: '$tool' is required" >&2; exit 1; }
done

ROOT="$(pwd)"
VENDOR="$ROOT/static/vendor"
TESTS_VENDOR="$ROOT/tests/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# fetch <spec> <expected sha512 integrity> <dir name>
# Downloads the tarball with `npm pack`, verifies it, unpacks to $WORK/<dir>/package.
fetch() {
  local spec="$1" integrity="$2" name="$3" tgz actual
  mkdir -p "$WORK/$name"
  tgz="$(cd "$WORK/$name" && npm pack "$spec" --silent --ignore-scripts 2>/dev/null | tail -n1)"
  [[ -f "$WORK/$name/$tgz" ]] || { echo "vendor.sh: npm pack $spec failed" >&2; exit 1; }
  actual="sha512-$(openssl dgst -sha512 -binary "$WORK/$name/$tgz" | base64 -w0)"
  if [[ "$actual" != "$integrity" ]]; then
    echo "vendor.sh: integrity mismatch for $spec" >&2
    echo "  expected $integrity" >&2
    echo "  got      $actual" >&2
    exit 1
  fi
  tar -xzf "$WORK/$name/$tgz" -C "$WORK/$name"
  echo "fetched $spec"
}

# put <src> <dest>: copy one file with normalised permissions.
put() {
  [[ -f "$1" ]] || { echo "vendor.sh: missing file in tarball: $1" >&2; exit 1; }
  install -D -m 0644 "$1" "$2"
}

fetch "htmx.org@$HTMX_VERSION" "$HTMX_INTEGRITY" htmx
fetch "@kern-ux/native@$KERN_VERSION" "$KERN_INTEGRITY" kern
fetch "axe-core@$AXE_VERSION" "$AXE_INTEGRITY" axe
fetch "@fontsource/fira-sans@$FIRA_VERSION" "$FIRA_INTEGRITY" fira

# Start from a clean slate (idempotent, no stale versions left behind).
rm -rf "$VENDOR/htmx" "$VENDOR/kern" "$VENDOR/CHECKSUMS" "$VENDOR/README.md"
rm -f "$TESTS_VENDOR/axe.min.js" "$TESTS_VENDOR/axe-core.LICENSE.txt"

# --- htmx -------------------------------------------------------------------
H="$WORK/htmx/package"
HD="$VENDOR/htmx/$HTMX_VERSION"
put "$H/dist/htmx.min.js" "$HD/htmx.min.js"
put "$H/dist/ext/hx-sse.min.js" "$HD/ext/hx-sse.min.js"
put "$H/LICENSE" "$HD/LICENSE"

# --- KERN UX ----------------------------------------------------------------
K="$WORK/kern/package"
KD="$VENDOR/kern/$KERN_VERSION"
# kern.min.css is a superset of kern-grid.min.css and kern-utilities.min.css.
put "$K/dist/kern.min.css" "$KD/kern.min.css"
put "$K/dist/fonts/fira-sans.css" "$KD/fonts/fira-sans.css"
# Copy exactly the font files referenced by the font CSS, keeping relative paths.
mapfile -t FONT_URLS < <(grep -oE 'url\([^)]*\)' "$K/dist/fonts/fira-sans.css" \
  | sed -E "s/^url\([[:space:]]*['\"]?//; s/['\"]?[[:space:]]*\)\$//" | sort -u)
[[ ${#FONT_URLS[@]} -gt 0 ]] || { echo "vendor.sh: no font URLs found in fira-sans.css" >&2; exit 1; }
for u in "${FONT_URLS[@]}"; do
  case "$u" in
    http:*|https:*|//*|/*|*..*) echo "vendor.sh: unexpected font URL: $u" >&2; exit 1 ;;
  esac
  rel="${u#./}"
  put "$K/dist/fonts/$rel" "$KD/fonts/$rel"
done
put "$K/LICENSE.md" "$KD/LICENSE.md"
# The KERN tarball does not ship the OFL text for Fira Sans; take it from @fontsource.
if [[ -f "$K/dist/fonts/fira-sans/OFL.txt" ]]; then
  put "$K/dist/fonts/fira-sans/OFL.txt" "$KD/fonts/fira-sans/OFL.txt"
else
  put "$WORK/fira/package/LICENSE" "$KD/fonts/fira-sans/OFL.txt"
fi

# No remote resources in the vendored CSS (data: URIs are fine).
if grep -EHn "url\([[:space:]]*['\"]?(https?:)?//|@import[^;]*(https?:)?//" \
     "$KD/kern.min.css" "$KD/fonts/fira-sans.css"; then
  echo "vendor.sh: vendored KERN CSS references a remote URL" >&2
  exit 1
fi

# --- axe-core (tests only) --------------------------------------------------
A="$WORK/axe/package"
put "$A/axe.min.js" "$TESTS_VENDOR/axe.min.js"
put "$A/LICENSE" "$TESTS_VENDOR/axe-core.LICENSE.txt"

# --- README -----------------------------------------------------------------
cat > "$VENDOR/README.md" <<EOF
# Vendored front-end assets

Do not edit these files by hand. They are fetched from the npm registry with
\`npm pack\` (exact versions, tarball sha512 integrity pinned in
\`scripts/vendor.sh\`); regenerate with \`make vendor\`.
Verify with \`cd static/vendor && sha256sum -c CHECKSUMS\`.

| Package | Version | Licence | Source | Files |
|---|---|---|---|---|
| htmx.org | $HTMX_VERSION | 0BSD (BSD-0-Clause) | https://www.npmjs.com/package/htmx.org/v/$HTMX_VERSION | \`htmx/$HTMX_VERSION/htmx.min.js\`, \`htmx/$HTMX_VERSION/ext/hx-sse.min.js\`, \`htmx/$HTMX_VERSION/LICENSE\` |
| @kern-ux/native | $KERN_VERSION | EUPL-1.2 | https://www.npmjs.com/package/@kern-ux/native/v/$KERN_VERSION (https://gitlab.opencode.de/kern-ux/kern-ux-plain) | \`kern/$KERN_VERSION/kern.min.css\`, \`kern/$KERN_VERSION/fonts/fira-sans.css\`, \`kern/$KERN_VERSION/fonts/fira-sans/*.woff2\`, \`kern/$KERN_VERSION/LICENSE.md\` |
| Fira Sans (fonts shipped in @kern-ux/native) | — | OFL-1.1 | licence text from https://www.npmjs.com/package/@fontsource/fira-sans/v/$FIRA_VERSION | \`kern/$KERN_VERSION/fonts/fira-sans/OFL.txt\` |
| axe-core (tests only, in \`tests/vendor/\`) | $AXE_VERSION | MPL-2.0 | https://www.npmjs.com/package/axe-core/v/$AXE_VERSION | \`tests/vendor/axe.min.js\`, \`tests/vendor/axe-core.LICENSE.txt\` |
EOF

# --- CHECKSUMS --------------------------------------------------------------
(
  cd "$VENDOR"
  find . -type f ! -name CHECKSUMS -printf '%P\n' | LC_ALL=C sort | xargs -d '\n' sha256sum > CHECKSUMS
  sha256sum -c --quiet CHECKSUMS
)

echo "vendored into static/vendor/ and tests/vendor/ ($(wc -l < "$VENDOR/CHECKSUMS") files checksummed)"
