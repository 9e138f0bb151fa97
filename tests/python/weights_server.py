#!/usr/bin/python3
"""A local HTTP server for the download tests; it only listens on 127.0.0.1.

  weights_server.py --root DIR --port-file FILE --log FILE [--timeout S]

serves the files in DIR on a free port (written to --port-file once
listening) and answers
  GET /files/NAME           the file; honours "Range: bytes=START-[END]" with
                            206 Partial Content (416 when START is past the end)
  GET /drop/N/NAME          as /files/NAME, but closes the connection after N
                            bytes of the body (a transfer cut short)
  GET /slow/NAME            as /files/NAME, in 16 KiB pieces 20 ms apart
  GET /norange/NAME         the whole file with 200, ignoring Range
  GET /status/CODE/NAME     an error page with that status
  anything else, or a missing file: 404
Every file response carries a strong ETag (from the file's SHA-256) and a
Last-Modified date (its mtime), and honours "If-Range": a Range whose
If-Range names another version of the file is ignored (200, whole file), as
RFC 9110 says. Query options, on any of the file paths above:
  ?validators=none   no ETag and no Last-Modified header
  ?etag=weak         a weak ETag (W/"...") instead of the strong one
  ?extra=N           N more bytes after the body, without Content-Length
                     (the body ends when the connection closes)
  ?extra=N&length=1  the same, with a Content-Length that counts them
Each request is appended to --log as one JSON line (path, range, if_range,
status).
The server exits by itself after --timeout seconds (default 120), so a test
that dies can never leave it behind.
"""
import argparse
import email.utils
import hashlib
import http.server
import json
import os
import re
import sys
import threading
import time
import urllib.parse


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    root = "."
    log_path = None
    log_lock = threading.Lock()

    def log_message(self, fmt, *args):  # quiet: the JSON log is what tests read
        pass

    def record(self, status):
        entry = {"path": self.path, "range": self.headers.get("Range"), "if_range": self.headers.get("If-Range"),
                 "status": status}
        with self.log_lock, open(self.log_path, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def send_error_page(self, code):
        body = f"error {code}\n".encode()
        self.record(code)
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        parts = url.path.lstrip("/").split("/")
        mode, drop_after, name = None, None, None
        if len(parts) == 2 and parts[0] in ("files", "slow", "norange"):
            mode, name = parts
        elif len(parts) == 3 and parts[0] == "drop" and parts[1].isdigit():
            mode, drop_after, name = "drop", int(parts[1]), parts[2]
        elif len(parts) == 3 and parts[0] == "status" and parts[1].isdigit():
            return self.send_error_page(int(parts[1]))
        path = os.path.join(self.root, name) if name and "/" not in name and name not in (".", "..") else None
        if mode is None or path is None or not os.path.isfile(path):
            return self.send_error_page(404)

        with open(path, "rb") as f:
            data = f.read()
        size = len(data)
        validators = query.get("validators") != "none"
        tag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
        etag = ("W/" + tag) if query.get("etag") == "weak" else tag
        last_modified = email.utils.formatdate(os.path.getmtime(path), usegmt=True)
        extra = int(query.get("extra", "0"))
        start, end, status = 0, size - 1, 200
        header = self.headers.get("Range")
        if_range = self.headers.get("If-Range")
        # If-Range: the range only for the same version (a strong ETag, or
        # the exact date), else the whole file.
        same_version = if_range is None or (validators and (if_range == tag or if_range == last_modified))
        if header and mode != "norange" and same_version:
            m = re.fullmatch(r"bytes=(\d+)-(\d*)", header.strip())
            if m:
                start = int(m.group(1))
                end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
                if start >= size or start > end:
                    self.record(416)
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.close_connection = True
                    return
                status = 206
        body = data[start:end + 1]
        if extra > 0:
            body += bytes((i * 7 + 3) & 0xFF for i in range(extra))
        self.record(status)
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        if extra == 0 or query.get("length") == "1":
            self.send_header("Content-Length", str(len(body)))
        if validators:
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", last_modified)
        self.send_header("Accept-Ranges", "none" if mode == "norange" else "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        try:
            if mode == "drop":
                self.wfile.write(body[:drop_after])
                self.wfile.flush()
                # Cut the connection without sending the rest.
                self.connection.shutdown(2)
                return
            if mode == "slow":
                for i in range(0, len(body), 16384):
                    self.wfile.write(body[i:i + 16384])
                    self.wfile.flush()
                    time.sleep(0.02)
                return
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (e.g. a cancelled download)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--timeout", type=float, default=120.0)
    args = p.parse_args()
    Handler.root = args.root
    Handler.log_path = args.log
    open(args.log, "a").close()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    # Exit on our own, whatever happens to the test that started us.
    timer = threading.Timer(args.timeout, server.shutdown)
    timer.daemon = True
    timer.start()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, args.port_file)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
