"""Light pages on thin connections (issue 6): fingerprinted static files cached for a year, gzip on text.

- Every ``url_for('static', filename=...)`` gets ``?v=<content hash>``, so a
  changed file gets a new address and browsers may keep each address for a
  year (``Cache-Control: public, max-age=31536000, immutable``). A request
  whose ``v`` is not the file's current hash (an old page) still gets the file,
  but with the default revalidation instead of the year.
- Text responses (HTML pages and fragments, CSS, JavaScript, JSON, SVG) are
  gzipped for clients that accept it. Static files are compressed once per
  version and kept in memory; pages on the fly at a middle level. Responses
  that carry their own ``ETag`` and aren't static files (calendar feeds) are
  left alone: their conditional requests compare that exact tag.
"""
from __future__ import annotations

import gzip
import hashlib
import os
from typing import TYPE_CHECKING

from flask import current_app, request
from werkzeug.security import safe_join

if TYPE_CHECKING:
    from flask import Flask, Response

YEAR_SECONDS = 365 * 24 * 3600
IMMUTABLE = f"public, max-age={YEAR_SECONDS}, immutable"
COMPRESSIBLE = frozenset(
    {
        "text/html",
        "text/css",
        "text/plain",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/problem+json",
        "image/svg+xml",
    }
)
# Below this, gzip's header and the CPU cost more than they save.
MIN_GZIP_BYTES = 512
PAGE_GZIP_LEVEL = 6

# (path, mtime_ns, size) -> hash; (path, hash) -> gzipped bytes. Both stay as small as the static folder.
_hashes: dict[tuple[str, int, int], str] = {}
_gzipped: dict[tuple[str, str], bytes] = {}


def static_hash(filename: str, static_folder: str | None = None) -> str | None:
    """The first 12 hex digits of the SHA-256 of a static file, or None when there is no such file."""
    folder = static_folder or current_app.static_folder
    path = safe_join(folder, filename) if folder else None
    if path is None:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    key = (path, stat.st_mtime_ns, stat.st_size)
    digest = _hashes.get(key)
    if digest is None:
        with open(path, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()[:12]
        _hashes[key] = digest
    return digest


def _fingerprint_static_urls(endpoint: str, values: dict) -> None:
    """``url_defaults`` hook: ``/static/css/app.css`` becomes ``/static/css/app.css?v=<hash>``."""
    if endpoint != "static" or "v" in values or "filename" not in values:
        return
    digest = static_hash(values["filename"])
    if digest is not None:
        values["v"] = digest


def _cache_static_files(response: Response) -> Response:
    """A year of caching for a static file asked for by its current fingerprint."""
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    filename = (request.view_args or {}).get("filename", "")
    version = request.args.get("v")
    if version and version == static_hash(filename):
        response.headers["Cache-Control"] = IMMUTABLE
    return response


def _gzip_text(response: Response) -> Response:
    """Gzip a text response for a client that accepts gzip (Vary: Accept-Encoding either way)."""
    if response.mimetype not in COMPRESSIBLE or response.status_code in (204, 206, 304) or response.status_code < 200:
        return response
    if "Content-Encoding" in response.headers:
        return response
    is_static = request.endpoint == "static"
    # Generated streams and other views' files (send_file) are sent as they come; so are responses
    # with their own ETag (feeds), whose conditional requests compare that exact tag.
    if not is_static and (response.is_streamed or response.direct_passthrough or "ETag" in response.headers):
        return response
    response.vary.add("Accept-Encoding")
    if not request.accept_encodings["gzip"] or request.method == "HEAD":
        return response
    if is_static:
        response.direct_passthrough = False  # send_file hands over a file wrapper; read it
        data = response.get_data()
        if len(data) < MIN_GZIP_BYTES:
            return response
        key = (request.path, response.headers.get("ETag", ""))
        body = _gzipped.get(key)
        if body is None:
            body = _gzipped[key] = gzip.compress(data, compresslevel=9, mtime=0)
        # Another representation of the same file: a weak tag still answers If-None-Match with 304.
        etag, weak = response.get_etag()
        if etag:
            response.set_etag(etag, weak=True)
    else:
        data = response.get_data()
        if len(data) < MIN_GZIP_BYTES:
            return response
        body = gzip.compress(data, compresslevel=PAGE_GZIP_LEVEL, mtime=0)
    response.set_data(body)
    response.headers["Content-Encoding"] = "gzip"
    return response


def init_assets(app: Flask) -> None:
    """Fingerprint static URLs, cache fingerprinted files for a year, gzip text responses."""
    app.url_defaults(_fingerprint_static_urls)
    # after_request functions run last-registered first: caching headers, then compression.
    app.after_request(_gzip_text)
    app.after_request(_cache_static_files)
