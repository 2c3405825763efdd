#!/usr/bin/env bash
# The real pictures of the randomised synthetic world (tools/synthetic/styles.py):
# Debian's opencv-doc package (OpenCV's sample data) unpacked into
# bench-out/opencv-doc without installing it, and PROVENANCE.json naming, for
# every file the styles use, the package, its version, the file's sha256 and
# the licence Debian's copyright file gives it. Used at training and
# evaluation time only; nothing of it is committed. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=bench-out/opencv-doc
if [[ -f $out/PROVENANCE.json ]]; then exit 0; fi
mkdir -p "$out"
echo "photos: fetching Debian's opencv-doc (~95 MB) into $out" >&2
(cd "$out" && apt-get download opencv-doc >/dev/null 2>&1) || {
  echo "photos: apt-get download opencv-doc failed (no Debian mirror reachable?)" >&2
  exit 1
}
deb=$(ls "$out"/opencv-doc_*.deb)
dpkg-deb -x "$deb" "$out"
version=$(dpkg-deb -f "$deb" Version)
rm -f "$deb"
# Only the sample data and the copyright file are kept.
find "$out/usr" -type f ! -path "*/examples/data/*" ! -name copyright -delete
/usr/bin/python3 - "$out" "$version" <<'PY'
import hashlib, json, os, sys
sys.path.insert(0, "tools/synthetic")
import styles
out, version = sys.argv[1], sys.argv[2]
files = {}
for name in styles.TRAIN_PHOTOS + (styles.HELD_OUT_VIDEO,):
    path = os.path.join(out, styles.DATA, name)
    files[name] = {
        "path": styles.DATA + "/" + name,
        "sha256": hashlib.sha256(open(path, "rb").read()).hexdigest(),
        "use": "held-out style (never trained on)" if name == styles.HELD_OUT_VIDEO else "training photo",
    }
json.dump({"package": "opencv-doc", "version": version, "source": "Debian 12 (bookworm) main",
           "licence": "Apache-2.0 AND BSD-3-Clause (Debian's copyright file: 'Files: *', which covers samples/data)",
           "files": files}, open(os.path.join(out, "PROVENANCE.json"), "w"), indent=1)
print(f"photos: {len(files)} files of opencv-doc {version} in {out}", file=sys.stderr)
PY
