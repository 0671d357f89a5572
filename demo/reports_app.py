#!/usr/bin/env python3
"""A small stand-in for the reports app (Django REST) that TrackingProxy sits in front of.

Standard library only. It keeps reports and clients in memory and answers the same routes as the
real app, so `make run` can show the proxy at work:

  POST   /api/v1/reports/                 create a report
  GET|PATCH|DELETE /api/v1/reports/{id}/  read, update, delete a report
  POST   /api/v1/reports/{id}/generate/   generate a report
  GET    /api/v1/reports/{id}/download/   download it as CSV
  POST   /api/v1/reports/{id}/share/      share it
  POST   /api/v1/reports/upload/          upload a CSV (multipart/form-data)
  POST   /api/v1/clients/                 create a client
  GET|PUT|PATCH|DELETE /api/v1/clients/{id}/
  GET    /api/v1/analytics/dashboard/     counts
  GET    /health/                         liveness

Like an app behind an auth layer, it names the user in an `X-User-Id` response header, taken
from the request's `X-Demo-User` header (default `demo-user`).
"""
import argparse
import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STORE_LOCK = threading.Lock()
REPORTS = {}
CLIENTS = {}

ID = r"(?P<id>[0-9a-fA-F-]{1,36})"
ROUTES = [
    ("POST", re.compile(r"^/api/v1/reports/upload/$"), "upload"),
    ("POST", re.compile(r"^/api/v1/reports/$"), "create_report"),
    ("GET", re.compile(rf"^/api/v1/reports/{ID}/download/$"), "download_report"),
    ("POST", re.compile(rf"^/api/v1/reports/{ID}/generate/$"), "generate_report"),
    ("POST", re.compile(rf"^/api/v1/reports/{ID}/share/$"), "share_report"),
    ("GET", re.compile(rf"^/api/v1/reports/{ID}/$"), "get_report"),
    ("PATCH", re.compile(rf"^/api/v1/reports/{ID}/$"), "update_report"),
    ("DELETE", re.compile(rf"^/api/v1/reports/{ID}/$"), "delete_report"),
    ("POST", re.compile(r"^/api/v1/clients/$"), "create_client"),
    ("GET", re.compile(rf"^/api/v1/clients/{ID}/$"), "get_client"),
    ("PUT", re.compile(rf"^/api/v1/clients/{ID}/$"), "update_client"),
    ("PATCH", re.compile(rf"^/api/v1/clients/{ID}/$"), "update_client"),
    ("DELETE", re.compile(rf"^/api/v1/clients/{ID}/$"), "delete_client"),
    ("GET", re.compile(r"^/api/v1/analytics/dashboard/$"), "dashboard"),
    ("GET", re.compile(r"^/health/$"), "health"),
]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "demo-reports-app/1"

    def log_message(self, fmt, *args):  # quiet by default; --verbose turns it on
        if self.server.verbose:
            super().log_message(fmt, *args)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _json_body(self):
        raw = self._body()
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            return None

    def _send(self, status, payload=None, content_type="application/json", raw=None):
        body = raw if raw is not None else (json.dumps(payload).encode() if payload is not None else b"")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-User-Id", self.headers.get("X-Demo-User", "demo-user"))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _dispatch(self):
        path = self.path.split("?", 1)[0]
        for method, pattern, name in ROUTES:
            match = pattern.match(path)
            if match and method == self.command:
                return getattr(self, name)(match.groupdict().get("id"))
        if any(p.match(path) for _, p, _ in ROUTES):
            return self._send(405, {"detail": f"Method \"{self.command}\" not allowed."})
        return self._send(404, {"detail": "Not found."})

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _dispatch

    # Reports
    def create_report(self, _):
        data = self._json_body()
        if data is None:
            return self._send(400, {"detail": "JSON parse error"})
        report = {"id": str(uuid.uuid4()), "title": data.get("title", "Advisor report"), "status": "draft", "shared_with": []}
        with STORE_LOCK:
            REPORTS[report["id"]] = report
        self._send(201, report)

    def _report(self, rid):
        with STORE_LOCK:
            return REPORTS.get(rid)

    def get_report(self, rid):
        report = self._report(rid)
        self._send(200, report) if report else self._send(404, {"detail": "Not found."})

    def update_report(self, rid):
        data = self._json_body() or {}
        with STORE_LOCK:
            report = REPORTS.get(rid)
            if report:
                report.update({k: v for k, v in data.items() if k in ("title", "status")})
        self._send(200, report) if report else self._send(404, {"detail": "Not found."})

    def delete_report(self, rid):
        self._body()
        with STORE_LOCK:
            found = REPORTS.pop(rid, None)
        self._send(204) if found else self._send(404, {"detail": "Not found."})

    def generate_report(self, rid):
        self._body()
        with STORE_LOCK:
            report = REPORTS.get(rid)
            if report:
                report["status"] = "generated"
        self._send(202, report) if report else self._send(404, {"detail": "Not found."})

    def download_report(self, rid):
        report = self._report(rid)
        if not report:
            return self._send(404, {"detail": "Not found."})
        csv = "recommendation,impact\nResize underused VMs,High\nEnable backups,Medium\n".encode()
        self._send(200, raw=csv, content_type="text/csv")

    def share_report(self, rid):
        data = self._json_body() or {}
        with STORE_LOCK:
            report = REPORTS.get(rid)
            if report:
                report["shared_with"].append(data.get("email", "someone@example.com"))
        self._send(200, report) if report else self._send(404, {"detail": "Not found."})

    def upload(self, _):
        body = self._body()
        rows = max(body.count(b"\n") - 1, 0)
        self._send(201, {"id": str(uuid.uuid4()), "rows": rows, "bytes": len(body)})

    # Clients
    def create_client(self, _):
        data = self._json_body()
        if data is None:
            return self._send(400, {"detail": "JSON parse error"})
        client = {"id": str(uuid.uuid4()), "name": data.get("name", "Contoso")}
        with STORE_LOCK:
            CLIENTS[client["id"]] = client
        self._send(201, client)

    def get_client(self, cid):
        with STORE_LOCK:
            client = CLIENTS.get(cid)
        self._send(200, client) if client else self._send(404, {"detail": "Not found."})

    def update_client(self, cid):
        data = self._json_body() or {}
        with STORE_LOCK:
            client = CLIENTS.get(cid)
            if client and "name" in data:
                client["name"] = data["name"]
        self._send(200, client) if client else self._send(404, {"detail": "Not found."})

    def delete_client(self, cid):
        self._body()
        with STORE_LOCK:
            found = CLIENTS.pop(cid, None)
        self._send(204) if found else self._send(404, {"detail": "Not found."})

    def dashboard(self, _):
        with STORE_LOCK:
            self._send(200, {"reports": len(REPORTS), "clients": len(CLIENTS)})

    def health(self, _):
        self._send(200, {"status": "ok"})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    server.verbose = args.verbose
    print(f"demo reports app on http://{args.host}:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
